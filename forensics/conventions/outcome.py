"""The run's outcome from what the run SAYS, and from the verdict the log carries.

* ``says_failure``: the run told its caller that something failed. Its final output (or its root's
  output) is a structured result saying a step failed (``"status": "failed"``/``"partial"``,
  ``"success": false``, a non-empty ``"errors"``/``"failed_steps"`` list, a non-null ``"error"``),
  or its final answer says in words that it could not do the task ("I was unable to...", "I
  couldn't..."). A run that says so did not report success, whatever its status fields say.
* ``declared_verdict``: the run's own verdict where the loader found one (a benchmark reward, an
  evaluator verdict, a task status), written on the root span under ``@outcome`` (contract item 1):
  success, failure or unknown. Rules never read benchmark answers; this is the run's verdict only.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import RARE_ATTRIBUTES, Convention, Q, Signal, register, where_contains

#: A structured result that says a step failed (anywhere in the output, not only at its start).
SAYS_FAILED_STRUCTURED: Final = (
    rf"(?i){Q}(?:status|state|outcome|result){Q}\s*:\s*{Q}"
    r"(?:failed|failure|error|errored|escalated|partial|partial_failure|partially_failed|incomplete|aborted|cancell?ed)"
    rf"{Q}"
    rf"|{Q}(?:success|ok|succeeded|completed){Q}\s*:\s*false"
    rf"|{Q}(?:failed_steps|failures|errors|failed){Q}\s*:\s*\[\s*[^\]\s]"
    rf"|{Q}error{Q}\s*:\s*(?:{Q}[^\"\\]|\{{\s*{Q})"
)
#: A final answer saying in words that the task could not be done (weak: read from prose).
SAYS_FAILED_TEXT: Final = (
    r"(?i)\b(?:i|we)\s+(?:was|were|am|are)\s+(?:unable|not able)\s+to\b"
    # In the past tense the statement is about what happened, whatever the verb ("I couldn't
    # cancel your membership", "we weren't able to issue the refund").
    r"|\b(?:i|we)\s+(?:could\s+not|couldn'?t|wasn'?t\s+able\s+to|weren'?t\s+able\s+to|failed\s+to"
    r"|did\s+not\s+manage\s+to|didn'?t\s+manage\s+to)\s+[a-z]+"
    # "I can't ..." is a statement of failure only for the work itself ("I can't access the order
    # system"), not a manner of speaking ("I can't recommend it enough").
    r"|\b(?:i|we)\s+(?:cannot|can'?t)\s+"
    # "I can't help with that": the app's answer to a request its model was not allowed to answer
    # (conventions.content_filter).
    r"(?:help|assist|complete|finish|do|perform|process|send|create|find|access|retrieve|get|fetch|book|update|delete|run|execute|reach|connect"
    r"|cancel|change|issue|refund|place|submit|schedule|charge|pay|transfer|modify|remove|add|open|load|read|save|upload"
    r"|verify|confirm|reset|locate|look\s+up|see|check)"
    r"|\bunfortunately\b[^.!?\n]{0,80}\b(?:failed|error|unable|not\s+(?:able|possible|available))"
    # The task itself, whoever the subject, not done: "the transfer could not be completed", "your
    # order couldn't complete", "the payment was unable to go through". The verb is the work's own
    # (complete, process, go through ...), not a finding: "the figure could not be verified" is a
    # research answer's caveat (SAYS_FAILED_VERDICT reads that only as the answer's opening).
    r"|\b(?:could\s+not|couldn'?t|cannot|can'?t)\s+be\s+(?:completed|processed|finished|fulfilled|carried\s+out"
    r"|executed|submitted|placed|sent|delivered)\b"
    r"|\b(?:could\s+not|couldn'?t|(?:was|were)\s+unable\s+to|(?:was|were)n'?t\s+able\s+to)\s+(?:be\s+)?"
    r"(?:complete|completed|finish|finished|process|processed|go\s+through|be\s+completed)\b"
    # The user's own request turned down by the party that answers it, in the passive: "your card
    # was declined" (Stripe's card_declined, HTTP 402: the decline is final and the customer is to
    # be told, docs.stripe.com/declines), "the transfer was rejected", "your booking was refused".
    # Only when the subject is the request (card, payment, order, ...): "the intruder's login was
    # denied" is a success. A push git refused ("! [rejected] main -> main (non-fast-forward)",
    # git transport.c print_one_push_status) told as "the push was rejected" is the same.
    r"|\b(?:card|payment|charge|transaction|transfer|order|booking|reservation|request|application|refund|withdrawal|push)"
    r"\b(?:\s+[\w#.-]+){0,3}?\s+(?:was|were|has\s+been|have\s+been|got)\s+(?:declined|rejected|denied|refused)\b"
)
#: An answer that opens with an impersonal verdict of failure: GAIA-style research agents answer
#: "Unable to determine: ..." or "Could not be determined: ..." (smolagents' final_answer returns the
#: string as the agent run's output, the root's). Only at the very start: mid-answer, "the figure
#: could not be verified by the council, but its table lists 412" is a sourced answer, not a failure.
SAYS_FAILED_VERDICT: Final = (
    r"(?i)^\W*(?:unable|not\s+able)\s+to\s+[a-z]+"
    r"|^\W*(?:could\s+not|couldn'?t|cannot|can'?t)\s+be\s+(?:determined|found|verified|confirmed|computed|established"
    r"|answered|completed|located|retrieved|identified)\b"
    # LangChain's AgentExecutor, out of iterations or time with early_stopping_method="force"
    # (its default), returns the agent's stopped response as the answer: AgentFinish({"output":
    # "Agent stopped due to iteration limit or time limit."}) (langchain/agents/agent.py,
    # return_stopped_response; "Agent stopped due to max iterations." in older releases), the
    # chain's output dict exported as is ({"output": "Agent stopped ..."}).
    r"|^\W*(?:output\W+)?agent\s+stopped\s+due\s+to\s+(?:iteration|time|max(?:imum)?)\b"
)
_VERDICT: Final = rf"{Q}@outcome{Q}\s*:\s*\{{[^}}]*?{Q}verdict{Q}\s*:\s*{Q}(success|failure|unknown){Q}"


#: Tool definitions handed to the model: OpenAI Chat Completions ``tools`` ([{"type": "function",
#: "function": {"name": ...}}]), OpenTelemetry GenAI ``gen_ai.tool.definitions``, the OpenAI Agents
#: SDK's AgentSpanData ``tools`` (a list of names); smolagents' ``<Agent>.run`` span's
#: ``smolagents.tools_names`` = ``list(agent.tools.keys())`` (openinference-instrumentation-smolagents
#: _wrappers.py, _smolagent_run_attributes): a CodeAgent calls its tools from its code, so a tool the
#: code never reached has no span, and the run span is where the agent's tools are named. An exporter
#: that writes attributes as strings (the ClickHouse exporter's Map(String, String)) quotes the list.
_TOOL_DEFS: Final = ['"tools"', '\\"tools\\"', "gen_ai.tool.definitions", '"functions"', 'tools_names"', 'tools_names\\"']
_DEF_NAME: Final = rf"{Q}name{Q}\s*:\s*{Q}([A-Za-z_][A-Za-z0-9_.:-]*){Q}"
_NAME_LIST: Final = (
    rf"{Q}(?:tools|smolagents\.tools_names){Q}\s*:\s*(?:{Q})?\[((?:\s*{Q}[A-Za-z_][A-Za-z0-9_.:-]*{Q}\s*,?)+)\]"
)
_QUOTED: Final = rf"{Q}([A-Za-z_][A-Za-z0-9_.:-]*){Q}"
#: A tool named in a system prompt ("Tools: get_invoice_status, send_invoice."): snake_case names.
_SNAKE: Final = r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"
#: The agents a smolagents manager can give tasks to: OpenInference's smolagents _RunWrapper
#: flattens ``agent.managed_agents`` onto the run span as ``smolagents.managed_agents.<i>.name``
#: (openinference-instrumentation-smolagents _wrappers.py, _get_agent_attributes).
_MANAGED_NAME: Final = rf"{Q}smolagents\.managed_agents\.\d+\.name{Q}\s*:\s*{Q}([A-Za-z_][A-Za-z0-9_.-]*){Q}"


def _extract() -> list[pl.Expr]:
    attrs = pl.col("attributes")
    # Aho-Corasick over needles that start with a quote (the commonest byte in JSON) reads every
    # byte slowly (~1 s at 600k spans); each needle holds one of these words, which a literal scan
    # finds at memory speed, so only the spans naming one are searched for the needles.
    # The words are rare needles (registry.RARE_ATTRIBUTE_NEEDLES): read in the spans holding one.
    maybe = pl.any_horizontal(
        pl.col(RARE_ATTRIBUTES).str.contains(w, literal=True) for w in ("tools", "functions", "gen_ai.tool.definitions")
    )
    has_defs = pl.when(maybe).then(attrs).str.contains_any(_TOOL_DEFS).fill_null(False)
    defs = pl.when(has_defs).then(attrs)
    system = pl.when((pl.col("kind") == "event") & pl.col("name").is_in(["system", "developer"])).then(
        pl.col("output")
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    return [
        where_contains("attributes", "@outcome").str.extract(_VERDICT, 1).alias("_cv_verdict"),
        pl.concat_list(
            defs.str.extract_all(_DEF_NAME)
            .list.eval(pl.element().str.extract(_DEF_NAME, 1))
            .fill_null(empty),
            defs.str.extract(_NAME_LIST, 1)
            .str.extract_all(_QUOTED)
            .list.eval(pl.element().str.extract(_QUOTED, 1))
            .fill_null(empty),
            system.str.extract_all(_SNAKE).fill_null(empty),
        ).alias("_cv_declared_tools"),
        where_contains("attributes", "smolagents.managed_agents.")
        .str.extract_all(_MANAGED_NAME)
        .list.eval(pl.element().str.extract(_MANAGED_NAME, 1))
        .alias("_cv_managed_agents"),
    ]


def last_message(output: pl.Expr) -> pl.Expr:
    """What a run's output says as its report: for a messages state, its last message; else the
    output itself. LangGraph's graph output is the whole state (``{"messages": [...]}``: every
    message of the conversation, the user's request and the tools' results included), and Langfuse's
    and LangSmith's LangChain callbacks keep it as the root's output (langgraph graph/state.py,
    ``add_messages`` appends each node's messages to the one list; the answer is the last AI
    message). A tool's error body the model read and answered over ({"error": {"code":
    "ErrorAccessDenied"}, "status": 403} in a tool message) is not the run reporting a failure: the
    run's report is what it said last."""
    # Parsed only where a messages key is (a cheap literal scan; json_path_match skips nulls).
    last = pl.when(output.str.contains('"messages"', literal=True)).then(output).str.json_path_match("$.messages[-1]")
    return pl.coalesce(last, output)


