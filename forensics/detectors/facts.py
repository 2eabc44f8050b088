"""Facts: one row per run (times, roots, reported outcome, final answer) and the failure facts
several detectors share (what followed each failure, which runs failed), each built once per
classification and cached on the :class:`~forensics.detectors.base.Context`.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.raised import ended_by_raise
from forensics.detectors.base import CALL_KINDS, EMPTY_ANSWER, HASH_SEED, STRUCTURED_FAILURE, Context
from forensics.detectors.unexported import unexported_runs

#: Costs summed exactly up to this many US dollars per value (a larger one is nonsense input,
#: summed as a plain float rather than dropped).
_EXACT_COST_LIMIT: Final = 1e12


def exact_sum(value: pl.Expr) -> pl.Expr:
    """Sum of a float column in a group that does not depend on the rows' order or on how many
    other groups share the table (polars adds floats in blocks whose boundaries move with the
    table, so a run's cost differed in the last bit between a Spark partition and one table):
    the values are summed as decimals with 12 places, exactly, then rounded once to a float."""
    exact = value.cast(pl.Decimal(38, 12), strict=False).sum().cast(pl.Float64)
    return pl.when(value.abs().max() < _EXACT_COST_LIMIT).then(exact).otherwise(value.sum())


def empty_last_message(output: pl.Expr) -> pl.Expr:
    """``output`` is a messages state (LangGraph's graph output ``{"messages": [...]}``, what
    LangSmith keeps as a root run's outputs) whose last message, the answer, is an AI message with
    nothing in it: content ``""`` or ``[]`` and no tool call. However much work the messages before
    it hold, nothing was delivered (langgraph-supervisor-py#63, langgraphjs#1296: the supervisor's
    closing message came back with empty content after its worker had answered)."""
    # Parsed only where a messages key is (a cheap literal scan; json_path_match skips nulls).
    last = (
        pl.when(output.str.contains('"messages"', literal=True))
        .then(output)
        .str.json_path_match("$.messages[-1]")
    )
    # A message as langchain-core serialises it (dumpd / Serializable.to_json, what LangChain's
    # tracer writes into run outputs: {"lc": 1, "type": "constructor", "id": [..., "AIMessage"],
    # "kwargs": {"content": ..., "type": "ai", "tool_calls": [...]}}) keeps its fields in kwargs.
    msg = pl.when(last.str.json_path_match("$.type") == "constructor").then(last.str.json_path_match("$.kwargs")).otherwise(last)
    role = pl.coalesce(msg.str.json_path_match("$.type"), msg.str.json_path_match("$.role"))
    calls = msg.str.json_path_match("$.tool_calls")
    return (
        role.is_in(["ai", "assistant", "AIMessage", "AIMessageChunk"])
        & msg.str.json_path_match("$.content").is_in(["", "[]"])
        & (calls.is_null() | (calls == "[]"))
    ).fill_null(False)


#: The working notes a DSPy ReAct prediction carries beside its answer: ReAct.forward returns
#: ``dspy.Prediction(trajectory=trajectory, **extract)`` (dspy/predict/react.py), the trajectory a
#: dict of thought_i / tool_name_i / tool_args_i / observation_i, where a tool's exception is kept
#: as the observation "Execution error in <tool>: ..." (ReAct._call_tool). What the run answered
#: is the signature's output fields (``answer``), not the notes it took on the way: the trajectory
#: is left out of the final answer (one level of nested braces: the tool arguments).
_REACT_TRAJECTORY: Final = r'\\?"trajectory\\?"\s*:\s*\{(?:[^{}]|\{[^{}]*\})*\}\s*,?'

#: A smolagents run streamed (``agent.run(task, stream=True)``) as the OpenInference instrumentation
#: records it: ``_RunWrapper.wrapped_generator`` collects ``str(chunk)`` of every event the stream
#: yields and, in its ``finally``, writes them joined as the run span's output and sets status OK,
#: even after recording the exception that ended the stream (Arize-ai/openinference
#: openinference-instrumentation-smolagents ``_wrappers.py``). The events are smolagents' dataclasses
#: (``ToolCall(...)``, ``ActionStep(...)``, ``PlanningStep(...)``, ``ToolOutput``, ``ActionOutput``,
#: ``ChatMessageStreamDelta``); a stream that finished ends with ``FinalAnswerStep(output=...)``
#: (huggingface/smolagents ``agents.py`` ``_run_stream``: ``yield FinalAnswerStep(handle_agent_output_types(
#: final_answer))``, after the max-steps answer too). The run's answer is that step's output; a
#: stream with none died before answering: its answer is empty, whatever the steps' reprs say
#: (``error=AgentGenerationError`` is the step's record, not a word to the user).
_SMOL_STREAM: Final = r"^\s*(?:ToolCall|ActionStep|PlanningStep|TaskStep|ToolOutput|ActionOutput|ChatMessageStreamDelta|FinalAnswerStep)\("
_SMOL_STREAM_ANSWER: Final = r"(?s)FinalAnswerStep\(output=(.*)\)\s*$"


def read_smol_stream(text: pl.Expr) -> pl.Expr:
    """``text`` with a smolagents stream's joined events (:data:`_SMOL_STREAM`) replaced by its
    answer: the closing ``FinalAnswerStep``'s output, quotes of a repr'd string dropped, or the
    empty string when the stream never answered. Other text unchanged."""
    stream = text.str.contains(_SMOL_STREAM).fill_null(False)
    answer = text.str.extract(_SMOL_STREAM_ANSWER, 1).str.strip_chars()
    quoted = answer.str.contains(r"""(?s)^(?:'.*'|".*")$""").fill_null(False)
    answer = pl.when(quoted).then(answer.str.slice(1, answer.str.len_chars() - 2)).otherwise(answer)
    return pl.when(stream).then(answer.fill_null("")).otherwise(text)


def _last_ending(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Each run's row (``run_key``, ``_end``, ``seq``) that ended last, the later in the run on a tie;
    a run whose rows all lack an end keeps its last row: what sorting by (run_key, _end nulls first,
    seq) and keeping each run's last row gives. Only the rows at their run's latest end are sorted
    (sorting every answering span with its output cost ~3x; issue 15 item 4)."""
    latest = pl.col("_end").eq_missing(pl.col("_end").max().over("run_key"))
    return rows.filter(latest).sort("run_key", "seq").unique("run_key", keep="last")


def run_facts(df: pl.DataFrame) -> pl.DataFrame:
    """One row per run: times, roots, reported outcome, final answer."""
    root = pl.col("is_root")
    answer_kinds = pl.col("kind").is_in(["agent", "llm", "chain", "unknown"]) | root
    # An event with empty text (an OpenHands agent_state_changed observation, content "") says
    # nothing: it is no answer, even as a root that ends last.
    silent_event = (pl.col("kind") == "event") & (pl.col("output") == "")
    has_answer = answer_kinds & pl.col("output").is_not_null() & ~silent_event
    # The final answer: the output of the answering span that ended last (the root, in a tree;
    # the last message, in a flat conversation).
    end_key = pl.col("end_time").fill_null(pl.col("t")).alias("_end")
    lf = df.lazy()
    base = lf.group_by("run_key").agg(
        pl.col("run_id").first(),
        pl.col("session_id").drop_nulls().first(),
        pl.col("source_format").first(),
        pl.col("source_file").first(),
        pl.col("t").min().alias("start_time"),
        pl.col("end_time").max().alias("last_end"),
        pl.max_horizontal(pl.col("end_time").max(), pl.col("t").max()).alias("last_activity"),
        root.sum().alias("n_roots"),
        # A root still open; or, where no root spans the run (a transcript: its roots are its first
        # messages), a run whose last-started span is a call still open that started once every
        # root had ended: the log stops inside a call that never returned (Claude Code's tool_use
        # with no tool_result), so the run never ended. A tool_use is a block of the assistant
        # message that issued it and starts with it, and that message is a root when its parent
        # is a tool_result record (merged into the call it answers, no span of its own): so the
        # open call is one of the spans that started last, however they tie, and the roots ended
        # no later than it started. A root that lasted (a trace's or a workflow's span, ended after
        # it started) spans the run: it ended and said how the run came out, and a call it left open
        # is premature_success's (TAXONOMY: "the run is marked done while some of its spans never
        # ended"), not a run that never ended (a Langfuse trace whose output says "published" while
        # its last observation, the page update, has no end: the trace's end is the latest end its
        # observations recorded, so the open one started after it). A root with no output said
        # nothing of how the run came out: a chat-messages conversation, whose root the loader
        # makes to span the messages, that stops on a tool call with no answer never ended.
        (
            (root & pl.col("end_time").is_null()).any()
            | (
                (~root & pl.col("end_time").is_null() & (pl.col("t") == pl.col("t").max())).any()
                & (pl.col("t").max() >= pl.col("end_time").filter(root).max()).fill_null(False)
                & ~(root & (pl.col("end_time") > pl.col("t")) & pl.col("output").is_not_null()).any()
            )
        ).alias("root_open"),
        # ``failed``, not the raw status: a root that stopped at a pause (an interrupt travelling
        # up, a guardrail tripwire) did not fail.
        # A step that raised out of the run as its last step ended it in error (conventions.raised).
        ((root & pl.col("failed")).any() | ended_by_raise()).alias("root_error"),
        # A root that is an HTTP server's span and recorded a 2xx response answered its caller with
        # success (http.response.status_code; the server span's status stays unset for 1xx-4xx:
        # semantic-conventions docs/http/http-spans.md "Status"): the run's report, with no output.
        (root & pl.col("http_status").is_between(200, 299)).any().alias("root_answered_ok"),
        pl.col("span_id").last().alias("last_span_id"),
        pl.col("agent").is_not_null().any().alias("has_agents"),
        # Loaders of sources without clocks synthesise an order and say so; timing rules (backoff
        # spacing, quiet gaps) cannot judge such runs.
        pl.col("synthetic").any().alias("synthetic_time"),
        pl.len().alias("span_count"),
        # What the runs table reports (one pass over the spans for everything).
        pl.col("agent").drop_nulls().unique(maintain_order=True).alias("agents"),
        (pl.col("status") == "error").sum().cast(pl.Int64).alias("error_count"),
        pl.col("input_tokens").sum().alias("input_tokens"),
        pl.col("output_tokens").sum().alias("output_tokens"),
        exact_sum(pl.col("cost_usd")).alias("cost_usd"),
        pl.col("input_tokens").is_not_null().any().alias("_has_in"),
        pl.col("output_tokens").is_not_null().any().alias("_has_out"),
        pl.col("cost_usd").is_not_null().any().alias("_has_cost"),
    )
    # The last-ending root and the last-ending answering span, on the (small) filtered rows only.
    roots = (
        _last_ending(lf.filter(root).select("run_key", "seq", end_key, "output", "span_id", "task"))
        .select(
            "run_key",
            pl.col("output").alias("root_output"),
            pl.col("span_id").alias("root_span_id"),
            pl.col("_end").alias("root_t"),
            # The task the run was given: a restart is given the same task again.
            "task",
        )
    )
    answers = (
        _last_ending(lf.filter(has_answer).select("run_key", "seq", end_key, "output", "span_id"))
        .select(
            "run_key",
            pl.col("output").alias("final_output"),
            pl.col("span_id").alias("final_span_id"),
            pl.col("_end").alias("final_t"),
        )
    )
    base_df, roots_df, answers_df = pl.collect_all([base, roots, answers])
    runs = base_df.join(roots_df, on="run_key", how="left").join(answers_df, on="run_key", how="left")
    # Where the final answer was first produced: the answering span with the same output that
    # ended first (the model call under the agent that passed its answer up).
    origin = (
        lf.filter(has_answer)
        .select("run_key", pl.col("output").hash(HASH_SEED).alias("_h"), end_key, "seq", "span_id")
        .join(
            runs.lazy().select("run_key", pl.col("final_output").hash(HASH_SEED).alias("_h")),
            on=["run_key", "_h"],
        )
        .sort("run_key", "_end", "seq")
        .unique("run_key", keep="first")
        .select("run_key", pl.col("span_id").alias("answer_span_id"), pl.col("_end").alias("answer_t"))
    )
    # An empty final answer: where the emptiness came from (the last answering model call that
    # produced nothing), else the root.
    empty_origin = (
        lf.filter((pl.col("kind") == "llm") & pl.col("output").str.contains(EMPTY_ANSWER).fill_null(False))
        .group_by("run_key")
        .agg(pl.col("span_id").last().alias("empty_span_id"))
    )
    origin_df, empty_df = pl.collect_all([origin, empty_origin])
    runs = (
        runs.join(origin_df, on="run_key", how="left")
        .join(empty_df, on="run_key", how="left")
        .with_columns(
            pl.coalesce("answer_span_id", "final_span_id").alias("answer_span_id"),
            pl.coalesce("answer_t", "final_t").alias("answer_t"),
        )
    )
    # A messages state (LangGraph's {"messages": [...]}) reports with its last message: a tool
    # message in it with LangChain's ToolMessage status "error" (ToolNode handing a tool's error
    # back to the model) is what the model read, not the run's report (conventions.outcome.last_message).
    from forensics.conventions.outcome import last_message

    structured = last_message(pl.col("root_output")).str.contains(STRUCTURED_FAILURE).fill_null(False)
    # Only the outputs that hold a trajectory key are rewritten (a literal scan first).
    notes = pl.col("final_output").str.contains("trajectory", literal=True).fill_null(False)
    runs = runs.with_columns(
        pl.when(notes)
        .then(pl.col("final_output").str.replace(_REACT_TRAJECTORY, ""))
        .otherwise(pl.col("final_output"))
        .alias("final_output")
    )
    # A smolagents stream's joined events report with its FinalAnswerStep, or with nothing.
    runs = runs.with_columns(read_smol_stream(pl.col("final_output")), read_smol_stream(pl.col("root_output")))
    return runs.with_columns(
        (
            pl.col("root_output").str.contains(EMPTY_ANSWER).fill_null(False)
            | empty_last_message(pl.col("root_output"))
        ).alias("empty_answer"),
        structured.alias("structured_failure"),
        pl.when(pl.col("n_roots") == 0)
        .then(pl.lit("unknown"))
        .when(pl.col("root_open"))
        .then(pl.lit("open"))
        .when(pl.col("root_error") | structured)
        .then(pl.lit("error"))
        .otherwise(pl.lit("success"))
        .alias("reported_outcome"),
        pl.coalesce("session_id", pl.concat_str([pl.lit("run:"), pl.col("run_id")])).alias("scope_key"),
    ).sort("run_id")


def failure_followups(ctx: Context) -> pl.DataFrame:
    """For every failed span: did a retry, a fallback or an escalation follow, and did one succeed?

    A retry is a later call of the same kind and name (not the next item of the same model
    output's action, with other arguments: one_action); a fallback is a later model call with a
    different model, a later tool with the same arguments under another name, or a tool the
    policy names as a fallback. Shared by unhandled_error, swallowed_error and error_as_data.
    """

    from forensics.detectors.delegated_tasks import another_task_to_another_coworker, delegated_task

    def build() -> pl.LazyFrame:
        s = ctx.spans.lazy()
        verb = pl.col("call").str.extract(r"([^./:]+)$", 1)
        failed = s.filter(pl.col("failed") | pl.col("error_shaped")).select(
            "run_key",
            "run_id",
            "span_id",
            "seq",
            "kind",
            "call",
            "model",
            "args",
            "agent",
            "parent_id",
            verb.alias("verb"),
            "process_killed",
            "command_failed",
            "command_programs",
            "attempt_index",
            "attempt_count",
            "group_recovered",
            pl.coalesce("end_time", "t").alias("f_end"),
            # What each call is read for below, read once per call here, not once per pair of a
            # failure and a later call (0.69 -> 0.46 CPU s at 584k spans).
            *delegated_task("args", "f_"),
            _embeds("call", "model").alias("embeds"),
        )
        # The model call that wrote each tool call (one_action): calls one output wrote together.
        from forensics.detectors.one_action import another_item_of_one_action, issuing_model_call

        issued = issuing_model_call(s.join(failed.select("run_key").unique(), on="run_key", how="semi"))
        failed = failed.join(issued, on=["run_key", "span_id"], how="left")
        # Fallbacks the framework declared (conventions: with_fallbacks, LiteLLM fallbacks).
        declared = (
            s.filter(pl.col("fallback_of").is_not_null())
            .group_by("run_id", pl.col("fallback_of").alias("span_id"))
            .agg(pl.col("succeeded").any().alias("fallback_ok"))
        )
        # Only the runs that hold a failure are searched for what followed it. Work sent to a
        # dead-letter queue is passed on to that queue: an escalation (dead_letters).
        from forensics.detectors.dead_letters import dead_letter_parks

        in_runs = s.join(failed.select("run_key").unique(), on="run_key", how="semi")
        parked = dead_letter_parks(in_runs).with_columns(pl.lit(True).alias("_parked"))
        later = (
            in_runs.join(parked, on=["run_id", "span_id"], how="left")
            .select(
                "run_key",
                pl.col("seq").alias("l_seq"),
                pl.col("span_id").alias("l_span_id"),
                pl.col("t").alias("l_t"),
                pl.col("kind").alias("l_kind"),
                pl.col("call").alias("l_call"),
                pl.col("model").alias("l_model"),
                pl.col("args").alias("l_args"),
                verb.alias("l_verb"),
                pl.col("agent").alias("l_agent"),
                pl.col("parent_id").alias("l_parent_id"),
                pl.col("command_programs").alias("l_command_programs"),
                pl.col("succeeded").alias("l_ok"),
                (pl.col("is_escalation") | pl.col("_parked").fill_null(False)).alias("l_esc"),
                pl.col("is_fallback_tool").alias("l_fallback_tool"),
                *delegated_task("args", "l_"),
                _embeds("call", "model").alias("l_embeds"),
            )
            .join(issued.select("run_key", pl.col("span_id").alias("l_span_id"), pl.col("issued_by").alias("l_issued_by")),
                  on=["run_key", "l_span_id"], how="left")
            .filter(
                pl.col("l_kind").is_in([*CALL_KINDS, "handoff", "agent", "chain", "guardrail"])
                | pl.col("l_esc")
            )
        )
        # A code executor's turn that found no code to run (conventions.ran_nothing: AG2's
        # "There is no code from the last 1 message for me to execute") sent nothing again.
        nothing = s.filter(pl.col("ran_nothing")).select("run_key", pl.col("span_id").alias("l_span_id"))
        later = later.join(nothing, on=["run_key", "l_span_id"], how="anti")
        pairs = failed.join(later, on="run_key", how="inner").filter(pl.col("l_seq") > pl.col("seq"))
        # A model call is retried from the same caller (LiteLLM's num_retries and tenacity re-call
        # inside the one completion) or sent again with the same messages: the same model called under
        # another parent with other messages (the next item of a batch; a pipeline's next step, whose
        # prompt is its own: an intent call failed, then the reply-drafting step called the model) is a
        # new request, not a retry. Where the arguments are not recorded only the caller tells.
        same_request = (
            (pl.col("kind") != "llm")
            | pl.col("l_parent_id").eq_missing(pl.col("parent_id"))
            | (pl.col("args").is_not_null() & (pl.col("l_args") == pl.col("args")).fill_null(False))
        )
        same_agent = pl.col("l_agent").eq_missing(pl.col("agent"))
        # Each agent's answer tool is its own answer: smolagents' managed agent ends with
        # final_answer, its report to the manager, and the manager's own final_answer later is the
        # manager's answer, not that call made again (smolagents agents.py: a managed agent's run
        # returns its final answer to the calling agent as an observation).
        from forensics.detectors.missing_fallback import ANSWER_TOOLS

        own_answer = pl.col("call").is_in(ANSWER_TOOLS) & ~same_agent
        # A retry is sent once the failure is known, after the failed call ended: the same call started
        # while it was still in flight was sent alongside it (asyncio.gather or a TaskGroup over one
        # model, ToolNode's parallel tool calls), another request (conventions.attempts, the same rule).
        after_failure = (pl.col("l_t") >= pl.col("f_end")).fill_null(True)
        # A model call is one agent's step: another agent's later call of the same model is that
        # agent's own step, never the failed request sent again. Microsoft Agent Framework's
        # fan-out: a researcher executor's agent hit a 429 (invoke_agent and its chat span in error),
        # the executor caught it and sent an empty result on, and the aggregator's agent then called
        # the same model to write the answer (microsoft/agent-framework python/packages/core/
        # agent_framework/_workflows/_executor.py, executor.process per message; observability.py).
        other_agent = (
            (pl.col("kind") == "llm") & pl.col("agent").is_not_null() & pl.col("l_agent").is_not_null() & ~same_agent
        )
        # The next item of one action (a CodeAgent's loop over recipients, a response's parallel
        # calls: one_action) is another request, not the failed one sent again.
        next_item = another_item_of_one_action("issued_by", "l_issued_by", "args", "l_args")
        # Another piece of work handed to another coworker through the same delegation tool (delegated_tasks).
        other_work = another_task_to_another_coworker("f_", "l_")
        # A killed command's output is whatever it printed before the kill: only running it again
        # makes it whole. A later call of the same shell tool that runs none of its programs (a
        # `wc -l` of the partial file after the export was SIGKILLed) is another command, not its
        # re-run (conventions.killed: process_killed, command_programs).
        # So is a command handed back with its non-zero exit and its error on stderr (command_failed):
        # the `git tag` after a failed `make upload` does not upload again.
        other_command = (
            (pl.col("process_killed") | pl.col("command_failed"))
            & (pl.col("command_programs").list.set_intersection(pl.col("l_command_programs")).list.len() == 0)
        ).fill_null(False)
        retry = (
            (pl.col("l_kind") == pl.col("kind")) & (pl.col("l_call") == pl.col("call")) & same_request & ~own_answer
            & after_failure & ~other_agent & ~next_item & ~other_work & ~other_command
        )
        fallback = (
            (
                (pl.col("kind") == "llm")
                & (pl.col("l_kind") == "llm")
                & ~pl.col("l_model").eq_missing(pl.col("model"))
                & same_agent
                # Another model doing the same work: a chat model answering after an embeddings call
                # failed did not embed the query (the retrieval it fed came back empty).
                & (pl.col("embeds") == pl.col("l_embeds"))
            )
            | (
                # Another tool doing the same thing: the same verb and arguments on another service
                # (crm.lookup -> crm_replica.lookup), or a tool the policy names as a fallback.
                (pl.col("kind") == "tool")
                & (pl.col("l_kind") == "tool")
                & (pl.col("l_call") != pl.col("call"))
                & (
                    ((pl.col("l_verb") == pl.col("verb")) & pl.col("l_args").eq_missing(pl.col("args")))
                    | pl.col("l_fallback_tool")
                )
            )
            | (
                (pl.col("kind") == "retriever")
                & (pl.col("l_kind") == "retriever")
                & (pl.col("l_call") != pl.col("call"))
            )
            | (
                # A retrieval done by a search tool instead: a RAG step whose vector search failed
                # (Databricks Vector Search's DEADLINE_EXCEEDED) and whose code then searched the same
                # store another way (a SQL keyword search) before the model answered. MLflow traces the
                # retriever as a RETRIEVER span and the other search as a TOOL span under the same
                # parent (mlflow/tracing: SpanType.RETRIEVER, SpanType.TOOL; @mlflow.trace(span_type=...)).
                # Only under the same parent: the same step's code chose it, not a later turn's question.
                (pl.col("kind") == "retriever")
                & (pl.col("l_kind") == "tool")
                & pl.col("l_parent_id").eq_missing(pl.col("parent_id"))
                & pl.col("l_call").str.contains(_SEARCHES).fill_null(False)
            )
        )
        # A retry sent with one of the failed call's constraints taken out (a filter dropped after a
        # timeout: dropped_filters) answered a wider question: its success recovers nothing. It is
        # still a retry (the model did act on the failure); a later retry that kept the constraint
        # and succeeded recovers it as before.
        from forensics.detectors.dropped_filters import dropped_filter

        pairs = pairs.with_columns(dropped_filter(retry & pl.col("l_ok"), "args", "l_args").alias("_wider"))
        wider = pl.col("_wider")
        flags = pairs.group_by("run_id", "span_id").agg(
            retry.any().alias("retried"),
            fallback.any().alias("fell_back"),
            pl.col("l_esc").any().alias("escalated"),
            ((retry | fallback) & pl.col("l_ok") & ~wider).any().alias("recovered"),
            pl.len().alias("spans_after"),
            # The evidence (failure_handling): the first later call that did each.
            _first_where(retry & pl.col("l_ok") & ~wider).alias("retry_ok_span_id"),
            _first_where(wider).alias("wider_retry_span_id"),
            _first_where(fallback & pl.col("l_ok")).alias("fallback_ok_span_id"),
            _first_where(pl.col("l_esc")).alias("escalation_span_id"),
        )
        # A later attempt of the same request (conventions: HTTP resends under one parent, the
        # same call re-issued) is a retry whatever its span kind; its success recovers the failure.
        later_attempt = (pl.col("attempt_index") < pl.col("attempt_count") - 1).fill_null(False)
        return (
            failed.select("run_id", "span_id", "attempt_index", "attempt_count", "group_recovered")
            .join(flags, on=["run_id", "span_id"], how="left")
            .join(declared, on=["run_id", "span_id"], how="left")
            .with_columns(pl.col("retried", "fell_back", "escalated", "recovered").fill_null(False))
            .select(
                "run_id",
                "span_id",
                (pl.col("retried") | later_attempt).alias("retried"),
                # Attempted again as a whole (carried down to the failed calls inside: _recovered_up).
                later_attempt.alias("_again"),
                (pl.col("fell_back") | pl.col("fallback_ok").is_not_null()).alias("fell_back"),
                "escalated",
                (
                    pl.col("recovered")
                    | pl.col("group_recovered").fill_null(False)
                    | pl.col("fallback_ok").fill_null(False)
                ).alias("recovered"),
                "spans_after",
                "retry_ok_span_id",
                "fallback_ok_span_id",
                "escalation_span_id",
                pl.coalesce("retry_ok_span_id", "fallback_ok_span_id").alias("recovery_span_id"),
                # The successful retry that dropped a constraint, where no retry or fallback made good.
                pl.when(~pl.col("recovered")).then(pl.col("wider_retry_span_id")).alias("wider_retry_span_id"),
            )
        )

    return ctx.once("failure_followups", lambda: _recovered_up(ctx, build().collect()))


#: A tool that retrieves by its name: search_handbook_sql, kb.lookup, find_documents, retrieve_chunks.
_SEARCHES: Final = r"(?i)search|retriev|lookup|look_up|find"


#: An embeddings call, by its model or its name: OpenAI's text-embedding-3-small, Cohere's
#: embed-english-v3.0, Ollama's nomic-embed-text; OpenTelemetry GenAI's ``embeddings {model}`` span,
#: LlamaIndex's OpenAIEmbedding, LangChain's OpenAIEmbeddings. (All load as kind llm.)
_EMBEDDING: Final = r"(?i)embed"


def _embeds(call: str, model: str) -> pl.Expr:
    """The call (``call``/``model`` columns) is an embeddings call (:data:`_EMBEDDING`)."""
    return pl.concat_str([pl.col(call), pl.col(model)], separator=" ", ignore_nulls=True).str.contains(_EMBEDDING).fill_null(False)


#: How many levels a recovery is carried down a chain of failed spans (an error travelling up).
_MAX_CHAIN: Final = 16


def _first_where(cond: pl.Expr) -> pl.Expr:
    """In a group of (failure, later span) pairs: the first later span, in run order, where ``cond``."""
    return pl.col("l_span_id").filter(cond).sort_by(pl.col("l_seq").filter(cond)).first()


def _recovered_up(ctx: Context, follow: pl.DataFrame) -> pl.DataFrame:
    """A failure travelled up: the HTTP call failed, so did the tool call around it. When the
    failed tool call was retried or replaced by a fallback that succeeded, the HTTP call's failure
    was recovered too. ``recovered`` is carried from a failed parent to its failed child, level by
    level (a loop over chain depth, not rows)."""
    parents = ctx.spans.filter(pl.col("failed") | pl.col("error_shaped")).select(
        "run_id", "span_id", "parent_id"
    )
    f = follow.join(parents, on=["run_id", "span_id"], how="left")
    for _ in range(_MAX_CHAIN):
        up = f.select(
            "run_id",
            pl.col("span_id").alias("parent_id"),
            pl.col("recovered").alias("_up"),
            pl.col("recovery_span_id").alias("_up_id"),
            pl.col("_again").alias("_up_again"),
        )
        new = f.join(up, on=["run_id", "parent_id"], how="left", maintain_order="left").with_columns(
            (pl.col("recovered") | pl.col("_up").fill_null(False)).alias("recovered"),
            # The recovery that made the failed caller good is the evidence for the call under it.
            pl.coalesce("recovery_span_id", pl.when(pl.col("_up")).then(pl.col("_up_id"))).alias("recovery_span_id"),
            # A failed caller that was attempted again as a whole (an agent invoked again by the
            # app's retry loop: conventions.attempts) sent the call that failed inside it again.
            (pl.col("_again") | pl.col("_up_again").fill_null(False)).alias("_again"),
        )
        changed = (int(new.get_column("recovered").sum()), int(new.get_column("_again").sum())) != (
            int(f.get_column("recovered").sum()),
            int(f.get_column("_again").sum()),
        )
        f = new.drop("_up", "_up_id", "_up_again")
        if not changed:
            break
    return f.with_columns(pl.col("retried") | pl.col("_again")).drop("parent_id", "_again")


def failed_runs(ctx: Context) -> pl.DataFrame:
    """``run_id, run_failed``: the run ended in error or never ended, or it holds a failure that
    was never recovered. A later run that redoes this one's work is a restart, not a new request."""

    def build() -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        lost = (
            ctx.spans.lazy()
            .filter(pl.col("failed") & ~pl.col("is_root") & ~pl.col("has_failed_child"))
            .join(follow, on=["run_id", "span_id"])
            .filter(~pl.col("recovered"))
            .select("run_id")
            .unique()
            .with_columns(pl.lit(True).alias("lost"))
        )
        # A run whose own span never ended, as an OpenTelemetry export shows it (steps or calls under
        # a parent never exported: unexported.py), never ended like an open one.
        hung = unexported_runs(ctx).lazy().with_columns(pl.lit(True).alias("hung"))
        return (
            ctx.runs.lazy()
            .select("run_id", "reported_outcome")
            .join(lost, on="run_id", how="left")
            .join(hung, on="run_id", how="left")
            .select(
                "run_id",
                (
                    pl.col("reported_outcome").is_in(["error", "open"])
                    | pl.col("lost").fill_null(False)
                    | pl.col("hung").fill_null(False)
                ).alias("run_failed"),
            )
        )

    return ctx.cached("failed_runs", build())
