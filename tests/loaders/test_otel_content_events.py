"""The earlier GenAI semantic conventions' content events fill a model call's input and output.

Semantic Kernel's model diagnostics add, with sensitive diagnostics on, a ``gen_ai.content.prompt``
event holding the chat history in ``gen_ai.prompt`` and a ``gen_ai.content.completion`` event holding
the answer in ``gen_ai.completion`` (semantic_kernel/utils/telemetry/model_diagnostics: PROMPT_EVENT,
PROMPT_EVENT_PROMPT, COMPLETION_EVENT, COMPLETION_EVENT_COMPLETION); OpenLIT writes the same events
(semcov GEN_AI_CONTENT_PROMPT_EVENT / GEN_AI_CONTENT_PROMPT and ..._COMPLETION_...). Without them the
span's input and output were empty, the text only in ``@events``.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics


def _sdk_span(attributes: dict[str, object], events: list[dict[str, object]]) -> dict[str, object]:
    return {"name": "chat.completions gpt-4o",
            "context": {"trace_id": "0x" + "1" * 32, "span_id": "0x" + "2" * 16, "trace_state": "[]"},
            "kind": "SpanKind.CLIENT", "parent_id": None,
            "start_time": "2025-11-20T00:00:19.171598Z", "end_time": "2025-11-20T00:00:20.171598Z",
            "status": {"status_code": "OK"}, "attributes": attributes, "events": events, "links": [],
            "resource": {"attributes": {"service.name": "sk"}, "schema_url": ""}}


def _event(name: str, attributes: dict[str, object]) -> dict[str, object]:
    return {"name": name, "timestamp": "2025-11-20T00:00:20.000000Z", "attributes": attributes}


def _row(tmp_path: Path, span: dict[str, object]) -> dict[str, object]:
    path = tmp_path / "sk.jsonl"
    path.write_text(json.dumps(span) + "\n")
    rows = forensics.load(path).spans.to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_semantic_kernel_content_events_are_the_model_calls_input_and_output(tmp_path: Path) -> None:
    prompt = '[{"role": "user", "content": "Refund order 7?"}]'
    answer = '[{"message": {"role": "assistant", "content": "Refunded."}, "index": 0, "finish_reason": "stop"}]'
    row = _row(tmp_path, _sdk_span({"gen_ai.operation.name": "chat.completions", "gen_ai.system": "openai",
                                    "gen_ai.request.model": "gpt-4o"},
                                   [_event("gen_ai.content.prompt", {"gen_ai.prompt": prompt}),
                                    _event("gen_ai.content.completion", {"gen_ai.completion": answer})]))
    assert (row["kind"], row["input"], row["output"]) == ("llm", prompt, answer)
    # The events stay in the attributes as before.
    assert [e["name"] for e in json.loads(str(row["attributes"]))["@events"]] == [
        "gen_ai.content.prompt", "gen_ai.content.completion"]


def test_near_miss_an_attribute_beats_the_event_and_other_events_fill_nothing(tmp_path: Path) -> None:
    row = _row(tmp_path, _sdk_span({"gen_ai.operation.name": "chat", "gen_ai.input.messages": "from attribute"},
                                   [_event("gen_ai.content.prompt", {"gen_ai.prompt": "from event"}),
                                    _event("gen_ai.choice", {"gen_ai.completion": "not this event"})]))
    assert (row["input"], row["output"]) == ("from attribute", None)
