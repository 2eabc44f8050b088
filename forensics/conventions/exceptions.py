"""Handled versus escaped exceptions, and agent errors (step limits among them).

An error that the framework caught and handed back to the model as a result is *handled*: a
defined path followed it (the model sees the error and decides), so it is not an unhandled error,
whatever the span's status says. It still counts as a failure of that call: if nothing recovers it
and the run says it succeeded, that is a swallowed error.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.answered import (
    already_exists_answer,
    control_flow_signal,
    exit_code_answer,
    not_found_answer,
)
from forensics.conventions.attempts import REPROMPT
from forensics.conventions.registry import (
    Convention,
    Q,
    Signal,
    error_says,
    json_bool,
    json_scalar,
    register,
    where_contains,
)
from forensics.conventions.smol_steps import (
    SMOL_STEP,
    handled_steps,
    max_steps_reached,
    recovered_steps,
    step_recovery_exprs,
    tool_said_failed,
    unknown_tool,
)

#: smolagents' AgentError family (src/smolagents/utils.py). In ``MultiStepAgent._run_stream``
#: (src/smolagents/agents.py) an ``AgentGenerationError`` is raised to the caller; every other
#: AgentError is stored on the step (``action_step.error``) and shown to the model in the next
#: step: handled. ``AgentMaxStepsError`` is the step limit.
SMOLAGENTS_ERRORS: Final = (
    "AgentMaxStepsError",
    "AgentParsingError",
    "AgentExecutionError",
    "AgentGenerationError",
    "AgentToolCallError",
    "AgentToolExecutionError",
)
_HANDLED_AGENT_ERRORS: Final = (
    "AgentParsingError",
    "AgentExecutionError",
    "AgentToolCallError",
    "AgentToolExecutionError",
    "AgentMaxStepsError",
)
#: Step / turn limits: smolagents AgentMaxStepsError ("Reached max steps."), LangGraph
#: GraphRecursionError (recursion_limit), OpenAI Agents SDK MaxTurnsExceeded ("Max turns (n) exceeded"
#: on the exception; the SDK's tracing sets the agent span's error to "Max turns exceeded" with
#: data {max_turns: n}: src/agents/run.py, SpanError(message="Max turns exceeded", ...)).
_STEP_LIMIT: Final = (
    r"AgentMaxStepsError|GraphRecursionError|MaxTurnsExceeded|^Reached max steps|Recursion limit of \d+ reached"
    r"|^Max turns (\(\d+\) )?exceeded"
)
#: A spending limit enforced on the call: the LiteLLM proxy refuses a key, user or team over its
#: max_budget with BudgetExceededError ("Budget has been exceeded! Current cost: x, Max budget: y",
#: litellm/exceptions.py; raised in litellm/proxy/auth/auth_checks.py), type "budget_exceeded". OpenHands'
#: controller stops an agent whose accumulated cost passed max_budget_per_task with "Agent reached
#: maximum budget ..." (AgentController._handle_traffic_control / the budget control flag, reported
#: as agent_state_changed to error with that reason: openhands/controller/agent_controller.py).
#: pydantic-ai's UsageLimits (request_limit, input/output/total token limits) raise UsageLimitExceeded
#: before the request that would go past them ("The next request would exceed the request_limit of 5",
#: pydantic_ai/usage.py UsageLimits.check_before_request): a limit on usage, the run's spend.
#: An application's own spend guard names its exception so too, with no Error suffix: ``class
#: BudgetExceeded(Exception)`` raised when the run's cost passes its cap ("BudgetExceeded: run cost
#: $5.15 exceeds budget $5.00"); the type as a whole word, at its start or after a module path.
_BUDGET_STOP: Final = (
    r"BudgetExceeded(?:Error|Exception)?(?:$|[^A-Za-z0-9_])|budget_exceeded|Budget has been exceeded"
    r"|Agent reached maximum budget|UsageLimitExceeded"
)
#: An agent stopped by its model call's exception: OpenHands' controller catches what the agent's
#: step raised (AgentController._react_to_exception: ``state.last_error = f'{type(e).__name__}: {e}'``,
#: then set_agent_state_to(AgentState.ERROR), whose AgentStateChangedObservation carries it as
#: ``reason``: openhands/controller/agent_controller.py). The model client errors are the ones its
#: LLM resends before giving up (LLM_RETRY_EXCEPTIONS, num_retries with retry_min_wait backoff:
#: openhands/llm/llm.py, openhands/llm/retry_mixin.py), or the status id it writes for them
#: (STATUS$ERROR_LLM_SERVICE_UNAVAILABLE / _INTERNAL_SERVER_ERROR). A context window overflow, a stuck
#: loop or a budget stop are none of them.
_MODEL_CALL_STOP: Final = (
    r"^\s*(?:litellm\.)?(?:RateLimitError|APIConnectionError|APIError|InternalServerError|ServiceUnavailableError"
    r"|Timeout|LLMNoResponseError)\b|^STATUS\$ERROR_LLM_(?:SERVICE_UNAVAILABLE|INTERNAL_SERVER_ERROR)$"
)
_AGENT_ERROR: Final = "(" + "|".join([*SMOLAGENTS_ERRORS, "GraphRecursionError", "MaxTurnsExceeded"]) + ")"
#: The bare AgentError a smolagents step raises (a final_answer check that failed: _validate_final_answer
#: raises AgentError("Check ... failed with error: ...")); _run_stream catches every AgentError but
#: AgentGenerationError ("Other AgentError types are caused by the Model, so we should log them and iterate").
_SMOL_BARE_ERROR: Final = r"^(?:smolagents\.utils\.)?AgentError$"
#: any-agent wraps every callable tool in ``_wrap_no_exception`` (src/any_agent/tools/wrappers.py),
#: which returns ``f"Error calling tool: {e}"`` to the model instead of raising; its span
#: generation then sets the tool span's status ERROR when the output holds that text
#: (src/any_agent/callbacks/span_generation/base.py ``_determine_tool_status``): the error is the
#: tool's result, given to the model.
_ANY_AGENT_HANDED_BACK: Final = "Error calling tool:"
#: The error type the chat-messages loader gives a tau-bench call its environment answered with an
#: error (forensics.loaders.chat_messages TAU_BENCH_ERRORS): the answer is the observation the agent
#: appends as the call's result, handed back as OpenHands' ErrorObservation is.
TAU_BENCH_ERROR_TYPE: Final = "tau_bench.EnvError"
#: LangGraph's ToolNode catches a tool's exception and answers the model with a ToolMessage
#: (status "error") built from TOOL_CALL_ERROR_TEMPLATE "Error: {error}\n Please fix your mistakes."
#: or TOOL_EXECUTION_ERROR_TEMPLATE / TOOL_INVOCATION_ERROR_TEMPLATE ("... Please fix the error and
#: try again.") (libs/prebuilt/langgraph/prebuilt/tool_node.py _handle_tool_error). The tool's own run
#: records the exception (LangChain's on_tool_error); the node around it returns normally with that
#: message in its output.
_TOOLNODE_HANDED_BACK: Final = r"Please fix your mistakes\.|Please fix the error and try again\."
#: Whatever text ``handle_tool_errors`` gives (True: the templates above; a string; a callable's
#: result), ToolNode answers with ``ToolMessage(content=..., status="error")`` (tool_node.py
#: ``_execute_tool_sync`` / ``_execute_tool_async``: "Error is handled - create error ToolMessage"):
#: a tool message marked status "error" in the node's output is the handed-back error, as
#: LangChain serialises it (dumpd kwargs, ``"status": "error"``) or as a plain message dict.
_TOOL_MESSAGE_ERROR: Final = rf"{Q}status{Q}\s*:\s*{Q}error{Q}"
_TOOL_MESSAGE: Final = rf"ToolMessage|{Q}type{Q}\s*:\s*{Q}tool{Q}"


#: The Vercel AI SDK's tool-call span (ai.operationId). Since AI SDK 5 an error thrown by a tool's
#: ``execute`` is not raised out of generateText/streamText: it becomes a ``tool-error`` content part
#: sent to the model as the call's result in the next step ("the AI SDK adds them as tool-error
#: content parts to enable automated LLM roundtrips in multi-step scenarios", docs: tool calling,
#: handling errors; packages/ai/src/generate-text/execute-tool-call.ts). AI SDK 4 threw
#: ToolExecutionError instead and the generation ended: no model call followed.
VERCEL_TOOL_CALL: Final = "ai.toolCall"


#: pydantic-ai's ToolRetryError (pydantic_ai.exceptions; pydantic_ai._output in older releases),
#: bare or module-qualified as OpenTelemetry SDKs write exception.type, or at the start of a status
#: description.
_TOOL_RETRY_TYPE: Final = r"(?:^|[.:])ToolRetryError$"
_TOOL_RETRY_TEXT: Final = r"^\s*(?:[A-Za-z_.]+\.)?ToolRetryError\b"


def _extract() -> list[pl.Expr]:
    et, em = pl.col("error_type"), pl.col("error_message")
    return [
        # OTel exception event: exception.escaped (semantic-conventions exceptions spans).
        json_bool("attributes", r"exception\.escaped", "exception.escaped").alias("_cv_escaped"),
        # Vercel AI SDK: the span of a tool call its generateText/streamText step ran (ai.operationId
        # "ai.toolCall", packages/ai/core/telemetry/assemble-operation-name.ts).
        (json_scalar("attributes", r"ai\.operationId", "ai.toolCall") == VERCEL_TOOL_CALL).fill_null(False).alias("_cv_vercel_tool"),
        # Strands Agents: every tool failure goes back to the model as a ToolResult with status
        # "error" (the @tool wrapper returns it for a caught exception, strands/tools/decorator.py;
        # ToolExecutor._stream builds {"status": "error", "content": [{"text": "Error: ..."}]} for one
        # a tool raised, strands/tools/executors/_executor.py), and end_tool_call_span writes that
        # status on the span as gen_ai.tool.status (tool.status before 1.0; strands/telemetry/tracer.py).
        (json_scalar("attributes", r"(?:gen_ai\.)?tool\.status", "tool.status") == "error")
        .fill_null(False)
        .alias("_cv_tool_status_error"),
        # OpenAI Agents SDK: a function tool's failure_error_function result goes back to the model
        # and the span gets SpanError(message="Error running tool (non-fatal)") (src/agents/tool.py).
        em.str.starts_with("Error running tool (non-fatal)").fill_null(False).alias("_cv_nonfatal"),
        # pydantic-ai: a tool's ModelRetry (or arguments that failed validation) is raised as
        # ToolRetryError out of the 'running tool' span, whose tool_response is the retry prompt
        # (_tool_manager.py: span.set_attribute('tool_response', part.model_response()); raise e);
        # the agent graph catches it and sends the model a RetryPromptPart (_agent_graph.py).
        (
            error_says(_TOOL_RETRY_TYPE, _TOOL_RETRY_TEXT)
            | pl.col("output").str.contains(REPROMPT, literal=True).fill_null(False)
        ).alias("_cv_tool_retry"),
        pl.coalesce(
            pl.when(et.is_not_null()).then(et).str.extract(_AGENT_ERROR, 1),
            pl.when(em.is_not_null()).then(em).str.extract(_AGENT_ERROR, 1),
        ).alias("_cv_agent_error"),
        error_says(_STEP_LIMIT).alias("_cv_step_limit"),
        error_says(_BUDGET_STOP).alias("_cv_budget_stop"),
        *step_recovery_exprs(),
        # A shell tool's command line (Claude Code Bash, OpenHands CmdRunAction, any {"command": ...}).
        pl.when(pl.col("status") == "error")
        .then(where_contains("input", '"command"'))
        .str.json_path_match("$.command")
        .alias("_cv_shell_command"),
        json_scalar("attributes", r"smolagents\.max_steps", "smolagents.max_steps")
        .cast(pl.Int64, strict=False)
        .alias("_cv_max_steps"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    # A shell command that answered with exit status 1 (grep found nothing) did not fail, nor did
    # a lookup its tool read as "not found", nor a retried create that found its object there, nor
    # a framework raising its own control flow (a workflow's stop, a handoff to the parent graph).
    answered = exit_code_answer(df) | not_found_answer(df) | already_exists_answer(df) | control_flow_signal()
    df = df.with_columns((pl.col("failed") & ~answered).alias("failed"))
    df = unknown_tool(recovered_steps(tool_said_failed(df)))
    failed = pl.col("failed")
    # exception.escaped=false is NOT evidence of handling: the Python SDK's record_exception()
    # defaults to escaped=False and instrumentations call it before re-raising; only the span's
    # own context manager writes escaped=True. So escaped=true overrides, escaped=false says nothing.
    escaped = (pl.col("_cv_escaped") == True).fill_null(False)  # noqa: E712
    handled = (
        pl.col("_cv_nonfatal")
        | ((pl.col("kind") == "tool") & pl.col("output").str.starts_with(_ANY_AGENT_HANDED_BACK).fill_null(False))
        | ((pl.col("kind") == "tool") & pl.col("_cv_tool_status_error"))
        | pl.col("_cv_agent_error").is_in(list(_HANDLED_AGENT_ERRORS))
        | (pl.col("error_type").str.contains(_SMOL_BARE_ERROR) & pl.col("name").str.contains(SMOL_STEP))
        | pl.col("_cv_said_failed")
        # OpenHands: an ErrorObservation is the observation the agent reads next (the controller
        # turns the action's exception into it: openhands/controller/agent_controller.py).
        | (pl.col("error_type") == "ErrorObservation")
        # tau-bench: the environment's "Error: ..." answer is the observation the agent appends as
        # the call's result (forensics.loaders.chat_messages TAU_BENCH_ERRORS).
        | (pl.col("error_type") == TAU_BENCH_ERROR_TYPE)
        # Claude Code: a tool_result with is_error is the tool's result given to the model, the Task
        # tool's too (a handoff span: "Agent type '<x>' not found. Available agents: ...").
        | ((pl.col("source_format") == "claude-code") & pl.col("kind").is_in(["tool", "handoff"]))
    )
    # A tool's ModelRetry escapes its span by design (pydantic-ai raises it through the 'running tool'
    # span to the agent graph, which hands it to the model as a retry prompt): handled, escaped or not.
    # Only where a model call followed it under the same agent run: the retry prompt goes out with
    # the next model request. At the tool's last retry pydantic-ai raises UnexpectedModelBehavior
    # ("Tool 'x' exceeded max retries count of n", _tool_manager.py) and no request follows: that
    # failure went up, it was not handed back.
    retry_prompted = (pl.col("kind") == "tool") & pl.col("_cv_tool_retry") & pl.col("span_k").is_in(_read_by_a_later_model_call(df))
    # A Vercel AI SDK tool call whose generation went on to another model call: its error went to
    # the model as a tool-error part (VERCEL_TOOL_CALL), handed back as a result.
    retry_prompted = retry_prompted | (
        (pl.col("kind") == "tool") & pl.col("_cv_vercel_tool") & pl.col("span_k").is_in(_read_by_a_later_model_call(df, "_cv_vercel_tool"))
    )
    df = df.with_columns(
        (failed & ((handled.fill_null(False) & ~escaped) | retry_prompted)).alias("error_handled"),
        escaped.alias("error_escaped"),
        pl.col("_cv_agent_error").alias("agent_error"),
        pl.col("_cv_step_limit").alias("step_limit"),
        pl.col("_cv_budget_stop").alias("budget_stop"),
        # A limit that stopped the work on purpose: runaway_cost judges the spending, not
        # missing_fallback (there is no fallback for "you may not spend more").
        (pl.col("_cv_step_limit") | pl.col("_cv_budget_stop")).alias("limit_stop"),
        # An event (no call of its own) telling that the agent stopped on its model call's error.
        (failed & (pl.col("kind") == "event") & pl.col("error_message").str.contains(_MODEL_CALL_STOP))
        .fill_null(False)
        .alias("model_call_stop"),
    ).drop("_cv_said_failed")
    return _handed_back_by_react(_handed_back_by_tool_node(handled_steps(df, escaped), escaped), escaped)


def _read_by_a_later_model_call(df: pl.DataFrame, mask: str = "_cv_tool_retry") -> pl.Series:
    """``span_k`` of the tool calls ``mask`` marks (pydantic-ai's tool retries, ``_cv_tool_retry``;
    Vercel AI SDK tool calls) with a model call after them under the same parent (the agent run or
    generation whose next request carries the error)."""
    retries = df.filter((pl.col("kind") == "tool") & pl.col(mask).fill_null(False) & pl.col("failed")).select("span_k", "parent_k", "seq")
    if retries.height == 0:
        return pl.Series("span_k", [], dtype=df.schema["span_k"]).implode()
    last_llm = (
        df.filter((pl.col("kind") == "llm") & pl.col("parent_k").is_in(retries.get_column("parent_k").implode()))
        .group_by("parent_k")
        .agg(pl.col("seq").max().alias("_last_llm"))
    )
    read = retries.join(last_llm, on="parent_k").filter(pl.col("seq") < pl.col("_last_llm"))
    return read.get_column("span_k").implode()


#: DSPy's ReAct module span as the OpenInference DSPy instrumentor names it (_ModuleForwardWrapper:
#: ``instance.__class__.__name__ + ".forward"``).
_DSPY_REACT: Final = r"^ReAct\.forward$"


def _handed_back_by_react(df: pl.DataFrame, escaped: pl.Expr) -> pl.DataFrame:
    """A failed tool span under a DSPy ``ReAct.forward`` that returned normally: ReAct.forward
    (stanfordnlp/dspy dspy/predict/react.py) calls the tool in ``try`` and, on any exception, stores
    ``"Execution error in {tool}: ..."`` as the step's observation, which the next prediction reads."""
    react = (pl.col("kind") == "chain") & ~pl.col("failed") & pl.col("name").str.contains(_DSPY_REACT).fill_null(False)
    spans = df.filter(react).get_column("span_k").implode()
    under = (pl.col("kind") == "tool") & pl.col("failed") & ~escaped & pl.col("parent_k").is_in(spans)
    return df.with_columns((pl.col("error_handled") | under).alias("error_handled"))


