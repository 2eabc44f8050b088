"""The policy file: shipped defaults, overrides, version hash, and errors that say where and what."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from span_builder import detectors, findings, run, span

from forensics.errors import ForensicsError, PolicyError
from forensics.policy import Policy, default_policy_path, load_policy

DEFAULT = default_policy_path().read_text()


def _write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_load_with_a_versioned_hash() -> None:
    p = load_policy()
    assert p.name == "default"
    assert re.fullmatch(r"default@1\+[0-9a-f]{10}", p.version)
    assert p.repeat_count == 3
    assert p.retry_limit == 3
    # No invented acknowledgement SLA: a deployment sets its own, or an escalation's record states one.
    assert p.escalation_sla_seconds == 0.0
    # No guessed windows or fixed budgets: windows come from the vendored table, budgets from a
    # policy that sets them or from the fleet.
    assert p.context_windows == {}
    assert (p.max_tokens_per_run, p.max_cost_usd_per_run) == (0, 0.0)
    assert (p.fleet_factor, p.fleet_min_runs, p.fleet_floor_tokens, p.fleet_floor_cost_usd) == (5.0, 2, 100_000, 1.0)
    assert len(p.claims) >= 5
    assert load_policy(None).version == p.version


def test_any_change_changes_the_version(tmp_path: Path) -> None:
    same = load_policy(_write(tmp_path, DEFAULT, "same.toml"))
    changed = load_policy(
        _write(tmp_path, DEFAULT.replace("stall_seconds = 300.0", "stall_seconds = 60.0"), "c.toml")
    )
    assert same.version == load_policy().version
    assert changed.version != same.version
    assert changed.stall_seconds == 60.0


def test_policy_version_is_on_every_result_row(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace('name = "default"', 'name = "acme"'))
    rows = (
        span("root", 0, 5, kind="agent", name="a", output="x"),
        span(
            "t", 1, parent_id="root", kind="tool", tool="x.get", input="{}", status="error", error_type="500"
        ),
    )
    c = run(*rows, policy=path)
    versions = set(c.findings.column("policy_version").to_pylist()) | set(
        c.runs.column("policy_version").to_pylist()
    )
    assert versions == {load_policy(path).version}
    assert c.policy_version.startswith("acme@1+")


def test_thresholds_change_what_fires(tmp_path: Path) -> None:
    rows = [span("root", 0, 10, kind="agent", name="a", output="x")]
    rows += [
        span(
            f"t{i}",
            1 + i,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input='{"id":1}',
            output='{"n":1}',
        )
        for i in range(4)
    ]
    assert "repeated_action" in detectors(run(*rows))
    lenient = _write(tmp_path, DEFAULT.replace("repeat_count = 3", "repeat_count = 5"))
    assert "repeated_action" not in detectors(run(*rows, policy=lenient))


def test_tool_patterns_are_policy(tmp_path: Path) -> None:
    rows = (
        span("root", 0, 10, kind="agent", name="ops", output="done"),
        span(
            "t",
            1,
            parent_id="root",
            kind="tool",
            tool="cluster.scale_down",
            input="{}",
            output='{"replicas": 2}',
        ),
    )
    assert detectors(run(*rows)) == set()
    text = DEFAULT.replace("(?i:delete|drop|truncate|", "(?i:scale_down|delete|drop|truncate|")
    # A name the policy calls irreversible, with nothing in the log to say so, is a hint ...
    c = run(*rows, policy=_write(tmp_path, text))
    assert "unguarded_irreversible" not in detectors(c)
    assert any(f["strength"] == "hint" for f in findings(c, "unguarded_irreversible"))
    # ... which the same policy may promote to a finding.
    text = text.replace("promote = []", 'promote = ["unguarded_irreversible"]')
    assert "unguarded_irreversible" in detectors(run(*rows, policy=_write(tmp_path, text)))


@pytest.mark.parametrize(
    ("old", "new", "key", "expected", "found"),
    [
        (
            "repeat_count = 3",
            'repeat_count = "three"',
            "thresholds.repeat_count",
            "an integer >= 2",
            "str 'three'",
        ),
        ("repeat_count = 3", "repeat_count = 1", "thresholds.repeat_count", "an integer >= 2", "int 1"),
        ("retry_limit = 3", "retry_limit = true", "thresholds.retry_limit", "an integer >= 0", "bool True"),
        ("retry_limit = 3\n", "", "thresholds.retry_limit", "an integer >= 0", "nothing (key missing)"),
        ("[context_windows]\n", '[context_windows]\n"gpt-4o" = -5\n', "context_windows.gpt-4o", "a positive integer", "int -5"),
        ("fleet_factor = 5.0", "fleet_factor = 0.5", "budgets.fleet_factor", "a factor >= 1, or 0", "float 0.5"),
    ],
)
def test_invalid_values_name_file_key_expected_and_found(
    tmp_path: Path, old: str, new: str, key: str, expected: str, found: str
) -> None:
    assert old in DEFAULT
    path = _write(tmp_path, DEFAULT.replace(old, new, 1))
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    text = str(err.value)
    assert text.startswith(f"{path}: key `{key}`")
    assert f"expected {expected}" in text
    assert f"found {found}" in text
    assert "Hint:" in text


def test_unknown_key_lists_the_valid_ones(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("stall_seconds = 300.0", "stall_secs = 300.0"))
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert "unknown key `thresholds.stall_secs`" in str(err.value)
    assert "`stall_seconds`" in str(err.value)


def test_bad_regex_names_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("fallback = '(?i)(fallback", "fallback = '(?i)((fallback"))
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert "key `tools.fallback`" in str(err.value)
    assert "valid regular expression" in str(err.value)


def test_a_policy_loaded_again_compiles_no_pattern_again_and_a_bad_one_still_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every classify and every report chart loads the policy; its 33 patterns were compiled by
    # polars at each load (~0.04 CPU s). Whether a pattern compiles is remembered per pattern.
    import polars.series.string as pl_string

    first = load_policy()
    compiled: list[str] = []
    contains = pl_string.StringNameSpace.contains

    def counting(self: pl_string.StringNameSpace, pattern: str, *args: object, **kwargs: object) -> object:
        compiled.append(pattern)
        return contains(self, pattern, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl_string.StringNameSpace, "contains", counting)
    again = load_policy()
    assert compiled == []
    assert again == first
    # Near miss: a pattern that does not compile fails with its key on every load, remembered or not.
    path = _write(tmp_path, DEFAULT.replace("fallback = '(?i)(fallback", "fallback = '(?i)((fallback"))
    for _ in range(2):
        with pytest.raises(PolicyError, match=r"key `tools\.fallback`.*valid regular expression"):
            load_policy(path)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(_write(tmp_path, "[thresholds\nrepeat_count = 3"))
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.toml")


def test_a_policy_file_may_carry_the_redaction_table(tmp_path: Path) -> None:
    from forensics.policy import default_policy_path, load_policy

    text = default_policy_path().read_text() + '\n[redact]\nphone = false\n'
    path = tmp_path / "team.toml"
    path.write_text(text)
    assert load_policy(path).version.startswith("default@")
    path.write_text(default_policy_path().read_text() + '\n[redact]\nphonez = false\n')
    with pytest.raises(ForensicsError, match="phonez"):  # the redaction table is checked too
        load_policy(path)


def test_a_policy_written_before_fleet_budgets_loads_with_the_shipped_fleet_values(tmp_path: Path) -> None:
    old = DEFAULT
    for key in ("fleet_factor", "fleet_min_runs", "fleet_min_task_runs", "fleet_floor_tokens", "fleet_floor_cost_usd"):
        old = re.sub(rf"^{key} = .*\n", "", old, flags=re.MULTILINE)
    assert "fleet_" not in "".join(line for line in old.splitlines() if not line.startswith("#"))
    p = load_policy(_write(tmp_path, old.replace("max_tokens_per_run = 0", "max_tokens_per_run = 200000")))
    assert (p.max_tokens_per_run, p.fleet_factor, p.fleet_min_runs, p.fleet_min_task_runs) == (200_000, 5.0, 2, 1)
    with pytest.raises(PolicyError, match="unknown key `budgets.fleet_factr`"):
        load_policy(_write(tmp_path, DEFAULT.replace("fleet_factor = 5.0", "fleet_factr = 5.0"), "typo.toml"))


def test_every_threshold_is_declared_by_the_rule_that_reads_it_with_the_shipped_default() -> None:
    import dataclasses

    from forensics.detectors import get
    from forensics.policy import declared_thresholds

    declared = declared_thresholds()
    fields = {f.name for f in dataclasses.fields(Policy)}
    not_thresholds = {"name", "policy_version", "content_hash", "path", "context_windows", "claims",
                      "read_only", "side_effecting", "irreversible", "escalation", "escalation_targets",
                      "acknowledgement", "delivery", "approval", "fallback", "promote_hints"}
    # Every threshold field of Policy is declared by a rule; a rule added later may declare more
    # (read through Policy.declared, with no field of its own).
    assert fields - not_thresholds - {"declared"} <= set(declared)
    shipped = load_policy()
    for key, t in declared.items():
        assert getattr(shipped, key) == t.default, key
        assert t.doc and t.expected and t.valid(t.default), key
    assert [t.key for t in get("retry_storm").thresholds] == ["retry_limit", "backoff_growth", "backoff_min_retries", "retry_wait_floor_s"]


def test_backoff_min_retries_is_a_threshold_not_a_literal(tmp_path: Path) -> None:
    text = load_policy().path
    raw = Path(text).read_text()
    assert "backoff_min_retries = 2" in raw
    # An older file without the key loads with the default; a value below 2 is refused with its key.
    older = tmp_path / "older.toml"
    older.write_text(raw.replace("backoff_min_retries = 2\n", ""))
    assert load_policy(older).backoff_min_retries == 2
    bad = tmp_path / "bad.toml"
    bad.write_text(raw.replace("backoff_min_retries = 2", "backoff_min_retries = 1"))
    with pytest.raises(PolicyError, match=r"key `thresholds.backoff_min_retries`: expected an integer >= 2, found int 1"):
        load_policy(bad)


def test_backoff_min_retries_changes_what_fires(tmp_path: Path) -> None:
    def call(sid: str, start: float, status: str) -> dict[str, object]:
        extra = {"error_type": "429", "output": None} if status == "error" else {"output": '{"name": "Ada"}'}
        return span(sid, start, start + 0.2, status=status, parent_id="root", kind="tool", tool="crm.lookup",
                    input='{"id": 7}', **extra)

    # Two retries at a fixed 1 s spacing: under the retry limit of 3, but the spacing never grew.
    rows = (span("root", 0, 10, kind="agent", name="a", output="ok"),
            call("a", 1, "error"), call("b", 2, "error"), call("c", 3, "ok"))
    assert "retry_storm" in detectors(run(*rows))
    three = _write(tmp_path, DEFAULT.replace("backoff_min_retries = 2", "backoff_min_retries = 3"))
    assert "retry_storm" not in detectors(run(*rows, policy=three))


def test_a_new_detector_declares_its_own_threshold_without_touching_the_policy_module(tmp_path: Path) -> None:
    from forensics.detectors import Detector
    from forensics.detectors.registry import DETECTORS
    from forensics.policy import Threshold

    class SlowTool(Detector):
        name = "test_slow_tool_threshold"
        failure_class = "missing_fallback"
        scope = "run"
        severity = "low"
        description = "A tool call slower than thresholds.slow_tool_seconds (a third-party rule)."
        thresholds = (Threshold("slow_tool_seconds", 5.0, "Seconds a tool call may take.", "a number > 0",
                                lambda v: v > 0, (int, float), required=False),)

    DETECTORS.register(SlowTool)
    try:
        assert load_policy().slow_tool_seconds == 5.0  # not in the shipped file: the declared default
        assert load_policy(_write(tmp_path, DEFAULT.replace("[budgets]", "slow_tool_seconds = 2\n\n[budgets]"))
                           ).slow_tool_seconds == 2
        with pytest.raises(PolicyError, match=r"key `thresholds.slow_tool_seconds`: expected a number > 0, found int 0"):
            load_policy(_write(tmp_path, DEFAULT.replace("[budgets]", "slow_tool_seconds = 0\n\n[budgets]"), "bad.toml"))
    finally:
        DETECTORS.unregister("test_slow_tool_threshold")
    with pytest.raises(PolicyError, match="unknown key `thresholds.slow_tool_seconds`"):
        load_policy(_write(tmp_path, DEFAULT.replace("[budgets]", "slow_tool_seconds = 2\n\n[budgets]"), "gone.toml"))
    with pytest.raises(AttributeError, match="policy has no `slow_tool_seconds`"):
        _ = load_policy().slow_tool_seconds


def test_strength_promote_names_registered_detectors(tmp_path: Path) -> None:
    shipped = default_policy_path().read_text()
    assert load_policy().promote_hints == ()
    good = tmp_path / "promote.toml"
    good.write_text(shipped.replace("promote = []", 'promote = ["unguarded_irreversible"]'))
    assert load_policy(good).promote_hints == ("unguarded_irreversible",)
    bad = tmp_path / "typo.toml"
    bad.write_text(shipped.replace("promote = []", 'promote = ["unguarded_irreversable"]'))
    with pytest.raises(PolicyError, match="strength.promote"):
        load_policy(bad)
    # A policy file without [strength] promotes nothing.
    old = tmp_path / "old.toml"
    old.write_text(shipped.replace("[strength]", "").replace("promote = []", ""))
    assert load_policy(old).promote_hints == ()
