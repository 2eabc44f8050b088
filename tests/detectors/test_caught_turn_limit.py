"""A turn limit the application caught and answered is no budget_exceeded.

OpenAI Agents SDK: past ``max_turns`` ``Runner.run`` sets ``SpanError("Max turns exceeded",
{"max_turns": n})`` on the agent span and raises ``MaxTurnsExceeded`` (src/agents/run.py,
src/agents/exceptions.py) out to the application's code, which may catch it and answer the user
itself: a custom span of its own after the agent span (``custom_span``, src/agents/tracing/
create.py), or, under OpenTelemetry, the application's wrapper span that recorded the exception
(``span.record_exception``) and returned its reply. any-agent (mozilla-ai/any-agent
``src/any_agent/frameworks/openai.py`` ``_run_async`` -> ``Runner.run``) exports the
``invoke_agent`` span in error with the exception event; the trace's ``final_output`` is what the
application that caught the error set. The limit stopped the cost where it was set; what the reply
then says is the answer rules' to judge. A stop nothing answered, or a stop inside an agent, stays.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

_LIMIT = {"error_message": "Max turns exceeded", "attributes": json.dumps({"max_turns": 6})}


def _turns(parent: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(3):
        rows.append(span(f"l{i}", 1 + 5 * i, 2 + 5 * i, parent_id=parent, kind="llm", model="gpt-4o", output="{}"))
        rows.append(span(f"t{i}", 2.5 + 5 * i, 4 + 5 * i, parent_id=parent, kind="tool", tool="lookup_order",
                         input=json.dumps({"order_id": f"HH-{i}"}), output=json.dumps({"serial_numbers": []})))
    return rows


def _sdk(reply: dict[str, object] | None) -> list[dict[str, object]]:
    """An Agents SDK trace: the agent span stopped, then (maybe) the application's custom span."""
    rows = [span("agent", 0, 16, kind="agent", name="Warranty Agent", agent="Warranty Agent", status="error", **_LIMIT),
            *_turns("agent")]
    if reply is not None:
        rows.append(span("reply", 16.1, 16.6, kind="chain", name="support_reply", **reply))
    return rows


def test_a_turn_limit_nothing_answered_is_a_limit_stop() -> None:
    f = one(run(*_sdk(None)), "budget_exceeded")
    assert f["decisive_span_id"] == "agent"


def test_near_miss_the_application_caught_the_stop_and_replied() -> None:
    reply = {"output": "I could not finish your claim: nothing has been filed yet. Could you send the serial number?"}
    assert "budget_exceeded" not in detectors(run(*_sdk(reply)))


def test_a_reply_that_failed_or_said_nothing_answered_nothing() -> None:
    assert "budget_exceeded" in detectors(run(*_sdk({"output": "", "status": "ok"})))
    assert "budget_exceeded" in detectors(run(*_sdk({"output": "sending...", "status": "error", "error_message": "SMTP 550"})))


def test_near_miss_the_wrapper_span_recorded_the_exception_and_returned() -> None:
    """OpenTelemetry: the application's span around ``Runner.run`` caught ``MaxTurnsExceeded``
    (recorded as its exception event, status left unset) and returned its own result."""
    rows = [
        span("app", 0, 18, kind="chain", name="reconcile_statement", error_type="agents.exceptions.MaxTurnsExceeded",
             error_message="Max turns (6) exceeded", output=json.dumps({"status": "needs_review", "matched": 3})),
        span("agent", 0.5, 16, parent_id="app", kind="agent", name="Reconciler", agent="Reconciler", status="error",
             error_type="agents.exceptions.MaxTurnsExceeded", error_message="Max turns (6) exceeded"),
        *_turns("agent"),
    ]
    assert "budget_exceeded" not in detectors(run(*rows))


def test_near_miss_the_stopped_span_carries_the_applications_final_output() -> None:
    """any-agent: the ``invoke_agent`` span in error, the trace's final_output on it."""
    rows = [
        span("agent", 0, 16, kind="agent", name="invoke_agent [rebooking_agent]", agent="rebooking_agent", status="error",
             error_type="agents.exceptions.MaxTurnsExceeded", error_message="Max turns (8) exceeded",
             output="Nothing on your booking has been changed; reply with your choice or call us."),
        *_turns("agent"),
    ]
    assert "budget_exceeded" not in detectors(run(*rows))


def test_a_stop_inside_an_agent_is_the_callers_whatever_the_run_answered() -> None:
    """An agent-as-tool stopped under the calling agent, which then answered: not the application's
    catch (``limit_stops_redone`` judges it)."""
    rows = [
        span("outer", 0, 30, kind="agent", name="Planner", agent="Planner", output="Flights: none booked."),
        span("tool", 0.5, 17, parent_id="outer", kind="tool", tool="scout", status="error",
             error_message="Error running tool (non-fatal): Max turns (6) exceeded"),
        span("agent", 0.6, 16, parent_id="tool", kind="agent", name="Scout", agent="Scout", status="error", **_LIMIT),
        *_turns("agent"),
    ]
    assert one(run(*rows), "budget_exceeded")["decisive_span_id"] == "agent"