def _handed_back_by_tool_node(df: pl.DataFrame, escaped: pl.Expr) -> pl.DataFrame:
    """A failed tool span under a node that returned normally with ToolNode's error message in its
    output: the node caught the exception and gave it to the model (``_TOOLNODE_HANDED_BACK``, or
    any text in a tool message marked status "error": a custom ``handle_tool_errors``)."""
    node = (pl.col("kind") == "chain") & ~pl.col("failed")
    said = pl.col("output").str.contains("Please fix", literal=True) | pl.col("output").str.contains('error', literal=True)
    nodes = df.filter(node & said.fill_null(False)).filter(
        pl.col("output").str.contains(_TOOLNODE_HANDED_BACK)
        | (pl.col("output").str.contains(_TOOL_MESSAGE_ERROR) & pl.col("output").str.contains(_TOOL_MESSAGE))
    )
    if nodes.height == 0:
        return df
    under = (pl.col("kind") == "tool") & pl.col("failed") & ~escaped & pl.col("parent_k").is_in(nodes.get_column("span_k").implode())
    return df.with_columns((pl.col("error_handled") | under).alias("error_handled"))


def _runs(df: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    hit = (
        df.lazy()
        .filter(pl.col("step_limit"))
        .group_by("run_key")
        .agg(pl.col("span_id").first().alias("step_limit_span_id"))
    )
    return (
        runs.lazy()
        .join(hit, on="run_key", how="left")
        .join(max_steps_reached(df), on="run_key", how="left")
        .with_columns(pl.coalesce("step_limit_span_id", "_max_steps_id").alias("step_limit_span_id"))
        .drop("_max_steps_id")
        .with_columns(pl.col("step_limit_span_id").is_not_null().alias("step_limit_hit"))
        .collect()
    )


register(
    Convention(
        name="handled_exceptions",
        signals=(
            Signal(
                "exception.escaped = true on the exception event (false is the SDK default, not evidence of handling)",
                "OpenTelemetry",
                "semantic-conventions docs/exceptions/exceptions-spans.md; opentelemetry-python sdk/trace/__init__.py (record_exception escaped=False default)",
                "error_escaped (never error_handled)",
            ),
            Signal(
                "a failed ai.toolCall span (ai.operationId) with a later model call under the same generateText/streamText span",
                "Vercel AI SDK 5 (tool-error content parts)",
                "AI SDK docs, tool calling / handling errors ('adds them as tool-error content parts'); packages/ai/src/generate-text/execute-tool-call.ts",
                "error_handled",
            ),
            Signal(
                'function span error "Error running tool (non-fatal)"',
                "OpenAI Agents SDK",
                "src/agents/tool.py (function_tool: failure_error_function + _error_tracing.attach_error_to_current_span)",
                "error_handled",
            ),
            Signal(
                "gen_ai.tool.status (tool.status before 1.0) 'error' on an execute_tool span",
                "Strands Agents",
                "strands/tools/decorator.py (@tool returns status 'error'); strands/tools/executors/_executor.py "
                "(ToolExecutor._stream: a raised tool's error ToolResult); strands/telemetry/tracer.py (end_tool_call_span)",
                "error_handled (the error is the tool's result, given to the model)",
            ),
            Signal(
                "AgentParsingError / AgentExecutionError / AgentToolCallError / AgentToolExecutionError stored on the step",
                "smolagents",
                "src/smolagents/utils.py (AgentError family), src/smolagents/agents.py (_run_stream: action_step.error)",
                "error_handled, agent_error",
            ),
            Signal(
                "agent.step_recovery event (severity: expected, status OK) or a handled AgentError on a `Step N` span; a failed tool span under it",
                "smolagents (OpenInference instrumentation)",
                "openinference-instrumentation-smolagents src/openinference/instrumentation/smolagents/_wrappers.py (_record_step_error, _StepWrapper); src/smolagents/agents.py (_run_stream: action_step.error)",
                "failed and error_handled on the step (a step_recovery event: error_type / agent_error its type, e.g. AgentToolExecutionError 'Unknown tool X, should be one of: ...': unknown_tool X) and error_handled on its failed tool spans",
            ),
            Signal(
                "a failed tool span under a `Step N` span that ended OK, the step's execution logs holding the start of the "
                "error's message (the model's code caught it and printed it: try/except with print(e)), a model call of the run "
                "after it outside that step",
                "smolagents CodeAgent (OpenInference instrumentation)",
                "src/smolagents/agents.py (CodeAgent._step_stream: the executor's printed logs as the step's observations, read "
                "by the next step's model call); openinference-instrumentation-smolagents _wrappers.py (_ToolCallWrapper: the "
                "tool span records the exception, status ERROR)",
                "error_handled on the tool span (smol_steps.caught_by_code; not when final_answer ran in the same code)",
            ),
            Signal(
                'tool span OK whose result is its own failure text: "The request timed out. Please try again later or check the URL." alone, or starting "Error fetching the webpage: ", "An unexpected error occurred: ", "Error fetching Wikipedia summary: "',
                "smolagents (VisitWebpageTool, WikipediaSearchTool)",
                "src/smolagents/default_tools.py (VisitWebpageTool.forward, WikipediaSearchTool.forward return the caught error as the result)",
                "failed, error_handled (the call failed; the agent showed its error to the model)",
            ),
            Signal(
                'tool span OK whose result is CrewAI\'s own sentence for a tool that raised: starting "I encountered an error while trying to use the tool. '
                'This was the error: " (earlier "It seems we encountered an unexpected error while trying to use the tool. This was the error: ")',
                "CrewAI (ToolUsage)",
                "crewAIInc/crewAI src/crewai/translations/en.json (tool_usage_exception); src/crewai/tools/tool_usage.py (the exception's text returned as the result)",
                "failed, error_handled (the call failed; the agent showed its error to the model)",
            ),
            Signal(
                "a step's error \"Unknown tool X, should be one of: ...\" (execute_tool_call), or a CodeAgent step's \"Forbidden function evaluation: 'X' is not among the explicitly allowed tools ...\" (InterpreterError)",
                "smolagents",
                "src/smolagents/agents.py (execute_tool_call: AgentToolExecutionError); src/smolagents/local_python_executor.py (evaluate_call: InterpreterError)",
                "unknown_tool X (delegated_to_unknown_agent: X called with a managed agent's task argument)",
            ),
            Signal(
                "AgentGenerationError raised to the caller",
                "smolagents",
                "src/smolagents/agents.py (_run_stream re-raises AgentGenerationError)",
                "agent_error (not handled)",
            ),
            Signal(
                'tool span status ERROR whose output starts "Error calling tool:"',
                "any-agent",
                "src/any_agent/tools/wrappers.py (_wrap_no_exception returns the text), src/any_agent/callbacks/span_generation/base.py (_determine_tool_status)",
                "error_handled",
            ),
            Signal(
                'failed tool span under a node that returned normally with "... Please fix your mistakes." / "Please fix the error and try again." in its output, or a tool message with status "error" (any handle_tool_errors text)',
                "LangGraph prebuilt ToolNode",
                "libs/prebuilt/langgraph/prebuilt/tool_node.py (TOOL_CALL_ERROR_TEMPLATE, TOOL_EXECUTION_ERROR_TEMPLATE, _handle_tool_error; _execute_tool_sync/_async: ToolMessage(content, status=\"error\"))",
                "error_handled",
            ),
            Signal(
                "tool span failed with ToolRetryError (a tool's ModelRetry or arguments that failed validation), or whose tool_response ends 'Fix the errors and try again.', with a model call after it under the same agent run (none after the last retry: UnexpectedModelBehavior went up)",
                "pydantic-ai",
                "pydantic_ai/_tool_manager.py ('running tool' span: tool_response = part.model_response(); raise ToolRetryError), _agent_graph.py (RetryPromptPart to the model), messages.py (RetryPromptPart.model_response)",
                "error_handled (even with exception.escaped=true: the agent graph catches it)",
            ),
            Signal(
                "ErrorObservation",
                "OpenHands",
                "openhands/events/observation/error.py, openhands/controller/agent_controller.py",
                "error_handled",
            ),
            Signal(
                "a tool result whose text is the environment's error answer (\"Error: ...\", \"Unknown action ...\") in a results file",
                "tau-bench",
                "sierra-research/tau-bench tau_bench/envs/base.py (Env.step: observation = f\"Error: {e}\"; "
                "f\"Unknown action {action.name}\"), tau_bench/envs/retail/tools/get_user_details.py (\"Error: user not found\"), "
                "tau_bench/agents/tool_calling_agent.py (the observation as the role=tool content)",
                "status error, error_type tau_bench.EnvError (forensics/loaders/chat_messages.py TAU_BENCH_ERRORS); error_handled",
            ),
            Signal(
                "tool_result is_error: true",
                "Claude Code",
                "session JSONL (tool_result content blocks)",
                "error_handled",
            ),
            Signal(
                "a shell command (input {\"command\": ...}) whose last program is grep/rg/ag/ack, diff/cmp, test/[ or find, recorded failed with nothing but exit code 1",
                "Claude Code Bash tool; any shell tool",
                "Claude Code BashTool commandSemantics.ts (interpretCommandResult: grep 1 'No matches found', diff 1 'Files differ', test 1 'Condition is false', isError false)",
                "failed=false (the command answered)",
            ),
            Signal(
                "HTTP client span of a read (not POST, PUT or PATCH) answered 404 / 410 (status Error: every 4xx on a client span) inside a tool call that returned normally",
                "OpenTelemetry HTTP semantic conventions (httpx, requests, urllib3 instrumentations)",
                "semantic-conventions docs/http/http-spans.md (Status: 4xx SHOULD be Error for SpanKind.CLIENT); open-telemetry/opentelemetry-js-contrib plugins/node/instrumentation-undici/src/undici.ts (onResponseHeaders: ERROR at 400 and up); RFC 9110 section 9.3 (a POST, PUT or PATCH answered 404 / 410 did not land: stays failed, tests/conventions/test_write_not_found.py)",
                "failed=false (the tool read the answer: not found)",
            ),
            Signal(
                'HTTP client span answered 409 "already exists" (Status reason AlreadyExists) inside a tool call that returned normally, retrying the same call (same tool, same arguments) after it failed',
                "Kubernetes API clients; any create API that answers 409 already exists",
                "k8s.io/apimachinery pkg/api/errors (NewAlreadyExists: 409, reason AlreadyExists; IsAlreadyExists); semantic-conventions docs/http/http-spans.md (4xx on a client span is Error)",
                "failed=false (the earlier attempt's create had landed: the retry found the object)",
            ),
            Signal(
                "a span failed with WorkflowDone (the Workflow._done step's stop signal)",
                "LlamaIndex workflows (OpenInference LlamaIndex instrumentation)",
                "llama_index/core/workflow/workflow.py (_done: raise WorkflowDone; the step worker catches it), openinference-instrumentation-llama-index _handler.py (prepare_to_drop_span -> _Span.end(err): status ERROR)",
                "failed=false (the workflow reached its StopEvent)",
            ),
            Signal(
                "a span (not a root) failed with ParentCommand: Command(graph=Command.PARENT, goto=...) from a handoff tool, reported through on_chain_error",
                "LangGraph (langgraph-supervisor, langgraph-swarm handoffs) via LangChain callbacks (Langfuse, LangSmith, OpenInference)",
                "langgraph/errors.py (ParentCommand, a GraphBubbleUp); langgraph-supervisor handoff.py (Command(goto=agent, graph=Command.PARENT)); langfuse#5035; langfuse langchain CallbackHandler CONTROL_FLOW_EXCEPTION_TYPES",
                "failed=false (the handoff to the parent graph's agent)",
            ),
            Signal(
                'BudgetExceededError "Budget has been exceeded!" (type budget_exceeded)',
                "LiteLLM proxy",
                "litellm/exceptions.py (BudgetExceededError), litellm/proxy/auth/auth_checks.py",
                "budget_stop, limit_stop",
            ),
            Signal(
                "UsageLimitExceeded (\"The next request would exceed the request_limit of n\", \"Exceeded the input_tokens_limit of n\")",
                "pydantic-ai (UsageLimits)",
                "pydantic_ai_slim/pydantic_ai/usage.py (UsageLimits.check_before_request, check_tokens); pydantic_ai/exceptions.py (UsageLimitExceeded)",
                "budget_stop, limit_stop",
            ),
            Signal(
                '"Agent reached maximum budget ..." (agent_state_changed to error, extras.reason)',
                "OpenHands",
                "openhands/controller/agent_controller.py (_handle_traffic_control: max_budget_per_task)",
                "budget_stop, limit_stop",
            ),
            Signal(
                "agent_state_changed to error whose reason is a model client error (RateLimitError, APIConnectionError, APIError, InternalServerError, ServiceUnavailableError, Timeout, LLMNoResponseError)",
                "OpenHands",
                "openhands/controller/agent_controller.py (_react_to_exception: last_error, set_agent_state_to(ERROR)); openhands/llm/llm.py (LLM_RETRY_EXCEPTIONS)",
                "model_call_stop",
            ),
            Signal(
                "AgentMaxStepsError / GraphRecursionError / MaxTurnsExceeded",
                "smolagents / LangGraph / OpenAI Agents SDK",
                "src/smolagents/agents.py (_handle_max_steps_reached); langgraph/errors.py; src/agents/exceptions.py",
                "step_limit, runs.step_limit_hit",
            ),
            Signal(
                "`<Agent>.run` span whose last child is a model call after its `Step N` spans, the last step being the smolagents.max_steps-th (when written)",
                "smolagents (OpenInference instrumentation)",
                "src/smolagents/agents.py (_handle_max_steps_reached -> provide_final_answer calls the model; AgentMaxStepsError only on the memory step); openinference-instrumentation-smolagents _wrappers.py (_RunWrapper: smolagents.max_steps)",
                "runs.step_limit_hit, runs.step_limit_span_id (the final model call)",
            ),
        ),
        extract=_extract,
        status=_status,
        runs=_runs,
        columns={
            "error_handled": "a failed span whose error the framework caught and handed back (to the model) as a result",
            "error_escaped": "the exception event says the exception escaped the span (exception.escaped=true)",
            "unknown_tool": "the name a smolagents step called that is none of the agent's tools or managed agents (its 'Unknown tool X, should be one of: ...' error; a CodeAgent's \"Forbidden function evaluation: 'X' is not among the explicitly allowed tools\"), else null",
            "agent_error": "the agent framework's error class (smolagents AgentError family, GraphRecursionError, MaxTurnsExceeded)",
            "step_limit": "the span says the agent hit its step / turn / recursion limit",
            "budget_stop": "the call was refused because a spending limit was exceeded (LiteLLM BudgetExceededError, pydantic-ai UsageLimitExceeded)",
            "limit_stop": "a step, turn, recursion or budget limit stopped the work (step_limit or budget_stop)",
            "model_call_stop": "an event saying the agent was stopped by its model call's error, its client's resends spent (OpenHands agent_state error)",
        },
        run_columns={
            "step_limit_hit": "the run hit a step, turn or recursion limit (a span says so, or a smolagents run's shape shows it)",
            "step_limit_span_id": "the first span saying so; else the model call smolagents makes at its step limit",
        },
    )
)
