"""Microsoft Agent Framework workflows: a failure an executor caught, across the executor boundary.

A workflow (``WorkflowBuilder`` fan-out / fan-in) runs each executor's handler under an
``executor.process <id>`` span, children of ``workflow.run``; each ``ctx.send_message`` is a
``message.send`` span carrying the message's type and its source, never its content
(microsoft/agent-framework python/packages/core/agent_framework/observability.py ``OtelAttr``:
EXECUTOR_PROCESS_SPAN, EXECUTOR_ID, MESSAGE_SEND_SPAN, MESSAGE_TYPE, MESSAGE_SOURCE_ID;
``_workflows/_executor.py`` executes each handler in its processing span). An agent the handler runs
opens ``invoke_agent <name>`` and its chat client ``chat <model>``; a ``RateLimitError`` from the
client is recorded on both (``capture_exception``: status error, ``error.type``) and raised to the
handler. A handler that catches it and sends an empty result on (``ctx.send_message(Findings([]))``)
ends its own span OK, and the aggregator's agent then writes the answer from the rest: the run ends
OK over a failure nobody recovered. The aggregator's model call is that agent's own step, not the
failed request sent again.

An agent run streamed (``run(..., stream=True)``) calls its model only as the stream is read; a
stream nobody read is closed when it is collected (``weakref.finalize(wrapped_stream,
_close_span)``), its span holding the input and no output, with no model call under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import attr, classify_otlp, otlp_span

TASK = "Research the EV battery recycling market for the board memo."
RATE_LIMIT = (
    "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o-mini in organization org-x on "
    "requests per min (RPM)', 'type': 'requests', 'code': 'rate_limit_exceeded'}}"
)
WORKFLOW = "f000000000000001"


def _span(sid: str, parent: str, name: str, start_ms: int, end_ms: int, attrs: dict[str, Any],
          error: str | None = None, kind: int = 1) -> dict[str, Any]:  # fmt: skip
    span = otlp_span(sid, parent, name, start_ms, end_ms, attrs, trace="cd" * 16, kind=kind)
    if error:
        span["status"] = {"code": 2, "message": error}
        span["events"] = [{"name": "exception", "timeUnixNano": span["endTimeUnixNano"],
                           "attributes": [attr("exception.type", "openai.RateLimitError"),
                                          attr("exception.message", error)]}]  # fmt: skip
    return span


def _text(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def _agent(n: int, parent: str, name: str, start: int, end: int, task: str, answer: str | None) -> list[dict[str, Any]]:
    """``invoke_agent <name>`` and its one chat call; ``answer`` None: the call hit a 429."""
    ask = [_text("user", task)]
    agent: dict[str, Any] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "microsoft.agent_framework",
                             "gen_ai.agent.name": name, "gen_ai.input.messages": ask}  # fmt: skip
    chat: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                            "gen_ai.request.model": "gpt-4o-mini", "gen_ai.input.messages": ask}  # fmt: skip
    if answer is None:
        agent["error.type"] = chat["error.type"] = "RateLimitError"
    else:
        agent["gen_ai.output.messages"] = [_text("assistant", answer)]
        chat["gen_ai.output.messages"] = [{**_text("assistant", answer), "finish_reason": "stop"}]
        chat["gen_ai.response.finish_reasons"] = ["stop"]
    error = None if answer is not None else RATE_LIMIT
    return [
        _span(f"a00000000000000{n}", parent, f"invoke_agent {name}", start, end, agent, error),
        _span(f"c00000000000000{n}", f"a00000000000000{n}", "chat gpt-4o-mini", start + 5, end - 5, chat, error, kind=3),
    ]


def _executor(n: int, executor: str, start: int, end: int, message_type: str) -> dict[str, Any]:
    return _span(f"e00000000000000{n}", WORKFLOW, f"executor.process {executor}", start, end,
                 {"executor.id": executor, "executor.type": executor.title(), "message.type": message_type})  # fmt: skip


def _send(n: int, executor: str, at: int, message_type: str) -> dict[str, Any]:
    return _span(f"m00000000000000{n}", f"e00000000000000{n}", "message.send", at, at + 2,
                 {"message.type": message_type, "message.source_id": executor}, kind=4)  # fmt: skip


def _fan_out(policy: list[dict[str, Any]], memo: str, tmp_path: Path) -> pl.DataFrame:
    """dispatcher -> (market, policy) -> aggregator; ``policy`` holds the policy researcher's agent spans."""
    market = "Market: $12bn by 2030, 18% CAGR."
    spans = [
        _span(WORKFLOW, "", "workflow.run", 0, 9000, {"workflow.id": "wf-7", "workflow_builder.name": "research"}),
        _executor(1, "dispatcher", 10, 50, "str"),
        _send(1, "dispatcher", 20, "ResearchTask"),
        _executor(2, "market", 60, 4000, "ResearchTask"),
        *_agent(2, "e000000000000002", "MarketAgent", 70, 3900, TASK, market),
        _send(2, "market", 3950, "Findings"),
        _executor(3, "policy", 60, 3000, "ResearchTask"),
        *policy,
        _send(3, "policy", 2950, "Findings"),
        _executor(4, "aggregator", 4100, 8900, "list[Findings]"),
        *_agent(4, "e000000000000004", "WriterAgent", 4110, 8800, f"Write the memo from these findings: {market}", memo),
    ]
    return classify_otlp(spans, tmp_path / "workflow.otlp.json", service="research")


