"""smolagents steps and tools as the OpenInference instrumentation traces them: which of them
failed though their span says OK, which failures the agent handed back to the model, the name a
step called that the agent does not have, and the shape of a run that used up its steps. Read by
the handled-exceptions convention (:mod:`forensics.conventions.exceptions`), which registers the
signals and the columns.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q, where_contains

#: OpenInference smolagents instrumentation (openinference-instrumentation-smolagents
#: src/openinference/instrumentation/smolagents/_wrappers.py): ``_StepWrapper`` names each step span
#: ``Step N``; ``_record_step_error`` records AgentToolCallError / AgentToolExecutionError as an
#: ``agent.step_recovery`` event (its type, message, ``severity: expected``) with status OK, any
#: other step error as an ``exception`` event with status ERROR. ``_RunWrapper`` names the run span
#: ``<AgentClass>.run`` and writes ``smolagents.max_steps``.
SMOL_STEP: Final = r"^Step (\d+)$"

#: A model message that is a code action: smolagents' CodeAgent answers each step with "Thought: ...",
#: then its code as ``<code>...</code>`` (or, before 1.17, "Code:" and a fenced ``py`` block), which
#: the agent runs (huggingface/smolagents ``src/smolagents/agents.py`` CodeAgent._step_stream:
#: parse_code_blobs, then ``self.python_executor(code_action)``; prompts/code_agent.yaml). The thought
#: is the model's note to itself on the way to the code: nobody but the executor reads it, and the
#: user sees the run's final answer only. A fault it names ("The Xero API is returning errors. The
#: invoice is most likely settled, so I will resolve the task") was not told to anyone.
CODE_ACTION: Final = r"(?s)Thought:.*?(?:<code>|Code:\s*(?:\\n|\n)?\s*```)"

#: smolagents' own tools catch their failure and return its text as their result, which the agent
#: gives the model as the step's observation (src/smolagents/default_tools.py): VisitWebpageTool.forward
#: returns "The request timed out. Please try again later or check the URL." (requests' Timeout),
#: f"Error fetching the webpage: {e}" (any other RequestException: an HTTP error status, a refused
#: connection) and f"An unexpected error occurred: {e}"; WikipediaSearchTool.forward returns
#: f"Error fetching Wikipedia summary: {e}". The tool returned normally, so the OpenInference tool
#: span is OK; the call failed all the same, and its error went to the model. The whole result is
#: the message (its start): a page that quotes such words is a page.
_SMOL_TOOL_SAID_FAILED: Final = (
    r"^\s*(?:The request timed out\. Please try again later or check the URL\.\s*$"
    r"|Error fetching the webpage: |An unexpected error occurred: |Error fetching Wikipedia summary: )"
)
#: CrewAI's own sentence for a tool that raised: ToolUsage catches the exception and hands the agent
#: this text as the call's result, so the tool span ends OK (crewAI src/crewai/translations/en.json
#: "tool_usage_exception": "I encountered an error while trying to use the tool. This was the error:
#: {error}.\n Tool {tool} accepts these inputs: {tool_inputs}"; earlier releases "It seems we
#: encountered an unexpected error while trying to use the tool. This was the error: {error}"; the
#: agent's next model call reads it as the observation, crewai/agents/crew_agent_executor.py). The
#: same reading as smolagents' own tools: failed, handed back to the model. At the start only.
_CREWAI_TOOL_SAID_FAILED: Final = (
    r"^\s*(?:I|It seems we) encountered an (?:unexpected )?error while trying to use the tool\. This was the error: "
)
#: smolagents' ``execute_tool_call`` refusing a name that is none of the agent's tools and managed
#: agents: AgentToolExecutionError(f"Unknown tool {tool_name}, should be one of: {', '.join(...)}.")
#: (src/smolagents/agents.py; earlier releases: "Unknown tool {name}, should be instead one of [...]").
#: A CodeAgent's code calling such a name is refused by the local executor: InterpreterError(
#: f"Forbidden function evaluation: '{call.func.id}' is not among the explicitly allowed tools or
#: defined/imported in the preceding code") (src/smolagents/local_python_executor.py evaluate_call),
#: inside the step's AgentExecutionError "Code execution failed at line ... due to: InterpreterError: ...".
#: A span's status description may carry the class name first, as an OpenTelemetry status set from
#: the exception reads ("AgentToolExecutionError: Unknown tool X, ..."; the event's
#: exception.message has the text alone).
_UNKNOWN_TOOL: Final = r"^(?:(?:[A-Za-z_][\w]*\.)*Agent[A-Za-z]*Error:\s*)?Unknown tool ([^\s,]+), should be (?:instead )?one of\b"
_FORBIDDEN_CALL: Final = r"Forbidden function evaluation: '([A-Za-z_][A-Za-z0-9_]*)' is not among the explicitly allowed tools"
_STEP_RECOVERY: Final = rf"{Q}name{Q}\s*:\s*{Q}agent\.step_recovery{Q}"
#: The event's attributes are the error's ``AgentError.dict()`` (src/smolagents/utils.py:
#: ``{"type": <class name>, "message": <text>}``) plus ``severity: expected``: the first type and
#: message after the event's name are its own (the type is one of smolagents' error classes).
_RECOVERY_TYPE: Final = rf"(?s){_STEP_RECOVERY}.*?{Q}type{Q}\s*:\s*{Q}(Agent[A-Za-z]*Error){Q}"
_RECOVERY_MESSAGE: Final = rf'(?s){_STEP_RECOVERY}.*?{Q}message{Q}\s*:\s*"((?:[^"\\]|\\.)*)"'


def step_recovery_exprs() -> list[pl.Expr]:
    """The ``agent.step_recovery`` event on a span, its type and its message (decoded from the JSON
    string it was written as: quotes, newlines), for the handled-exceptions convention's extract."""
    recovery = where_contains("attributes", "agent.step_recovery")
    return [
        recovery.str.contains(_STEP_RECOVERY).fill_null(False).alias("_cv_step_recovery"),
        recovery.str.extract(_RECOVERY_TYPE, 1).alias("_cv_recovery_type"),
        pl.concat_str(pl.lit('"'), recovery.str.extract(_RECOVERY_MESSAGE, 1), pl.lit('"'))
        .str.json_decode(pl.String)
        .alias("_cv_recovery_message"),
    ]


