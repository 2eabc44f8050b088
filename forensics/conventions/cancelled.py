"""A call its caller or its user chose to end: a cancellation the run records as theirs.

What each framework writes when a call is cancelled, and who it says cancelled it:

* The Vercel AI SDK (and the OpenAI and Anthropic JS clients) reject a call aborted through its
  AbortSignal with a DOMException named ``AbortError`` (``APIUserAbortError``), and do not retry
  it by design (packages/ai/src/util/retry-with-exponential-backoff.ts: "don't retry when the
  request was aborted"). The caller chose to end it. A timeout is not this:
  ``AbortSignal.timeout()`` rejects with ``TimeoutError``.
* Claude Code answers a tool call its user stopped or turned down with an ``is_error`` tool result
  of its own wording (src/utils/messages.ts): ``INTERRUPT_MESSAGE_FOR_TOOL_USE`` "[Request
  interrupted by user for tool use]", ``CANCEL_MESSAGE`` and ``REJECT_MESSAGE`` "The user doesn't
  want to ...".
* Python: asyncio cancels a task with ``CancelledError``, and an OpenTelemetry span it leaves is
  recorded like any exception (opentelemetry-sdk src/opentelemetry/sdk/trace/__init__.py,
  ``Span.__exit__``: status ERROR "CancelledError: ", an ``exception`` event whose
  ``exception.type`` is ``asyncio.exceptions.CancelledError`` and ``exception.escaped`` "True");
  LangChain's callbacks pass ``on_chain_error`` any BaseException the same way. The error does not
  say who cancelled: a user stopping a stream (the OpenAI Agents SDK's
  ``RunResultStreaming.cancel()`` cancels its run task, src/agents/result.py) and an
  ``asyncio.wait_for`` or server timeout cancelling the call it waits on look alike. Only a run
  that records the cancellation as its user's (a root, a person's message or the final answer
  saying the user cancelled, stopped or interrupted it, from the call on) makes it the user's; a
  run with a timeout among its errors does not (that cancellation nobody asked for stays a failure).
* AutoGen: ``CancellationToken.cancel()`` cancels every future linked to it (autogen-core
  src/autogen_core/_cancellation_token.py ``link_future``), so a stopped run's CancelledError
  leaves the agent, the tool and the HTTP request the tool awaited alike. agentchat's
  ``TaskResult.stop_reason`` is free text (autogen-agentchat src/autogen_agentchat/base/_task.py):
  an application records who stopped the run in its root's own attributes
  (``"stop_reason": "cancelled_by_user"``) or its reply. A CancelledError below a call its user
  ended is that cancel, at any depth; a child that failed with another error (an HTTP 500 before
  the cancel) failed on its own.

``user_cancelled`` marks such failed calls. They stay ``failed`` (the call did not complete), but no
rule reads them as an error to retry, fall back from or tell of (handling.failure_handling credits
them to the framework: ``aborted_by_caller``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.ancestry import spans_below
from forensics.conventions.registry import Convention, Q, Signal, on_rows, register

#: An AbortSignal's abort (WHATWG DOM "signal abort"), rethrown by the OpenAI and Anthropic JS clients;
#: LlamaIndex's ``WorkflowCancelledByUser``, "raised when a run is cancelled via the handler or
#: programmatically" (run-llama/workflows ``workflows/errors.py``, re-exported as
#: ``llama_index.core.workflow.errors``): the caller's ``handler.cancel_run()``, not a fault.
ABORTED: Final = r"(?:^|[.:])(?:AbortError|APIUserAbortError|WorkflowCancelledByUser)$"

#: A cancellation: asyncio's CancelledError (``asyncio.exceptions.CancelledError``; "CancelledError: "
#: as the status description), a status or message that says the call was cancelled.
CANCELLATION: Final = r"(?i)(?:^|[.:\s])Cancell?edError\b|^\s*(?:request\s+|task\s+|run\s+|stream\s+)?cancell?ed\b"

#: A timeout among a run's errors: its cancellations may be that timeout's.
TIMEOUT: Final = r"(?i)time[d\s_-]*out|deadline\s*exceeded"
#: The same in an error message, on a line that is not a traceback's quoted code: Python indents a
#: traceback's ``File ...`` lines and their source lines, so ``await asyncio.wait_for(consume(stream,
#: run_id), timeout)`` quoted from the worker that was cancelled (langgraph-api's worker awaits each
#: run under ``asyncio.wait_for(..., timeout)``) names the parameter, not a timeout that fired; the
#: exception lines (``asyncio.exceptions.TimeoutError``, "TimeoutError: ...") are not indented.
TIMEOUT_LINE: Final = r"(?im)^(?:[^\s][^\n]*?)?(?:time[d\s_-]*out|deadline\s*exceeded)"

#: A word's edge, or snake_case's underscore (``run_cancelled_by_user``: ``\b`` alone takes ``_`` for a
#: letter).
_EDGE: Final = r"(?:\b|_)"
#: The words that name the user as who cancelled: "cancelled by the user", "stopped by user",
#: "User cancelled the request", and the same as an identifier or a state (``cancelled_by_user``,
#: ``canceled_by_user``, ``user_cancelled``, ``user-cancelled``, ``userCancelled``). Only where the
#: user is named: "cancelled" alone says not who.
_USER_WORDS: Final = (
    rf"{_EDGE}(?:cancell?ed|aborted|stopped|interrupted|halted)[\s_-]+by[\s_-]+(?:the[\s_-]+)?(?:end[\s_-]?)?user{_EDGE}"
    rf"|{_EDGE}user[\s_-]?(?:cancell?ed|cancell?ation|aborted|interrupted|stopped){_EDGE}"
)
#: ``"cancelled_by": "user"``: the state and who, as a key and its value.
#: The user may be named with their id as a principal (``"user:mkaplan"``, ``"user/42"``): a person,
#: where ``"user-service"`` or ``"users_api"`` is not.
_CANCELLED_BY_USER: Final = rf"{Q}cancell?ed_by{Q}\s*:\s*{Q}(?:the\s+)?user(?:[:/][^\"\\]{{0,80}})?{Q}"
#: A text that records a cancellation as its user's (an answer, a person's message, Claude Code's
#: "[Request interrupted by user]").
USER_CANCELLED: Final = rf"(?i){_USER_WORDS}|{_CANCELLED_BY_USER}"
#: A root's own attribute that records it: a short string value naming the user as who cancelled
#: (an app's ``"stop_reason": "cancelled_by_user"``, a reply "Stopped: cancelled by the user."), or
#: ``"cancelled_by": "user"``. AutoGen's TaskResult.stop_reason is the application's own text
#: (autogen-agentchat src/autogen_agentchat/base/_task.py), so it says who only in words like these.
#: Values only, and short ones: a key (``"user_cancelled": false``) or a long text (the task's own
#: prompt quoting a customer who "cancelled by user request") says nothing of this run.
USER_CANCELLED_VALUE: Final = rf"(?i):\s*{Q}[^\"\\]{{0,120}}?(?:{_USER_WORDS})[^\"\\]{{0,120}}{Q}|{_CANCELLED_BY_USER}"

#: The same told to the user in the second person, in the run's answer ("You cancelled the request",
#: "I've stopped drafting it as you asked", "stopped at your request"): in an answer, "you" is its
#: user. Read in the answer only: a person's own "you stopped" is said to the agent, of the agent.
YOU_CANCELLED: Final = (
    r"(?i)\byou(?:\s+have|'ve|\s+just)?\s+(?:cancell?ed|stopped|interrupted|aborted|halted)\b"
    r"|\b(?:cancell?ed|stopped|interrupted|aborted|halted)\b[^.!?\n]{0,80}?"
    r"\b(?:as\s+you\s+(?:asked|requested|wanted)|at\s+your\s+request)\b"
)

#: Claude Code's tool results when its user stops or turns down a tool call (src/utils/messages.ts).
USER_STOPPED_TOOL: Final = (
    r"^\s*(?:\[Request interrupted by user for tool use\]"
    r"|The user doesn't want to (?:proceed with this tool use|take this action right now))"
)


def _text(*cols: str) -> pl.Expr:
    return pl.concat_str([pl.col(c) for c in cols], separator=" ", ignore_nulls=True).fill_null("")


def _extract() -> list[pl.Expr]:
    # A root's own attributes, read while they are here (preparation drops them): the roots are
    # taken out first, and only those whose attributes name a user and a stop at all go through the
    # regex (literal scans: a log of parentless records makes every record a root).
    def says(attrs: pl.Expr) -> pl.Expr:
        hint = attrs.str.contains("(?i-u)user") & attrs.str.contains("(?i-u)cancel|abort|stopped|interrupt|halted")
        return on_rows(hint, attrs, lambda e: e.str.contains(USER_CANCELLED_VALUE))

    return [on_rows(pl.col("parent_id").is_null(), pl.col("attributes"), says).fill_null(False).alias("_cv_root_user_cancelled")]


def _said_by_user(df: pl.DataFrame, in_play: pl.DataFrame) -> pl.LazyFrame:
    """Per run in play: whether its roots or its final answer say the user cancelled it
    (``_by_root``), and the last person's message that says so (``_said_seq``)."""
    s = df.lazy().join(in_play.lazy(), on="run_key", how="semi")
    says = _text("output", "error_message").str.contains(USER_CANCELLED)
    answer_says = pl.col("output").str.contains(USER_CANCELLED) | pl.col("output").str.contains(YOU_CANCELLED)
    # The final answer: the last answer a model or an agent gave (a root that records none leaves
    # the run's answer to its last model call), or the message the app sent its user on a span of
    # its own after the agent (a bot's send_activity span: sent_messages fills its output).
    answered = (
        pl.col("kind").is_in(["llm", "agent", "chain", "unknown"]) & pl.col("output").is_not_null() & ~pl.col("failed")
    )
    final = s.filter(answered).group_by("run_key").agg(pl.col("output").sort_by("seq").last())
    return pl.concat(
        [
            s.filter(pl.col("is_root") & (pl.col("_cv_root_user_cancelled") | says | answer_says.fill_null(False))).select(
                "run_key", pl.lit(True).alias("_by_root"), pl.lit(None, pl.Int64).alias("_said_seq")
            ),
            final.filter(answer_says).select(
                "run_key", pl.lit(True).alias("_by_root"), pl.lit(None, pl.Int64).alias("_said_seq")
            ),
            s.filter((pl.col("kind") == "human") & ~pl.col("is_root") & says).select(
                "run_key", pl.lit(False).alias("_by_root"), pl.col("seq").cast(pl.Int64).alias("_said_seq")
            ),
        ]
    ).group_by("run_key").agg(pl.col("_by_root").any(), pl.col("_said_seq").max())


