"""Policy kinds by name: build a policy from a :class:`~trimtab.domain.settings.PolicySpec`.

The portfolio file writes a policy as a mapping (``policy: {kind: threshold, band: 0.05}``) and the CLI as
``KIND[:ARG]`` (``--policy threshold:0.05``). Both end up here. Each kind is registered with its factory,
its keys and the key its single CLI ``ARG`` sets:

========== ============== =========================================================================
kind       ARG sets       keys (defaults)
========== ============== =========================================================================
never      (none)         (none)
calendar   every          every (quarterly)
threshold  band           band (0.05), bands ({}), check (none), move (target)
relative   band           band (0.25), bands ({}), check (none), move (target)
five_25    (none)         absolute (0.05), relative (0.25), check (none), move (target)
cost_gated risk_aversion  risk_aversion (3), horizon_years (1), trigger (every check, to target)
========== ============== =========================================================================

On the CLI, ``ARG`` may also be ``key=value`` pairs separated by commas, optionally after the single
value: ``threshold:0.03,move=band_edge``, ``five_25:absolute=0.03,relative=0.2``,
``cost_gated:2,trigger=threshold:0.05,move=band_edge`` (``trigger=`` takes the rest of the option, so
it comes last). Per-symbol ``bands`` need the portfolio file.

Other modules add kinds with :func:`register_policy` (the optimizer registers ``optimizer``); a factory
takes a :class:`PolicyParams`, which reads and checks values and raises
:class:`~trimtab.errors.ConfigError` naming the key path (``policy.band``) and the file and line.
"""

from __future__ import annotations

import importlib

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trimtab.data.calendar import PERIODS
from trimtab.domain.settings import PolicySpec
from trimtab.errors import ConfigError, InputError, SourceRef
from trimtab.policies import rules
from trimtab.policies.base import Policy

__all__ = [
    "PolicyFactory",
    "PolicyKind",
    "PolicyParams",
    "build_policy",
    "parse_policy_option",
    "policy_kind",
    "policy_kinds",
    "policy_spec",
    "register_policy",
]

_MISSING: Any = InputError._MISSING  # noqa: SLF001 - the sentinel meaning "no value to show"

_PERIOD_ALIASES = {
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "semi_annual": "semiannual",
    "semiannually": "semiannual",
    "half_year": "semiannual",
    "halfyearly": "semiannual",
    "year": "annual",
    "yearly": "annual",
    "annually": "annual",
}
_KIND_ALIASES = {
    "5/25": "five_25",
    "5_25": "five_25",
    "buy_and_hold": "never",
    "hold": "never",
    "band": "threshold",
    "absolute": "threshold",
}
#: On the CLI, this key's value is the rest of the option (it is a nested ``KIND[:ARG]``, commas included).
_NESTED_KEY = "trigger"
_NONE_WORDS = {"none", "null", "~", "", "every", "always"}