def unknown_tool(df: pl.DataFrame) -> pl.DataFrame:
    """``unknown_tool``: the name a failed span's error says the agent does not have
    (``_UNKNOWN_TOOL``, ``_FORBIDDEN_CALL``)."""
    said = pl.when(pl.col("failed")).then(pl.col("error_message"))
    return df.with_columns(
        pl.coalesce(said.str.extract(_UNKNOWN_TOOL, 1), said.str.extract(_FORBIDDEN_CALL, 1)).alias("unknown_tool")
    )


def tool_said_failed(df: pl.DataFrame) -> pl.DataFrame:
    """A smolagents or CrewAI tool call whose result is its own failure message (``_SMOL_TOOL_SAID_FAILED``,
    ``_CREWAI_TOOL_SAID_FAILED``):
    failed, handed back to the model (the agent shows it as the observation), the message as its
    error. A result the error-shape rules read already (``ERROR_SHAPED``: "Error fetching the
    webpage: 429 Client Error: Too Many Requests ...") stays theirs, an error-shaped result with
    status OK (error_as_data, the loop rules): one failure, one reading."""
    from forensics.detectors.base import ERROR_SHAPED  # (detectors import the conventions)

    said = (
        (pl.col("kind") == "tool")
        & ~pl.col("failed")
        & pl.col("output").str.contains(f"(?:{_SMOL_TOOL_SAID_FAILED})|(?:{_CREWAI_TOOL_SAID_FAILED})").fill_null(False)
    )
    said = said & ~pl.when(said).then(pl.col("output")).str.contains(ERROR_SHAPED).fill_null(False)
    if not df.select(said.any()).item():
        return df.with_columns(pl.lit(False).alias("_cv_said_failed"))
    return df.with_columns(
        (pl.col("failed") | said).alias("failed"),
        pl.when(said).then(pl.coalesce("error_message", pl.col("output").str.slice(0, 300))).otherwise("error_message").alias("error_message"),
        said.alias("_cv_said_failed"),
    )