def _status(df: pl.DataFrame) -> pl.DataFrame:
    # Read on the failed calls only (a few of every table): the text checks never touch the rest.
    failed = (
        df.lazy()
        .filter(pl.col("failed"))
        .select("run_key", "seq", "span_k", "error_type", "error_message", "output")
        .with_columns(
            pl.col("error_type").str.contains(ABORTED).fill_null(False).alias("_aborted"),
            pl.coalesce("error_message", "output").str.contains(USER_STOPPED_TOOL).fill_null(False).alias("_told"),
            _text("error_type", "error_message").str.contains(CANCELLATION).alias("_cancelled"),
            (pl.col("error_type").str.contains(TIMEOUT).fill_null(False)
             | pl.col("error_message").str.contains(TIMEOUT_LINE).fill_null(False)).alias("_timed_out"),
        )
        .select("run_key", "seq", "span_k", "_aborted", "_told", "_cancelled", "_timed_out")
        .collect()
    )
    ended = failed.filter(pl.col("_aborted") | pl.col("_told")).get_column("span_k")
    # Only the runs holding a failed cancellation, and no timeout, are read for who asked for it.
    in_play = (
        failed.group_by("run_key")
        .agg(pl.col("_cancelled").any(), pl.col("_timed_out").any())
        .filter(pl.col("_cancelled") & ~pl.col("_timed_out"))
        .select("run_key")
    )
    if in_play.height:
        # A root or the final answer holds the whole run: what it says covers every call in it; a
        # person's message, the calls before it.
        by_user = (
            failed.lazy()
            .filter(pl.col("_cancelled"))
            .join(_said_by_user(df, in_play), on="run_key")
            .filter(pl.col("_by_root") | (pl.col("_said_seq") > pl.col("seq")).fill_null(False))
            .collect()
            .get_column("span_k")
        )
        ended = pl.concat([ended, by_user])
        # A call its user ended cancels the calls it awaits (an AutoGen CancellationToken cancels
        # the futures linked to it, autogen-core src/autogen_core/_cancellation_token.py
        # link_future; asyncio cancels a task's awaited task): a CancelledError or an abort below
        # one is that cancel (an abort below one is marked already, on its own). A child that
        # failed on its own (an HTTP 500 before the cancel) keeps its failure.
        below = failed.join(in_play, on="run_key", how="semi").filter(
            pl.col("_cancelled") & ~pl.col("span_k").is_in(ended.implode())
        )
        if below.height:
            ended = pl.concat([ended, spans_below(df, below.select("run_key", "span_k"), ended)])
    return df.with_columns(pl.col("span_k").is_in(ended.implode()).alias("user_cancelled"))