class PolicyParams:
    """A policy's raw parameters with typed, checked accessors.

    Every accessor raises :class:`~trimtab.errors.ConfigError` whose message names the key path
    (``policy.band``), the file and line of ``where``, the value, and the fix. Unknown keys are rejected
    when the object is made.

    Parameters
    ----------
    kind : str
        The policy kind (for messages).
    params : mapping
        The raw values (numbers, strings from the CLI, mappings from YAML).
    keys : sequence of str
        The keys this kind accepts.
    where : SourceRef, optional
        Where the policy was written (file and line); its key is replaced by the key path.
    prefix : str
        Key path of the policy itself, ``policy`` (or ``policy.trigger`` for a nested one).
    """

    def __init__(
        self,
        kind: str,
        params: Mapping[str, Any],
        *,
        keys: Sequence[str],
        where: SourceRef | None = None,
        prefix: str = "policy",
    ) -> None:
        self.kind = kind
        self.where = where
        self.prefix = prefix
        self.keys = tuple(keys)
        raw = {str(k): v for k, v in params.items()}
        if "kind" in raw and _normal_kind(raw["kind"]) == kind:
            del raw["kind"]
        self._params = raw
        for key in raw:
            if key not in self.keys:
                valid = ", ".join(self.keys) if self.keys else "no keys"
                raise self.error(
                    key, f"unknown key for policy kind {kind}", got=key, fix=f"{kind} takes {valid}"
                )

    # -- messages -----------------------------------------------------------------------------------------
    def path(self, key: str | None = None) -> str:
        """Key path of ``key`` (``policy.band``), or of the policy itself."""
        return self.prefix if not key else f"{self.prefix}.{key}"

    def error(self, key: str | None, problem: str, *, got: Any = _MISSING, fix: str = "") -> ConfigError:
        """A :class:`ConfigError` for ``key`` (not raised)."""
        return _config_error(self.path(key), problem, got=got, fix=fix, where=self.where)

    # -- raw access -----------------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        """Whether ``key`` was given (with a value other than null)."""
        return self._params.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        """The value as given, or ``default``."""
        value = self._params.get(key)
        return default if value is None else value

    # -- typed access -------------------------------------------------------------------------------------
    def number(
        self,
        key: str,
        default: float,
        *,
        low: float,
        high: float,
        low_open: bool = False,
        high_open: bool = False,
        fix: str = "",
    ) -> float:
        """A finite number in the range (``'5%'`` and numeric strings are accepted; booleans are not)."""
        if not self.has(key):
            return float(default)
        return self._to_number(
            key, self._params[key], low=low, high=high, low_open=low_open, high_open=high_open, fix=fix
        )

    def _to_number(
        self, key: str, value: Any, *, low: float, high: float, low_open: bool, high_open: bool, fix: str
    ) -> float:
        number = _as_number(value)
        range_text = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        if number is None:
            raise self.error(key, "must be a number", got=value, fix=fix or f"a number in {range_text}")
        inside = ((number > low) if low_open else (number >= low)) and (
            (number < high) if high_open else (number <= high)
        )
        if not inside:
            raise self.error(
                key, f"must be in {range_text}", got=value, fix=fix or f"a number in {range_text}"
            )
        return number

    def choice(
        self, key: str, options: Sequence[str], default: str, aliases: Mapping[str, str] | None = None
    ) -> str:
        """One of ``options`` (case and ``-``/``_`` insensitive)."""
        value = self.optional_choice(key, options, aliases=aliases, allow_none=False)
        return default if value is None else value

    def optional_choice(
        self,
        key: str,
        options: Sequence[str],
        *,
        aliases: Mapping[str, str] | None = None,
        allow_none: bool = True,
    ) -> str | None:
        """One of ``options``, or None when absent (or ``none`` when ``allow_none``)."""
        if key not in self._params or self._params[key] is None:
            return None
        value = self._params[key]
        if not isinstance(value, str):
            raise self.error(key, "must be a word", got=value, fix=f"use one of {', '.join(options)}")
        word = value.strip().lower().replace("-", "_").replace(" ", "_")
        if allow_none and word in _NONE_WORDS:
            return None
        word = (aliases or {}).get(word, word)
        if word not in options:
            hint = ", ".join(options) + (" (or none)" if allow_none else "")
            raise self.error(key, "unknown value", got=value, fix=f"use one of {hint}")
        return word

    def number_map(
        self, key: str, *, low: float, high: float, high_open: bool = False, fix: str = ""
    ) -> dict[str, float]:
        """A mapping of symbol to number, each in the range (empty when absent)."""
        if not self.has(key):
            return {}
        value = self._params[key]
        if not isinstance(value, Mapping):
            raise self.error(
                key,
                "must be a mapping of symbol to number",
                got=value,
                fix=f"e.g. {key}: {{AAPL: 0.03, JNJ: 0.04}}",
            )
        out: dict[str, float] = {}
        for symbol, number in value.items():
            out[str(symbol)] = self._to_number(
                f"{key}.{symbol}", number, low=low, high=high, low_open=False, high_open=high_open, fix=fix
            )
        return out

    def policy(self, key: str) -> Policy | None:
        """A nested policy (a mapping with ``kind``, a ``KIND[:ARG]`` text, or a PolicySpec), built."""
        if not self.has(key):
            return None
        nested_prefix = self.path(key)
        spec = _spec_from(self._params[key], where=self.where, prefix=nested_prefix)
        return _build(spec, where=self.where, prefix=nested_prefix)


@dataclass(frozen=True, slots=True)
class PolicyKind:
    """A registered policy kind: factory, accepted keys, the key a CLI ``ARG`` sets, one-line summary.

    ``required`` lists keys without a default (e.g. the ``rl`` kind's ``model`` file); a kind with none can be
    built from its defaults alone.
    """

    kind: str
    factory: Callable[[PolicyParams], Policy]
    keys: tuple[str, ...]
    arg: str | None
    summary: str
    required: tuple[str, ...] = ()


PolicyFactory = Callable[[PolicyParams], Policy]
_KINDS: dict[str, PolicyKind] = {}
#: Kinds whose module registers them on import; imported only when first asked for, so that the CLI does not
#: pay for cvxpy (about a second) unless the optimizer is used.
_LAZY_KINDS: dict[str, str] = {
    "optimizer": "trimtab.policies.optimizer",
    "dp_band": "trimtab.policies.dp_band",
    "smart": "trimtab.policies.smart",
    "rl": "trimtab.rl.policy",
}


