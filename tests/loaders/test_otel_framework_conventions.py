"""OTel spans of frameworks whose own keys say what a span is (forensics/semconv.py).

Traceloop OpenLLMetry: the traceloop-sdk decorators (packages/traceloop-sdk/traceloop/sdk/decorators/
base.py) name a span ``{entity}.{kind}`` and set traceloop.span.kind (TraceloopSpanKindValues:
workflow, task, agent, tool), traceloop.entity.name, and the call's arguments and result as JSON text in
traceloop.entity.input / traceloop.entity.output; its LLM instrumentations set llm.request.type
(LLMRequestTypeValues: chat, completion, embedding, rerank) and the answer in gen_ai.completion.N.content.
Google ADK opens its model call as a span named call_llm and sets its attributes only once a response
came (base_llm_flow.py, telemetry trace_call_llm); its Runner wraps a turn in a root span named
invocation (runners.py), and before its invoke_agent span it opened each agent's run as
``agent_run [<agent>]`` (agents/base_agent.py), neither with an attribute. pydantic-ai's 'agent run' span names its model and
agent in model_name and agent_name (pydantic_ai/agent/__init__.py).
autogen-core's runtime (autogen_core/_telemetry/_tracing_config.py, _single_threaded_agent_runtime.py) names
its spans ``autogen {operation} {destination}`` with messaging.operation and messaging.destination; an agent
destination is ``{type}.({key})-A``, a topic ``{type}.({source})-T``.
"""

from __future__ import annotations

import json
from typing import Any

from forensics.semconv import map_attributes