register(
    Convention(
        name="user_cancelled",
        signals=(
            Signal(
                "AbortError / APIUserAbortError on a failed call (its AbortSignal fired; AbortSignal.timeout() is TimeoutError instead); "
                "WorkflowCancelledByUser on a LlamaIndex workflow run (handler.cancel_run())",
                "Vercel AI SDK; OpenAI and Anthropic JS clients; LlamaIndex workflows",
                "vercel/ai packages/ai/src/util/retry-with-exponential-backoff.ts (no retry when the request was aborted); WHATWG DOM signal abort; "
                "run-llama/workflows workflows/errors.py (WorkflowCancelledByUser: a run cancelled via the handler or programmatically)",
                "user_cancelled (handled by the framework: no unhandled or swallowed error)",
            ),
            Signal(
                "a tool result '[Request interrupted by user for tool use]' or 'The user doesn't want to proceed with this tool use' / '... take this action right now'",
                "Claude Code",
                "src/utils/messages.ts (INTERRUPT_MESSAGE_FOR_TOOL_USE, REJECT_MESSAGE, CANCEL_MESSAGE)",
                "user_cancelled",
            ),
            Signal(
                "CancelledError (exception.type asyncio.exceptions.CancelledError, status 'CancelledError: ') in a run whose root (its output, or a short attribute value: 'cancelled_by_user', 'user-cancelled'), a person's message after the call or the final answer (a model's or agent's, or the message the app sent its user on a span of its own after the agent: sent_messages) says the user cancelled, stopped or interrupted it (the answer also in the second person: 'you cancelled', 'stopped as you asked'); not in a run with a timeout among its errors",
                "any asyncio app: OpenTelemetry Python SDK, LangChain/LangGraph callbacks, OpenAI Agents SDK RunResultStreaming.cancel(), AutoGen (TaskResult.stop_reason is the app's own text)",
                "opentelemetry-python opentelemetry-sdk/src/opentelemetry/sdk/trace/__init__.py (Span.__exit__, record_exception escaped=True); openai-agents-python src/agents/result.py (cancel() cancels the run task); microsoft/autogen python/packages/autogen-agentchat/src/autogen_agentchat/base/_task.py (TaskResult.stop_reason)",
                "user_cancelled",
            ),
            Signal(
                "a CancelledError below a call its user ended (any depth), in a run with no timeout among its errors: the cancel reached the calls it awaited; a child that failed with another error keeps its failure",
                "AutoGen (CancellationToken), any asyncio app",
                "microsoft/autogen python/packages/autogen-core/src/autogen_core/_cancellation_token.py (cancel() cancels every future linked by link_future)",
                "user_cancelled",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"user_cancelled": "a failed call its caller or its user chose to end (an abort, a user's recorded cancellation), not one that failed on its own"},
    )
)
