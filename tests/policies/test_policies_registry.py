"""Policy registry: CLI and file forms, and one-line ConfigErrors naming the key path and line."""

from __future__ import annotations

import pytest

from trimtab.domain.settings import PolicySpec
from trimtab.errors import ConfigError, InputError, SourceRef
from trimtab.policies import (
    PolicyParams,
    RuleRebalance,
    build_policy,
    parse_policy_option,
    policy_kind,
    policy_kinds,
    policy_spec,
    register_policy,
)
from trimtab.policies.registry import _KINDS

WHERE = SourceRef("household/portfolio.yaml", 12, "policy")


@pytest.mark.parametrize(
    ("option", "described"),
    [
        ("never", "never"),
        ("calendar:quarterly", "calendar(every=quarterly)"),
        ("calendar", "calendar(every=quarterly)"),
        ("calendar:Monthly", "calendar(every=monthly)"),
        ("calendar:year", "calendar(every=annual)"),
        ("threshold:0.05", "threshold(band=0.05)"),
        ("threshold:5%", "threshold(band=0.05)"),
        ("threshold", "threshold(band=0.05)"),
        (
            "threshold:0.03,move=band_edge,check=quarterly",
            "threshold(band=0.03, check=quarterly, move=band_edge)",
        ),
        ("threshold:band=0.03,move=band-edge", "threshold(band=0.03, move=band_edge)"),
        ("relative:0.2", "relative(band=0.2)"),
        ("five_25", "five_25(absolute=0.05, relative=0.25)"),
        ("5/25", "five_25(absolute=0.05, relative=0.25)"),
        ("five-25:absolute=0.03,relative=0.2", "five_25(absolute=0.03, relative=0.2)"),
        ("cost_gated:2.0", "cost_gated(risk_aversion=2, horizon_years=1)"),
        (
            "cost_gated:2,horizon_years=0.5,trigger=calendar:monthly",
            "cost_gated(risk_aversion=2, horizon_years=0.5, trigger=calendar(every=monthly))",
        ),
        (
            "cost_gated:trigger=five_25:absolute=0.04,move=band_edge",
            "cost_gated(risk_aversion=3, horizon_years=1, "
            "trigger=five_25(absolute=0.04, relative=0.25, move=band_edge))",
        ),
    ],
)
def test_cli_forms(option: str, described: str) -> None:
    spec = parse_policy_option(option)
    assert isinstance(spec, PolicySpec)
    assert build_policy(spec).describe() == described


def test_file_forms_build_the_same_policy() -> None:
    from_file = build_policy(
        PolicySpec(
            "threshold", {"band": 0.03, "bands": {"JNJ": 0.02}, "check": "monthly", "move": "band_edge"}
        ),
        where=WHERE,
    )
    assert from_file.describe() == "threshold(band=0.03, bands={JNJ: 0.02}, check=monthly, move=band_edge)"
    nested = build_policy(
        PolicySpec("cost_gated", {"risk_aversion": 4, "trigger": {"kind": "threshold", "band": 0.05}})
    )
    assert nested.describe() == "cost_gated(risk_aversion=4, horizon_years=1, trigger=threshold(band=0.05))"
    assert policy_spec({"kind": "five_25", "absolute": 0.04}) == PolicySpec("five_25", {"absolute": 0.04})
    assert policy_spec("threshold:0.05") == PolicySpec("threshold", {"band": "0.05"})
    assert (
        build_policy(PolicySpec("calendar", {"kind": "calendar", "every": "annual"})).describe()
        == "calendar(every=annual)"
    )
    assert build_policy(PolicySpec("threshold", {"check": None})).describe() == "threshold(band=0.05)"


def test_a_zero_band_is_allowed() -> None:
    assert build_policy(parse_policy_option("threshold:0")).describe() == "threshold(band=0)"


