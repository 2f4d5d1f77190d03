"""Pydantic validation errors of a YAML file -> one :class:`~trimtab.errors.InputError` naming file, line and key.

The portfolio file (:mod:`trimtab.data.portfolio_file`) and the backtest config
(:mod:`trimtab.backtest.config`) both check their YAML with a pydantic model. This module turns the
first problem pydantic finds into one user error with the same wording for both files:

- ``unknown key 'x'`` with a "did you mean" hint and the keys allowed there;
- ``missing required key 'x'``, reported only when nothing else is wrong (a misspelled key shows
  as both "unknown" and "missing", and the unknown one, on its own line, says more);
- ``unknown <label>`` for a value outside an enum or ``Literal``;
- ``must be at least / above / below / at most <limit>`` for a bound;
- ``needs at least one entry`` for an empty list;
- a type problem from :data:`TYPE_PROBLEMS` (``should be a number``, ...), else pydantic's own words.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from trimtab.data.yaml_source import YamlDocument
from trimtab.errors import InputError

__all__ = ["TYPE_PROBLEMS", "model_at", "translate_validation_error", "yaml_type"]

#: The problem written for each pydantic type error.
TYPE_PROBLEMS: dict[str, str] = {
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "int_type": "should be a whole number",
    "float_parsing": "should be a number",
    "float_type": "should be a number",
    "decimal_parsing": "should be a number",
    "decimal_type": "should be a number",
    "bool_parsing": "should be true or false",
    "bool_type": "should be true or false",
    "string_type": "should be text",
    "dict_type": "should be a mapping (key: value pairs)",
    "model_type": "should be a mapping (key: value pairs)",
    "model_attributes_type": "should be a mapping (key: value pairs)",
    "list_type": "should be a list (lines starting with '- ')",
    "finite_number": "should be a finite number",
    "finite_decimal": "should be a finite number",
    "date_parsing": "should be a date YYYY-MM-DD",
    "date_from_datetime_parsing": "should be a date YYYY-MM-DD",
    "date_type": "should be a date YYYY-MM-DD",
    "bool_not_number": "should be a number, not true/false",
}

_BOUND_WORDS: dict[str, str] = {
    "greater_than_equal": "at least",
    "greater_than": "above",
    "less_than": "below",
    "less_than_equal": "at most",
}

Loc = tuple[str | int, ...]


def translate_validation_error(
    err: ValidationError,
    doc: YamlDocument,
    *,
    root_model: type[BaseModel],
    error_class_for: Callable[[Loc, str], type[InputError]],
    fix_hints: Mapping[str, str],
    default_fix: str | Callable[[Loc], str],
    labels: Mapping[str, str] | None = None,
) -> InputError:
    """Turn the first (topmost in the file) pydantic error into one trimtab error.

    Parameters
    ----------
    err : ValidationError
        What ``root_model.model_validate(doc.data)`` raised.
    doc : YamlDocument
        The parsed file; gives the line and the rendered key path of each error.
    root_model : type[BaseModel]
        The model validated; an unknown key's hint lists the keys its section allows.
    error_class_for : callable (loc, error type) -> type[InputError]
        The error class that reports a problem at ``loc`` (pydantic's key path) of that pydantic type.
    fix_hints : mapping of key name -> fix
        How to fix a bad value, by the innermost key name (also the fix of a missing key).
    default_fix : str or callable loc -> str
        The fix when ``fix_hints`` has nothing for the key name.
    labels : mapping of key name -> label, optional
        How to name a key in ``unknown <label>`` (default: the key with spaces for underscores).

    Returns
    -------
    InputError
        One error of the class ``error_class_for`` chose, naming the file, line and key.
    """
    errors = err.errors(include_url=False)
    first = min(errors, key=lambda e: (e["type"] == "missing", doc.line(*e["loc"]) or 0))
    loc: Loc = tuple(first["loc"])
    kind: str = first["type"]
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    cls = error_class_for(loc, kind)
    where = doc.ref(*loc)
    got: Any = first.get("input")
    if isinstance(got, Decimal):
        got = str(got)  # as the user wrote it: Decimal('5') would be confusing in messages
    fix = fix_hints.get(name) or (default_fix if isinstance(default_fix, str) else default_fix(loc))
    ctx = first.get("ctx") or {}
    if kind == "extra_forbidden":
        parent = model_at(root_model, loc[:-1])
        allowed = list(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        remove = f"remove it or use one of: {', '.join(allowed)}" if allowed else "remove it"
        hint = f"did you mean {close[0]!r}? {remove[0].upper()}{remove[1:]}" if close else remove
        return cls(f"unknown key {loc[-1]!r}", fix=hint, where=where)
    if kind == "missing":
        return cls(f"missing required key {name!r}", fix=fix_hints.get(name, f"add {name}:"), where=where)
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        label = (labels or {}).get(name) or name.replace("_", " ")
        return cls(f"unknown {label}", got=got, fix=f"use one of {expected}", where=where)
    if kind in _BOUND_WORDS:
        limit = next(iter(ctx.values()), "")
        return cls(f"must be {_BOUND_WORDS[kind]} {limit}", got=got, fix=fix, where=where)
    if kind == "too_short":
        return cls("needs at least one entry", got=got, fix=fix, where=where)
    problem = TYPE_PROBLEMS.get(kind) or " ".join(str(first["msg"]).replace("Input should", "should").split())
    return cls(problem, got=got, fix=fix, where=where)


def model_at(root_model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model of the section at ``loc`` under ``root_model`` (None if it is not a model)."""
    model: type[BaseModel] | None = root_model
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _inner_model(info.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def yaml_type(value: Any) -> str:
    """A YAML value's kind in the user's words: ``list``, ``text``, ``int``, ..."""
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
