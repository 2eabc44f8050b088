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