def _load_lazy(name: str) -> None:
    module = _LAZY_KINDS.get(name)
    if module is not None and name not in _KINDS:
        importlib.import_module(module)


def register_policy(
    kind: str,
    factory: PolicyFactory,
    *,
    keys: Sequence[str] = (),
    arg: str | None = None,
    summary: str = "",
    replace: bool = False,
    required: Sequence[str] = (),
) -> None:
    """Make ``kind`` buildable from files and the CLI.

    Parameters
    ----------
    kind : str
        Lower-case name, letters, digits and ``_``.
    factory : callable
        ``factory(params: PolicyParams) -> Policy``; reads its values through ``params`` so errors name
        the key path and line.
    keys : sequence of str
        Keys the kind accepts (others are rejected with the list of these).
    arg : str, optional
        The key that a bare CLI ``ARG`` sets (``threshold:0.05`` sets ``band``); must be in ``keys``.
    summary : str
        One line for help texts.
    replace : bool
        Allow replacing an existing kind (otherwise a second registration raises ``ValueError``).
    required : sequence of str
        Keys that have no default (must be among ``keys``).
    """
    if not kind or not all(c.isalnum() or c == "_" for c in kind) or kind != kind.lower():
        raise ValueError(f"policy kind names are lower-case letters, digits and _; got {kind!r}")
    if kind in _KINDS and not replace:
        raise ValueError(f"policy kind {kind!r} is already registered")
    if arg is not None and arg not in keys:
        raise ValueError(f"arg {arg!r} of policy kind {kind!r} is not among its keys {tuple(keys)}")
    if not set(required) <= set(keys):
        raise ValueError(f"required keys {tuple(required)} of policy kind {kind!r} are not all among {tuple(keys)}")
    _KINDS[kind] = PolicyKind(kind, factory, tuple(keys), arg, summary, tuple(required))


def policy_kinds(*, buildable_from_defaults: bool = False) -> tuple[str, ...]:
    """The registered kinds in registration order, then the kinds loaded on first use (``optimizer``, ...).

    With ``buildable_from_defaults`` only the kinds that need no key without a default (this loads the lazy
    kinds to find out); conformance tests enumerate those.
    """
    kinds = tuple(dict.fromkeys([*_KINDS, *_LAZY_KINDS]))
    if not buildable_from_defaults:
        return kinds
    for name in kinds:
        _load_lazy(name)
    return tuple(k for k in kinds if k in _KINDS and not _KINDS[k].required)


def policy_kind(kind: str) -> PolicyKind:
    """The registration of ``kind`` (raises :class:`ConfigError` for an unknown one)."""
    return _lookup(kind, where=None, prefix="policy")


def _normal_kind(kind: Any) -> str:
    word = str(kind).strip().lower().replace("-", "_").replace(" ", "_")
    return _KIND_ALIASES.get(word, word)


def _config_error(
    path: str, problem: str, *, got: Any = _MISSING, fix: str = "", where: SourceRef | None
) -> ConfigError:
    if where is not None:
        return ConfigError(problem, got=got, fix=fix, where=SourceRef(where.file, where.row, path))
    return ConfigError(f"{path}: {problem}", got=got, fix=fix)


def _lookup(kind: Any, *, where: SourceRef | None, prefix: str) -> PolicyKind:
    if not isinstance(kind, str) or not kind.strip():
        raise _config_error(
            f"{prefix}.kind",
            "a policy needs a kind",
            got=kind,
            fix=f"use one of {', '.join(policy_kinds())}",
            where=where,
        )
    name = _normal_kind(kind)
    _load_lazy(name)
    if name not in _KINDS:
        raise _config_error(
            f"{prefix}.kind",
            "unknown policy kind",
            got=kind,
            fix=f"use one of {', '.join(policy_kinds())}",
            where=where,
        )
    return _KINDS[name]


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1].strip(), 0.01
        try:
            number = float(text) * scale
        except ValueError:
            return None
    else:
        try:
            number = float(value)  # Decimal, numpy scalars
        except (TypeError, ValueError):
            return None
    return number if math.isfinite(number) else None