def recovered_steps(df: pl.DataFrame) -> pl.DataFrame:
    """A smolagents step whose action failed with AgentToolCallError or AgentToolExecutionError
    (a tool call with bad arguments, a tool that raised, a tool or managed agent the model named
    that does not exist: ``execute_tool_call`` raises "Unknown tool X, should be one of: ..."),
    failed, and the agent handed the error to the model: ``_run_stream`` stores it on the memory
    step (src/smolagents/agents.py), and the OpenInference instrumentation records it as the
    ``agent.step_recovery`` event and sets the step span's status OK (``_record_step_error``,
    openinference-instrumentation-smolagents _wrappers.py). The step is then what a step that
    raised any other AgentError is: failed, handled, with the event's type and message as its
    error. Whether the failure was recovered is for the rules that read what came after it."""
    recovered = (
        pl.col("_cv_step_recovery") & ~pl.col("failed") & pl.col("name").str.contains(SMOL_STEP)
    ).fill_null(False)
    if not df.select(recovered.any()).item():
        return df
    kind = pl.coalesce("_cv_recovery_type", pl.lit("AgentToolExecutionError"))
    return df.with_columns(
        (pl.col("failed") | recovered).alias("failed"),
        pl.when(recovered).then(pl.coalesce("error_type", kind)).otherwise("error_type").alias("error_type"),
        pl.when(recovered)
        .then(pl.coalesce("error_message", "_cv_recovery_message"))
        .otherwise("error_message")
        .alias("error_message"),
        pl.when(recovered).then(pl.coalesce("error_type", kind)).otherwise("error_label").alias("error_label"),
        pl.when(recovered).then(kind).otherwise("_cv_agent_error").alias("_cv_agent_error"),
    )


def handled_steps(df: pl.DataFrame, escaped: pl.Expr) -> pl.DataFrame:
    """A tool that failed inside a smolagents step the agent handled was handled too.

    In ``MultiStepAgent._run_stream`` (smolagents src/smolagents/agents.py) a tool's exception
    becomes the step's AgentToolExecutionError (or AgentExecutionError, for a CodeAgent's code),
    stored on the step and shown to the model in the next one. The instrumentation writes that on
    the ``Step N`` span (a handled agent error, or the ``agent.step_recovery`` event), not on the
    tool span below it, which only has its own exception: the step's meaning carries down to its
    failed tool spans. Only the handled-or-not meaning changes: the failure stays a failure
    (``succeeded`` false) for the rules that look at what came of it (loops, missing fallbacks).
    """
    step = pl.col("name").str.contains(SMOL_STEP).fill_null(False)
    handled_step = step & (pl.col("error_handled") | pl.col("_cv_step_recovery"))
    steps = df.filter(handled_step).get_column("span_k").implode()
    under = (pl.col("kind") == "tool") & pl.col("failed") & ~escaped & pl.col("parent_k").is_in(steps)
    df = df.with_columns((pl.col("error_handled") | under).alias("error_handled"))
    return df.with_columns((pl.col("error_handled") | pl.col("span_k").is_in(caught_by_code(df, escaped))).alias("error_handled"))


#: An exception's text as ``str(e)`` prints it: its message without the ``Type: `` an exporter puts before it.
_EXCEPTION_TYPE: Final = r"^\s*[A-Za-z_][\w.]*(?:Error|Exception|Exceeded|Timeout|Interrupt)\w*:\s*"
#: How much of the message must be in the step's observations (its start): enough to be that error.
_SHOWN_CHARS: Final = 24


