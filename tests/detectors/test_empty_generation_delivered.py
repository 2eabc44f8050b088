"""undelivered_output: a model call that generated nothing, then the job sent its result on.

Spring AI's chat-model observation (spring-projects/spring-ai ``ChatModelObservationDocumentation``:
span ``chat {model}``, ``gen_ai.operation.name`` chat, ``gen_ai.usage.output_tokens``,
``gen_ai.response.finish_reasons``) records, with completion logging on, ``gen_ai.completion`` as
the generations' texts that have any text (``ChatModelObservationContentProcessor.completion``:
``filter(StringUtils::hasText)``; ``TracingHelper.concatenateStrings`` joins them as ``["..."]``,
``[]`` for none), under the ``spring_ai chat_client`` observation (``spring.ai.kind`` chat_client).
Gemini 2.5's thinking counts against the output budget: a call can end with STOP, no text and zero
output tokens. A scheduled job (Spring's ``@Scheduled`` observation: ``code.function``,
``code.namespace``) that then publishes the result (an OpenTelemetry messaging ``send`` span,
``{operation} {destination}``) delivered nothing and reported success. Written as OTLP/JSON, one
``ExportTraceServiceRequest`` per line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

BASE = 1_767_000_000_000_000_000  # ns
TRACE = "ab" * 16


def _v(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_v(x) for x in value]}}
    return {"stringValue": value}


def _span(sid: str, parent: str, name: str, kind: int, start_s: float, end_s: float, attrs: dict[str, Any]) -> dict[str, Any]:
    return {"traceId": TRACE, "spanId": sid, "parentSpanId": parent, "name": name, "kind": kind,
            "startTimeUnixNano": str(BASE + int(start_s * 1e9)), "endTimeUnixNano": str(BASE + int(end_s * 1e9)),
            "attributes": [{"key": k, "value": _v(v)} for k, v in attrs.items()], "status": {"code": 1}}  # fmt: skip


def _chat(sid: str, start_s: float, end_s: float, completion: str, output_tokens: int) -> dict[str, Any]:
    return _span(sid, "c" * 16, "chat gemini-2.5-flash", 3, start_s, end_s,
                 {"gen_ai.operation.name": "chat", "gen_ai.system": "vertex_ai",
                  "gen_ai.request.model": "gemini-2.5-flash", "gen_ai.response.model": "gemini-2.5-flash",
                  "gen_ai.request.max_tokens": 1024, "gen_ai.usage.input_tokens": 9100,
                  "gen_ai.usage.output_tokens": output_tokens, "gen_ai.response.finish_reasons": ["STOP"],
                  "gen_ai.completion": completion})  # fmt: skip


def _job(chats: list[dict[str, Any]], send_at: float) -> list[dict[str, Any]]:
    return [
        _span("a" * 16, "", "task sendDailyReport", 1, 0, send_at + 1,
              {"code.function": "sendDailyReport", "code.namespace": "com.example.report.ReportJob"}),
        _span("c" * 16, "a" * 16, "spring_ai chat_client", 1, 0.5, send_at - 0.2,
              {"spring.ai.kind": "chat_client", "gen_ai.operation.name": "framework", "gen_ai.system": "spring_ai"}),
        *chats,
        _span("d" * 16, "a" * 16, "send daily-report", 4, send_at, send_at + 0.4,
              {"messaging.system": "rabbitmq", "messaging.operation.name": "send",
               "messaging.destination.name": "daily-report"}),
    ]  # fmt: skip


def _undelivered(spans: list[dict[str, Any]], tmp_path: Path) -> pl.DataFrame:
    request = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "report-job"}}]},
                                  "scopeSpans": [{"scope": {"name": "org.springframework.ai.chat.client"}, "spans": spans}]}]}  # fmt: skip
    path = tmp_path / "job.otlp.jsonl"
    path.write_text(json.dumps(request) + "\n")
    found = pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))
    return found.filter(pl.col("detector") == "undelivered_output") if found.height else found


def test_an_empty_generation_sent_on_is_undelivered_output(tmp_path: Path) -> None:
    found = _undelivered(_job([_chat("e" * 16, 0.6, 14.0, "[]", 0)], 14.5), tmp_path)
    assert found.get_column("decisive_span_id").to_list() == ["e" * 16]
    assert found.get_column("evidence_span_ids").item().to_list() == ["e" * 16, "d" * 16]


def test_near_miss_the_job_asked_again_and_sent_the_answer(tmp_path: Path) -> None:
    chats = [_chat("e" * 16, 0.6, 14.0, "[]", 0),
             _chat("f" * 16, 14.1, 20.0, '["Daily report: 41 tickets closed, 3 escalated."]', 310)]  # fmt: skip
    assert _undelivered(_job(chats, 20.5), tmp_path).height == 0


def test_near_miss_zero_usage_recorded_beside_a_text(tmp_path: Path) -> None:
    # An instrumentation that records no usage as zero (a stream): the text is what came back.
    chats = [_chat("e" * 16, 0.6, 14.0, '["Daily report: 41 tickets closed, 3 escalated."]', 0)]
    assert _undelivered(_job(chats, 14.5), tmp_path).height == 0


# --- Anthropic's refusal with no content (MLflow's Anthropic autolog records the response as output) ---
# anthropics/anthropic-sdk-python src/anthropic/types/stop_reason.py: "refusal" ends a turn the model
# declined, HTTP 200, and the content may be empty: nothing was generated, whatever tokens it counted.

_REFUSED = json.dumps({"id": "msg_1", "content": [], "model": "claude-sonnet-4-5", "role": "assistant",
                       "stop_reason": "refusal", "stop_sequence": None, "type": "message",
                       "usage": {"input_tokens": 7900, "output_tokens": 3}})  # fmt: skip
_ANSWERED = json.dumps({"id": "msg_2", "content": [{"type": "text", "text": "**Summary**\n- Pricing review."}],
                        "role": "assistant", "stop_reason": "end_turn", "usage": {"output_tokens": 250}})  # fmt: skip


def _digest(model_output: str, note_body: str) -> list[dict[str, Any]]:
    from span_builder import span

    return [
        span("job", 0, 20, kind="chain", name="run_weekly_call_digest", output='{"summaries_posted": 1, "calls": 1}'),
        span("step", 1, 19, parent_id="job", kind="chain", name="summarize_call", output='{"note_posted": true}'),
        span("fetch", 1.5, 2, parent_id="step", kind="tool", tool="fetch_transcript", output='{"text": "[00:00] AM: ..."}'),
        span("msg", 2.5, 9, parent_id="step", kind="llm", model="claude-sonnet-4-5", output=model_output, output_tokens=3),
        span("note", 9.5, 10, parent_id="step", kind="tool", tool="post_crm_note",
             input=json.dumps({"account": "Keller Pharma", "body": note_body}), output='{"created": true}'),
    ]


def _found(rows: list[dict[str, Any]]) -> pl.DataFrame:
    from span_builder import findings, run

    return pl.DataFrame(findings(run(*rows), "undelivered_output"))


def test_a_refusal_with_no_content_written_into_a_note_is_undelivered_output() -> None:
    found = _found(_digest(_REFUSED, "Call summary - Keller Pharma\n\n\n\nGenerated from recording."))
    assert found.get_column("decisive_span_id").to_list() == ["msg"]
    assert found.get_column("evidence_span_ids").to_list() == [["msg", "note"]]
    assert "refusal" in found.get_column("explanation").item()


def test_near_miss_the_note_says_the_summary_is_unavailable() -> None:
    body = "Automatic summary unavailable: the model declined this transcript. Please add it manually."
    assert _found(_digest(_REFUSED, body)).height == 0


def test_near_miss_the_model_answered() -> None:
    assert _found(_digest(_ANSWERED, "Call summary - Keller Pharma\n\n**Summary**\n- Pricing review.")).height == 0