def _spec_from(value: Any, *, where: SourceRef | None, prefix: str) -> PolicySpec:
    if isinstance(value, PolicySpec):
        return value
    if isinstance(value, str):
        return _parse(value, where=where, prefix=prefix)
    if isinstance(value, Mapping):
        if "kind" not in value:
            raise _config_error(
                f"{prefix}.kind",
                "a policy needs a kind",
                fix=f"add kind: one of {', '.join(policy_kinds())}",
                where=where,
            )
        kind = _lookup(value["kind"], where=where, prefix=prefix).kind
        return PolicySpec(kind, {str(k): v for k, v in value.items() if k != "kind"})
    raise _config_error(
        prefix,
        "a policy is a mapping with a kind, or KIND[:ARG] text",
        got=value,
        fix="e.g. {kind: threshold, band: 0.05} or threshold:0.05",
        where=where,
    )


def policy_spec(value: Any, *, where: SourceRef | None = None) -> PolicySpec:
    """A :class:`PolicySpec` from a file value: a mapping with ``kind``, ``KIND[:ARG]`` text, or a spec.

    The kind is checked here; the other keys when the policy is built.
    """
    prefix = where.key if where is not None and where.key else "policy"
    return _spec_from(value, where=where, prefix=prefix)


def _build(spec: PolicySpec, *, where: SourceRef | None, prefix: str) -> Policy:
    info = _lookup(spec.kind, where=where, prefix=prefix)
    params = PolicyParams(info.kind, spec.params, keys=info.keys, where=where, prefix=prefix)
    return info.factory(params)


def build_policy(spec: PolicySpec, *, where: SourceRef | None = None) -> Policy:
    """Build the policy ``spec`` describes.

    Parameters
    ----------
    spec : PolicySpec
        Kind and raw parameters.
    where : SourceRef, optional
        File and line of the policy in the portfolio file; its ``key`` (default ``policy``) prefixes key
        paths in messages.

    Raises
    ------
    ConfigError
        Unknown kind or key, a value of the wrong type or out of range: one line naming the file, line and
        key path (``portfolio.yaml:12 policy.band``), the value and the valid kinds, keys or range.
    """
    prefix = where.key if where is not None and where.key else "policy"
    return _build(spec, where=where, prefix=prefix)


def _parse(text: str, *, where: SourceRef | None, prefix: str) -> PolicySpec:
    if not isinstance(text, str) or not text.strip():
        raise _config_error(
            prefix,
            "empty policy",
            got=text,
            fix=f"use KIND[:ARG], e.g. threshold:0.05; kinds: {', '.join(policy_kinds())}",
            where=where,
        )
    kind_text, _, arg = text.strip().partition(":")
    info = _lookup(kind_text, where=where, prefix=prefix)
    params: dict[str, Any] = {}
    items = [item.strip() for item in arg.split(",")] if arg.strip() else []
    for position, item in enumerate(items):
        if item.partition("=")[0].strip() == _NESTED_KEY and _NESTED_KEY in info.keys:
            # A nested policy takes the rest of the option, commas included.
            items = [*items[:position], ",".join(items[position:])]
            break
    for position, item in enumerate(items):
        if "=" in item:
            key, _, value = item.partition("=")
            key = key.strip()
            if not key:
                raise _config_error(
                    prefix,
                    "empty key in the policy option",
                    got=text,
                    fix="write key=value pairs, e.g. threshold:band=0.05",
                    where=where,
                )
            params[key] = value.strip()
        elif position == 0 and info.arg is not None:
            params[info.arg] = item
        elif info.arg is None:
            raise _config_error(
                prefix,
                f"policy kind {info.kind} takes no single ARG",
                got=text,
                fix=(
                    f"write key=value pairs ({', '.join(info.keys)}), e.g. {info.kind}:{info.keys[0]}=..."
                    if info.keys
                    else f"write just {info.kind}"
                ),
                where=where,
            )
        else:
            raise _config_error(
                prefix,
                "only the first ARG may be a bare value",
                got=text,
                fix=f"write the others as key=value, e.g. {info.kind}:...,move=band_edge",
                where=where,
            )
    return PolicySpec(info.kind, params)


def parse_policy_option(text: str, *, where: SourceRef | None = None, check: bool = True) -> PolicySpec:
    """Read the CLI form ``KIND[:ARG]`` into a :class:`PolicySpec`, checked by building it once.

    Examples: ``threshold:0.05``, ``calendar:quarterly``, ``never``, ``five_25``, ``cost_gated:2.0``.
    ``ARG`` sets the kind's main key (see the module docstring) or is ``key=value`` pairs separated by
    commas. Raises :class:`ConfigError` naming the key path ``policy...`` and listing the valid kinds/keys.
    ``check=False`` only parses (for callers that add context such as tax lots and then build it themselves).
    """
    prefix = where.key if where is not None and where.key else "policy"
    spec = _parse(text, where=where, prefix=prefix)
    if check:
        _build(spec, where=where, prefix=prefix)
    return spec


