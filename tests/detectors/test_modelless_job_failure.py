"""A job that calls no model: its unhandled failed call is nobody's (orphan_failure beside unhandled_error).

A Kubernetes CronJob reuses an agent's smolagents tools directly: openinference-instrumentation-
smolagents wraps ``Tool.__call__`` globally (_wrappers.py _ToolCallWrapper), so each call is a TOOL
span (``SimpleTool``, tool.name) under the job's own plain span, with no agent run and no model
call anywhere in the trace. ``send_email`` times out, the exception ends the job span in error, and
nothing retries or alerts. unhandled_error names the call; no agent is up its ancestry, and none is
in the run to own it (TAXONOMY orphan_failure): both.

Near misses: the same job whose summary step calls a model (an LLM app: the call's failure is
unhandled_error's alone); the same failure in a session that went on in a later run (the queue ran
the job again: someone picked it up); the job that finished.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

SMTP = {"status": "error", "error_type": "SMTPServerDisconnected", "error_message": "Connection unexpectedly closed: timed out"}


def _job(*, failed: bool = True, with_model: bool = False, session: str | None = None, run_id: str = "r1",
         t0: float = 0.0) -> list[dict[str, Any]]:
    job = f"{run_id}-job"

    def tool(sid: str, start: float, name: str, kwargs: dict[str, Any], out: str | None, **kw: Any) -> dict[str, Any]:
        return span(f"{run_id}-{sid}", t0 + start, t0 + start + 0.3, parent_id=job, kind="tool", name="SimpleTool", tool=name,
                    input=json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": kwargs}), output=out,
                    session_id=session, run_id=run_id, **kw)  # fmt: skip

    rows = [
        span(job, t0, t0 + 9, kind="unknown", name="kpi_digest_job", session_id=session, run_id=run_id, **(SMTP if failed else {})),
        tool("t1", 0.1, "fetch_kpis", {"date": "2025-06-29"}, '{"gmv_eur": 1832210.55, "orders": 22981}'),
        tool("t2", 4.2, "render_digest", {"kpis": {"gmv_eur": 1832210.55}}, "<html>... 4.1 KB ...</html>"),
        tool("t3", 8.4, "send_email", {"to": "leadership@example.com"}, None if failed else "sent", **(SMTP if failed else {})),
    ]
    if with_model:
        rows.append(span(f"{run_id}-l1", t0 + 4.0, t0 + 4.15, parent_id=job, kind="llm", model="gpt-4o-mini",
                         name="OpenAIServerModel.generate", input="Summarise the KPIs.", output="GMV up 2.3% day over day.",
                         session_id=session, run_id=run_id))  # fmt: skip
    return rows


def test_a_job_with_no_model_failing_unhandled_is_an_orphan_failure_too() -> None:
    c = run(*_job())
    assert detectors(c) == {"unhandled_error", "orphan_failure"}
    orphan = one(c, "orphan_failure")
    assert orphan["decisive_span_id"] == "r1-t3" and orphan["failure_class"] == "ownership_gap"
    assert one(c, "unhandled_error")["decisive_span_id"] == "r1-t3"


def test_near_miss_the_job_calls_a_model() -> None:
    assert detectors(run(*_job(with_model=True))) == {"unhandled_error"}


def test_near_miss_the_session_went_on_in_a_later_run() -> None:
    first = _job(session="kpi-2025-06-29")
    again = _job(failed=False, session="kpi-2025-06-29", run_id="r2", t0=600)
    found = run(*first, *again)
    assert "orphan_failure" not in detectors(found)
    # The twin of the firing test: the same first run alone is an orphan.
    assert "orphan_failure" in detectors(run(*first))


def test_near_miss_the_job_finished() -> None:
    assert detectors(run(*_job(failed=False))) == set()
