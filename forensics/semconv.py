"""OpenTelemetry GenAI, OpenInference and Monocle attribute keys, mapped to span-table columns.

Every OTel-shaped loader (otlp-json, otel-sdk-json, openinference, otel-clickhouse, any-agent,
Langfuse's OTel metadata) hands its flat attribute dict to :func:`map_attributes`, so a key the
spec defines means the same column whatever file it arrived in. Keys a column takes are removed
from the attributes; everything else stays in ``attributes`` JSON, so nothing is lost.

Sources: OpenTelemetry semantic conventions for GenAI (gen_ai.*, error.type), OpenInference
semantic conventions (openinference.span.kind, llm.*, tool.*, session.id), Monocle's span.type,
Traceloop OpenLLMetry's traceloop.* and llm.request.type, pydantic-ai's and Google ADK's own keys,
the Vercel AI SDK's ai.* keys (its experimental_telemetry spans).

The vectorised OTel SDK read (loaders/vectorised_sql.py) builds its SQL from the tables here
(_COLUMN_KEYS, KIND_BY_VALUE, KIND_BY_EVIDENCE, KIND_BY_NAME, ROOT_KIND_BY_NAME, CONDITIONAL_COLUMNS;
semconv_agents.py's AGENT_RUN_NAME): a rule added to
them is read alike by both paths (tests/test_load_vectorised.py compares the tables). Values a
framework writes in its own way (ADK's output tokens, any-agent's split costs, Monocle's numbered
entities) are read in ``semconv_values.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from . import semconv_logfire
from .normalize import as_float, as_int, as_text
from .semconv_agents import agent_run_name, autogen_message
from .semconv_messages import indexed_messages
from .semconv_pydantic_ai import event_messages
from .semconv_values import (
    ADK_SYSTEM,
    HAYSTACK_OUTPUT,
    HAYSTACK_TOOL_INVOKER,
    HAYSTACK_TYPE,
    adk_output_tokens,
    haystack_output,
    haystack_tool,
    map_costs,
    map_monocle,
)

#: gen_ai.operation.name → kind.
GENAI_OPERATION_KINDS: Final = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "embedding",
    "call_llm": "llm",  # any-agent
    "execute_tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "invoke_workflow": "chain",
    "handoff": "handoff",
    # Semantic Kernel's model diagnostics (semantic_kernel/utils/telemetry/model_diagnostics/decorators.py).
    **dict.fromkeys(("chat.completions", "chat.streaming_completions", "text.completions",
                     "text.streaming_completions"), "llm"),
    # opentelemetry-instrumentation-openai-agents-v2 span_processor.py GenAIOperationName (not in the spec).
    "agent_handoff": "handoff",
    "guardrail_check": "guardrail",
    # The GenAI Security Guardian proposal's guardrail span (open-telemetry/semantic-conventions
    # prototype/stories/TRACE_COVERAGE.md: the apply_guardrail span and gen_ai.security.finding events).
    "apply_guardrail": "guardrail",
    # OpenLIT's SemanticConvention GEN_AI_OPERATION_TYPE_* (sdk/python/src/openlit/semcov).
    "embedding": "embedding",
    "vectordb": "retriever",
    "retrieval": "retriever",
    "agent": "agent",
    **dict.fromkeys(("framework", "workflow", "execute_task"), "chain"),
}

#: openinference.span.kind (also Phoenix's span_kind) → kind. EMBEDDING is a call to an embedding
#: model, "used in retrieval" (Arize-ai/openinference spec/embedding_spans.md: span CreateEmbeddings,
#: embedding.model_name, output.value the vectors as JSON): a billed call that can fail, but no turn of
#: the agent's model, whose output is never the agent's words: its own kind ``embedding`` (every
#: format's embedding call maps there: GenAI ``embeddings``, LangSmith/Langfuse/MLflow, OpenLIT, LiteLLM).
OPENINFERENCE_KINDS: Final = {
    "LLM": "llm",
    "EMBEDDING": "embedding",
    "CHAIN": "chain",
    "TOOL": "tool",
    "AGENT": "agent",
    "RETRIEVER": "retriever",
    "RERANKER": "retriever",
    "GUARDRAIL": "guardrail",
    "EVALUATOR": "chain",
    "PROMPT": "chain",
    "UNKNOWN": "unknown",
}

#: Monocle span.type → kind (span.subtype=delegation makes a handoff, see map_attributes).
MONOCLE_KINDS: Final = {
    "workflow": "chain",
    "agentic.turn": "chain",
    "agentic.invocation": "agent",
    "agentic.delegation": "handoff",
    "inference": "llm",
    "inference.framework": "llm",
    "inference.modelapi": "llm",
    "agentic.tool.invocation": "tool",
    "agentic.mcp.invocation": "tool",
    "retrieval": "retriever",
}

#: Traceloop OpenLLMetry's traceloop.span.kind (opentelemetry-semantic-conventions-ai
#: TraceloopSpanKindValues; set by the traceloop-sdk @workflow/@task/@agent/@tool decorators,
#: traceloop/sdk/decorators/base.py) → kind. A workflow or a task is a step that holds others.
TRACELOOP_KINDS: Final = {
    "workflow": "chain",
    "task": "chain",
    "agent": "agent",
    "tool": "tool",
}

#: OpenLLMetry's llm.request.type on its LLM spans (LLMRequestTypeValues) → kind; a rerank is a
#: retrieval step, as OpenInference's RERANKER.
#: LiteLLM's OTel callback (litellm/integrations/opentelemetry.py, span litellm_request) writes its
#: CallTypes value there (litellm/types/utils.py): the async spellings, the Responses and Anthropic
#: routes, an MCP tool called through the proxy. A batch, a file or a listing is no call of an agent.
LLM_REQUEST_TYPE_KINDS: Final = {
    "chat": "llm",
    "completion": "llm",
    "embedding": "embedding",
    "rerank": "retriever",
    **dict.fromkeys(("acompletion", "text_completion", "atext_completion", "responses", "aresponses",
                     "anthropic_messages", "generate_content", "agenerate_content"), "llm"),
    "arerank": "retriever",
    "aembedding": "embedding",
    "call_mcp_tool": "tool",
}

#: The Vercel AI SDK's ai.operationId (packages/ai/core/telemetry/assemble-operation-name.ts; the span
#: names are the same ids, operation.name adds the functionId) → kind. generateText/streamText (and
#: the object and embed calls) span the whole multi-step call, holding one provider call per step
#: (``.doGenerate``/``.doStream``/``.doEmbed``) and the ``ai.toolCall`` spans the steps ran
#: (generate-text.ts recordSpan; execute-tool-call.ts): a step that holds others, a model call, a tool.
VERCEL_AI_KINDS: Final = {
    **dict.fromkeys(("ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject",
                     "ai.embed", "ai.embedMany"), "chain"),
    **dict.fromkeys(("ai.generateText.doGenerate", "ai.streamText.doStream", "ai.generateObject.doGenerate",
                     "ai.streamObject.doStream"), "llm"),
    **dict.fromkeys(("ai.embed.doEmbed", "ai.embedMany.doEmbed"), "embedding"),
    "ai.toolCall": "tool",
}

#: Kinds a framework's keys give before any other rule: (kind, conditions, all true). autogen-agentchat
#: wraps each team member's turn in an invoke_agent span (autogen_agentchat/teams/_group_chat/_chat_agent_container.py
#: handle_request -> trace_invoke_agent_span(agent_name, agent_description, agent_id): gen_ai.system "autogen", gen_ai.agent.description; autogen_core/_telemetry/_genai.py).
#: A UserProxyAgent's default description is "A human user" (autogen_agentchat/agents/_user_proxy_agent.py; "a human user" in the 0.4 previews): its turn is a person typing through input_func, a human span, not an agent's work. The OTel GenAI conventions,
#: OpenInference's span kinds and Traceloop's have no kind for a person: only this default says it.
#: smolagents' UserInputTool (huggingface/smolagents src/smolagents/default_tools.py: name
#: ``user_input``, "Asks for user's input on a specific question", ``forward`` returns
#: ``input(f"{question} => ...")``) is a question put to a person, whose answer is the tool's
#: output; OpenInference's smolagents instrumentation writes it as any tool, a TOOL span with
#: tool.name (_wrappers.py _ToolCallWrapper, _tools): a human span, so an approval given there counts.
KIND_BEFORE_VALUE: Final[tuple[tuple[str, tuple[Condition, ...]], ...]] = (
    *(
        ("human", (("equals", "gen_ai.system", "autogen"), ("equals", "gen_ai.operation.name", "invoke_agent"),
                   ("equals", "gen_ai.agent.description", description)))
        for description in ("A human user", "a human user")
    ),
    ("human", (("equals", "openinference.span.kind", "TOOL"), ("equals", "tool.name", "user_input"))),
    # Spring AI observes each tool call as ``tool_call <name>`` with spring.ai.kind tool_call and
    # gen_ai.operation.name "framework" (spring-projects/spring-ai spring-ai-model .../tool/observation/
    # DefaultToolCallingObservationConvention.java; ToolCallingObservationContext: AiOperationType.FRAMEWORK,
    # the operation type its ChatClient and advisor observations share): a tool, not the chain the
    # operation name alone gives. Its ChatClient (spring.ai.kind chat_client) and advisor spans stay chains.
    ("tool", (("equals", "spring.ai.kind", "tool_call"),)),
)
_KIND_BEFORE_KEYS: Final = frozenset(c[1] for _, conditions in KIND_BEFORE_VALUE for c in conditions[-1:])

#: mastra.span.type → kind, for the workflow spans. Mastra's OTel exporter writes every span's own type
#: as ``mastra.span.type`` and its operation name from it (mastra-ai/mastra observability/otel-exporter/
#: src/gen-ai-semantics.ts ``getOperationName``: ``invoke_workflow`` for a workflow run in recent
#: releases, else ``span.type.toLowerCase()``), so a workflow step's operation name is ``workflow_step``,
#: which names no GenAI operation. The types are packages/core/src/observability/types/tracing.ts
#: ``SpanType``: the workflow run (the root of a workflow process), its steps and its control flow
#: (conditional and each condition's evaluation, parallel, loop, sleep, wait for an event) hold the
#: agents, tools and model calls the steps ran: chains. An agent's generation (``model_generation``,
#: operation ``chat``: the model call with the usage) holds one ``model_step`` per step of its tool loop
#: ("Single model execution step within a generation", named ``step: <n>``), and the step holds that
#: step's streamed ``model_chunk`` spans and the tools it called: the step is a chain (not a second
#: model call, whose tokens the generation already counts), a chunk an event; an input or output
#: processor's run (``processor_run``) a chain. Its other types already name their operation.
MASTRA_SPAN_KINDS: Final = {
    **dict.fromkeys(
        ("workflow_run", "workflow_step", "workflow_conditional", "workflow_conditional_eval", "workflow_parallel",
         "workflow_loop", "workflow_sleep", "workflow_wait_event", "model_step", "processor_run"), "chain"),
    "model_chunk": "event",
}

#: Kinds an attribute's value names, in order of precedence: (key, value → kind, compare upper-cased).
KIND_BY_VALUE: Final[tuple[tuple[str, dict[str, str], bool], ...]] = (
    ("openinference.span.kind", OPENINFERENCE_KINDS, True),
    ("gen_ai.operation.name", GENAI_OPERATION_KINDS, False),
    ("traceloop.span.kind", TRACELOOP_KINDS, False),
    ("llm.request.type", LLM_REQUEST_TYPE_KINDS, False),
    ("ai.operationId", VERCEL_AI_KINDS, False),
    ("mastra.span.type", MASTRA_SPAN_KINDS, False),
)

#: A condition on the attributes: ("has", key) — the key is there (even null) —,
#: ("equals", key, text) — its value is that text — or ("endswith", key, text) — its value is a text
#: ending with that text.
Condition = tuple[str, ...]

#: Haystack's pipeline opens each component's run as ``tracing.tracer.trace("haystack.component.run",
#: tags={"haystack.component.name": name, "haystack.component.type": instance.__class__.__name__, ...})``
#: (deepset-ai/haystack haystack/core/pipeline/pipeline.py _run_component, async_pipeline.py the same;
#: haystack/tracing/opentelemetry.py OpenTelemetryTracer.trace writes each tag as an attribute). The
#: type is the component's class, and Haystack names its classes by role: the model calls are the
#: ``*Generator``/``*ChatGenerator`` components (haystack/components/generators/), the document
#: lookups ``*Retriever``, the embedding model calls ``*Embedder`` (haystack/components/embedders/),
#: and ``ToolInvoker`` (haystack/components/tools/tool_invoker.py) runs the
#: tool calls of one model message. Any other component (a prompt builder, a router, a joiner, the
#: ``Agent`` component, whose own ``haystack.agent.run`` span is the agent: KIND_BY_NAME) is a step
#: holding work, a chain (by name, KIND_BY_NAME).
HAYSTACK_COMPONENT_KINDS: Final[tuple[tuple[str, tuple[Condition, ...]], ...]] = (
    ("llm", (("endswith", "haystack.component.type", "Generator"),)),
    ("retriever", (("endswith", "haystack.component.type", "Retriever"),)),
    ("embedding", (("endswith", "haystack.component.type", "Embedder"),)),
    ("tool", (("equals", "haystack.component.type", "ToolInvoker"),)),
)

#: Microsoft Agent Framework's workflow spans (microsoft/agent-framework python/packages/core/
#: agent_framework/observability.py): ``create_processing_span`` opens ``executor.process`` (newer
#: releases ``executor.process <executor id>``) with executor.id and executor.type around one
#: executor's handling of a message; ``create_edge_group_processing_span`` opens ``edge_group.process``
#: with edge_group.type around the routing of a message between executors. An executor that wraps an
#: agent (AgentExecutor) holds that agent's own invoke_agent span: the executor is the step, a chain,
#: as the routing is. (workflow.run and message.send carry no key of their own: KIND_BY_NAME.)
AGENT_FRAMEWORK_WORKFLOW_KINDS: Final[tuple[tuple[str, tuple[Condition, ...]], ...]] = (
    # The built-in RequestInfoExecutor (agent_framework _workflows _executor.py: "a gateway for external
    # information requests": it emits a RequestInfoEvent and the workflow waits for the answer, the
    # human-in-the-loop step) is a question put to a person, not a step of the graph's own work.
    ("human", (("has", "executor.id"), ("equals", "executor.type", "RequestInfoExecutor"))),
    ("chain", (("has", "executor.id"), ("has", "executor.type"))),
    ("chain", (("has", "edge_group.type"),)),
)

#: Kinds a framework's own keys give when no value above named one, in order: (kind, conditions, all true).
#: pydantic-ai's own spans (InstrumentationSettings version 1/2) name no operation: its 'running
#: tool' span carries the call id (gen_ai.tool.call.id, tool_arguments, tool_response:
#: pydantic_ai/_tool_manager.py), its 'agent run' span agent_name and model_name beside final_result
#: (pydantic_ai/agent/__init__.py). Google ADK's call_llm carries no gen_ai.operation.name:
#: trace_call_llm marks it with gen_ai.system "gcp.vertex.agent" and the invocation id.
#: Strands Agents before 1.0 named no operation either (strands-agents/sdk-python
#: src/strands/telemetry/tracer.py of the 0.x releases): start_tool_call_span opens ``Tool: {name}``
#: with tool.name, tool.id (the toolUseId) and tool.parameters; start_event_loop_cycle_span opens
#: ``Cycle {id}`` with event_loop.cycle_id (one model turn and its tools, a chain as in 1.x);
#: start_agent_span opens a span named by the agent (default "Strands Agent") with gen_ai.system
#: "strands-agents", agent.name and, when it has tools, agent.tools; start_model_invoke_span opens
#: ``Model invoke`` with the same gen_ai.system and agent.name but never agent.tools (KIND_BY_NAME).
KIND_BY_EVIDENCE: Final[tuple[tuple[str, tuple[Condition, ...]], ...]] = (
    ("tool", (("has", "gen_ai.tool.call.id"),)),
    ("agent", (("has", "agent_name"), ("has", "model_name"))),
    ("llm", (("equals", "gen_ai.system", "gcp.vertex.agent"), ("has", "gcp.vertex.agent.invocation_id"))),
    ("tool", (("has", "tool.id"), ("has", "tool.name"))),
    ("chain", (("has", "event_loop.cycle_id"),)),
    ("agent", (("equals", "gen_ai.system", "strands-agents"), ("has", "agent.tools"))),
    *HAYSTACK_COMPONENT_KINDS,
    *AGENT_FRAMEWORK_WORKFLOW_KINDS,
    # Logfire's OpenAI Agents SDK spans, by their message template (semconv_logfire).
    *semconv_logfire.KINDS,
)

#: Span names that give a kind when nothing else did. Google ADK opens its model call as
#: ``tracer.start_as_current_span('call_llm')`` (flows/llm_flows/base_llm_flow.py) and sets its
#: attributes (trace_call_llm) only once a response came: a call that failed before one is a bare
#: call_llm span, still a model call. LiteLLM's OTel callback opens each completion as
#: ``LITELLM_REQUEST_SPAN_NAME = "litellm_request"`` (litellm/integrations/opentelemetry.py,
#: _handle_success/_handle_failure), one span per deployment tried: a Router fallback is a second
#: litellm_request with another model. Its llm.request.type names the call type above; a span
#: without it is still a model call (its raw_gen_ai_request child is the provider request inside it).
#: A name gives its kind only when no KIND_BY_VALUE key holds a text: a litellm_request whose
#: llm.request.type says it created a batch or listed files is no call of an agent.
#: Two frameworks name a step that holds calls and set no kind on it: Strands Agents' event loop cycle
#: (strands/telemetry/tracer.py start_event_loop_cycle_span, ``execute_event_loop_cycle`` with
#: event_loop.cycle_id: one model turn and the tools it ran; Arize's openinference-instrumentation-strands
#: reads it as a CHAIN) and pydantic-ai's ``running tools`` (pydantic_ai/_agent_graph.py, attributes
#: ``tools`` and logfire.msg, around the tool calls of one model response): chains.
#: Strands before 1.0 named its model call ``Model invoke`` (tracer.py start_model_invoke_span, above).
#: Haystack names its spans by operation (deepset-ai/haystack): the pipeline's run
#: (``haystack.pipeline.run``, ``haystack.async_pipeline.run``: haystack/core/pipeline/pipeline.py,
#: async_pipeline.py) and a component's (``haystack.component.run``, HAYSTACK_COMPONENT_KINDS first)
#: hold work; the Agent component opens ``haystack.agent.run`` around its loop, one
#: ``haystack.agent.step`` a turn, holding ``haystack.agent.step.llm`` around its chat generator's call
#: and ``haystack.agent.step.tool`` around a tool's (haystack/components/agents/agent.py).
#: Microsoft Agent Framework's workflow (agent_framework/_workflows/_workflow.py: ``workflow.run``
#: around a run, attributes workflow.id/name; ``workflow.build`` around WorkflowBuilder.build;
#: _workflow_context.py send_message: ``message.send``, a PRODUCER span with message.type) holds
#: executors and routes their messages: chains, as their executor.process/edge_group.process spans.
KIND_BY_NAME: Final = {"call_llm": "llm", "litellm_request": "llm", "execute_event_loop_cycle": "chain",
                       "running tools": "chain", "Model invoke": "llm",
                       **dict.fromkeys(("haystack.pipeline.run", "haystack.async_pipeline.run", "haystack.component.run",
                                        "haystack.agent.step"), "chain"),
                       "haystack.agent.run": "agent", "haystack.agent.step.llm": "llm", "haystack.agent.step.tool": "tool",
                       **dict.fromkeys(("workflow.run", "workflow.build", "message.send", "executor.process",
                                        "edge_group.process"), "chain")}

#: Span names that give a kind on a root span (no parent) when nothing else did. ADK's Runner wraps a
#: whole turn in ``tracer.start_as_current_span('invocation')`` (runners.py run_async/_run_with_trace),
#: with no attribute: the session lookup, the plugins and the root agent's run (its own agent span)
#: under it. It holds the agent, it is not one: a chain.
#: Strands before 1.0 named its agent span by the agent, "Strands Agent" unless given a name
#: (tracer.py start_agent_span(agent_name="Strands Agent")), a root: an agent without tools has no
#: other mark (KIND_BY_EVIDENCE reads agent.tools).
ROOT_KIND_BY_NAME: Final = {"invocation": "chain", "Strands Agent": "agent"}

#: Columns a key fills only when the span's other keys say what the key names, and the column is
#: still empty: (column, key, conditions). The key is taken (removed) like any mapped key.
#: traceloop.entity.name is the decorated function's name, a tool's or an agent's by the span kind
#: (traceloop-sdk decorators/base.py); pydantic-ai's 'agent run' names its agent and model in
#: agent_name and model_name (versions before gen_ai.agent.name was added beside them).
#: OpenLLMetry's CrewAI instrumentation opens each Agent.execute_task as ``{role}.agent`` with
#: traceloop.span.kind agent and no entity name: the role is in crewai.agent.role (opentelemetry-
#: instrumentation-crewai instrumentation.py wrap_agent_execute_task; crewai_span_attributes.py
#: _process_agent writes every Agent field as crewai.agent.<field>). Without it the agent span was
#: named by its span name, "Researcher.agent", which no delegation to coworker "Researcher" matches.
#: OpenInference's CrewAI instrumentation does the same: its AGENT span is "{role}._execute_core" with
#: no agent name key, the role in graph.node.id (openinference-instrumentation-crewai _wrappers.py
#: _ExecuteCoreWrapper: span.set_attribute(GRAPH_NODE_ID, agent.role)); on an AGENT span graph.node.id
#: names the agent node (an agent name key, when there, is taken first).
CONDITIONAL_COLUMNS: Final[tuple[tuple[str, str, tuple[Condition, ...]], ...]] = (
    ("tool", "traceloop.entity.name", (("equals", "traceloop.span.kind", "tool"),)),
    ("agent", "traceloop.entity.name", (("equals", "traceloop.span.kind", "agent"),)),
    ("agent", "crewai.agent.role", (("equals", "traceloop.span.kind", "agent"),)),
    ("agent", "graph.node.id", (("equals", "openinference.span.kind", "AGENT"),)),
    ("agent", "agent_name", (("has", "model_name"),)),
    # The Vercel AI SDK records no agent: the one identity its spans carry is the caller's telemetry
    # functionId, written on every span of the call (packages/ai/src/telemetry/assemble-operation-name.ts:
    # ai.telemetry.functionId, also resource.name and the tail of operation.name; telemetry-settings.ts
    # "Identifier for this function"), beside ai.operationId. A ToolLoopAgent runs generateText/streamText
    # with the caller's settings (agent/tool-loop-agent.ts), so the functionId names the agent loop.
    ("agent", "ai.telemetry.functionId", (("has", "ai.operationId"),)),
    ("model", "model_name", (("has", "agent_name"),)),
    *semconv_logfire.COLUMNS,
)

#: A tool's own verdict on its call, where the span's status does not carry it: (key, value meaning it
#: failed). Strands Agents ends a tool span OK unless the call raised (strands/telemetry/tracer.py
#: end_tool_call_span -> _end_span with no error: the event loop calls it with the ToolResult only), and
#: writes the ToolResult's status ("success" | "error", strands/types/tools.py ToolResultStatus) as
#: gen_ai.tool.status; its releases before 1.0 wrote it as tool.status, which Arize's
#: openinference-instrumentation-strands-agents (processor.py _handle_tool_span) also copies. A tool that
#: caught its exception and returned ``{"status": "error"}`` (the @tool decorator's own wrapper does,
#: strands/tools/decorator.py) failed, whatever the span status says.
TOOL_FAILED_BY_VALUE: Final = (("gen_ai.tool.status", "error"), ("tool.status", "error"))
_TOOL_STATUS_KEYS: Final = frozenset(key for key, _ in TOOL_FAILED_BY_VALUE)


def tool_said_failed(attrs: dict[str, Any]) -> bool:
    """Whether a tool's own status key (TOOL_FAILED_BY_VALUE) says its call failed."""
    return not _TOOL_STATUS_KEYS.isdisjoint(attrs) and any(attrs.get(key) == value for key, value in TOOL_FAILED_BY_VALUE)