# ------------------------------------------------------------------------------------------------------
# the built-in kinds
_BAND_FIX = "a fraction of value, e.g. 0.05 for a 5 pp band"
_RELATIVE_FIX = "a fraction of each target, e.g. 0.25 for 25 % of the target"
_MOVES = ("target", "band_edge")
_MOVE_ALIASES = {"edge": "band_edge", "to_target": "target", "to_band_edge": "band_edge", "full": "target"}


def _check_and_move(params: PolicyParams) -> tuple[str | None, str]:
    check = params.optional_choice("check", PERIODS, aliases=_PERIOD_ALIASES)
    move = params.choice("move", _MOVES, "target", aliases=_MOVE_ALIASES)
    return check, move


def _bands_where(params: PolicyParams) -> SourceRef | None:
    """File position of per-symbol bands, so an unknown symbol is reported at its line."""
    return (
        None if params.where is None else SourceRef(params.where.file, params.where.row, params.path("bands"))
    )


def _never(params: PolicyParams) -> Policy:
    return rules.never()


def _calendar(params: PolicyParams) -> Policy:
    return rules.calendar(params.choice("every", PERIODS, "quarterly", aliases=_PERIOD_ALIASES))


def _threshold(params: PolicyParams) -> Policy:
    band = params.number("band", 0.05, low=0.0, high=1.0, high_open=True, fix=_BAND_FIX)
    bands = params.number_map("bands", low=0.0, high=1.0, high_open=True, fix=_BAND_FIX)
    check, move = _check_and_move(params)
    return rules.threshold(band, bands=bands, check=check, move=move, where=_bands_where(params))


def _relative(params: PolicyParams) -> Policy:
    band = params.number("band", 0.25, low=0.0, high=1.0, fix=_RELATIVE_FIX)
    bands = params.number_map("bands", low=0.0, high=1.0, fix=_RELATIVE_FIX)
    check, move = _check_and_move(params)
    return rules.relative(band, bands=bands, check=check, move=move, where=_bands_where(params))


def _five_25(params: PolicyParams) -> Policy:
    absolute = params.number("absolute", 0.05, low=0.0, high=1.0, high_open=True, fix=_BAND_FIX)
    relative = params.number("relative", 0.25, low=0.0, high=1.0, fix=_RELATIVE_FIX)
    check, move = _check_and_move(params)
    return rules.five_25(absolute, relative, check=check, move=move)


def _cost_gated(params: PolicyParams) -> Policy:
    risk_aversion = params.number(
        "risk_aversion",
        rules.DEFAULT_RISK_AVERSION,
        low=0.0,
        high=1000.0,
        low_open=True,
        fix="a positive number, e.g. 3 (moderate)",
    )
    horizon_years = params.number(
        "horizon_years",
        rules.DEFAULT_HORIZON_YEARS,
        low=0.0,
        high=100.0,
        low_open=True,
        fix="years over which the benefit counts, e.g. 1",
    )
    trigger = params.policy("trigger")
    if trigger is not None and (
        not isinstance(trigger, rules.RuleRebalance) or isinstance(trigger.move, rules.CostGated)
    ):
        rule_kinds = ", ".join(
            k for k in ("never", "calendar", "threshold", "relative", "five_25") if k in _KINDS
        )
        raise params.error(
            "trigger",
            "the trigger of cost_gated must be a rule policy",
            got=trigger.describe(),
            fix=f"use one of {rule_kinds}",
        )
    return rules.cost_gated(risk_aversion, horizon_years, trigger=trigger)


register_policy("never", _never, summary="buy and hold: never rebalance")
register_policy(
    "calendar",
    _calendar,
    keys=("every",),
    arg="every",
    summary="rebalance to target on the last trading day of every week/month/quarter/half/year",
)
register_policy(
    "threshold",
    _threshold,
    keys=("band", "bands", "check", "move"),
    arg="band",
    summary="rebalance when an asset drifts more than an absolute band (0.05 = 5 pp)",
)
register_policy(
    "relative",
    _relative,
    keys=("band", "bands", "check", "move"),
    arg="band",
    summary="rebalance when an asset drifts more than a fraction of its target (0.25 = 25 %)",
)
register_policy(
    "five_25",
    _five_25,
    keys=("absolute", "relative", "check", "move"),
    summary="rebalance when drift exceeds 5 pp or 25 % of the target, whichever is smaller",
)
register_policy(
    "cost_gated",
    _cost_gated,
    keys=("risk_aversion", "horizon_years", "trigger"),
    arg="risk_aversion",
    summary="rebalance only when the tracking-error benefit exceeds trading cost plus tax",
)
