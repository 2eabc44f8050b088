"""Operation names frameworks write in gen_ai.operation.name / llm.request.type that are not the GenAI
semconv's own values (forensics/semconv.py GENAI_OPERATION_KINDS, LLM_REQUEST_TYPE_KINDS).

* Semantic Kernel's model diagnostics name their model-call spans ``chat.completions <model>`` with
  gen_ai.operation.name chat.completions / chat.streaming_completions / text.completions /
  text.streaming_completions (python/semantic_kernel/utils/telemetry/model_diagnostics/decorators.py).
* opentelemetry-instrumentation-openai-agents-v2 (span_processor.py GenAIOperationName) writes
  agent_handoff with gen_ai.handoff.to_agent on a HandoffSpanData, guardrail_check on a guardrail.
* LiteLLM's OTel callback (litellm/integrations/opentelemetry.py, span ``litellm_request``) writes the
  call's CallTypes value in llm.request.type: acompletion, aembedding, atext_completion, aresponses,
  anthropic_messages, arerank, call_mcp_tool ...
* OpenLIT (sdk/python/src/openlit/semcov SemanticConvention GEN_AI_OPERATION_TYPE_*) writes embedding,
  vectordb, retrieval, framework/workflow, agent, execute_task, and a tool's arguments in gen_ai.tool.args.
* The GenAI Security Guardian proposal (open-telemetry/semantic-conventions prototype/stories/
  TRACE_COVERAGE.md) names a guardrail's check apply_guardrail; its decision stays in attributes.
"""

from __future__ import annotations

from typing import Any

import pytest

from forensics.semconv import map_attributes


def _mapped(attrs: dict[str, Any], name: str = "span") -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "parent_id": "p", "kind": "unknown"}
    map_attributes(attrs, row)
    return row


@pytest.mark.parametrize("operation", ["chat.completions", "chat.streaming_completions", "text.completions",
                                       "text.streaming_completions"])
def test_semantic_kernel_model_calls_are_model_calls(operation: str) -> None:
    row = _mapped({"gen_ai.operation.name": operation, "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                   "gen_ai.usage.input_tokens": 31, "gen_ai.usage.output_tokens": 9}, f"{operation} gpt-4o")
    assert (row["kind"], row["model"], row["input_tokens"]) == ("llm", "gpt-4o", 31)


def test_semantic_kernel_tool_span_stays_a_tool_call() -> None:
    # function_tracer.start_as_current_span: execute_tool with the function's fully qualified name.
    row = _mapped({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "call_9",
                   "gen_ai.tool.name": "WeatherPlugin-get_weather", "gen_ai.tool.description": "d"},
                  "execute_tool WeatherPlugin-get_weather")
    assert (row["kind"], row["tool"]) == ("tool", "WeatherPlugin-get_weather")


def test_openai_agents_v2_handoff_names_its_target_and_guardrail_is_a_guardrail() -> None:
    row = _mapped({"gen_ai.operation.name": "agent_handoff", "gen_ai.handoff.from_agent": "triage",
                   "gen_ai.handoff.to_agent": "billing", "gen_ai.system": "openai"}, "agent_handoff")
    assert (row["kind"], row["handoff_to"]) == ("handoff", "billing")
    guard = _mapped({"gen_ai.operation.name": "guardrail_check", "gen_ai.guardrail.name": "pii",
                     "gen_ai.guardrail.triggered": False}, "guardrail_check")
    assert guard["kind"] == "guardrail"


@pytest.mark.parametrize(("call_type", "kind"), [
    ("acompletion", "llm"), ("completion", "llm"), ("atext_completion", "llm"), ("aembedding", "embedding"),
    ("aresponses", "llm"), ("anthropic_messages", "llm"), ("arerank", "retriever"), ("call_mcp_tool", "tool")])
def test_litellm_call_types(call_type: str, kind: str) -> None:
    row = _mapped({"llm.request.type": call_type, "gen_ai.request.model": "gpt-4o", "gen_ai.system": "openai",
                   "llm.is_streaming": "False"}, "litellm_request")
    assert row["kind"] == kind


def test_near_miss_litellm_call_types_that_are_no_call_of_an_agent_name_no_kind() -> None:
    # A batch created or a file listed through the proxy is no model or tool call.
    for call_type in ("acreate_batch", "afile_list", "list_mcp_tools"):
        assert _mapped({"llm.request.type": call_type}, "litellm_request")["kind"] == "unknown"


@pytest.mark.parametrize(("operation", "kind"), [
    ("embedding", "embedding"), ("vectordb", "retriever"), ("retrieval", "retriever"), ("framework", "chain"),
    ("workflow", "chain"), ("agent", "agent"), ("execute_task", "chain")])
def test_openlit_operation_types(operation: str, kind: str) -> None:
    assert _mapped({"gen_ai.operation.name": operation, "gen_ai.system": "crewai"})["kind"] == kind


def test_openlit_tool_arguments_are_the_tool_call_input() -> None:
    row = _mapped({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search",
                   "gen_ai.tool.args": '{"q": "flights"}'})
    assert (row["kind"], row["tool"], row["input"]) == ("tool", "search", '{"q": "flights"}')
    # The GenAI semconv key ranks first when both are there.
    both = _mapped({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.arguments": '{"q": 1}',
                    "gen_ai.tool.args": '{"q": 2}'})
    assert both["input"] == '{"q": 1}'


def test_near_miss_an_operation_nobody_writes_names_no_kind() -> None:
    assert _mapped({"gen_ai.operation.name": "chat.complete"})["kind"] == "unknown"


def test_apply_guardrail_is_a_guardrail_check() -> None:
    row = _mapped({"gen_ai.operation.name": "apply_guardrail", "guardrail.name": "prompt_injection",
                   "guardrail.triggered": True}, "guardrail prompt_injection")
    assert row["kind"] == "guardrail"
    # Near miss: a tool that applies a guardrail (Bedrock's ApplyGuardrail API called as a tool) is a tool.
    assert _mapped({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "apply_guardrail"},
                   "execute_tool apply_guardrail")["kind"] == "tool"