#: Google ADK writes its own content keys (src/google/adk/telemetry.py: trace_tool_call sets
#: gcp.vertex.agent.tool_call_args and tool_response, trace_call_llm llm_request and llm_response) and
#: writes '{}' in them when content capture is off (and on an execute_tool span's llm_* keys): that
#: placeholder is no content. Its call_llm span carries no gen_ai.operation.name; trace_call_llm marks it
#: with gen_ai.system "gcp.vertex.agent" and the invocation id (the execute_tool and invoke_agent spans
#: name their operation).
_ADK_PLACEHOLDER: Final = "{}"


def as_captured(value: Any) -> str | None:
    """``as_text``, except ADK's '{}' placeholder for content it did not capture, which is none."""
    text = as_text(value)
    return None if text is not None and text.strip() == _ADK_PLACEHOLDER else text


# (column, keys in order of preference, converter). The first key present wins and is consumed.
_Conv = Callable[[Any], Any]
_COLUMN_KEYS: Final[tuple[tuple[str, tuple[str, ...], _Conv], ...]] = (
    ("agent", ("gen_ai.agent.name", "agent.name"), as_text),
    # Spring AI's tool_call observation names the tool in spring.ai.tool.definition.name (a low-cardinality
    # key it writes on no other span) and, with its content filter on, the arguments and the result in
    # spring.ai.tool.call.arguments / .result (ToolCallingObservationDocumentation.java).
    ("tool", ("gen_ai.tool.name", "tool.name", "tool_call.function.name", "ai.toolCall.name",
              "spring.ai.tool.definition.name"), as_text),
    ("model", ("gen_ai.response.model", "llm.model_name", "gen_ai.request.model", "embedding.model_name", "ai.model.id"),
     as_text),
    # Mastra's own spans carry the memory thread as metadata, mastra.metadata.threadId (its Arize
    # exporter, mastra-ai/mastra observability/arize/src/openInferenceOTLPExporter.ts, lifts it into
    # session.id; its OTel exporter's gen-ai-semantics.ts into gen_ai.conversation.id): the last resort.
    # OpenLLMetry writes the app's association properties as traceloop.association.properties.<key>
    # (traceloop-sdk tracing/tracing.py _set_association_properties_attributes; its Associations'
    # SESSION_ID / CONVERSATION_ID, associations/associations.py), and its LangChain callback handler
    # every run's metadata the same way, LangGraph's thread_id among it (callback_handler.py).
    # Google ADK writes the session on its call_llm span as gcp.vertex.agent.session_id (google/adk-python
    # src/google/adk/telemetry/tracing.py trace_call_llm), and on its invoke_agent span as
    # gen_ai.conversation.id only in later releases (trace_agent_invocation): the last resort.
    ("session_id", ("gen_ai.conversation.id", "session.id", "scope.agentic.session", "thread.id",
                    "traceloop.association.properties.session_id", "traceloop.association.properties.conversation_id",
                    "traceloop.association.properties.thread_id", "mastra.metadata.threadId",
                    "gcp.vertex.agent.session_id"), as_text),
    ("input_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
                      "ai.usage.inputTokens", "ai.usage.promptTokens"), as_int),
    ("output_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion",
                       "ai.usage.outputTokens", "ai.usage.completionTokens"), as_int),
    ("cost_usd", ("gen_ai.usage.cost", "llm.cost.total", "gen_ai.cost.total"), as_float),
    ("error_type", ("error.type", "exception.type"), as_text),
    ("error_message", ("exception.message", "error.message"), as_text),
    # autogen-core's execute_tool span kept the call's arguments in its own key (autogen_core/_telemetry/
    # _genai.py trace_tool_span(tool_arguments=...): span_attributes["autogen.tool.arguments"]).
    ("input", ("input.value", "gen_ai.tool.call.arguments", "autogen.tool.arguments", "gen_ai.input.messages", "gen_ai.prompt", "tool.parameters_value",
               "gcp.vertex.agent.tool_call_args", "gcp.vertex.agent.llm_request", "tool_arguments",
               "traceloop.entity.input", "gen_ai.tool.args", "ai.toolCall.args", "ai.toolCall.input", "ai.prompt", "ai.prompt.messages",
               # Haystack's content tags: haystack/core/pipeline/base.py _COMPONENT_INPUT/_OUTPUT (and the pipeline's);
               # the Agent component's own spans (haystack/components/agents/agent.py: the run's, its steps' model
               # call and tool call) tag theirs as haystack.agent[.step.llm|.step.tool].input/output.
               "haystack.component.input", "haystack.pipeline.input_data", "haystack.agent.input",
               "haystack.agent.step.llm.input", "haystack.agent.step.tool.input", "spring.ai.tool.call.arguments"),
     as_captured),
    ("output", ("output.value", "gen_ai.tool.call.result", "gen_ai.output.messages", "gen_ai.completion", "gen_ai.output",
                "gcp.vertex.agent.tool_response", "gcp.vertex.agent.llm_response", "tool_response", "final_result",
                "traceloop.entity.output", "ai.toolCall.result", "ai.toolCall.output",
                "ai.response.text", "ai.response.object", "ai.response.toolCalls",
                "haystack.component.output", "haystack.pipeline.output_data", "haystack.agent.output",
                "haystack.agent.step.llm.output", "haystack.agent.step.tool.output", "spring.ai.tool.call.result"), as_captured),
    ("handoff_to", ("gen_ai.handoff.target", "handoff.to", "gen_ai.handoff.to_agent"), as_text),
)


