"""What the hosted tracers' loaders read from the frameworks' own export fields.

A documentation-only entry (as ``rollups``): the loaders of LangSmith, Langfuse and the OpenAI
Agents SDK's trace processors (``forensics/loaders/langsmith.py``, ``langfuse.py``,
``openai_agents.py``) turn these framework fields into the span table's columns when the file is
read, so no expression runs here; the signals document each, with the framework source it was read
from, in docs/DETECTORS.md's conventions table.
"""

from __future__ import annotations

from forensics.conventions.registry import Convention, Signal, register

register(
    Convention(
        name="hosted_exports",
        signals=(
            Signal(
                'SpanError {message, data: {error: str(e)}}: "Error running tool (non-fatal)", "Error running tool", '
                '"Error getting response", "Error in agent run"',
                "OpenAI Agents SDK (trace-processor export)",
                "src/agents/tool.py (function_tool: data tool_name, error); src/agents/_run_impl.py; "
                "src/agents/models/openai_responses.py (data error: str(e), else the exception class); src/agents/run.py",
                "error_message = the message, then ': ' and data.error (loaders/openai_agents.py error_text): "
                "http_status and overflow_text read the wrapped failure; the data stays in attributes @error_data",
            ),
            Signal(
                "a LangGraph node's run (name = metadata langgraph_node) with a model call under it, or named by a "
                "handoff (transfer_to_<name>, metadata __handoff_destination); __start__, routers and plain function "
                "nodes are no agents",
                "LangGraph; langgraph-supervisor; langgraph-swarm (LangSmith run export; Langfuse v2 LangChain handler SPANs; "
                "MLflow LangChain autolog CHAIN spans)",
                "langgraph/pregel/_algo.py (prepare_single_task: run_name=name, metadata langgraph_node, "
                "langgraph_checkpoint_ns); langgraph/graph/state.py (START node tagged langsmith:hidden); "
                "langgraph_supervisor/handoff.py, langgraph_swarm/handoff.py (create_handoff_tool); "
                "mlflow/langchain/langchain_tracer.py (on_chain_start: CHAIN span, the run's metadata as an attribute)",
                "kind=agent and agent=<node> (loaders/langsmith.py graph_node_is_agent, langfuse.py react_roles, mlflow.py "
                "graph_roles); a node that is none is a chain owned by the agent above it, else by its own name; __start__ "
                "owns nothing",
            ),
            Signal(
                "an observation whose parentObservationId names no observation of the exported trace",
                "Langfuse v3 (OpenTelemetry-based SDK)",
                "langfuse-python langfuse/_client/span_filter.py (is_default_export_span: Langfuse, gen_ai.* and "
                "known LLM instrumentation scopes only), langfuse/_client/span_processor.py",
                "parent_id = the trace's root, the parent it named in attributes @parent_not_exported; counted "
                "among the top-level observations that give the root its status (loaders/langfuse.py _parent_in_trace)",
            ),
            Signal(
                "an AGENT observation of scope openinference.instrumentation.openai_agents with no llm.system "
                "(the span named by the SDK trace's workflow, e.g. 'Agent workflow')",
                "OpenAI Agents SDK via OpenInference (Langfuse export, OTLP/JSON; a Phoenix export, which keeps no "
                "scope: a root AGENT span with no attribute but its kind, named 'Agent workflow' or with AGENT "
                "spans under it that carry llm.system)",
                "openinference-instrumentation-openai-agents _processor.py (on_trace_start: span named trace.name, "
                "kind AGENT only; on_span_start: every SDK span with llm.system); openai-agents src/agents/run.py "
                "(RunConfig.workflow_name default 'Agent workflow')",
                "kind=chain, agent null: the run's container, not an agent (loaders/otel_common.py "
                "agents_sdk_trace_span, read by langfuse.py, otlp_json.py and openinference.py; the vectorised "
                "OTLP reader hands such lines to the per-record loader)",
            ),
            Signal(
                "a plain SPAN whose metadata holds LangChain's tool keyword arguments: color (a LangChain colour), "
                "or inputs (the argument object) beside an input written as text",
                "LangChain via the Langfuse v2 CallbackHandler (v2 has no TOOL observation type)",
                "langfuse-python langfuse/callback/langchain.py (on_tool_start: SPAN, input=input_str, metadata "
                "updated with the callback's keyword arguments); langchain_core/tools/base.py (BaseTool.run: "
                "color=start_color, inputs=tool_input if a dict, input_str=str(tool_input))",
                "kind=tool, tool = the span's name (loaders/langfuse_langchain.py langchain_span_kind); a name "
                "alone is no evidence, unless a model call before it asked for that tool (requested_tools): beside it, "
                "or, for a span with text input (input_str), under its parent or grandparent (AgentExecutor's "
                "RunnableSequence, the agent's node beside LangGraph's ToolNode)",
            ),
        ),
        columns={
            "overflow_text": "also read from the failure an OpenAI Agents SDK SpanError's data.error wraps",
            "error_label": "as overflow_text: an HTTP status in data.error",
            "agent": "a LangGraph node only on agent evidence (a model call under it, a handoff naming it)",
            "is_root": "one per Langfuse trace: an observation under a span the SDK did not export is not one",
        },
    )
)
