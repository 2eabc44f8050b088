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

``user_cancelled`` marks such failed calls. They stay ``failed`` (the call did not complete), but no
rule reads them as an error to retry, fall back from or tell of (handling.failure_handling credits
them to the framework: ``aborted_by_caller``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, register

#: An AbortSignal's abort (WHATWG DOM "signal abort"), rethrown by the OpenAI and Anthropic JS clients.
ABORTED: Final = r"(?:^|[.:])(?:AbortError|APIUserAbortError)$"

#: A cancellation: asyncio's CancelledError (``asyncio.exceptions.CancelledError``; "CancelledError: "
#: as the status description), a status or message that says the call was cancelled.
CANCELLATION: Final = r"(?i)(?:^|[.:\s])Cancell?edError\b|^\s*(?:request\s+|task\s+|run\s+|stream\s+)?cancell?ed\b"

#: A timeout among a run's errors: its cancellations may be that timeout's.
TIMEOUT: Final = r"(?i)time[d\s_-]*out|deadline\s*exceeded"

#: Words that record a cancellation as its user's: "cancelled by the user", "stopped by user",
#: "User cancelled the request", "user_cancelled", ``"cancelled_by": "user"``, Claude Code's
#: "[Request interrupted by user]". Only where the user is named: "cancelled" alone says not who.
USER_CANCELLED: Final = (
    r"(?i)\b(?:cancell?ed|aborted|stopped|interrupted|halted)\s+by\s+(?:the\s+)?(?:end[\s_-]?)?user\b"
    r"|\buser[\s_-]?(?:cancell?ed|cancell?ation|aborted|interrupted|stopped)\b"
    rf"|{Q}cancell?ed_by{Q}\s*:\s*{Q}(?:the\s+)?user{Q}"
)

#: Claude Code's tool results when its user stops or turns down a tool call (src/utils/messages.ts).
USER_STOPPED_TOOL: Final = (
    r"^\s*(?:\[Request interrupted by user for tool use\]"
    r"|The user doesn't want to (?:proceed with this tool use|take this action right now))"
)


def _text(*cols: str) -> pl.Expr:
    return pl.concat_str([pl.col(c) for c in cols], separator=" ", ignore_nulls=True).fill_null("")


def _status(df: pl.DataFrame) -> pl.DataFrame:
    # Read on the failed calls only (a few of every table): the text checks never touch the rest.
    failed = (
        df.lazy()
        .filter(pl.col("failed"))
        .select("run_key", "seq", "span_k", "error_type", "error_message", "output")
        .with_columns(
            (
                pl.col("error_type").str.contains(ABORTED).fill_null(False)
                | pl.coalesce("error_message", "output").str.contains(USER_STOPPED_TOOL).fill_null(False)
            ).alias("_stopped"),
            _text("error_type", "error_message").str.contains(CANCELLATION).alias("_cancelled"),
            _text("error_type", "error_message").str.contains(TIMEOUT).alias("_timed_out"),
        )
        .select("run_key", "seq", "span_k", "_stopped", "_cancelled", "_timed_out")
        .collect()
    )
    ended = failed.filter(pl.col("_stopped")).get_column("span_k")
    # Only the runs holding a failed cancellation, and no timeout, are read for who asked for it.
    in_play = (
        failed.group_by("run_key")
        .agg(pl.col("_cancelled").any(), pl.col("_timed_out").any())
        .filter(pl.col("_cancelled") & ~pl.col("_timed_out"))
        .select("run_key")
    )
    if in_play.height:
        # A root holds the whole run: what it says covers every call in it; a person's message, the
        # calls before it.
        said = (
            df.lazy()
            .join(in_play.lazy(), on="run_key", how="semi")
            .filter(pl.col("is_root") | (pl.col("kind") == "human"))
            .filter(_text("output", "error_message").str.contains(USER_CANCELLED))
            .group_by("run_key")
            .agg(
                pl.col("is_root").any().alias("_by_root"),
                pl.col("seq").filter(~pl.col("is_root")).max().alias("_said_seq"),
            )
        )
        by_user = (
            failed.lazy()
            .filter(pl.col("_cancelled"))
            .join(said, on="run_key")
            .filter(pl.col("_by_root") | (pl.col("_said_seq") > pl.col("seq")).fill_null(False))
            .collect()
            .get_column("span_k")
        )
        ended = pl.concat([ended, by_user])
    return df.with_columns(pl.col("span_k").is_in(ended.implode()).alias("user_cancelled"))


register(
    Convention(
        name="user_cancelled",
        signals=(
            Signal(
                "AbortError / APIUserAbortError on a failed call (its AbortSignal fired; AbortSignal.timeout() is TimeoutError instead)",
                "Vercel AI SDK; OpenAI and Anthropic JS clients",
                "vercel/ai packages/ai/src/util/retry-with-exponential-backoff.ts (no retry when the request was aborted); WHATWG DOM signal abort",
                "user_cancelled (handled by the framework: no unhandled or swallowed error)",
            ),
            Signal(
                "a tool result '[Request interrupted by user for tool use]' or 'The user doesn't want to proceed with this tool use' / '... take this action right now'",
                "Claude Code",
                "src/utils/messages.ts (INTERRUPT_MESSAGE_FOR_TOOL_USE, REJECT_MESSAGE, CANCEL_MESSAGE)",
                "user_cancelled",
            ),
            Signal(
                "CancelledError (exception.type asyncio.exceptions.CancelledError, status 'CancelledError: ') in a run whose root, a person's message after the call or the final answer says the user cancelled, stopped or interrupted it; not in a run with a timeout among its errors",
                "any asyncio app: OpenTelemetry Python SDK, LangChain/LangGraph callbacks, OpenAI Agents SDK RunResultStreaming.cancel()",
                "opentelemetry-python opentelemetry-sdk/src/opentelemetry/sdk/trace/__init__.py (Span.__exit__, record_exception escaped=True); openai-agents-python src/agents/result.py (cancel() cancels the run task)",
                "user_cancelled",
            ),
        ),
        status=_status,
        columns={"user_cancelled": "a failed call its caller or its user chose to end (an abort, a user's recorded cancellation), not one that failed on its own"},
    )
)
