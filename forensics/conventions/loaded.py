"""Conventions read as the spans are loaded or labelled: documented here, so the conventions table
lists them beside the others.

The OTel-family loaders map a framework's keys into the span table's own columns
(``forensics/semconv.py``: one table the per-record loaders and the vectorised DuckDB read share), and
``prepare`` names each call (``call``) for the findings' sentences. Neither adds a meaning column of
its own; the rows below say which framework key became which column, and where that key is written.
"""

from __future__ import annotations

from forensics.conventions.attribution_readings import ATTRIBUTION_SIGNALS
from forensics.conventions.registry import Convention, Signal, register

register(
    Convention(
        name="loaded_columns",
        signals=(
            Signal(
                "gen_ai.tool.status (tool.status before 1.0) 'error' on a tool span whose status is OK",
                "Strands Agents; Arize openinference-instrumentation-strands-agents",
                "strands/telemetry/tracer.py (end_tool_call_span: the ToolResult's status, span ended OK unless the "
                "call raised); strands/tools/decorator.py (the @tool wrapper returns status 'error' for a caught "
                "exception); openinference strands_agents/processor.py (_handle_tool_span copies tool.status)",
                "status=error (forensics/semconv.py TOOL_FAILED_BY_VALUE)",
            ),
            Signal(
                "an agent span ({role}.agent, traceloop.span.kind agent) with crewai.agent.role and no entity name",
                "CrewAI (OpenLLMetry opentelemetry-instrumentation-crewai)",
                "opentelemetry/instrumentation/crewai/instrumentation.py (wrap_agent_execute_task); "
                "crewai_span_attributes.py (_process_agent: crewai.agent.<field>)",
                "agent = the role (forensics/semconv.py CONDITIONAL_COLUMNS), not the span name 'Role.agent'",
            ),
            Signal(
                "a model call's messages as indexed keys: gen_ai.prompt.<i>.role / .content / .tool_call_id / "
                ".tool_calls.<j>.name|arguments, gen_ai.completion.<i>.role / .content / .refusal / .tool_calls.<j>.*",
                "Traceloop OpenLLMetry (openai, anthropic, langchain instrumentations)",
                "opentelemetry-instrumentation-openai .../shared/chat_wrappers.py (_set_prompts, _set_completions); "
                "opentelemetry-instrumentation-langchain span_utils.py (set_chat_request, set_chat_response: "
                "json.dumps of an empty content is '\"\"'); opentelemetry-instrumentation-anthropic span_utils.py "
                "(_set_span_completions: role 'thinking' for a thinking block)",
                "input = the prompt's messages as JSON in index order; output = the first non-thinking content, else "
                "the refusal, else the tool calls as an assistant message (forensics/semconv_messages.py); the keys "
                "stay in attributes; such lines are read record by record (PER_RECORD_MARKS)",
            ),
            Signal(
                "logfire.msg_template 'Function: {name}' / 'Agent run: {name!r}' / 'Handoff: {from_agent} → {to_agent}' / "
                "'Guardrail {name!r} {triggered=}' / 'OpenAI Agents trace: {name}' (and the earlier releases' wordings) with the "
                "span data's fields as attributes (name, input, output, to_agent, triggered)",
                "OpenAI Agents SDK traced by Logfire (logfire.instrument_openai_agents; Langfuse's OpenAI Agents cookbook before OpenInference)",
                "pydantic/logfire logfire/_internal/integrations/openai_agents.py; tests/otel_integrations/test_openai_agents.py (snapshots)",
                "kind tool / agent / handoff / guardrail / chain; tool = name, input, output; agent = name; handoff_to = to_agent "
                "(forensics/semconv_logfire.py, joined to semconv KIND_BY_EVIDENCE and CONDITIONAL_COLUMNS; the vectorised SQL reads the same tables)",
            ),
            Signal(
                "a model request span's events attribute: the JSON text of event dicts (event.name gen_ai.system.message / "
                "gen_ai.user.message / gen_ai.assistant.message / gen_ai.tool.message with role, content, tool_calls, id; "
                "gen_ai.choice with message)",
                "pydantic-ai (instrumentation version 1, event_mode 'attributes', its default)",
                "pydantic/pydantic-ai pydantic_ai_slim/pydantic_ai/models/instrumented.py (InstrumentedModel.event_to_dict, "
                "messages_to_otel_events); tests/test_logfire.py",
                "input = the request's messages in the Chat Completions shape (a tool message's id as tool_call_id); "
                "output = the choice's content, else the assistant message holding its tool calls "
                "(forensics/semconv_pydantic_ai.py); the attribute stays; such lines are read record by record (PER_RECORD_MARKS)",
            ),
            Signal(
                "a LangGraph node's chain span ({node}.task, traceloop.association.properties.langgraph_node or "
                "the traced input's metadata.langgraph_node = node) with a model call under it or a handoff naming it",
                "LangGraph (OpenLLMetry opentelemetry-instrumentation-langchain)",
                "opentelemetry/instrumentation/langchain/callback_handler.py (on_chain_start, _create_task_span "
                "{name}.task, _create_span: the run's metadata into the association properties); "
                "langgraph/pregel/_algo.py (prepare_single_task: metadata langgraph_node)",
                "kind=agent, agent = the node (forensics/graph_node_agents.py); other nodes own their runs "
                "where no agent is above them, as LangSmith's",
            ),
            Signal(
                "an AGENT span ({role}._execute_core) with graph.node.id and no agent name key",
                "CrewAI (Arize openinference-instrumentation-crewai)",
                "openinference/instrumentation/crewai/_wrappers.py (_ExecuteCoreWrapper: GRAPH_NODE_ID = agent.role)",
                "agent = graph.node.id (forensics/semconv.py CONDITIONAL_COLUMNS), not the span name",
            ),
            Signal(
                "invoke_agent span of gen_ai.system autogen whose gen_ai.agent.description is 'A human user'",
                "AutoGen AgentChat (UserProxyAgent in a team)",
                "autogen_agentchat/teams/_group_chat/_chat_agent_container.py (trace_invoke_agent_span per turn); "
                "autogen_core/_telemetry/_genai.py (gen_ai.agent.description); "
                "autogen_agentchat/agents/_user_proxy_agent.py (description default 'A human user')",
                "kind=human (forensics/semconv.py KIND_BEFORE_VALUE), so pause_kind=human",
            ),
            Signal(
                "openinference.span.kind EMBEDDING (span CreateEmbeddings, embedding.model_name, the vectors in "
                "output.value); RETRIEVER, RERANKER",
                "OpenInference (Phoenix, Arize instrumentations); the same call in GenAI (embeddings), OpenLIT, "
                "LiteLLM (aembedding), the Vercel AI SDK (ai.embed.doEmbed), LangSmith, Langfuse, MLflow",
                "Arize-ai/openinference spec/embedding_spans.md; spec/semantic_conventions.md (reranker.*); "
                "openinference-instrumentation-llama-index _handler.py (EmbeddingStartEvent, ReRankStartEvent)",
                "kind=embedding (a billed call that can fail, never a turn of the agent's model: forensics/semconv.py "
                "OPENINFERENCE_KINDS), kind=retriever",
            ),
            Signal(
                "a TOOL span whose tool.name is user_input (UserInputTool: a question put to a person)",
                "smolagents (Arize openinference-instrumentation-smolagents)",
                "src/smolagents/default_tools.py (UserInputTool: name user_input, forward returns input(question)); "
                "openinference smolagents _wrappers.py (_ToolCallWrapper, _tools: tool.name)",
                "kind=human (forensics/semconv.py KIND_BEFORE_VALUE), so pause_kind=human and the answer is a person's turn",
            ),
            Signal(
                "mastra.metadata.threadId on a span with no gen_ai.conversation.id / session.id",
                "Mastra",
                "mastra-ai/mastra observability/arize/src/openInferenceOTLPExporter.ts (metadata threadId -> session.id); "
                "observability/otel-exporter/src/gen-ai-semantics.ts (metadata threadId -> gen_ai.conversation.id)",
                "session_id (forensics/semconv.py _COLUMN_KEYS, after the conventions' own session keys)",
            ),
            Signal(
                "traceloop.association.properties.session_id / conversation_id / thread_id (LangGraph's thread_id "
                "through the LangChain instrumentation's metadata)",
                "Traceloop OpenLLMetry",
                "traceloop/openllmetry packages/traceloop-sdk/traceloop/sdk/tracing/tracing.py "
                "(_span_processor_on_start writes the context's association_properties on every span as "
                "traceloop.association.properties.<key>, under Traceloop.init only; _set_association_properties_attributes), "
                "sdk/associations/associations.py (AssociationProperty); opentelemetry-instrumentation-langchain "
                "callback_handler.py (TraceloopCallbackHandler._create_span merges each run's LangChain metadata, "
                "LangGraph's thread_id, langgraph_node, langgraph_step, langgraph_checkpoint_ns, into them)",
                "session_id (forensics/semconv.py _COLUMN_KEYS, after gen_ai.conversation.id / session.id)",
            ),
            Signal(
                "session.id from a LangChain run's metadata thread_id (session_id, conversation_id), one trace per "
                "graph.invoke of the thread; the thread's next run given the same input within resend_window_s of "
                "a run that ended in error",
                "LangGraph (OpenInference LangChain instrumentation; LangSmith extra.metadata.thread_id)",
                "Arize-ai/openinference python/instrumentation/openinference-instrumentation-langchain/src/"
                "openinference/instrumentation/langchain/_tracer.py (_metadata: SESSION_ID from metadata)",
                "session_id; the failed run's failures handled_by=retry when the resend answered, retried when "
                "it failed too (forensics/detectors/session_retry.py)",
            ),
            Signal(
                "an HTTP span named by its method alone ('POST', 'HTTP POST'): url.full (http.url), else "
                "server.address (http.host, net.peer.name) with url.template / http.route / url.path (http.target)",
                "OpenTelemetry HTTP semantic conventions (httpx, requests, urllib3, aiohttp instrumentations)",
                "semantic-conventions docs/http/http-spans.md (Name: {method} when no target is known; url.full, "
                "server.address, http.route, url.template)",
                "call = '{METHOD} {host}{path}' (forensics/detectors/preparation.py _http_label; no query, "
                "fragment or user info)",
            ),
            Signal(
                "a transcript's top-level run state word (state, status): failed, max_turns / error_max_turns / "
                "max_steps; cancelled, cancelled_by_user; completed",
                "chat transcripts (chat-messages); Letta; OpenAI Assistants runs; Claude Agent SDK",
                "letta/schemas/letta_stop_reason.py (StopReasonType cancelled, max_steps; run_status completed also "
                "covers max_steps); openai-python src/openai/types/beta/threads/run_status.py (completed, cancelled, "
                "failed); Claude Agent SDK ResultMessage.subtype (error_max_turns)",
                "@outcome failure; a cancellation @outcome unknown with cancelled_by (user when the word names the "
                "user), not a failure; root status error, error_type the word (the run did not report success); "
                "completed: root ok, no verdict (forensics/outcome.py state_status, loaders/chat_messages.py)",
            ),
            Signal(
                "spans with no operation name: 'Tool: {name}' with tool.name and tool.id; 'Cycle {id}' with "
                "event_loop.cycle_id; 'Model invoke'; the agent's span with gen_ai.system strands-agents and "
                "agent.tools, or a root named 'Strands Agent'",
                "Strands Agents before 1.0",
                "strands-agents/sdk-python src/strands/telemetry/tracer.py of the 0.x releases (start_tool_call_span, "
                "start_event_loop_cycle_span, start_model_invoke_span, start_agent_span(agent_name='Strands Agent'))",
                "kind tool / chain / llm / agent (forensics/semconv.py KIND_BY_EVIDENCE, KIND_BY_NAME, "
                "ROOT_KIND_BY_NAME; the vectorised SQL reads the same tables)",
            ),
            Signal(
                "haystack.pipeline.run / haystack.component.run with haystack.component.type (the component's class: "
                "*Generator, *Retriever, *Embedder, ToolInvoker, any other) / haystack.agent.run / haystack.agent.step(.llm/.tool)",
                "Haystack",
                "deepset-ai/haystack haystack/core/pipeline/pipeline.py (_run_component: tracer.trace('haystack.component.run', "
                "tags)), haystack/tracing/opentelemetry.py (tags as attributes), haystack/components/agents/agent.py "
                "(_create_agent_span: no name tag, parent the component's span)",
                "kind llm / retriever / embedding / tool / chain by the component's class, agent / chain / llm / tool by the agent's "
                "span names (forensics/semconv.py HAYSTACK_COMPONENT_KINDS, KIND_BY_NAME; the vectorised SQL reads the same tables); "
                "agent = the Agent component's haystack.component.name on its parent span, inherited by its steps "
                "(semconv_agents.AGENT_NAMED_BY_PARENT, finalize)",
            ),
            Signal(
                "content tags haystack.component.input/output, haystack.pipeline.input_data/output_data and the Agent "
                "component's haystack.agent.input/output, haystack.agent.step.llm.input/output, "
                "haystack.agent.step.tool.input/output (with content tracing on)",
                "Haystack",
                "deepset-ai/haystack haystack/core/pipeline/base.py (_COMPONENT_INPUT/_COMPONENT_OUTPUT), "
                "haystack/components/agents/agent.py (run, _run_step: span.set_content_tag)",
                "input / output of the span (forensics/semconv.py _COLUMN_KEYS; the vectorised SQL reads the same table)",
            ),
            Signal(
                "haystack.component.output of a model component: usage (prompt_tokens / completion_tokens) under a chat "
                "generator reply's meta (_meta in 2.9-2.11), a generator's meta list or an embedder's meta",
                "Haystack",
                "deepset-ai/haystack haystack/core/pipeline/base.py (_COMPONENT_OUTPUT content tag), haystack/tracing/utils.py "
                "(coerce_tag_value: to_dict, JSON), haystack/components/generators/chat/openai.py "
                "(_convert_chat_completion_to_chat_message: meta usage), haystack/components/generators/openai.py, "
                "haystack/components/embedders/openai_text_embedder.py (meta usage), haystack/dataclasses/chat_message.py (to_dict)",
                "input_tokens / output_tokens where the span has no usage attribute of its own, from the first usage "
                "(every choice repeats its completion's) (forensics/semconv_values.py haystack_usage; the vectorised path "
                "hands such a line to the per-record loader); a client instrumentation's span under it counts the call "
                "once (usage_rollups)",
            ),
            Signal(
                "a Haystack model component's traced output naming its model (a reply's meta or the output's meta "
                "'model'); a ToolInvoker's traced input holding the tool calls ({'tool_call': {'tool_name'}})",
                "Haystack",
                "deepset-ai/haystack haystack/components/generators/chat/openai.py (reply meta model), "
                "haystack/components/embedders/openai_text_embedder.py (meta model), haystack/components/tools/"
                "tool_invoker.py (run(messages): the messages' tool calls), haystack/dataclasses/chat_message.py (to_dict)",
                "model on a *Generator / *Embedder span with no model key; tool on a ToolInvoker span whose calls are "
                "of one tool, none for several (forensics/semconv_values.py haystack_output, haystack_tool)",
            ),
            Signal(
                "autogen.tool.arguments on an execute_tool span",
                "AutoGen (autogen-core)",
                "microsoft/autogen autogen_core/_telemetry/_genai.py (trace_tool_span(tool_arguments=...))",
                "input (forensics/semconv.py _COLUMN_KEYS, after gen_ai.tool.call.arguments)",
            ),
            Signal(
                "ai.telemetry.functionId beside ai.operationId, on every span of a call",
                "Vercel AI SDK (experimental_telemetry)",
                "vercel/ai packages/ai/src/telemetry/assemble-operation-name.ts (ai.telemetry.functionId, resource.name); "
                "telemetry-settings.ts (functionId: 'Identifier for this function')",
                "agent (forensics/semconv.py CONDITIONAL_COLUMNS); no functionId, no agent",
            ),
            Signal(
                "ScopeName / ScopeVersion, TraceState and the Links.TraceId / .SpanId / .TraceState / .Attributes "
                "arrays of an otel_traces row (any spelling: scope_name, links)",
                "OpenTelemetry Collector ClickHouse exporter",
                "opentelemetry-collector-contrib exporter/clickhouseexporter internal/sqltemplates/traces_table.sql",
                "attributes @scope {name, version}, @traceState, @links (one {traceId, spanId, traceState, attributes} a "
                "link), as the OTLP loaders keep them; the OpenAI Agents SDK trace's AGENT span read by its scope "
                "(forensics/loaders/otel_clickhouse.py)",
            ),
            Signal(
                "workflow.run, workflow.build, message.send, executor.process[ <id>] with executor.id and executor.type, "
                "edge_group.process with edge_group.type",
                "Microsoft Agent Framework workflows",
                "microsoft/agent-framework python/packages/core/agent_framework/observability.py (create_workflow_span, "
                "create_processing_span, create_edge_group_processing_span), _workflows/_workflow.py, "
                "_workflows/_workflow_context.py (send_message)",
                "kind chain (forensics/semconv.py AGENT_FRAMEWORK_WORKFLOW_KINDS, KIND_BY_NAME); the agent an executor "
                "runs is its own invoke_agent span",
            ),
            Signal(
                "WebSurfer message 'Web surfing error:' + traceback (its exception line: Page.goto: net::ERR_* at <url>); "
                "an observation 'Here is a screenshot of [title](chrome-error://chromewebdata/)' (Chromium's error page); "
                "FileSurfer message 'File surfer encountered an error decoding JSON arguments: <e>'",
                "Magentic-One (autogen_magentic_one) in Who&When histories",
                "microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/multimodal_web_surfer/"
                "multimodal_web_surfer.py (_generate_reply: caught exception as message; _visit_page: page.goto errors "
                "raised but a download's net::ERR_ABORTED; _execute_tool: the page's title and URL); "
                "agents/file_surfer/file_surfer.py (_generate_reply: json.JSONDecodeError answered as the message)",
                "status error, error_type web surfing error / navigation error / file surfer error, error_message the "
                "exception line / the net code / the message (forensics/loaders/ag2_history.py _read_surfer_failure)",
            ),
            Signal(
                "every orchestrator message named MagenticOneOrchestrator: the task ledger ('We are working to address "
                "the following user request:', posted again on a replan), the ledger's instruction_or_question alone, the "
                "final answer last; the task from user; no progress ledger in the messages; ComputerTerminal's 'The script "
                "ran, then exited with an error (POSIX exit code: N)'",
                "AutoGen AgentChat MagenticOneGroupChat in Who&When-shaped histories (beside autogen-magentic-one's "
                "'Orchestrator (thought)' 'Initial plan:' / 'New plan:', 'Orchestrator (-> X)', 'Orchestrator (final answer)', "
                "'human')",
                "microsoft/autogen python/packages/autogen-agentchat/src/autogen_agentchat/teams/_group_chat/_magentic_one/"
                "_magentic_one_orchestrator.py (_reenter_outer_loop; _orchestrate_step: the ledger to _log_message only; "
                "_prepare_final_answer), _magentic_one_group_chat.py (group_chat_manager_name), "
                "autogen_agentchat/agents/_code_executor_agent.py (execute_code_block)",
                "an orchestrator message before another speaker's is a handoff to it, user is the human, the exit code is "
                "read (forensics/loaders/ag2_history.py); plan, replan (a later task ledger), orchestrator (the plan's "
                "author) and final answer (its message that ends the run) for attribution (forensics/attribution/steps.py); "
                "both namings in one table (forensics/conventions/orchestrator_namings.py); the terminal's run stays its "
                "code author's (a CodeExecutorAgent without a model has no choice of its own)",
            ),
            Signal(
                "a TOOL span named 'handoff to <agent>' with llm.system openai and no tool.name; a root AGENT span "
                "'Agent workflow' with its kind only (OTel SDK to_json keeps no scope)",
                "OpenAI Agents SDK traced by OpenInference",
                "Arize-ai/openinference python/instrumentation/openinference-instrumentation-openai-agents/.../_processor.py "
                "(_get_span_name: f'handoff to {to_agent}'; _get_span_kind: HandoffSpanData TOOL; on_trace_start: the "
                "trace's span, kind AGENT only)",
                "kind handoff, handoff_to the agent (forensics/loaders/otel_common.py _agents_sdk_handoff); the trace's "
                "span a chain owned by no agent (otel_sdk_json.py, as openinference.py); such lines are read record by "
                "record (PER_RECORD_MARKS)",
            ),
            Signal(
                "span events gen_ai.user.message / gen_ai.assistant.message / gen_ai.tool.message with content and "
                "gen_ai.choice with message (a cycle's: tool.result first); with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental "
                "gen_ai.client.inference.operation.details with gen_ai.input.messages / gen_ai.output.messages",
                "Strands Agents",
                "strands-agents/sdk-python src/strands/telemetry/tracer.py (_add_event_messages, end_model_invoke_span, "
                "start_tool_call_span, end_tool_call_span, end_event_loop_cycle_span, end_agent_span)",
                "input (a message event's content; several: [{role, content}] in order) / output (the final answer, "
                "a tool's result) when no attribute filled them (forensics/loaders/otel_common.py CONTENT_EVENTS; the vectorised read hands such lines "
                "to it)",
            ),
            Signal(
                "a CmdOutputObservation with metadata.exit_code -1 and the notice '[The command has no new output "
                "after N seconds. ...]' or '[The command timed out after N seconds. ...]' (the command still running)",
                "OpenHands",
                "openhands/runtime/utils/bash.py (BashSession._handle_nochange_timeout_command, "
                "_handle_hard_timeout_command: CmdOutputMetadata() with no exit code, metadata.suffix)",
                "no new output: status=unset (the command still runs: no verdict), the notice as @still_running; timed "
                "out (the action's own limit): status=error, error_type command_timeout (forensics/loaders/openhands.py)",
            ),
            Signal(
                "a BrowserOutputObservation with extras.error true and extras.last_browser_action_error (the "
                "browser step failed or raised; its message still 'Visited <url>')",
                "OpenHands",
                "openhands/runtime/browser/utils.py (browse: error=True when BrowserGym's last_action_error is set, "
                "or the exception's text); openhands/events/observation/browse.py (BrowserOutputObservation)",
                "status=error, error_type browser_action_error, error_message last_browser_action_error "
                "(forensics/loaders/openhands.py), not ok",
            ),
            Signal(
                "a Claude Code user line with isCompactSummary: true (the summary written after a compaction)",
                "Claude Code",
                "src/services/compact/compact.ts (createUserMessage with isCompactSummary: true after the "
                "compact_boundary)",
                "kind=event named compact_summary (forensics/loaders/claude_code.py), not a person's turn (human)",
            ),
            Signal(
                "an mcp_tools span (MCPListToolsSpanData: server, result = the tool names)",
                "OpenAI Agents SDK",
                "src/agents/tracing/span_data.py (MCPListToolsSpanData); src/agents/mcp/util.py "
                "(MCPUtil._list_tools_with_span)",
                "kind=chain named mcp_list_tools with no tool (forensics/loaders/openai_agents.py), not a tool call",
            ),
            Signal(
                "an executor.process span whose executor.type is RequestInfoExecutor (the workflow's request for "
                "external input: a RequestInfoEvent the workflow waits on)",
                "Microsoft Agent Framework (workflows)",
                "microsoft/agent-framework python/packages/core/agent_framework/_workflows/_executor.py "
                "(RequestInfoExecutor: 'a gateway for external information requests'); observability.py "
                "(create_processing_span: executor.id, executor.type)",
                "kind=human (forensics/semconv.py AGENT_FRAMEWORK_WORKFLOW_KINDS), so pause_kind=human, not a chain",
            ),
            Signal(
                "a 'tool_call <name>' span with spring.ai.kind tool_call (gen_ai.operation.name framework) and "
                "spring.ai.tool.definition.name; spring.ai.tool.call.arguments / .result with the content filter on",
                "Spring AI",
                "spring-projects/spring-ai spring-ai-model/src/main/java/org/springframework/ai/tool/observation/"
                "DefaultToolCallingObservationConvention.java (contextual name, spring.ai.kind, tool definition name), "
                "ToolCallingObservationDocumentation.java, ToolCallingObservationContext.java (AiOperationType.FRAMEWORK)",
                "kind=tool (forensics/semconv.py KIND_BEFORE_VALUE, before the operation name's chain), tool = the "
                "definition's name, input / output the arguments and result (_COLUMN_KEYS); its chat_client and "
                "advisor spans stay chains",
            ),
            Signal(
                "mastra.span.type workflow_run / workflow_step / workflow_conditional(_eval) / workflow_parallel / "
                "workflow_loop / workflow_sleep / workflow_wait_event (gen_ai.operation.name the type lower-cased, "
                "no GenAI operation; invoke_workflow on a run in recent releases)",
                "Mastra (@mastra/otel-exporter)",
                "mastra-ai/mastra observability/otel-exporter/src/gen-ai-semantics.ts (getOperationName, getAttributes); "
                "packages/core/src/observability/types/tracing.ts (SpanType)",
                "kind=chain (forensics/semconv.py MASTRA_SPAN_KINDS in KIND_BY_VALUE), not unknown",
            ),
            Signal(
                "mastra.span.type model_step (span 'step: <n>', gen_ai.operation.name model_step) / processor_run / "
                "model_chunk",
                "Mastra (@mastra/otel-exporter; agent generations)",
                "mastra-ai/mastra packages/core/src/observability/types/tracing.ts (SpanType MODEL_STEP 'Single model "
                "execution step within a generation', MODEL_CHUNK, PROCESSOR_RUN); observability/otel-exporter/src/"
                "gen-ai-semantics.ts (getOperationName: the type lower-cased)",
                "kind=chain for a step and a processor run (the tools it called hang under it; the generation above "
                "it is the llm call with the usage), event for a chunk (forensics/semconv.py MASTRA_SPAN_KINDS), not unknown",
            ),
            Signal(
                "a tool call named handoff_to_<alias> whose result is {\"handoff_to\": <target>} (then a message.send "
                "span with message.target_id)",
                "Microsoft Agent Framework (handoff workflows)",
                "microsoft/agent-framework python/packages/core/agent_framework/_workflows/_handoff.py "
                "(_create_handoff_tool, _AutoHandoffMiddleware: context.result = {'handoff_to': target}; "
                "_HANDOFF_TOOL_PATTERN)",
                "kind=handoff, handoff_to the result's target, else the alias (forensics/finalize.py "
                "_handoffs_from_transfer_tools, beside transfer_to_<agent>)",
            ),
            Signal(
                "two JSON lines of one run and span id, a start then an end (event <stem>.start / <stem>.end, "
                "_started / _completed ..., or a phase field start / end)",
                "in-house JSON-lines step logs (the jsonl loader's common keys), as RAAF's start/end records",
                "forensics/loaders/jsonl_pairs.py (the writers' shape); /work/shared/formats/jsonl_app_logs/"
                "raaf_traces.jsonl (the same pairing, forensics/loaders/event_pairs.py)",
                "one row: the start's start and fields, the end's time, status, result (the end line merged); "
                "was the end quarantined as duplicate-span-id. Two starts or lines with no phase stay duplicates",
            ),
            Signal(
                "a haystack.component.run span with haystack.component.type Agent and its haystack.component.name",
                "Haystack 2.x (Agent component in a pipeline; OpenTelemetry tracer)",
                "deepset-ai/haystack haystack/core/pipeline/pipeline.py (_run_component tags); "
                "haystack/components/agents/agent.py (class Agent)",
                "agent = the component's name on that span and what runs under it (forensics/finalize.py "
                "_haystack_agent_components); the span stays a chain",
            ),
            Signal(
                "a tool call named handoff_to_user (execute_tool handoff_to_user)",
                "Strands Agents (strands-agents/tools; the Swarm's own handoff_to_user)",
                "strands-agents/tools src/strands_tools/handoff_to_user.py (TOOL_SPEC: hand off control from agent "
                "to user for confirmation, input, or complete task handoff; returns what the user types or stops "
                "the event loop); strands-agents/sdk-python src/strands/multiagent/swarm.py (_create_handoff_to_user_tool)",
                "kind=human, no handoff_to (forensics/finalize.py HANDOFF_TO_PERSON), not a handoff to an agent 'user'",
            ),
            Signal(
                "an event with source user, action change_agent_state, args.agent_state user_confirmed / user_rejected",
                "OpenHands (confirmation mode)",
                "openhands/core/schema/agent.py (AgentState.USER_CONFIRMED / USER_REJECTED); "
                "openhands/events/action/agent.py (ChangeAgentStateAction)",
                "kind=human (forensics/loaders/openhands.py _PERSON_ANSWERS), not event; agent_state kept",
            ),
            Signal(
                "a tool_result with is_error whose text starts with the CLI's refusal (\"The user doesn't want to "
                "proceed with this tool use.\" / \"The user doesn't want to take this action right now.\")",
                "Claude Code transcripts (permission prompt answered No, or the call cancelled)",
                "Claude Code's REJECT_MESSAGE / CANCEL_MESSAGE, as public transcript parsers' fixtures quote them; "
                "daaain/claude-code-log test/test_data/representative_messages.jsonl (line shape)",
                "the call: kind=event, status ok, @rejected_by_user (forensics/loaders/claude_code.py REFUSALS), not a "
                "tool error; the user line: kind=human under it (the person's decision, as OpenHands' user_rejected)",
            ),
            Signal(
                "an assistant line's message.stop_reason (end_turn, max_tokens, tool_use, refusal ...)",
                "Claude Code transcripts (the Anthropic Messages API message)",
                "anthropic-sdk-python src/anthropic/types/message.py (Message.stop_reason); Claude Code "
                "~/.claude/projects/*.jsonl assistant lines",
                "attributes.stop_reason (was message.stop_reason): max_tokens read as finish_reason length "
                "(forensics/detectors/base.py TRUNCATED_FINISH)",
            ),
            Signal(
                "the runs of LangGraph's ToolNode (node 'tools', metadata langgraph_node tools) with no agent above "
                "it, beside the agent node that ran before it under the same parent",
                "LangGraph (LangSmith, Langfuse, MLflow, OpenLLMetry exports of create_react_agent or any graph "
                "with a ToolNode)",
                "langgraph/prebuilt/chat_agent_executor.py (create_react_agent: add_node('agent'), add_node('tools'), "
                "should_continue routes agent -> tools on tool_calls, add_edge('tools', entrypoint)); "
                "langgraph/prebuilt/tool_node.py (ToolNode runs the last AIMessage's tool_calls)",
                "agent = that agent node's agent (forensics/tool_node_owner.py, after inheritance), not 'tools'; "
                "with no agent node before it, 'tools'",
            ),
            Signal(
                "a ToolInvoker component's haystack.component.run span (no attribute names the tool) whose output tag "
                "holds one tool message, {\"tool_messages\": [{..., \"content\": [{\"tool_call_result\": {\"result\", "
                "\"origin\": {\"tool_name\", ...}, \"error\"}}]}]}",
                "Haystack",
                "deepset-ai/haystack haystack/components/tools/tool_invoker.py (run returns tool_messages; "
                "raise_on_failure=False: ChatMessage.from_tool(..., error=True)), haystack/dataclasses/chat_message.py "
                "(to_dict: asdict(ToolCallResult), asdict(ToolCall))",
                "tool = the origin's tool_name (forensics/invoked_tools.py, finalize); a run of several tool calls stays "
                "unnamed; error: true makes the result error-shaped (forensics/detectors/base.py ERROR_SHAPED)",
            ),
            Signal(
                "a tool named in camelCase, the key of the tools object (ai.toolCall.name issueRefund, sendEmail)",
                "Vercel AI SDK",
                "vercel/ai packages/ai/core/generate-text/generate-text.ts (tools[toolCall.toolName]; recordSpan "
                "'ai.toolCall' with 'ai.toolCall.name': toolCall.toolName)",
                "is_side_effect, is_irreversible, is_escalation_tool ... matched with its words split at each "
                "capital (issue_Refund: forensics/detectors/preparation.py _role_masks)",
            ),
            Signal(
                "a plain SPAN named by the program's own function (create_article), holding no model call, tool, "
                "agent or step: Langfuse v2 has no tool observation type",
                "Langfuse v2 Python SDK (low-level client, @observe decorator)",
                "langfuse/langfuse-python v2 langfuse/client.py (StatefulClient.span: name, input, output); "
                "langfuse/decorators/langfuse_decorator.py (@observe: a SPAN named by the function)",
                "kind=chain; read as an act by its name (detectors/ungated_confidence.py acting_components): "
                "unguarded_irreversible, ungated_low_confidence and duplicate_side_effect (detectors/effects.py "
                "side_effects) judge it as a side-effecting call",
            ),
            Signal(
                "a refund call's arguments naming its charge (charge, charge_id, payment_intent) with the reason "
                "duplicate; an earlier tool result of the run listing that charge beside another of its amount "
                "(flat objects with id and amount, the same keys)",
                "Stripe refunds called through any agent framework's tools",
                "Stripe API Create a refund (reason: duplicate, fraudulent, requested_by_customer); "
                "citizenwallet/pay-checkout src/services/stripe/index.ts (stripe.refunds.create with a reason)",
                "no unguarded act: the double charge put right (unguarded_irreversible, "
                "detectors/duplicate_refunds.py)",
            ),
            Signal(
                "a wait step named for a confirmation or approval (await_user_confirmation) whose result is a Slack "
                "block_actions click: user {id, username} and the button's action_id (confirm_*, approve; deny_*, "
                "cancel)",
                "applications asking in Slack (an Amazon Bedrock agent's USER_CONFIRMATION return of control)",
                "TotoroSyd/heybot payload.py (a button click's block_actions payload: user, actions[].action_id); "
                "api.slack.com reference, interaction payloads, block_actions",
                "a person's approval of what follows when the button confirms (unguarded_irreversible, "
                "detectors/button_approvals.py)",
            ),
        )
        + ATTRIBUTION_SIGNALS,
        columns={
            "kind": "human for an AutoGen UserProxyAgent's turn",
            "agent": "a CrewAI agent span's role (OpenLLMetry)",
            "status": "error where the tool's own status key says its call failed",
            "call": "an HTTP request's method, host and path where its span is named by the method alone",
        },
    )
)
