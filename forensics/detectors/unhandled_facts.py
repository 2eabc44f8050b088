"""Facts unhandled_error and stall read about a failed call's surroundings: a caller that turned the
failure into an empty result (``emptied_by_caller``), a killed call the session's next run picked up
(``picked_up_after_kill``), a call that waited past the stall threshold and timed out
(``timed_out_waits``), a call its own caller aborted (``aborted_by_caller``), a call whose caller's wait
was cut while it was still in flight (``cut_waits``), a tool call alone in its run, its caller elsewhere
(``detached_calls``), a failure that only carried up another one below it (``outer_failures``), an error
result the run ended on (``ended_on_error_result``), a step the framework failed over its cut model
call (``raised_over_cut``)."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import CALL_KINDS, ERROR_SHAPED, Context, failure_followups, hms, num, txt
from forensics.detectors.findings import per_run_finding
from forensics.detectors.handling import told_spans

#: An output that is nothing: empty, blanks, or an empty string written as JSON ('""').
_EMPTY_RESULT: Final = r"""^\s*(?:""|'')?\s*$"""

#: A state update (a JSON object) every key of which was set to nothing: "", null, [] or {}.
_EMPTY_UPDATE: Final = r"""^\s*\{(?:\s*"[^"]+"\s*:\s*(?:""|null|\[\s*\]|\{\s*\})\s*,?)+\s*\}\s*$"""

#: A tool's return value that is no data: empty, an empty string, or an empty list ("[]").
_EMPTY_LIST: Final = r"""^\s*(?:""|''|\[\s*\])?\s*$"""

#: How many failed wrappers (with_fallbacks, a sequence) a failure may go up through to its caller.
_WRAPPER_HOPS: Final = 3


def emptied_by_caller(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, _emptied`` of failed model or tool calls whose caller, a step that holds
    them (kind chain: a Traceloop @task, a Langfuse @observe span), ended without error and returned
    an empty result: the code around the call caught the exception and returned "" in its place
    (``except ...: return ""``). Nothing retried the call or fell back, and no failure result was
    given: the run carried on with nothing (TAXONOMY unhandled_error), and where it then reported
    success, that was a swallowed error too. A caller that recorded no output at all (null) says
    nothing of what it returned and is not this.

    The caller may be a LangGraph node (kind agent: its run is the node function) returning a state
    update whose every key it set is empty (``{"summary": ""}``: langgraph nodes return a dict of the
    channels they update). Between the call and its caller may stand wrappers the exception went up
    through, each failed (a ``RunnableWithFallbacks`` whose ``exceptions_to_handle`` did not cover the
    error re-raises it, langchain_core/runnables/fallbacks.py; a ``RunnableSequence`` fails with its
    step): the first ancestor that ended without error is the caller that caught it."""
    s = ctx.spans.lazy()
    callers = s.filter(
        pl.col("kind").is_in(["chain", "agent"])
        & ~pl.col("failed")
        & ~pl.col("is_root")
        & (
            ((pl.col("kind") == "chain") & pl.col("output").str.contains(_EMPTY_RESULT))
            | pl.col("output").str.contains(_EMPTY_UPDATE)
        ).fill_null(False)
    ).select("run_id", pl.col("span_id").alias("_caller"))
    # Walk up through failed wrappers (kind chain) to the first ancestor that did not fail.
    up = s.select("run_id", "span_id", "parent_id", "kind", "failed")
    failed_wrappers = up.filter(pl.col("failed") & (pl.col("kind") == "chain")).select(
        "run_id", pl.col("span_id").alias("_at"), pl.col("parent_id").alias("_next")
    )
    at = s.filter(pl.col("failed") & pl.col("kind").is_in(["llm", "tool"])).select(
        "run_id", "span_id", pl.col("parent_id").alias("_at")
    )
    hops = [at]
    for _ in range(_WRAPPER_HOPS):
        at = at.join(failed_wrappers, on=["run_id", "_at"]).select("run_id", "span_id", pl.col("_next").alias("_at"))
        hops.append(at)
    emptied = pl.concat(hops).join(callers, left_on=["run_id", "_at"], right_on=["run_id", "_caller"], how="semi")
    return (
        pl.concat([emptied.select("run_id", "span_id"), _requests_emptied_by_tool(s), _retrievals_generated_past(s)])
        .select("run_id", "span_id", pl.lit(True).alias("_emptied"))
        .unique()
    )


def _retrievals_generated_past(s: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of failed retrievals (kind retriever) that the code around them caught,
    its step going on to the generation: the next call under the same parent is a model call that
    answered, with no other retrieval or tool between. A retriever's documents are the context of
    the generation after it; code that catches the search's exception (a RAG chain's
    ``except Exception: docs = []``, a ChatAgent's predict: databricks-vectorsearch raises a plain
    ``Exception("Response content ..., status_code 504")`` from RequestUtils.issue_request,
    databricks/vector_search/utils.py) and builds the prompt anyway hands the model an empty
    context in the documents' place, no retry, no fallback, no failure result. Not a failure handed
    to the model as a tool result (error_handled: the model knew), nor one whose step failed with
    it (the caller did not catch it), nor one followed by another search or tool first (a keyword
    search as the fallback)."""
    # Only the runs holding such a retrieval are read (few: most nights none), whole, so each
    # parent's calls and their order are as in the full table; the sort and the window over every
    # model and tool call of the night cost 0.94 CPU s on the bench night (20k runs), for no row.
    failed_retrieval = (
        (pl.col("kind") == "retriever") & pl.col("failed") & ~pl.col("error_handled") & pl.col("parent_id").is_not_null()
    )
    in_play = s.filter(failed_retrieval).select("run_key").unique()
    s = s.join(in_play, on="run_key", how="semi")
    calls = s.filter(pl.col("kind").is_in(["llm", "tool", "retriever"]) & pl.col("parent_id").is_not_null()).select(
        "run_id", "span_id", "parent_id", "kind", "seq", "failed", "error_handled"
    )
    nxt = calls.sort("run_id", "seq").with_columns(
        pl.col("kind").shift(-1).over("run_id", "parent_id").alias("_n_kind"),
        pl.col("failed").shift(-1).over("run_id", "parent_id").alias("_n_failed"),
    )
    caller_ok = s.filter(~pl.col("failed")).select("run_id", pl.col("span_id").alias("parent_id"))
    return (
        nxt.filter(
            (pl.col("kind") == "retriever")
            & pl.col("failed")
            & ~pl.col("error_handled")
            & (pl.col("_n_kind") == "llm")
            & ~pl.col("_n_failed").fill_null(True)
        )
        .join(caller_ok, on=["run_id", "parent_id"], how="semi")
        .select("run_id", "span_id")
    )


def _requests_emptied_by_tool(s: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of failed HTTP client requests (``http_attempt``: the span an httpx or
    requests instrumentation opens under the tool, kind unknown) whose tool call returned normally
    with an empty list or string: the tool function caught the client's error and returned ``[]``
    in its place (a pydantic-ai tool's ``except ...: return []``; logfire records the function's
    return value as ``tool_response``, its request under it as ``POST {host}`` with the status).
    The step's search never ran and the model was handed "nothing found", with no retry, no fallback
    and no failure result. Only a request the service failed (HTTP 429, 5xx, or no response at
    all: a timeout, a refused connection), not one it answered 4xx: a 404 read as "none" is an
    answer. A tool that recorded no return value (null) says nothing of what it returned."""
    tools = s.filter(
        (pl.col("kind") == "tool") & ~pl.col("failed") & pl.col("output").str.contains(_EMPTY_LIST).fill_null(False)
    ).select("run_id", pl.col("span_id").alias("parent_id"))
    # error_label is "HTTP <status>" where the request got one (preparation), else the error's type.
    label = pl.col("error_label").fill_null("")
    service_failed = ~label.str.starts_with("HTTP 4") | (label == "HTTP 429")
    return (
        s.filter(pl.col("failed") & pl.col("http_attempt").fill_null(False) & ~pl.col("kind").is_in(CALL_KINDS)
                 & service_failed)
        .join(tools, on=["run_id", "parent_id"], how="semi")
        .select("run_id", "span_id")
    )


def picked_up_after_kill(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of calls whose worker process was killed under them (conventions
    ``worker_killed``: Celery's WorkerLostError, SIGKILL, an OOM kill) that a later run of the same
    session made again, the same call with the same arguments, and succeeded: the job system
    redelivered the work (Celery ``task_reject_on_worker_lost``), the failure was picked up. A
    killed process runs no handler of its own; whether the rerun then redid work already done is
    redo_after_restart's to judge."""
    s = ctx.spans.lazy()
    scope = ctx.runs.lazy().select("run_id", "scope_key")
    killed = (
        s.filter(pl.col("worker_killed") & pl.col("kind").is_in(CALL_KINDS))
        .join(scope, on="run_id")
        .select("run_id", "span_id", "scope_key", "call", "args", "t")
        .collect()
    )
    # Few logs hold a killed worker: without one, the successful calls (most spans) are not taken out.
    if killed.is_empty():
        return killed.lazy().select("run_id", "span_id")
    redone = (
        s.filter(pl.col("succeeded") & pl.col("kind").is_in(CALL_KINDS))
        .join(scope, on="run_id")
        .select(pl.col("run_id").alias("_r"), "scope_key", "call", "args", pl.col("t").alias("_t"))
    )
    return (
        killed.lazy().join(redone, on=["scope_key", "call", "args"], nulls_equal=True)
        .filter((pl.col("_r") != pl.col("run_id")) & (pl.col("_t") > pl.col("t")))
        .select("run_id", "span_id")
        .unique()
    )


#: An error that says the call gave up waiting (TimeoutError, ReadTimeout, "timed out").
_TIMED_OUT: Final = r"(?i)time(?:d)?[\s_-]*out"


def timed_out_waits(ctx: Context, stall_s: float) -> pl.LazyFrame:
    """``run_id, span_id, seq, why`` of calls that waited longer than ``stall_s`` on something that
    never answered and then gave up with a timeout (an autogen-core runtime ``send_message`` awaited
    under ``asyncio.wait_for`` raising TimeoutError, an HTTP read timeout): what they waited on went
    quiet that long, a stall. A timed-out request that a later attempt or a fallback answered was
    recovered; a run whose clock was synthesised is not judged."""
    s = ctx.spans.lazy()
    real_clock = ctx.runs.lazy().filter(~pl.col("synthetic_time")).select("run_id")
    recovered = failure_followups(ctx).lazy().filter(pl.col("recovered")).select("run_id", "span_id")
    # The failed spans taken out first: in one filter polars ran the regex over every span's label.
    failed = s.filter(pl.col("failed") & pl.col("end_time").is_not_null()).collect().lazy()
    waits = (
        failed.filter(pl.col("error_label").str.contains(_TIMED_OUT).fill_null(False))
        .join(real_clock, on="run_id", how="semi")
        .join(recovered, on=["run_id", "span_id"], how="anti")
        .with_columns(((pl.col("end_time") - pl.col("t")).dt.total_milliseconds() / 1000).alias("wait_s"))
        .filter(pl.col("wait_s") > stall_s)
        .collect()
        .lazy()
    )
    # A wait whose silence the run then passed on did not leave the run stalled: it got control back
    # and took a path for it. A deadline a long-poll was given (a payer's callback, a person's
    # decision) lapsing is news to relay, not a hang. Told as a fault (handling.told_spans: the final
    # answer, a later model message, a follow-up task naming it), or as the silence itself in the
    # final answer or a later model message ("no decision arrived within 30 minutes").
    return (
        waits.join(told_spans(ctx, waits), on=["run_id", "span_id"], how="anti")
        .join(_silence_told(ctx, waits), on=["run_id", "span_id"], how="anti")
        .select(
            "run_id",
            "span_id",
            "seq",
            pl.format(
                "{} {} waited {} s from {} and failed with {}: what it waited on went quiet (stall threshold {} s)",
                pl.col("kind"),
                txt(pl.col("call")),
                num(pl.col("wait_s")),
                hms("t"),
                pl.col("error_label"),
                pl.lit(stall_s),
            ).alias("why"),
        )
    )


#: Words relaying that what a call waited on never answered: "no decision arrived", "no response from
#: the payer", "has not responded", "never came back". A timed-out wait's own news, where the words
#: of a fault (handling.TELLS_OF_FAULT: failed, timed out) are not used.
_TELLS_SILENCE: Final = (
    r"(?i)\bno\s+(?:\w+\s+){0,2}(?:decision|response|reply|answer|callback|word|update)s?\s+"
    r"(?:arrived|came|yet|was\s+received|has\s+(?:arrived|come)|within|after|from|in)\b"
    r"|\b(?:has|have|had)\s*(?:n[o']t|\s+not)\s+(?:yet\s+)?(?:responded|answered|replied|decided)\b"
    r"|\bnever\s+(?:came|arrived|responded|answered|replied)\b"
)


def _silence_told(ctx: Context, waits: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``waits`` whose run's final answer, or a model message after the
    wait, relays that no answer came (``_TELLS_SILENCE``)."""
    in_play = waits.select("run_id").unique()
    answered = (
        ctx.runs.lazy().join(in_play, on="run_id", how="semi")
        .filter(pl.col("final_output").str.contains(_TELLS_SILENCE).fill_null(False))
        .select("run_id")
    )
    said = (
        ctx.spans.lazy().filter(pl.col("kind") == "llm").join(in_play, on="run_id", how="semi")
        .filter(pl.col("output").str.contains(_TELLS_SILENCE).fill_null(False))
        .group_by("run_id").agg(pl.col("seq").max().alias("_said_seq"))
    )
    return pl.concat([
        waits.join(answered, on="run_id", how="semi").select("run_id", "span_id"),
        waits.join(said, on="run_id").filter(pl.col("_said_seq") > pl.col("seq")).select("run_id", "span_id"),
    ]).unique()


def cut_waits(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, why`` of calls that never returned (no end, no error of their own)
    whose caller, the span waiting on them, ended in error after they started, with no other call
    under it failing: the wait was cut from outside, and the open call is what it waited on. An
    asyncio task cancelled while it awaits (a client gone, ``asyncio.wait_for`` or a server timeout
    cancelling the request) raises CancelledError in the awaiting code, so the step that gathered
    the calls ends in error, while the call still in flight never gets its end: LangSmith's run is
    left pending (langsmith-sdk issue 453), LangGraph's ToolNode runs its tool calls with
    ``asyncio.gather`` (prebuilt/tool_node.py ``_afunc``), langgraph issue 2055. Where a sibling call
    failed (an ``asyncio.TaskGroup`` cancels the others when one raises), that failure is the story
    and the cancelled calls are not waits that went quiet."""
    s = ctx.spans.lazy()
    callers = s.filter(
        pl.col("failed") & pl.col("end_time").is_not_null() & ~pl.col("has_failed_child").fill_null(False)
    ).select(
        "run_id",
        pl.col("span_id").alias("parent_id"),
        pl.col("end_time").alias("_p_end"),
        pl.col("kind").alias("_p_kind"),
        pl.col("call").alias("_p_call"),
        pl.col("error_label").alias("_p_error"),
    )
    return (
        s.filter(pl.col("kind").is_in(CALL_KINDS) & pl.col("end_time").is_null() & ~pl.col("failed") & ~pl.col("is_root"))
        .join(callers, on=["run_id", "parent_id"])
        .filter(pl.col("_p_end") > pl.col("t"))
        .select(
            "run_id",
            "span_id",
            "seq",
            pl.format(
                "{} {} started at {} and never returned; {} {} waiting on it ended with {} at {}: the wait was "
                "cut from outside, and nothing retried the call, timed it out or answered without it",
                pl.col("kind"),
                txt(pl.col("call")),
                hms("t"),
                pl.col("_p_kind"),
                txt(pl.col("_p_call")),
                pl.col("_p_error"),
                hms("_p_end"),
            ).alias("why"),
        )
    )


def detached_calls(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of tool calls that are their run's only span, with no parent: a fragment
    whose caller is not in the log. A tool runs because an agent or its model called it, inside
    that agent's step; a tool span alone in its own trace lost its parent context (a tool run on an
    executor thread the OpenTelemetry context did not follow: smolagents issue 1961), so what the
    agent did with its result or failure is in another trace. Whether a fallback followed cannot
    be read from it."""
    runs = ctx.runs.lazy().filter(pl.col("span_count") == 1).select("run_id")
    return (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("parent_id").is_null())
        .join(runs, on="run_id", how="semi")
        .select("run_id", "span_id")
    )


#: How many levels up a failure is looked for around another (a tool, the agent it runs, its step).
_OUTER_HOPS: Final = 4


def outer_failures(ctx: Context, failures: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``failures`` (``run_id, span_id, span_k``) that hold another of them
    within a few levels below: an agent-as-tool call that failed because a call inside the agent it
    ran failed, its error carried up. The inner one is where the failure happened (as a parser's
    error is read where it was raised, not the chains it went up through)."""
    # Walked up by the spans' 64-bit keys (prepare's span_k / parent_k): each hop joined every span
    # on the (run_id, span_id) strings.
    up = ctx.spans.lazy().filter(pl.col("parent_id").is_not_null()).select("span_k", "parent_k")
    at = failures.select("span_k")
    outer = []
    for _ in range(_OUTER_HOPS):
        at = at.join(up, on="span_k").select(pl.col("parent_k").alias("span_k"))
        outer.append(at)
    keys = pl.concat(outer).join(failures.select("span_k"), on="span_k", how="semi").unique()
    return failures.join(keys, on="span_k", how="semi").select("run_id", "span_id").unique()


def ended_on_error_result(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of tool calls whose result, handed back with status ok, is an error text
    (``ERROR_SHAPED``: an MCP server's "Error executing tool ...: <exception>", a traceback, a JSON
    error object; not an empty result) and is the last thing the run holds: no model turn, answer or
    other call after it, and no output on the run's root (a root that returned a result went on past
    the call to report). The MCP server reports a tool's failure inside the result (``isError`` beside
    the text; FastMCP words it ``f"Error executing tool {name}: {e}"``, modelcontextprotocol
    python-sdk ``src/mcp/server/fastmcp/tools/base.py`` Tool.run), and the client hands that text to
    the model as the call's output; a chat transcript writes it as the ``role: "tool"`` message. The
    call failed, and the run stopped there: it did not go on as if it had succeeded (error_as_data's
    reading), nothing was tried after it and nobody was answered (TAXONOMY unhandled_error: "the run
    just carries on, or ends")."""
    s = ctx.spans.lazy()
    last = s.group_by("run_id").agg(pl.col("seq").max().alias("_last_seq"))
    silent = ctx.runs.lazy().filter(pl.col("root_output").is_null()).select("run_id")
    return (
        s.filter(
            (pl.col("kind") == "tool")
            & pl.col("error_shaped")
            & ~pl.col("failed")
            & pl.col("output").str.contains(ERROR_SHAPED).fill_null(False)
        )
        .join(silent, on="run_id", how="semi")
        .join(last, on="run_id")
        .filter(pl.col("seq") == pl.col("_last_seq"))
        .select("run_id", "span_id")
    )


def aborted_by_caller(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of failed calls their caller or their user chose to end
    (conventions.cancelled ``user_cancelled``): an AbortError (a user pressing stop in useChat, a
    Next.js route's req.signal when the browser goes away, forwarded as streamText's abortSignal;
    the Vercel AI SDK does not retry it by design), a tool call Claude Code's user interrupted or
    turned down, a CancelledError in a run that records its user's cancellation. Nothing was left
    to fall back from. A timeout is not this (AbortSignal.timeout() raises TimeoutError; a
    CancelledError in a run that timed out stays a failure)."""
    return ctx.spans.lazy().filter(pl.col("user_cancelled")).select("run_id", "span_id")


def unanswered_output_tripwires(ctx: Context) -> pl.LazyFrame:
    """``DETECTOR_OUTPUT`` rows of output guardrails that tripped with nothing after them. The
    OpenAI Agents SDK runs an agent's output guardrails on its final output, once the last model
    response is in (src/agents/run.py ``_run_output_guardrails``, after the final-output step), and
    on a tripwire marks the agent span ``SpanError("Guardrail tripwire triggered")`` and raises
    ``OutputGuardrailTripwireTriggered`` to the application (docs guardrails.md). The answer the
    work produced is withheld; unless the application catches the exception and answers otherwise
    (a refusal, a canned reply: some span after it), the run just ends with no answer and no
    defined path. An input guardrail (it starts with the agent, alongside or before its first
    model call) that blocks a request is the guardrail doing its job and is not this. Decisive:
    the guardrail span."""
    s = ctx.spans.lazy()
    trips = s.filter((pl.col("kind") == "guardrail") & (pl.col("pause_kind") == "tripwire")).select(
        "run_id", "span_id", "seq", "t", "call", pl.col("parent_id").alias("_agent"),
        pl.coalesce("end_time", "t").alias("g_end"),
    )
    # An output guardrail: every model call of its agent had ended before it started (and there was one).
    models = s.filter(pl.col("kind") == "llm").select(
        "run_id", pl.col("parent_id").alias("_agent"), pl.coalesce("end_time", "t").alias("_m_end")
    )
    last_model = models.group_by("run_id", "_agent").agg(pl.col("_m_end").max())
    after_output = trips.join(last_model, on=["run_id", "_agent"]).filter(pl.col("_m_end") <= pl.col("t"))
    anything_after = (
        after_output.select("run_id", "span_id", "g_end")
        .join(s.select("run_id", pl.col("t").alias("_a_t")), on="run_id")
        .filter(pl.col("_a_t") > pl.col("g_end"))
        .select("run_id", "span_id")
        .unique()
    )
    return per_run_finding(
        after_output.join(anything_after, on=["run_id", "span_id"], how="anti"),
        first=["call", "t"],
        explanation=pl.format(
            "output guardrail {} tripped at {} on the agent's final output and nothing followed: no "
            "refusal, retry or escalation answered the blocked request; the run just ended",
            txt(pl.col("call")),
            hms("t"),
        ),
    )


def raised_over_cut(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, _cut_id, _cut_seq, _cut_call, _cut_t``: failed steps (chain or agent spans) whose
    last model call was cut at its output cap (``cut_short``) and that hold no failed span of their
    own: the framework raised because of the cut, the model span itself ending OK (Strands'
    ``event_loop_cycle`` raises ``MaxTokensReachedException`` on ``stop_reason == "max_tokens"``,
    strands-agents/sdk-python src/strands/event_loop/event_loop.py; tracer.py ends the model span
    normally and the cycle and agent spans with the error). The cut call is the call that failed."""
    s = ctx.spans.lazy()
    cut = (
        s.filter((pl.col("kind") == "llm") & pl.col("parent_k").is_not_null())
        .sort("run_id", "seq")
        .group_by("run_id", "parent_k")
        .agg(pl.all().last())
        .filter(pl.col("cut_short"))
        .select("run_id", pl.col("parent_k").alias("span_k"), pl.col("span_id").alias("_cut_id"),
                pl.col("seq").alias("_cut_seq"), pl.col("call").alias("_cut_call"), pl.col("t").alias("_cut_t"))
    )
    return (
        s.filter(pl.col("failed") & pl.col("kind").is_in(["chain", "agent"]) & ~pl.col("has_failed_child"))
        .select("run_id", "span_id", "span_k")
        .join(cut, on=["run_id", "span_k"])
        .drop("span_k")
    )


def told_at_cut_call(failures: pl.LazyFrame, over_cut: pl.LazyFrame) -> pl.LazyFrame:
    """``failures`` with each step raised over its cut model call (``raised_over_cut``) told at that
    call instead (its id, seq, call, time and kind): the call is where the step failed."""
    cut = pl.col("_cut_id").is_not_null()
    return (
        failures.join(over_cut, on=["run_id", "span_id"], how="left")
        .with_columns(
            pl.coalesce("_cut_id", "span_id").alias("span_id"),
            pl.coalesce("_cut_seq", "seq").alias("seq"),
            pl.coalesce("_cut_call", "call").alias("call"),
            pl.coalesce("_cut_t", "t").alias("t"),
            pl.when(cut).then(pl.lit("llm")).otherwise(pl.col("kind")).alias("kind"),
        )
        .drop("_cut_id", "_cut_seq", "_cut_call", "_cut_t")
    )
