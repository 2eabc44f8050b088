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

import pytest

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


#: Two Strands Agents runs as its tracer writes them (strands-agents/sdk-python
#: src/strands/telemetry/tracer.py), exported as OTLP/JSON: agent -> cycle -> model + tool, the tool
#: returning an error result the agent then tells the user about. The first with the default
#: conventions (a gen_ai.{role}.message / gen_ai.tool.message event each message, content in
#: ``content``; a gen_ai.choice with ``message``), the second with OTEL_SEMCONV_STABILITY_OPT_IN=
#: gen_ai_latest_experimental (gen_ai.client.inference.operation.details events holding
#: gen_ai.input.messages / gen_ai.output.messages).
STRANDS = Path(__file__).parents[1] / "data" / "otlp_json" / "strands_agent_tool_error.jsonl"


def test_strands_message_and_choice_events_are_the_spans_input_and_output() -> None:
    rows = forensics.load(STRANDS).spans.to_pylist()
    first = [r for r in rows if r["run_id"].endswith("1" * 28)]
    assert [(r["name"], r["kind"]) for r in first] == [
        ("chat", "llm"), ("execute_tool lookup_order", "tool"), ("execute_event_loop_cycle", "chain"),
        ("chat", "llm"), ("execute_event_loop_cycle", "chain"), ("invoke_agent order_helper", "agent")]
    model, tool, cycle, answer, last_cycle, agent = first
    # The tool's input and its error result (end_tool_call_span's gen_ai.choice).
    assert (tool["status"], tool["input"], tool["output"]) == (
        "error", '{"order_id": "4411"}', '[{"text": "Error: order service timed out"}]')
    # The agent's final answer (end_agent_span: str(AgentResult)) and the prompt (its first message event).
    assert agent["output"] == ("I could not look up order 4411: the order service timed out. "
                               "Please try again in a few minutes.\n")
    assert agent["input"] == '[{"text": "Where is my order 4411?"}]'
    assert model["output"] == ('[{"text": "Let me look that up."}, {"toolUse": {"toolUseId": "tooluse_k2Xq", '
                               '"name": "lookup_order", "input": {"order_id": "4411"}}}]')
    # The cycle's choice holds the model's message (the model span's output) and the tool's result
    # (end_event_loop_cycle_span's tool.result): the result is the cycle's output, as with the latest
    # conventions (its gen_ai.output.messages hold the tool result message).
    assert json.loads(str(cycle["output"])) == [{"toolResult": {
        "toolUseId": "tooluse_k2Xq", "status": "error", "content": [{"text": "Error: order service timed out"}]}}]
    assert answer["output"] == ('[{"text": "I could not look up order 4411: the order service timed out. '
                                'Please try again in a few minutes."}]')
    # Near miss: the last cycle ran no tool, so end_event_loop_cycle_span added no choice: no output.
    assert last_cycle["output"] is None
    # Every event is still kept.
    assert [e["name"] for e in json.loads(str(answer["attributes"]))["@events"]] == [
        "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message", "gen_ai.choice"]


def test_strands_message_events_are_the_conversation_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # _add_event_messages writes one event a message sent; the second model call and the last cycle
    # were sent the prompt, the model's tool call and the tool's result (a gen_ai.tool.message: it
    # holds a toolResult). Only the first became the input; the latest turn and the result were lost.
    rows = [r for r in forensics.load(STRANDS).spans.to_pylist() if r["run_id"].endswith("1" * 28)]
    _, _, _, answer, last_cycle, agent = rows
    conversation = [
        {"role": "user", "content": [{"text": "Where is my order 4411?"}]},
        {"role": "assistant", "content": [{"text": "Let me look that up."}, {"toolUse": {
            "toolUseId": "tooluse_k2Xq", "name": "lookup_order", "input": {"order_id": "4411"}}}]},
        {"role": "tool", "content": [{"toolResult": {"toolUseId": "tooluse_k2Xq", "status": "error",
                                                     "content": [{"text": "Error: order service timed out"}]}}]}]
    assert json.loads(str(answer["input"])) == conversation
    assert json.loads(str(last_cycle["input"])) == conversation
    # Near miss: a span sent one message keeps that message's content as written.
    assert agent["input"] == '[{"text": "Where is my order 4411?"}]'
    # A content that is not JSON stays its text; an event's own role (start_tool_call_span's) is kept.
    row = _row(tmp_path, _sdk_span({"gen_ai.operation.name": "chat"},
                                   [_event("gen_ai.user.message", {"content": "plain words"}),
                                    _event("gen_ai.tool.message", {"role": "tool", "content": '{"a": 1}'}),
                                    _event("gen_ai.assistant.message", {"role": "assistant"})]))
    assert json.loads(str(row["input"])) == [{"role": "user", "content": "plain words"},
                                             {"role": "tool", "content": {"a": 1}}]
    # The same table record by record and by the vectorised OTLP read (the lines are handed over).
    tables = []
    for switch in ("0", "1"):
        monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", switch)
        tables.append(forensics.load(STRANDS).spans.to_pylist())
    assert tables[0] == tables[1]


