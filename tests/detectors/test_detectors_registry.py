"""The detector registry: every taxonomy signal registered, identities valid, duplicates refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from realdata import TAXONOMY
from span_builder import span, spans

from forensics.classify import classify
from forensics.detectors import Detector, get, names, register
from forensics.detectors.base import Context, finding
from forensics.detectors.registry import FAILURE_CLASSES, DetectorRegistryError
from forensics.errors import InputError

#: Every signal TAXONOMY.md names, by class (the two classes beyond the four name no signals;
#: their detectors are budget, depth and fan-out, and irreversible actions).
EXPECTED = {
    "context_collapse": {
        "repeated_action",
        # A person's prohibition the compact summary dropped, then broken (compaction.py).
        "instruction_lost_at_compaction",
        "redo_after_restart",
        "duplicate_side_effect",
        "context_overflow",
        # Beyond the taxonomy's signals: a completed call redone after a step error (issue 13).
        "redo_after_error",
        "repeated_step_error",
        # smolagents step format lost again and again; a completed call redone after a plan update (issue 13).
        "repeated_format_error",
        "redo_after_replan",
        # The same task handed to a delegate again after a plan update: the plan dropped a fact (issue 13).
        "redelegated_after_replan",
        # The same search asked in other words, the same results each time (issue 13).
        "requery_same_results",
        # repeated_action for hand-off spans (the Agents SDK's transfer_to_<agent> calls) (issue 13).
        "repeated_handoff",
        # repeated_action for delegations: the same task to the same delegate, the same report (issue 13).
        "repeated_delegation",
        # A creating shell command (gh pr create) done before a compaction and again after it.
        "redone_after_compaction",
        # duplicate_side_effect across a LangGraph interrupt: the node re-executed on resume.
        "side_effect_redone_on_resume",
    },
    "ownership_gap": {
        "dangling_handoff",
        "delegated_to_unknown_agent",
        "unacknowledged_escalation",
        "orphan_failure",
        "limbo",
        # Beyond the taxonomy's signals: a delegation that failed or came back empty, dropped (issue 13).
        "dropped_delegation",
        # The same task handed to a delegate again (issue 13).
        "redelegated_same_task",
        # A CrewAI Flow that ended on its router's label, no listener taking the route (issue 13).
        "unheard_route",
    },
    "missing_fallback": {
        "unhandled_error",
        "stall",
        "retry_storm",
        "ungated_low_confidence",
        # Two agents bouncing one task until the turn limit: no way out defined (issue 13).
        "handoff_ping_pong",
        # A delegate out of steps whose guess was passed on unchecked: no path followed its step limit (issue 13).
        "unchecked_stuck_delegate",
        # A check that failed and let the work through (Guardrails on_fail NOOP, a DSPy Refine out of
        # attempts), then a side-effecting act (issue 13, failed_checks.py).
        "failed_check_passed_on",
    },
    "silent_failure": {
        "swallowed_error",
        "error_as_data",
        "claimed_but_not_done",
        "undelivered_output",
        "premature_success",
        # The same stuck delegate's guess reported as success; a delegate's "could not find" report
        # passed on as the answer (issue 13, delegate_report.py).
        "stuck_guess_passed_on",
        "failed_report_passed_on",
        # A delegate's report that never reached the manager: a hand-back with no receipt, the run
        # reporting success (undelivered_output; delegate_report.py).
        "unread_delegate_report",
        # "All tests pass" after a failing test run nothing covering passed again (suite_claims.py).
        "tests_claimed_passing",
        # "Tests pass" about a test run sent to the background and never read (background_shells.py).
        "unread_background_tests",
        # Work reported finished while its background shell was last seen running (background_shells.py).
        "background_still_running",
        # A list result's page reported as the whole set, the next page never read (unread_pages.py).
        "unread_pages",
    },
    # A writer/critic loop of model calls with no round cap (issue 13); one sub-agent (an
    # Agent.as_tool) called with the same request over and over (issue 13, sub_agent_calls.py); one
    # large context re-sent uncached on call after call (resent_context.py); a corpus embedded again
    # after it was searched (re_embedding.py); a refine chain writing back its settled answer pass
    # after pass (refine_passes.py).
    "runaway_cost": {
        "budget_exceeded",
        "delegation_depth",
        "fan_out",
        "model_call_cycle",
        "runaway_loop",
        "repeated_sub_agent_calls",
        "resent_context",
        "re_embedded_corpus",
        "unchanged_refine_passes",
    },
    # A guardrail tripwire caught and ignored (issue 13).
    "unguarded_action": {"unguarded_irreversible", "tripwire_overridden"},
}


def test_every_taxonomy_signal_is_registered_in_its_class() -> None:
    by_class: dict[str, set[str]] = {}
    for n in names():
        by_class.setdefault(get(n).failure_class, set()).add(n)
    assert by_class == EXPECTED


@pytest.mark.skipif(not TAXONOMY.exists(), reason="design docs not present")
def test_every_bold_signal_in_the_taxonomy_has_a_detector() -> None:
    import re

    text = TAXONOMY.read_text()
    four = text[text.index("## The four classes") : text.index("## Beyond the four")]
    signals = set(re.findall(r"^- \*\*([a-z_]+)\*\*", four, flags=re.M))
    assert signals, "no signals parsed from TAXONOMY.md"
    assert len(signals) == 17
    assert signals <= set(names())


def test_identities_are_complete() -> None:
    for n in names():
        d = get(n)
        assert d.name == n
        assert d.failure_class in FAILURE_CLASSES
        assert d.scope in ("run", "session")
        assert d.severity in ("low", "medium", "high", "critical")
        assert len(d.description) > 30
    assert get("redo_after_restart").scope == "session"


def test_unknown_detector_names_the_valid_ones() -> None:
    with pytest.raises(InputError) as err:
        get("retry_strom")
    assert "no detector named `retry_strom`" in str(err.value)
    assert "retry_storm" in str(err.value)  # the hint lists what exists


def test_duplicate_name_fails_with_both_owners() -> None:
    class Again(Detector):
        name = "stall"
        failure_class = "missing_fallback"
        scope = "run"
        severity = "low"
        description = "A second detector trying to take an existing name."

    with pytest.raises(DetectorRegistryError) as err:
        register(Again)
    text = str(err.value)
    assert "two detectors are registered as `stall`: forensics.detectors.missing_fallback.Stall and " in text
    assert "test_duplicate_name_fails_with_both_owners.<locals>.Again" in text
    assert "Hint:" in text


def test_malformed_detector_is_refused() -> None:
    class NoScope(Detector):
        name = "no_scope_detector"
        failure_class = "missing_fallback"
        scope = "trace"
        severity = "low"
        description = "Declares a scope the Spark port cannot group by."

    with pytest.raises(DetectorRegistryError, match="has `scope` 'trace', not one of: run, session"):
        register(NoScope)
    assert "no_scope_detector" not in names()


def test_a_third_party_detector_runs_like_a_builtin() -> None:
    class SlowTool(Detector):
        name = "test_slow_tool"
        failure_class = "missing_fallback"
        scope = "run"
        severity = "low"
        description = "A tool call that took longer than 5 seconds (example third-party rule)."

        def detect(self, ctx: Context) -> pl.LazyFrame:
            slow = ctx.spans.lazy().filter(
                (pl.col("kind") == "tool")
                & ((pl.col("end_time") - pl.col("start_time")).dt.total_seconds() > 5)
            )
            return slow.select(
                finding(
                    "run_id", pl.concat_list("span_id"), "span_id", pl.format("{} was slow", pl.col("call"))
                )
            )

    table = spans(
        span("root", 0, 20, kind="agent", name="a", output="ok"),
        span("t1", 1, 9, parent_id="root", kind="tool", tool="slow.api", input="{}", output="{}"),
    )
    c = classify(table, detectors=[SlowTool])
    (f,) = c.findings.to_pylist()
    assert f["detector"] == "test_slow_tool"
    assert f["decisive_span_id"] == "t1"
    assert f["explanation"] == "slow.api was slow"


def test_every_detector_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "DETECTORS.md").read_text()
    for n in names():
        d = get(n)
        assert f"| `{n}` | {d.failure_class} | {d.scope} | {d.severity} |" in doc, n