def _detectors(found: pl.DataFrame) -> list[str]:
    return sorted(found.get_column("detector").to_list()) if found.height else []


MEMO = "Memo: the EV battery recycling market reaches $12bn by 2030, growing 18% a year."


def test_a_rate_limit_an_executor_caught_and_sent_on_empty_is_swallowed(tmp_path: Path) -> None:
    found = _fan_out(_agent(3, "e000000000000003", "PolicyAgent", 70, 1100, TASK, None), MEMO, tmp_path)
    assert _detectors(found) == ["swallowed_error"]
    row = found.row(0, named=True)
    assert row["decisive_span_id"] == "c000000000000003"  # the policy agent's model call that hit the 429
    assert "429" in row["explanation"]


def test_near_miss_the_executor_retried_and_the_agent_answered(tmp_path: Path) -> None:
    policy = [
        *_agent(3, "e000000000000003", "PolicyAgent", 70, 1100, TASK, None),
        *_agent(5, "e000000000000003", "PolicyAgent", 2100, 2900, TASK, "EU Battery Regulation: 70% lithium recovery by 2030."),
    ]
    assert _detectors(_fan_out(policy, MEMO, tmp_path)) == []


def test_near_miss_the_executor_sent_the_error_and_the_memo_reports_it(tmp_path: Path) -> None:
    memo = f"{MEMO} Note: the policy research step failed (rate limit), so regulation is not covered."
    assert _detectors(_fan_out(_agent(3, "e000000000000003", "PolicyAgent", 70, 1100, TASK, None), memo, tmp_path)) == []


def _stream(tmp_path: Path, *later: dict[str, Any]) -> pl.DataFrame:
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "microsoft.agent_framework",
             "gen_ai.agent.name": "WeatherAgent", "gen_ai.input.messages": [_text("user", "Rain in Oslo tomorrow?")]}  # fmt: skip
    spans = [_span("a0000000000000a1", "", "invoke_agent WeatherAgent", 0, 40, agent), *later]
    return classify_otlp(spans, tmp_path / "stream.otlp.json")


def test_a_stream_nobody_read_is_no_empty_reply(tmp_path: Path) -> None:
    # No model call under the agent span: the model was never asked, so no answer came back empty.
    assert "undelivered_output" not in _detectors(_stream(tmp_path))


def test_near_miss_a_read_stream_whose_model_said_nothing_is_undelivered(tmp_path: Path) -> None:
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.input.messages": [_text("user", "Rain in Oslo tomorrow?")], "gen_ai.response.finish_reasons": ["stop"]}  # fmt: skip
    found = _stream(tmp_path, _span("c0000000000000c1", "a0000000000000a1", "chat gpt-4o-mini", 5, 35, chat, kind=3))
    assert "undelivered_output" in _detectors(found)
