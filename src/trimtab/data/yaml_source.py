"""YAML loading that remembers where every key came from.

:func:`load_yaml` parses a file with PyYAML's safe loader, but builds the Python values itself from the
composed node tree so that it can record the line of every key and sequence item (1-based, as an editor
shows them). Errors in later validation can then point at ``portfolio.yaml:12 tax.short_term_rate``.

Two deliberate differences from ``yaml.safe_load``:

* mapping keys are always the key's text (``NO: 0.1`` keeps the ticker ``"NO"`` instead of YAML 1.1's
  ``False``; ``2020: x`` gives the key ``"2020"``);
* a key that appears twice in one mapping is an error (PyYAML silently keeps the last one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trimtab.errors import InputError, PortfolioFileError, SourceRef

__all__ = ["KeyPath", "YamlDocument", "format_key_path", "load_yaml", "parse_yaml", "relocate"]

#: A path of mapping keys (str) and sequence indexes (int) from the document root.
KeyPath = tuple[str | int, ...]


def format_key_path(path: KeyPath, data: Any = None) -> str:
    """Render a key path as ``accounts[ira].cash`` / ``targets.AAPL``.

    Sequence items that are mappings with a text ``id`` are shown by that id, others by their 0-based
    index; ``data`` is the document the path points into (needed to look ids up).
    """
    out = ""
    node = data
    for part in path:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                item = node[part]
                if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"].strip():
                    label = item["id"]
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
        node = _child(node, part)
    return out


def relocate(err: InputError, where: SourceRef | None, cls: type[InputError] | None = None) -> InputError:
    """Place ``err`` at ``where`` (as class ``cls`` if given), unless it already names a place.

    Used when a value is checked by code that does not know the file (a domain constructor, a loader of
    bundled data) and the caller knows where the value was written.
    """
    if err.where is not None and cls is None:
        return err
    got = err.got if err.got is not None else InputError._MISSING
    out = (cls or type(err))(err.problem, got=got, fix=err.fix, where=err.where or where)
    out.__cause__ = err.__cause__
    return out


def _child(node: Any, part: str | int) -> Any:
    if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
        return node[part]
    if isinstance(part, str) and isinstance(node, Mapping):
        return node.get(part)
    return None


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file with the line of every key.

    Parameters
    ----------
    path : Path
        The file (as given, not resolved), used in messages.
    data : object
        The parsed value (a dict for portfolio files).
    lines : Mapping of KeyPath to int
        1-based line of each mapping key and sequence item; ``()`` maps to the document start.
    """

    path: Path
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        key: KeyPath = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())

    def ref(self, *path: str | int) -> SourceRef:
        """Return a :class:`SourceRef` naming this file, the line of ``path`` and the rendered key path."""
        return SourceRef(str(self.path), self.line(*path), format_key_path(tuple(path), self.data) or None)


def load_yaml(
    path: str | Path, *, error: type[InputError] = PortfolioFileError, what: str = "portfolio file"
) -> YamlDocument:
    """Read and parse a YAML file, keeping key lines.

    Parameters
    ----------
    path : str or Path
        The file.
    error : type of InputError
        The class raised for a missing, unreadable or malformed file.
    what : str
        How the file is called in messages.

    Raises
    ------
    InputError
        ``error`` when the file is missing, not UTF-8 text, or not valid YAML (with the line of the problem).
    """
    path = Path(path)
    if not path.exists():
        raise error(
            f"{what} not found",
            got=str(path),
            fix="check the path (relative to the current folder)",
            where=SourceRef(str(path)),
        )
    if path.is_dir():
        raise error(
            f"{what} is a folder, not a file",
            got=str(path),
            fix="give the path of the .yaml file",
            where=SourceRef(str(path)),
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise error(
            "file is not UTF-8 text",
            got=f"byte {err.start}",
            fix="save the file as UTF-8",
            where=SourceRef(str(path)),
        ) from None
    except OSError as err:
        raise error(
            f"cannot read {what}",
            got=err.strerror,
            fix="check the file's permissions",
            where=SourceRef(str(path)),
        ) from None
    return parse_yaml(text, path=path, error=error)


def parse_yaml(
    text: str, *, path: str | Path = "<string>", error: type[InputError] = PortfolioFileError
) -> YamlDocument:
    """Parse YAML ``text`` (see :func:`load_yaml`); ``path`` is only used in messages."""
    path = Path(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (
            " ".join(" ".join(str(p) for p in (err.context, err.problem) if p).split()) or "invalid YAML"
        )
        raise error(
            f"YAML syntax error: {problem}", fix=_syntax_fix(problem), where=SourceRef(str(path), line)
        ) from None
    except yaml.YAMLError as err:
        raise error(
            f"YAML syntax error: {' '.join(str(err).split())}",
            fix="check indentation and quoting",
            where=SourceRef(str(path)),
        ) from None
    finally:
        loader.dispose()
    if node is None:
        return YamlDocument(path=path, data=None, lines={(): 1})
    builder = _Builder(loader, path, error)
    data = builder.build(node, ())
    builder.lines[()] = node.start_mark.line + 1
    return YamlDocument(path=path, data=data, lines=builder.lines)


def _syntax_fix(problem: str) -> str:
    if "tab" in problem or "'\\t'" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "put a space after each colon and quote values that contain ': '"
    return "check indentation, colons and quoting on that line (or the line before)"


class _Builder:
    """Builds Python values from a composed node tree, recording key lines."""

    def __init__(self, loader: yaml.SafeLoader, path: Path, error: type[InputError]) -> None:
        self.loader = loader
        self.path = path
        self.error = error
        self.lines: dict[KeyPath, int] = {}
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        if id(node) in self._active:
            raise self.error(
                "YAML alias refers to itself",
                fix="remove the recursive alias",
                where=SourceRef(str(self.path), node.start_mark.line + 1),
            )
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                out = []
                for i, item in enumerate(node.value):
                    self.lines[(*path, i)] = item.start_mark.line + 1
                    out.append(self.build(item, (*path, i)))
                return out
            return self._scalar(node)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        try:
            self.loader.flatten_mapping(node)  # resolve YAML merge keys (<<)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            raise self.error(
                f"bad YAML merge key: {' '.join(str(err.problem).split())}",
                fix="merge only mappings with <<",
                where=SourceRef(str(self.path), mark.line + 1 if mark else None),
            ) from None
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(
                    "a mapping key must be a plain name",
                    got=str(key_node.tag).rsplit(":", 1)[-1],
                    fix="use a plain text key",
                    where=SourceRef(str(self.path), line),
                )
            key = str(key_node.value)
            if key in out:
                first = self.lines.get((*path, key))
                raise self.error(
                    f"key {key!r} appears twice (first on line {first})",
                    got=key,
                    fix="keep only one of them",
                    where=SourceRef(str(self.path), line, format_key_path((*path, key))),
                )
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
        return out

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError):
            # e.g. 2022-13-01 matches YAML's timestamp pattern but is no date: keep the text and let
            # validation report it with its key.
            return str(node.value)