def caught_by_code(df: pl.DataFrame, escaped: pl.Expr) -> pl.Series:
    """``span_k`` of the tool calls a CodeAgent's own code caught and showed to the model.

    A CodeAgent runs the model's code in its executor; a tool called from it that raises fails its
    tool span (openinference-instrumentation-smolagents ``_ToolCallWrapper``: status ERROR, the
    exception recorded), and a ``try: ... except Exception as e: print(..., e)`` around the call keeps
    the step going: the step ends OK and its observations are the printed execution logs
    (``CodeAgent._step_stream``: ``"Execution logs:\\n" + execution_logs``, src/smolagents/agents.py),
    which the next step's model call reads. The error was handed back to the model, by the agent's code
    instead of the framework: the step span ended OK, its output holds the start of the error's message,
    and a later model call of the run, outside that step, read it. Not when the step's code went on to
    ``final_answer`` (no model call after it: nobody read the error) nor when the code printed nothing of
    it (``except: pass``): those stay unhandled."""
    step = pl.col("name").str.contains(SMOL_STEP).fill_null(False) & ~pl.col("failed") & pl.col("output").is_not_null()
    steps = df.filter(step).select(pl.col("span_k").alias("parent_k"), pl.col("output").alias("_obs"))
    shown = (
        pl.col("error_message").str.replace(_EXCEPTION_TYPE, "").str.strip_chars().str.slice(0, _SHOWN_CHARS).alias("_shown")
    )
    failed = (
        df.filter((pl.col("kind") == "tool") & pl.col("failed") & ~escaped & pl.col("error_message").is_not_null())
        .select("span_k", "parent_k", "run_key", "seq", shown)
        .filter(pl.col("_shown").str.len_chars() >= 8)
        .join(steps, on="parent_k")
        .filter(pl.col("_obs").str.contains(pl.col("_shown"), literal=True))
    )
    if failed.height == 0:
        return pl.Series("span_k", [], dtype=df.schema["span_k"]).implode()
    later_calls = df.filter(pl.col("kind") == "llm").select("run_key", pl.col("seq").alias("_l_seq"), pl.col("parent_k").alias("_l_parent"))
    read = (
        failed.join(later_calls, on="run_key")
        .filter((pl.col("_l_seq") > pl.col("seq")) & pl.col("_l_parent").ne_missing(pl.col("parent_k")))
        .get_column("span_k")
        .unique()
    )
    return read.implode()


def max_steps_reached(df: pl.DataFrame) -> pl.LazyFrame:
    """smolagents runs that used up their steps, from the shape of the trace.

    ``AgentMaxStepsError`` is never a span: at the limit ``_run_stream`` calls
    ``_handle_max_steps_reached``, whose ``provide_final_answer`` calls the model directly and
    stores the error on a memory step (smolagents src/smolagents/agents.py). So the ``<Agent>.run``
    span's last child is a model call after its ``Step N`` spans, and the last step is the
    ``smolagents.max_steps``-th (when the run span carries it). A run that ends with its
    final_answer step ends on a step. Per run: the first such final model call.
    """
    lf = df.lazy()
    run_spans = lf.filter((pl.col("kind") == "agent") & pl.col("name").str.ends_with(".run")).select(
        "run_key", pl.col("span_k").alias("parent_k"), pl.col("_cv_max_steps").alias("max_steps")
    )
    step_n = pl.col("name").str.extract(SMOL_STEP, 1).cast(pl.Int64, strict=False)
    last = (
        lf.filter(pl.col("parent_k").is_not_null())
        .select("run_key", "parent_k", "seq", "span_id", "kind", step_n.alias("step_n"))
        .join(run_spans, on=["run_key", "parent_k"])
        .sort("run_key", "seq")
        .group_by("run_key", "parent_k")
        .agg(
            pl.col("kind").last().alias("last_kind"),
            pl.col("span_id").last().alias("last_id"),
            pl.col("seq").last().alias("last_seq"),
            pl.col("step_n").max().alias("steps"),
            pl.col("max_steps").first(),
        )
    )
    return (
        last.filter(
            (pl.col("last_kind") == "llm")
            & pl.col("steps").is_not_null()
            & (pl.col("max_steps").is_null() | (pl.col("steps") >= pl.col("max_steps")))
        )
        .sort("run_key", "last_seq")
        .group_by("run_key")
        .agg(pl.col("last_id").first().alias("_max_steps_id"))
    )