def test_a_strands_cycles_tool_result_is_its_output_not_the_models_message_again(tmp_path: Path) -> None:
    # end_event_loop_cycle_span: gen_ai.choice {"message": the model's message, "tool.result": the tool
    # result message's content}. The model's message is the model span's output already; the result
    # was kept only in @events. Once each: the cycle's output is the result, the tool span keeps its own.
    result = '[{"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"text": "42"}]}}]'
    message = '[{"toolUse": {"toolUseId": "t1", "name": "calc", "input": {}}}]'
    row = _row(tmp_path, _sdk_span({"event_loop.cycle_id": "c1"},
                                   [_event("gen_ai.choice", {"message": message, "tool.result": result})]))
    assert row["output"] == result
    # Near miss: a choice without tool.result (a model's, an agent's, a 0.x cycle's) is its message.
    row = _row(tmp_path, _sdk_span({"event_loop.cycle_id": "c1"}, [_event("gen_ai.choice", {"message": message})]))
    assert row["output"] == message


def test_strands_latest_conventions_events_are_the_spans_input_and_output() -> None:
    rows = [r for r in forensics.load(STRANDS).spans.to_pylist() if r["run_id"].endswith("2" * 28)]
    tool, cycle, agent = rows
    assert tool["input"] == ('[{"role": "tool", "parts": [{"type": "tool_call", "name": "lookup_order", '
                             '"id": "tooluse_P9aa", "arguments": {"order_id": "4411"}}]}]')
    assert tool["output"] == ('[{"role": "tool", "parts": [{"type": "tool_call_response", "id": "tooluse_P9aa", '
                              '"response": [{"text": "Error: order service timed out"}]}]}]')
    assert json.loads(str(agent["output"]))[0]["parts"][0]["content"].startswith("I could not look up order 4411")
    # Near miss: a details event without output messages fills no output.
    assert (cycle["input"], cycle["output"]) == (
        '[{"role": "user", "parts": [{"type": "text", "content": "Where is my order 4411?"}]}]', None)


def test_near_miss_a_strands_event_without_its_content_key_fills_nothing(tmp_path: Path) -> None:
    row = _row(tmp_path, _sdk_span({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"},
                                   [_event("gen_ai.tool.message", {"role": "tool", "id": "t1"}),
                                    _event("gen_ai.choice", {"finish_reason": "end_turn", "id": "t1"}),
                                    _event("gen_ai.client.inference.operation.details", {"gen_ai.usage": 3})]))
    assert (row["input"], row["output"]) == (None, None)


def _detectors(path: Path) -> set[str]:
    return {f["detector"] for f in forensics.classify(forensics.load(path).spans).findings.to_pylist()}


def test_a_strands_answer_read_from_its_choice_event_is_judged(tmp_path: Path) -> None:
    # Firing: the same run whose final answer (end_agent_span's gen_ai.choice, or its output messages
    # with the latest conventions) claims the order shipped after the tool's error result: the answer
    # is read, so the error is one the user was not told of.
    told = "I could not look up order 4411: the order service timed out. Please try again in a few minutes."
    for n, honest in enumerate(STRANDS.read_text().splitlines()):
        assert told in honest
        claim = tmp_path / f"claim{n}.otlp.jsonl"
        claim.write_text(honest.replace(told, "Your order 4411 has shipped and will arrive on Tuesday.") + "\n")
        assert "swallowed_error" in _detectors(claim), n
        # Near miss: the run as written tells the user the lookup failed: no finding.
        run = tmp_path / f"honest{n}.otlp.jsonl"
        run.write_text(honest + "\n")
        assert _detectors(run) == set(), n