def ends_with_tool_message(output: pl.Expr) -> pl.Expr:
    """``output`` is a messages state whose last message is a tool message (``"type": "tool"``,
    ``"role": "tool"``): a LangGraph ToolNode's state update ({"messages": [ToolMessage]},
    langgraph/prebuilt/tool_node.py), the last span with an output when the model call after it
    failed and the graph raised. It is what a tool said to the model, not the run telling anyone:
    a fetched log's "ERROR" and "timeout" lines report nothing of the failed call after them."""
    said = last_message(output)
    to_model = (said.str.json_path_match("$.type") == "tool") | (said.str.json_path_match("$.role") == "tool")
    return (output.str.contains('"messages"', literal=True) & to_model).fill_null(False)


def _runs(df: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    declared = (
        df.lazy()
        .filter(pl.col("is_root") & pl.col("_cv_verdict").is_not_null())
        .group_by("run_key")
        .agg(
            # Several roots: a failure on any of them is the run's failure.
            pl.when((pl.col("_cv_verdict") == "failure").any())
            .then(pl.lit("failure"))
            .when((pl.col("_cv_verdict") == "success").all())
            .then(pl.lit("success"))
            .otherwise(pl.lit("unknown"))
            .alias("declared_verdict")
        )
    )
    root_said, final_said = last_message(pl.col("root_output")), last_message(pl.col("final_output"))
    structured = root_said.str.contains(SAYS_FAILED_STRUCTURED).fill_null(False) | final_said.str.contains(
        SAYS_FAILED_STRUCTURED
    ).fill_null(False)
    in_words = (
        final_said.str.contains(SAYS_FAILED_TEXT).fill_null(False)
        | final_said.str.contains(SAYS_FAILED_VERDICT).fill_null(False)
        | root_said.str.contains(SAYS_FAILED_VERDICT).fill_null(False)
    )
    tools = (
        df.lazy()
        .select("run_key", pl.col("_cv_declared_tools").alias("declared_tools"))
        .explode("declared_tools")
        .drop_nulls()
        .unique()
        .group_by("run_key")
        .agg(pl.col("declared_tools").sort())
    )
    managed = (
        df.lazy()
        .filter(pl.col("is_root"))
        .select("run_key", pl.col("_cv_managed_agents").alias("managed_agents"))
        .explode("managed_agents")
        .drop_nulls()
        .unique()
        .group_by("run_key")
        .agg(pl.col("managed_agents").sort())
    )
    # A delegation the run still waits on: a handoff that never ended (Claude Code's Task tool
    # call with no tool_result, a handoff span left open) after which the agent that handed off
    # never acted again. Whatever the delegate went on to write (its report, never delivered), the
    # run itself reported nothing: it is open, not done.
    # Only a delegation the delegate works under (its spans nested in the handoff, as a Task's
    # sub-agent) waits for a return; a one-way transfer logged as a point (a transfer line with no
    # end) hands the conversation over, and the agent that handed off is not meant to act again.
    nested = df.lazy().select("run_key", pl.col("parent_id").alias("span_id")).drop_nulls().unique()
    handoffs = (
        df.lazy()
        .filter((pl.col("kind") == "handoff") & pl.col("end_time").is_null() & ~pl.col("is_root"))
        .join(nested, on=["run_key", "span_id"], how="semi")
        .select(
            "run_key", pl.col("seq").alias("_h_seq"), pl.col("agent").alias("_h_agent"), pl.col("span_id"),
            pl.col("parent_id").alias("_h_parent"),
        )
    )
    # The model call that issued the delegation (its parent: a Claude Code Task tool_use is a block
    # of that assistant message, same start) is not the agent acting again.
    resumed = (
        df.lazy()
        .select("run_key", "seq", "agent", pl.col("span_id").alias("_s_id"))
        .join(handoffs, on="run_key")
        .filter(
            (pl.col("seq") > pl.col("_h_seq"))
            & pl.col("agent").eq_missing(pl.col("_h_agent"))
            & pl.col("_s_id").ne_missing(pl.col("_h_parent"))
        )
        .select("run_key", "span_id")
        .unique()
    )
    awaiting = (
        handoffs.join(resumed, on=["run_key", "span_id"], how="anti")
        .sort("run_key", "_h_seq")
        .group_by("run_key")
        .agg(pl.col("span_id").first().alias("awaiting_span_id"))
    )
    # A JSON-lines app log closes its run with a line of its own (``run.end`` after ``run.start``,
    # under it as parent, with a span id of its own: structlog-style logs) whose status
    # is the run's verdict: its last line, an event directly under the run's root, that failed,
    # is the run reporting failure, whatever the root's start line said (it says nothing: it was
    # written before the run did anything).
    roots = df.lazy().filter(pl.col("is_root")).select("run_key", pl.col("span_k").alias("parent_k"))
    closing = (
        df.lazy()
        .filter(pl.col("source_format") == "jsonl")
        .sort("run_key", "seq")
        .group_by("run_key")
        .agg(pl.col("kind", "failed", "parent_k", "is_root").last())
        .filter((pl.col("kind") == "event") & pl.col("failed") & ~pl.col("is_root"))
        .join(roots, on=["run_key", "parent_k"], how="semi")
        .select("run_key", pl.lit(True).alias("closing_failed"))
    )
    return (
        runs.lazy()
        .join(declared, on="run_key", how="left")
        .join(closing, on="run_key", how="left")
        .join(tools, on="run_key", how="left")
        .join(managed, on="run_key", how="left")
        .join(awaiting, on="run_key", how="left")
        .with_columns(
            pl.col("declared_verdict").fill_null("unknown"),
            pl.col("declared_tools").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("managed_agents").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            (pl.col("structured_failure") | structured).alias("structured_failure"),
            pl.col("closing_failed").fill_null(False),
        )
        .with_columns((pl.col("structured_failure") | in_words).alias("says_failure"))
        .with_columns(
            pl.when((pl.col("reported_outcome") == "success") & (pl.col("says_failure") | pl.col("closing_failed")))
            .then(pl.lit("error"))
            .when((pl.col("reported_outcome") == "success") & pl.col("awaiting_span_id").is_not_null())
            .then(pl.lit("open"))
            .otherwise(pl.col("reported_outcome"))
            .alias("reported_outcome")
        )
        .collect()
    )


register(
    Convention(
        name="reported_outcome",
        signals=(
            Signal(
                'a final output that is a structured failure ("status": "failed"/"partial", "success": false, errors [...])',
                "any agent",
                "the run's own final output / root output",
                "runs.structured_failure, runs.says_failure, reported_outcome=error",
            ),
            Signal(
                "a JSON-lines app log's closing line (run.end under run.start) with an error status: the run's last line, an event directly under its root",
                "in-house JSON-lines app logs (jsonl)",
                "forensics/loaders/jsonl.py (one line per record, parent_span_id; a start and end under one span id are paired by jsonl_pairs, two ids are two lines)",
                "runs.closing_failed, reported_outcome=error",
            ),
            Signal(
                "a final answer that says the task could not be done",
                "any agent",
                "the run's final answer text",
                "runs.says_failure, reported_outcome=error",
            ),
            Signal(
                'tools offered to the model: Chat Completions tools [{"function": {"name"}}], gen_ai.tool.definitions, an agent span\'s tools list, smolagents.tools_names on the <Agent>.run span, tool names in a system prompt',
                "OpenAI Chat Completions, OpenTelemetry GenAI, OpenAI Agents SDK, smolagents (OpenInference), chat transcripts",
                "OpenAI API reference (chat.completions tools); semantic-conventions gen-ai-spans.md (gen_ai.tool.definitions); src/agents/tracing/span_data.py (AgentSpanData.tools); openinference-instrumentation-smolagents _wrappers.py (_smolagent_run_attributes: list(agent.tools.keys()))",
                "runs.declared_tools",
            ),
            Signal(
                "the agents a manager can give tasks to: smolagents.managed_agents.<i>.name on the run span",
                "smolagents (OpenInference)",
                "openinference-instrumentation-smolagents _wrappers.py (_get_agent_attributes flattens agent.managed_agents)",
                "runs.managed_agents",
            ),
            Signal(
                "@outcome.verdict on the root span (reward, success, is_correct, evaluator score, task status)",
                "loaders (contract item 1)",
                "forensics/loaders/* writing @outcome; /work/lead/contract.md item 1",
                "runs.declared_verdict (classify turns it into the runs table's declared_outcome)",
            ),
        ),
        extract=_extract,
        runs=_runs,
        run_columns={
            "declared_tools": "the tools the run's model was given (tool definitions, an agent's tool list, snake_case names in a system prompt), whether called or not",
            "managed_agents": "the agents the run's manager could give tasks to (smolagents managed agents), whether called or not",
            "declared_verdict": "the run's own verdict found in the log (success, failure, unknown)",
            "awaiting_span_id": "a handoff that never ended, after which the agent that handed off never acted: the run waits on it (reported_outcome open)",
            "says_failure": "the run told its caller something failed (structured result or words)",
            "closing_failed": "a JSON-lines app log's closing line (the run's last, an event under its root) failed: the run reported failure",
            "structured_failure": "the root's or final output is a structured failure result",
        },
    )
)