ERRORS = [
    # (spec or option, message fragments)
    (
        PolicySpec("treshold", {}),
        [
            "household/portfolio.yaml:12 policy.kind: unknown policy kind; got 'treshold'",
            "never, calendar, threshold, relative, five_25, cost_gated",
        ],
    ),
    (
        PolicySpec("threshold", {"bnad": 0.05}),
        [
            "portfolio.yaml:12 policy.bnad: unknown key for policy kind threshold",
            "threshold takes band, bands, check, move",
        ],
    ),
    (PolicySpec("threshold", {"band": 5}), ["policy.band: must be in [0, 1); got 5", "0.05 for a 5 pp band"]),
    (PolicySpec("threshold", {"band": -0.01}), ["policy.band: must be in [0, 1)"]),
    (PolicySpec("threshold", {"band": "five"}), ["policy.band: must be a number; got 'five'"]),
    (PolicySpec("threshold", {"band": True}), ["policy.band: must be a number; got True"]),
    (PolicySpec("threshold", {"band": float("nan")}), ["policy.band: must be a number"]),
    (PolicySpec("threshold", {"bands": [0.02]}), ["policy.bands: must be a mapping of symbol to number"]),
    (PolicySpec("threshold", {"bands": {"JNJ": 2}}), ["policy.bands.JNJ: must be in [0, 1); got 2"]),
    (
        PolicySpec("threshold", {"check": "daily"}),
        [
            "policy.check: unknown value; got 'daily'",
            "weekly, monthly, quarterly, semiannual, annual (or none)",
        ],
    ),
    (
        PolicySpec("threshold", {"move": "halfway"}),
        ["policy.move: unknown value; got 'halfway'", "target, band_edge"],
    ),
    (PolicySpec("threshold", {"move": 3}), ["policy.move: must be a word; got 3"]),
    (PolicySpec("relative", {"band": 25}), ["policy.band: must be in [0, 1]; got 25", "0.25 for 25 %"]),
    (PolicySpec("calendar", {"every": "fortnightly"}), ["policy.every: unknown value; got 'fortnightly'"]),
    (
        PolicySpec("five_25", {"band": 0.05}),
        ["policy.band: unknown key for policy kind five_25", "five_25 takes absolute, relative, check, move"],
    ),
    (
        PolicySpec("never", {"band": 0.05}),
        ["policy.band: unknown key for policy kind never", "never takes no keys"],
    ),
    (PolicySpec("cost_gated", {"risk_aversion": 0}), ["policy.risk_aversion: must be in (0, 1000]"]),
    (PolicySpec("cost_gated", {"horizon_years": -1}), ["policy.horizon_years: must be in (0, 100]"]),
    (
        PolicySpec("cost_gated", {"trigger": {"kind": "threshold", "band": 2}}),
        ["policy.trigger.band: must be in"],
    ),
    (PolicySpec("cost_gated", {"trigger": {"band": 0.05}}), ["policy.trigger.kind: a policy needs a kind"]),
    (
        PolicySpec("cost_gated", {"trigger": {"kind": "cost_gated"}}),
        ["policy.trigger: the trigger of cost_gated must be a rule policy"],
    ),
    (PolicySpec("cost_gated", {"trigger": 5}), ["policy.trigger: a policy is a mapping with a kind"]),
]


@pytest.mark.parametrize(("spec", "fragments"), ERRORS, ids=lambda x: str(x)[:60])
def test_config_errors_name_file_line_and_key(spec: PolicySpec, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        build_policy(spec, where=WHERE)
    message = str(info.value)
    assert message.startswith("household/portfolio.yaml:12 policy")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, InputError)


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        ("", "policy: empty policy"),
        ("foo:1", "policy.kind: unknown policy kind; got 'foo'"),
        ("threshold:abc", "policy.band: must be a number; got 'abc'"),
        ("five_25:0.05", "policy: policy kind five_25 takes no single ARG"),
        ("never:1", "policy: policy kind never takes no single ARG"),
        ("threshold:0.05,0.03", "policy: only the first ARG may be a bare value"),
        ("threshold:=0.05", "policy: empty key in the policy option"),
        ("calendar:every=biweekly", "policy.every: unknown value; got 'biweekly'"),
        ("cost_gated:trigger=nope", "policy.trigger.kind: unknown policy kind; got 'nope'"),
    ],
)
def test_cli_errors(option: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy_option(option)
    assert str(info.value).startswith(fragment)
    assert "\n" not in str(info.value)


def test_cli_errors_with_a_source() -> None:
    with pytest.raises(ConfigError, match=r"^--policy:1 policy\.band: must be in"):
        parse_policy_option("threshold:7", where=SourceRef("--policy", 1))


def test_unknown_symbol_in_bands_is_reported_at_the_policy_line(make_context) -> None:
    policy = build_policy(PolicySpec("threshold", {"bands": {"XOM": 0.02}}), where=WHERE)
    ctx = make_context({"AAPL": 0.3, "JNJ": 0.4, "KO": 0.3}, {"AAPL": 0.3, "JNJ": 0.4, "KO": 0.3})
    with pytest.raises(
        ConfigError, match=r"^household/portfolio\.yaml:12 policy\.bands\.XOM: band for a symbol"
    ):
        policy.decide(ctx)


def test_kinds_are_registered_in_order() -> None:
    assert policy_kinds()[:6] == ("never", "calendar", "threshold", "relative", "five_25", "cost_gated")
    assert policy_kind("threshold").arg == "band"
    assert policy_kind("five_25").arg is None
    with pytest.raises(ConfigError, match="unknown policy kind"):
        policy_kind("optimizer-x")


def test_register_policy_adds_a_kind() -> None:
    def factory(params: PolicyParams) -> RuleRebalance:
        from trimtab.policies import threshold

        return threshold(params.number("width", 0.1, low=0.0, high=1.0))

    register_policy("test_wide", factory, keys=("width",), arg="width", summary="test only")
    try:
        assert "test_wide" in policy_kinds()
        assert build_policy(parse_policy_option("test_wide:0.2")).describe() == "threshold(band=0.2)"
        with pytest.raises(ConfigError, match="policy.width: must be in"):
            parse_policy_option("test_wide:3")
        with pytest.raises(ValueError, match="already registered"):
            register_policy("test_wide", factory, keys=("width",))
        register_policy("test_wide", factory, keys=("width",), replace=True)
        with pytest.raises(ValueError, match="not among its keys"):
            register_policy("test_other", factory, keys=(), arg="width")
        with pytest.raises(ValueError, match="lower-case"):
            register_policy("Bad Name", factory)
    finally:
        _KINDS.pop("test_wide", None)