def map_attributes(attrs: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """Fill ``row`` columns from known attribute keys; return the attributes left over.

    Columns the loader already set are not overwritten (a format's own field beats a convention),
    but the attribute then stays in the leftovers so nothing is lost. Raises ``ValueError`` when a
    mapped value has the wrong type (e.g. a token count that is not a number); loaders quarantine.
    """
    rest = dict(attrs)
    if not _ALL_KEYS.isdisjoint(rest):
        _take_columns(rest, row)
    if not _CONDITIONAL_KEYS.isdisjoint(rest):
        _take_conditional(attrs, rest, row)
    # OpenLLMetry's indexed prompt and completion keys, after every key that holds the content whole.
    indexed_messages(attrs, row)
    # pydantic-ai's version-1 message events, kept on the model request span as one attribute.
    if "events" in attrs:
        event_messages(attrs, row)
    if row.get("agent") is None and (named := agent_run_name(row.get("name"))) is not None:
        row["agent"] = named
    if row.get("agent") is None and "messaging.operation" in attrs and (message := autogen_message(attrs, row.get("name"))):
        row["agent"] = message[1]
    map_costs(rest, row)
    if row.get("status") != "error" and tool_said_failed(attrs):
        row["status"] = "error"
    if row.get("output_tokens") is not None and attrs.get("gen_ai.system") == ADK_SYSTEM:
        adk_output_tokens(row)
    if HAYSTACK_OUTPUT in attrs and (row.get("model") is None
                                     or row.get("input_tokens") is None and row.get("output_tokens") is None):
        haystack_output(attrs, row)
    if row.get("tool") is None and attrs.get(HAYSTACK_TYPE) == HAYSTACK_TOOL_INVOKER:
        haystack_tool(attrs, row)
    if row.get("kind") in (None, "unknown"):
        kind = infer_kind(attrs, row)
        if kind is not None:
            row["kind"] = kind
    if "span.type" in rest:
        map_monocle(rest, row)
    return rest


def _take_columns(rest: dict[str, Any], row: dict[str, Any]) -> None:
    # A file's spans come from a few instrumentations, so their attribute keys arrive in a few
    # orders: the candidates each column has among them are worked out once per key order (a
    # span has ~10 attributes; the table knows ~40 keys).
    keys = tuple(rest)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _plan(keys)
    picks: list[tuple[str, str]] = []
    skipped_none = False
    for column, candidates, lead in plan:
        if row.get(column) is not None:
            continue
        for key in candidates:  # best rank first: the first that holds a value wins
            if rest[key] is not None:
                picks.append((column, key))
                skipped_none = skipped_none or rest[lead] is None
                break
    if skipped_none and len(picks) > 1:
        # The plan orders columns by where their first candidate sits; a column whose first
        # candidate holds null sits where its first candidate with a value does. The order only
        # decides which bad value is reported first, but that report must not change.
        position = {key: i for i, key in enumerate(keys)}
        by_column = {column: candidates for column, candidates, _ in plan}
        picks.sort(key=lambda pick: min(position[k] for k in by_column[pick[0]] if rest[k] is not None))
    for column, key in picks:
        value = rest.pop(key)
        convert = _KEY_INFO[key][2]
        if value.__class__ is str and convert is as_text:
            row[column] = value  # as_text of a str is the str: skip the call on the commonest case
            continue
        try:
            row[column] = convert(value)
        except ValueError as exc:
            raise ValueError(f"attribute `{key}`: {exc}") from None


#: Plans by attribute key order; cleared when full, so a file of ever-new keys costs no memory.
_PLANS: dict[tuple[str, ...], tuple[tuple[str, tuple[str, ...], str], ...]] = {}
_PLANS_MAX = 4096


def _plan(keys: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """For one key order: each column some key feeds, with its candidate keys best rank first and
    the candidate that comes first in ``keys``; the columns in the order that candidate appears."""
    candidates: dict[str, list[str]] = {}
    for key in keys:
        info = _KEY_INFO.get(key)
        if info is not None:
            candidates.setdefault(info[0], []).append(key)
    plan = tuple((column, tuple(sorted(found, key=lambda k: _KEY_INFO[k][1])), found[0])
                 for column, found in candidates.items())
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    _PLANS[keys] = plan
    return plan


_KEY_INFO: Final = {key: (column, rank, convert) for column, keys, convert in _COLUMN_KEYS for rank, key in enumerate(keys)}
_ALL_KEYS: Final = frozenset(_KEY_INFO)
_CONDITIONAL_KEYS: Final = frozenset(key for _, key, _ in CONDITIONAL_COLUMNS)


def holds(attrs: dict[str, Any], conditions: tuple[Condition, ...]) -> bool:
    """Whether every condition (see ``Condition``) holds on the attributes."""
    for test, key, *value in conditions:
        if test == "has":
            if key not in attrs:
                return False
        elif test == "endswith":
            found = attrs.get(key)
            if not (isinstance(found, str) and found.endswith(value[0])):
                return False
        elif attrs.get(key) != value[0]:
            return False
    return True


def infer_kind(attrs: dict[str, Any], row: dict[str, Any] | None = None) -> str | None:
    """The span kind the conventions give, consuming nothing (the keys stay as evidence); the row's
    name and parent id give one when the attributes do not."""
    if not _KIND_BEFORE_KEYS.isdisjoint(attrs):
        for first, conditions in KIND_BEFORE_VALUE:
            if holds(attrs, conditions):
                return first
    said = False  # a key of KIND_BY_VALUE names what the span is, even when that is no kind
    for key, kinds, upper in KIND_BY_VALUE:
        value = attrs.get(key)
        if isinstance(value, str):
            said = True
            kind = kinds.get(value.upper() if upper else value)
            if kind is not None:
                return kind
    for kind, conditions in KIND_BY_EVIDENCE:
        if holds(attrs, conditions):
            return kind
    monocle = attrs.get("span.type")
    if isinstance(monocle, str):
        if attrs.get("span.subtype") == "delegation":
            return "handoff"
        if monocle in MONOCLE_KINDS:
            return MONOCLE_KINDS[monocle]
    name = row.get("name") if row is not None else None
    if not isinstance(name, str):
        return None
    if name in KIND_BY_NAME and not said:
        return KIND_BY_NAME[name]
    if name in ROOT_KIND_BY_NAME and row is not None and row.get("parent_id") is None:
        return ROOT_KIND_BY_NAME[name]
    if (message := autogen_message(attrs, name)) is not None:
        return message[0]
    return "agent" if agent_run_name(name) is not None else None


def _take_conditional(attrs: dict[str, Any], rest: dict[str, Any], row: dict[str, Any]) -> None:
    """CONDITIONAL_COLUMNS: a key whose meaning the span's other keys give fills an empty column."""
    for column, key, conditions in CONDITIONAL_COLUMNS:
        if row.get(column) is None and rest.get(key) is not None and holds(attrs, conditions):
            row[column] = as_text(rest.pop(key))