def _mapped(attrs: dict[str, Any], name: str | None = None,
            parent_id: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    row: dict[str, Any] = {"name": name, "parent_id": parent_id, "kind": "unknown"}
    rest = map_attributes(attrs, row)
    return row, rest


def test_traceloop_tool_span_is_a_tool_call_with_its_arguments_and_result() -> None:
    row, rest = _mapped({"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather",
                         "traceloop.workflow.name": "trip_planner",
                         "traceloop.entity.input": '{"args": [], "kwargs": {"city": "Oslo"}}',
                         "traceloop.entity.output": '{"temp_c": -3}'}, "get_weather.tool")
    assert (row["kind"], row["tool"], row["input"], row["output"]) == (
        "tool", "get_weather", '{"args": [], "kwargs": {"city": "Oslo"}}', '{"temp_c": -3}')
    assert "traceloop.entity.name" not in rest and rest["traceloop.workflow.name"] == "trip_planner"


def test_traceloop_agent_workflow_and_task_spans() -> None:
    agent, _ = _mapped({"traceloop.span.kind": "agent", "traceloop.entity.name": "researcher"}, "researcher.agent")
    assert (agent["kind"], agent["agent"], agent.get("tool")) == ("agent", "researcher", None)
    for kind in ("workflow", "task"):
        row, rest = _mapped({"traceloop.span.kind": kind, "traceloop.entity.name": "plan",
                             "traceloop.entity.output": '"done"'}, f"plan.{kind}")
        # A step that holds others: no tool or agent is named after it; its name stays an attribute.
        assert (row["kind"], row.get("tool"), row.get("agent"), row["output"]) == ("chain", None, None, '"done"')
        assert rest["traceloop.entity.name"] == "plan"


def test_traceloop_llm_span_is_a_model_call_with_its_completion() -> None:
    row, _ = _mapped({"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
                      "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Weather in Oslo?",
                      "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "It is -3 C.",
                      "gen_ai.usage.prompt_tokens": 12, "gen_ai.usage.completion_tokens": 5}, "openai.chat")
    assert (row["kind"], row["model"], row["output"], row["input_tokens"], row["output_tokens"]) == (
        "llm", "gpt-4o", "It is -3 C.", 12, 5)
    assert _mapped({"llm.request.type": "rerank"})[0]["kind"] == "retriever"


def test_spans_without_traceloop_keys_keep_their_mapping() -> None:
    # Near-misses: an entity name without a span kind names nothing; an unknown span kind or request
    # type gives no kind; a tool span named by gen_ai.tool.name keeps that name.
    row, rest = _mapped({"traceloop.entity.name": "get_weather"}, "get_weather")
    assert (row["kind"], row.get("tool"), rest) == ("unknown", None, {"traceloop.entity.name": "get_weather"})
    assert _mapped({"traceloop.span.kind": "unknown", "llm.request.type": "unknown"})[0]["kind"] == "unknown"
    row, rest = _mapped({"traceloop.span.kind": "tool", "gen_ai.tool.name": "weather_api",
                         "traceloop.entity.name": "get_weather"})
    assert (row["tool"], rest["traceloop.entity.name"]) == ("weather_api", "get_weather")
    # The GenAI operation name, when there, wins over the Traceloop kind.
    assert _mapped({"gen_ai.operation.name": "chat", "traceloop.span.kind": "task"})[0]["kind"] == "llm"


def test_adk_call_llm_without_attributes_is_a_model_call() -> None:
    # Firing: a call_llm span that failed before a response carries no attribute of trace_call_llm.
    assert _mapped({}, "call_llm")[0]["kind"] == "llm"
    # Near-misses: another name, or a call_llm whose keys name another kind.
    assert _mapped({}, "call_llm_wrapper")[0]["kind"] == "unknown"
    assert _mapped({"gen_ai.operation.name": "execute_tool"}, "call_llm")[0]["kind"] == "tool"


def test_adk_invocation_root_is_a_chain_and_agent_run_an_agent() -> None:
    # Firing: the Runner's root span holds the turn; an agent_run span is the agent in its brackets.
    assert _mapped({}, "invocation")[0]["kind"] == "chain"
    row, _ = _mapped({}, "agent_run [weather_agent]", parent_id="00000000000000aa")
    assert (row["kind"], row["agent"]) == ("agent", "weather_agent")


def test_invocation_under_a_parent_or_another_agent_run_name_keeps_its_kind() -> None:
    # Near-misses: 'invocation' under a parent (not the Runner's root), names that only look alike,
    # and an agent span whose key names the agent.
    assert _mapped({}, "invocation", parent_id="00000000000000aa")[0]["kind"] == "unknown"
    for name in ("agent_run", "agent_run []", "my agent_run [x]"):
        row, _ = _mapped({}, name)
        assert (row["kind"], row.get("agent")) == ("unknown", None), name
    row, _ = _mapped({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}, "agent_run [x]")
    assert (row["kind"], row["agent"]) == ("agent", "planner")


def test_pydantic_ai_agent_run_names_its_model_and_agent() -> None:
    row, rest = _mapped({"model_name": "gpt-4o", "agent_name": "ops", "logfire.msg": "ops run"}, "agent run")
    assert (row["kind"], row["model"], row["agent"], rest) == ("agent", "gpt-4o", "ops", {"logfire.msg": "ops run"})
    # gen_ai.agent.name (newer versions) names the agent; agent_name then stays an attribute.
    row, rest = _mapped({"model_name": "gpt-4o", "agent_name": "ops", "gen_ai.agent.name": "ops-v2"}, "agent run")
    assert (row["agent"], rest) == ("ops-v2", {"agent_name": "ops"})


def test_model_name_alone_is_not_a_model() -> None:
    # Near-miss: a model_name without agent_name (any other instrumentation's key) stays an attribute.
    row, rest = _mapped({"gen_ai.operation.name": "chat", "model_name": "gpt-4o"})
    assert (row["kind"], row.get("model"), rest["model_name"]) == ("llm", None, "gpt-4o")


def test_an_http_client_span_stays_unknown() -> None:
    # The table's kinds (schema.KINDS) have none for a transport call; an HTTP client span under a
    # tool or model span is that call's transport, and made a tool it would count the call twice.
    row, _ = _mapped({"http.request.method": "POST", "url.full": "https://api.example.com/v1/x",
                      "http.response.status_code": 200}, "POST")
    assert row["kind"] == "unknown"


def _adk_call_llm(output_tokens: int, response: str, system: str = "gcp.vertex.agent") -> dict[str, Any]:
    return {"gen_ai.system": system, "gen_ai.request.model": "gemini-2.0-flash", "gcp.vertex.agent.invocation_id": "e-1",
            "gcp.vertex.agent.llm_request": '{"contents": []}', "gcp.vertex.agent.llm_response": response,
            "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": output_tokens}


RESPONSE = json.dumps({"content": {"role": "model", "parts": [{"text": "Done."}]},
                       "usage_metadata": {"candidates_token_count": 40, "prompt_token_count": 1200, "total_token_count": 1240}})


def test_adk_total_written_as_output_tokens_is_read_as_the_answer_count() -> None:
    # Firing: ADK's telemetry.py (0e5175a) wrote total_token_count as gen_ai.usage.output_tokens; the
    # captured response's usage_metadata says the answer was 40 of the 1240.
    row, _ = _mapped(_adk_call_llm(1240, RESPONSE), "call_llm")
    assert (row["kind"], row["input_tokens"], row["output_tokens"]) == ("llm", 1200, 40)


def test_adk_output_tokens_kept_when_they_are_the_answer_count_or_cannot_be_checked() -> None:
    # Near-misses: newer ADK writes candidates_token_count; content capture off ('{}'); another system.
    assert _mapped(_adk_call_llm(40, RESPONSE), "call_llm")[0]["output_tokens"] == 40
    assert _mapped(_adk_call_llm(1240, "{}"), "call_llm")[0]["output_tokens"] == 1240
    assert _mapped(_adk_call_llm(1240, RESPONSE, system="openai"), "chat")[0]["output_tokens"] == 1240


def _autogen(operation: str, destination: str) -> tuple[dict[str, Any], dict[str, Any]]:
    # build_attributes writes messaging.operation "publish" for send and publish, the rest as named.
    written = {"send": "publish", "ack": "receive"}.get(operation, operation)
    return _mapped({"messaging.operation": written, "messaging.destination": destination},
                   f"autogen {operation} {destination}", parent_id="00000000000000aa")


def test_autogen_process_is_the_recipient_agent_at_work() -> None:
    # Firing: the runtime's process span wraps the recipient's on_message: an agent span of its type.
    row, rest = _autogen("process", "code_reviewer.(default)-A")
    assert (row["kind"], row["agent"]) == ("agent", "code_reviewer")
    assert rest["messaging.destination"] == "code_reviewer.(default)-A"  # kept as evidence
    # An agent type may hold dots (AgentId type ^[\w\-\.]+$); str(AgentId) writes type/key.
    assert _autogen("process", "team.reviewer.(k1)-A")[0]["agent"] == "team.reviewer"
    assert _autogen("process", "code_reviewer/default")[0]["agent"] == "code_reviewer"


def test_autogen_create_send_publish_ack_hold_work() -> None:
    # The caller's wait (create), the delivery (send, publish) and the reply's delivery (ack) are chains.
    for operation, destination in (("create", "code_reviewer.(default)-A"), ("send", "code_reviewer.(default)-A"),
                                   ("publish", "reviews.(default)-T"), ("ack", "orchestrator.(default)-A")):
        row, _ = _autogen(operation, destination)
        assert (row["kind"], row.get("agent"), row.get("handoff_to")) == ("chain", None, None), operation


def test_spans_only_named_like_autogen_keep_their_kind() -> None:
    # Near-misses: the name without autogen's messaging.operation, another operation word, and a
    # process span whose gen_ai keys name another kind and agent.
    assert _mapped({}, "autogen process code_reviewer.(default)-A")[0]["kind"] == "unknown"
    assert _mapped({"messaging.operation": "receive"}, "autogen intercepted x")[0]["kind"] == "unknown"
    row, _ = _mapped({"messaging.operation": "process", "gen_ai.operation.name": "execute_tool",
                      "gen_ai.agent.name": "planner"}, "autogen process code_reviewer.(default)-A")
    assert (row["kind"], row["agent"]) == ("tool", "planner")


def test_strands_cycle_and_pydantic_ai_running_tools_hold_calls() -> None:
    # Strands' execute_event_loop_cycle (tracer.py start_event_loop_cycle_span) and pydantic-ai's
    # 'running tools' (_agent_graph.py) name no kind: each holds one turn's calls, a chain.
    assert _mapped({"event_loop.cycle_id": "5a1e"}, "execute_event_loop_cycle")[0]["kind"] == "chain"
    assert _mapped({"tools": ["get_order"], "logfire.msg": "running 1 tool"}, "running tools")[0]["kind"] == "chain"
    # Near misses: pydantic-ai's single 'running tool' is the call itself (gen_ai.tool.call.id), and a
    # span only named like one whose operation names another kind keeps that kind.
    assert _mapped({"gen_ai.tool.call.id": "c1", "gen_ai.tool.name": "get_order"}, "running tool")[0]["kind"] == "tool"
    assert _mapped({"gen_ai.operation.name": "chat"}, "execute_event_loop_cycle")[0]["kind"] == "llm"


def _status_of(attrs: dict[str, Any], status: str = "ok") -> str:
    row: dict[str, Any] = {"name": "execute_tool lookup_order", "kind": "unknown", "status": status}
    map_attributes(attrs, row)
    return str(row["status"])


def test_a_strands_tool_that_returned_an_error_result_failed() -> None:
    # Strands ends a tool span OK unless the call raised (strands/telemetry/tracer.py end_tool_call_span:
    # _end_span with no error) and writes the ToolResult's status, "error" for a tool whose exception
    # its @tool wrapper caught (strands/tools/decorator.py), as gen_ai.tool.status; before 1.0 as tool.status.
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order"}
    assert _status_of({**tool, "gen_ai.tool.status": "error"}) == "error"
    assert _status_of({"tool.name": "lookup_order", "tool.status": "error"}, "unset") == "error"
    # Near misses: a success keeps the span's status, a failed span stays failed, and a status key
    # that is no "error" text says nothing.
    assert _status_of({**tool, "gen_ai.tool.status": "success"}) == "ok"
    assert _status_of({**tool, "gen_ai.tool.status": "success"}, "error") == "error"
    assert _status_of({**tool, "gen_ai.tool.status": "Error: timeout"}) == "ok"
    assert _status_of({**tool, "gen_ai.tool.status": ""}, "unset") == "unset"


def test_an_openllmetry_crewai_agent_span_is_named_by_its_role() -> None:
    # opentelemetry-instrumentation-crewai wrap_agent_execute_task: span "{role}.agent", traceloop.span.kind
    # agent, no entity name; CrewAISpanAttributes writes the Agent's fields as crewai.agent.<field>.
    crewai = {"traceloop.span.kind": "agent", "crewai.agent.role": "Senior Researcher",
              "crewai.agent.goal": "Find facts", "gen_ai.request.model": "gpt-4o"}
    row, rest = _mapped(crewai, "Senior Researcher.agent")
    assert (row["kind"], row["agent"]) == ("agent", "Senior Researcher")
    assert "crewai.agent.role" not in rest and rest["crewai.agent.goal"] == "Find facts"
    # Near misses: an entity name (the decorator's) wins, and a role on a span of another kind (a
    # task names the agent it is for in crewai.task.agent, not crewai.agent.role) names no agent.
    row, _ = _mapped({**crewai, "traceloop.entity.name": "researcher"}, "researcher.agent")
    assert row["agent"] == "researcher"
    row, rest = _mapped({"traceloop.span.kind": "task", "crewai.agent.role": "Senior Researcher"}, "t.task")
    assert row.get("agent") is None and rest["crewai.agent.role"] == "Senior Researcher"


def test_an_autogen_user_proxy_turn_is_a_human_span() -> None:
    # autogen-agentchat's ChatAgentContainer wraps each member's turn in trace_invoke_agent_span
    # (autogen_core/_telemetry/_genai.py: gen_ai.system autogen, gen_ai.agent.description); a
    # UserProxyAgent's default description is "A human user" (_user_proxy_agent.py).
    turn = {"gen_ai.operation.name": "invoke_agent", "gen_ai.system": "autogen", "gen_ai.agent.name": "user_proxy",
            "gen_ai.agent.id": "user_proxy_7f/7f", "gen_ai.agent.description": "A human user"}
    row, _ = _mapped(turn, "invoke_agent user_proxy")
    assert (row["kind"], row["agent"]) == ("human", "user_proxy")
    assert _mapped({**turn, "gen_ai.agent.description": "a human user"})[0]["kind"] == "human"
    # Near misses: an assistant's turn, the same description from another system, and a proxy whose
    # owner described it otherwise stay agents.
    assert _mapped({**turn, "gen_ai.agent.description": "An agent that provides assistance."})[0]["kind"] == "agent"
    assert _mapped({**turn, "gen_ai.system": "strands-agents"})[0]["kind"] == "agent"
    assert _mapped({**turn, "gen_ai.operation.name": "create_agent"})[0]["kind"] == "agent"


def test_an_openinference_crewai_agent_span_is_named_by_its_graph_node() -> None:
    # openinference-instrumentation-crewai _ExecuteCoreWrapper: AGENT span "{role}._execute_core", no
    # agent name key, graph.node.id = the agent's role.
    crewai = {"openinference.span.kind": "AGENT", "graph.node.id": "Senior Researcher", "task_key": "k1",
              "input.value": "{}", "crew_key": "c1"}
    row, rest = _mapped(crewai, "Senior Researcher._execute_core")
    assert (row["kind"], row["agent"]) == ("agent", "Senior Researcher") and "graph.node.id" not in rest
    # Near misses: an agent name key wins (Arize's Strands processor writes graph.node.id
    # "strands_agent" beside gen_ai.agent.name), and a node id on a chain names no agent.
    assert _mapped({**crewai, "gen_ai.agent.name": "researcher"})[0]["agent"] == "researcher"
    row, rest = _mapped({"openinference.span.kind": "CHAIN", "graph.node.id": "cycle_1"}, "execute_event_loop_cycle")
    assert row.get("agent") is None and rest["graph.node.id"] == "cycle_1"


def test_strands_before_1_0_spans_get_their_kinds(tmp_path) -> None:
    """Strands Agents before 1.0 named no operation (strands-agents/sdk-python src/strands/telemetry/
    tracer.py of the 0.x releases): the agent span is named by the agent ("Strands Agent" by default)
    with gen_ai.system strands-agents, agent.name and agent.tools; each cycle ``Cycle {id}`` with
    event_loop.cycle_id; the model call ``Model invoke``; a tool ``Tool: {name}`` with tool.name,
    tool.id and tool.parameters. A trace as its console exporter writes it (span.to_json()).
    They loaded as kind unknown, and the agent's accumulated usage as a model call's."""
    import forensics

    def span(sid: str, parent: str | None, name: str, start: int, attributes: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "context": {"trace_id": "0x5a1e0000000000000000000000000001", "span_id": f"0x{sid:0>16}",
                                          "trace_state": "[]"},
                "kind": "SpanKind.INTERNAL", "parent_id": f"0x{parent:0>16}" if parent else None,
                "start_time": f"2025-05-20T10:00:0{start}.000000Z", "end_time": f"2025-05-20T10:00:0{start + 1}.000000Z",
                "status": {"status_code": "OK"}, "attributes": {"gen_ai.event.start_time": "2025-05-20T10:00:00", **attributes},
                "events": [], "links": [], "resource": {"attributes": {"service.name": "strands-agents"}, "schema_url": ""}}

    agent = {"gen_ai.system": "strands-agents", "agent.name": "support", "gen_ai.agent.name": "support",
             "gen_ai.prompt": "Where is order 7?", "gen_ai.request.model": "us.anthropic.claude-3-7-sonnet",
             "agent.tools": '["lookup_order"]', "gen_ai.agent.tools": '["lookup_order"]',
             "gen_ai.usage.prompt_tokens": 900, "gen_ai.usage.completion_tokens": 80, "gen_ai.usage.total_tokens": 980}
    spans = [
        span("a1", None, "support", 0, agent),
        span("c1", "a1", "Cycle 5a1e", 1, {"gen_ai.prompt": "[]", "event_loop.cycle_id": "5a1e"}),
        span("m1", "c1", "Model invoke", 1, {"gen_ai.system": "strands-agents", "agent.name": "support",
                                            "gen_ai.agent.name": "support", "gen_ai.prompt": "[]",
                                            "gen_ai.usage.prompt_tokens": 900, "gen_ai.usage.completion_tokens": 80}),
        span("t1", "c1", "Tool: lookup_order", 2, {
            "gen_ai.prompt": '{"toolUseId": "tooluse_1", "name": "lookup_order", "input": {"order": 7}}',
            "tool.name": "lookup_order", "tool.id": "tooluse_1", "tool.parameters": '{"order": 7}',
            "tool.result": '[{"text": "shipped"}]', "gen_ai.completion": '[{"text": "shipped"}]', "tool.status": "success"}),
    ]
    path = tmp_path / "strands.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in spans) + "\n")
    rows = {r["name"]: r for r in forensics.load(path).spans.to_pylist()}
    assert {n: (r["kind"], r["agent"], r["tool"]) for n, r in rows.items()} == {
        "support": ("agent", "support", None), "Cycle 5a1e": ("chain", "support", None),
        "Model invoke": ("llm", "support", None), "Tool: lookup_order": ("tool", "support", "lookup_order")}
    # Near miss: a span of another framework with a tool name but no tool id stays unknown, and the
    # model span (same system and agent name, never agent.tools) is no agent.
    assert _mapped({"tool.name": "lookup_order"}, "lookup")[0]["kind"] == "unknown"
    assert _mapped({"gen_ai.system": "strands-agents", "agent.name": "support"}, "support")[0]["kind"] == "unknown"
    assert _mapped({"gen_ai.system": "strands-agents", "agent.name": "Strands Agent"}, "Strands Agent")[0]["kind"] == "agent"
