"""missing_fallback: it hit a failure and no defined path followed."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.attempts import backoff_shown
from forensics.detectors.acted_without import acted_without_read
from forensics.detectors.base import CALL_KINDS, Context, Detector, failure_followups, finding, hms, num, txt
from forensics.detectors.code_step import decided_by_code_step
from forensics.detectors.decisions import model_decided
from forensics.detectors.findings import per_run_finding
from forensics.detectors.handling import pushed_past_handback, unhandled_failures
from forensics.detectors.ignored_errors import ANSWER_TOOLS as ANSWER_TOOLS
from forensics.detectors.ignored_errors import MENTIONS_FAILURE as MENTIONS_FAILURE
from forensics.detectors.ignored_errors import ignored_tool_errors as ignored_tool_errors
from forensics.detectors.output_parsers import parse_failure
from forensics.detectors.registry import register
from forensics.detectors.reprompt_storms import reprompt_storms
from forensics.detectors.silent_failure import swallowed_errors
from forensics.detectors.suite_claims import failed_test_runs
from forensics.detectors.unexported import unexported_hangs
from forensics.detectors.unhandled_facts import (
    aborted_by_caller,
    cut_waits,
    detached_calls,
    emptied_by_caller,
    ended_on_error_result,
    outer_failures,
    picked_up_after_kill,
    raised_over_cut,
    timed_out_waits,
    told_at_cut_call,
    unanswered_output_tripwires,
)
from forensics.policy import Threshold


@register
class UnhandledError(Detector):
    name = "unhandled_error"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "A tool or model call fails (error status, HTTP 429/5xx, timeout) and none of a retry of the "
        "same call, a fallback, an escalation or a structured failure result follows. Not a failure "
        "the framework handed back to the model as a result (error_handled), nor a limit that stopped "
        "the work on purpose (limit_stop: step, turn or budget limits), nor one whose request "
        "was attempted again (its attempt group has later attempts: retry_storm judges those; a call whose "
        "client's own resends below it all failed is judged here unless retry_storm found a storm in the run), "
        "nor one the run then reported success over (swallowed_error tells that one: one failure, one class), "
        "unless the step that made the call caught the failure and returned an empty result in its place "
        "(a chain span ended OK with an empty output over it; a tool returning [] over its HTTP request the service "
        "failed, 429/5xx; a failed retrieval its caller caught and generated past, the next call under it a model call "
        "with no other search or tool between: then the model got an empty context): then both. A call whose worker process was "
        "killed under it (worker_killed: Celery's WorkerLostError, SIGKILL) and that a later run of the session "
        "made again and succeeded was picked up by the job system's redelivery. A call its caller aborted "
        "(AbortError: its AbortSignal fired, a user pressing stop) was ended on purpose. A tool call that is "
        "its run's only span, with no parent, is a fragment whose caller is in another trace: not judged. "
        "A failed call holding another such failure a few levels below (an agent-as-tool) carried it up: "
        "the inner one is told. "
        "A model call cut at its output cap (cut_short) whose step the framework then failed, no failed span of its own "
        "under it, is that call failing (Strands' event loop raises MaxTokensReachedException on stop_reason max_tokens "
        "and ends the model span OK: raised_over_cut). "
        "An agent stopped by its model call's error (model_call_stop: OpenHands' agent_state error with a "
        "RateLimitError, APIConnectionError ... reason) is that call failing, when no call followed the stop. "
        "An output guardrail (Agents SDK: run on the final output, after the agent's last model call) "
        "that tripped with nothing after it (OutputGuardrailTripwireTriggered escaped: no refusal, no canned "
        "reply) left the request with no answer and no defined path (decisive: the guardrail span). "
        "A word of the failure, or a failure result, handled nothing where the run went on past it into an "
        "irreversible act (a deploy, payment or drop that succeeded later, no retry, fallback or escalation "
        "first: handling.pushed_past). Nor did the framework's hand-back of a tool error to the model where the "
        "agent's next tool call was such an act (handling.pushed_past_handback: a backup that failed, "
        "then the delete it was to protect). Nor were they, or a word of it, any path where a failed read (tools.read_only) "
        "was followed by an act that needed it, the next call or one on the read's values, with the data not read another way "
        "first (acted_without: a stock read on an open breaker, then the purchase order). A tool result handed back with status ok whose text is an error (an MCP "
        "server's \"Error executing tool ...\") and that is the last thing the run holds is that call failing "
        "with nothing after it (unhandled_facts.ended_on_error_result; error_as_data leaves it: the run did not go on)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        runs = ctx.runs.lazy().select(
            "run_id", "structured_failure", "says_failure", "span_count", "reported_outcome"
        )
        # An HTTP client request is a call whatever kind its instrumentation gave the span (an httpx/requests
        # span under a tool is often INTERNAL or UNKNOWN). Where its failure went up (the tool call around it
        # failed too) that call is the failure; where the tool call around it returned normally, its wrapper
        # turned the failure into a result (a default, a placeholder): the request's failure is the unhandled one.
        # Looked up by the spans' 64-bit keys (prepare's span_k / parent_k), not joined on the
        # (run_id, span_id) strings: a left join of every span on two string columns, 0.1 CPU s at
        # 584k spans, became a set lookup.
        ok_tools = (
            ctx.spans.lazy().filter(pl.col("kind").is_in(CALL_KINDS) & ~pl.col("failed")).select("span_k").collect()
        )
        http_swallowed = (
            pl.col("failed")
            & pl.col("http_attempt").fill_null(False)
            & ~pl.col("kind").is_in(CALL_KINDS)
            & pl.col("parent_id").is_not_null()
            & pl.col("parent_k").is_in(ok_tools.get_column("span_k").implode())
        )
        last_call = (
            ctx.spans.lazy().filter(pl.col("kind").is_in(CALL_KINDS)).group_by("run_id").agg(pl.col("seq").max().alias("_last_call"))
        )
        # A step the framework failed over its model call cut at the output cap (raised_over_cut).
        over_cut = raised_over_cut(ctx)
        # An error result the run ended on is the call failing, with nothing after it.
        ended_on = ended_on_error_result(ctx).collect()
        unhandled = (
            ctx.spans.lazy()
            # Only a failed call or an error result the run ended on can be told (the filter below
            # keeps no other): the left joins that follow read those few spans, not every span
            # (three joins on the string ids of every span, 1.2 of unhandled_error's 2.2 CPU s on
            # the bench night).
            .filter(pl.col("failed") | pl.col("span_id").is_in(ended_on.get_column("span_id").implode()))
            .with_columns(http_swallowed.alias("_http_swallowed"))
            .join(over_cut.select("run_id", "span_id", _over_cut=pl.lit(True)), on=["run_id", "span_id"], how="left")
            .with_columns(pl.col("_over_cut").fill_null(False))
            # A failure handed back to the model that went straight on to an irreversible act: the
            # hand-back was no path (handling.pushed_past_handback).
            .join(pl.concat([pushed_past_handback(ctx), acted_without_read(ctx).select("run_id", "span_id")]).unique()
                  .with_columns(_pushed_on=pl.lit(True)), on=["run_id", "span_id"], how="left")
            .join(ended_on.lazy().with_columns(_ended_on=pl.lit(True)), on=["run_id", "span_id"], how="left")
            .with_columns(pl.col("_ended_on").fill_null(False))
            .filter(
                (pl.col("failed") | pl.col("_ended_on"))
                & (pl.col("kind").is_in(CALL_KINDS) | pl.col("_http_swallowed") | parse_failure() | pl.col("model_call_stop")
                   | pl.col("raised_out") | pl.col("_over_cut"))
                & (~pl.col("error_handled") | pl.col("_pushed_on").fill_null(False))
                & ~pl.col("limit_stop")
                & ~(pl.col("attempt_count") > 1).fill_null(False)
            )
            # The agent stopped on its model call's error (model_call_stop): unhandled when the run
            # ended there, no call after it (a run resumed and working again handled it).
            .join(last_call, on="run_id", how="left")
            .filter(~pl.col("model_call_stop") | (pl.col("seq") > pl.col("_last_call")).fill_null(True))
            .join(follow, on=["run_id", "span_id"])
            .join(runs, on="run_id")
            # A call that failed after its client's own resends (openai-python _retry_request) failed;
            # where retry_storm judged the resends, the storm is the story (one failure, one class).
            .join(retry_storms(ctx).lazy().select("run_id", _storm=pl.lit(True)).unique(), on="run_id", how="left")
            .filter(~pl.col("retried_below") | pl.col("_storm").is_null())
            # No mechanism followed it (handling.failure_handling, the one answer every error rule
            # reads): no retry, fallback or escalation, no structured failure result, and nobody
            # told (the final answer or a later message saying it failed: the run reported the
            # failure, it did not just carry on).
            .join(unhandled_failures(ctx), on=["run_id", "span_id"], how="semi")
        )
        # A failure handed back to the model (error_handled) and ignored under a success report, and
        # any failure the run then reported success over, is swallowed_error's: one failure, one class.
        # Unless the caller turned the failure into an empty result (emptied_by_caller): then the
        # call failed with nothing to fall back on and the run went on with nothing; both happened.
        swallowed = swallowed_errors(ctx).lazy().select("run_id").unique().with_columns(pl.lit(True).alias("_swallowed"))
        unhandled = (
            unhandled.join(failed_test_runs(ctx), on=["run_id", "span_id"], how="anti")
            .join(picked_up_after_kill(ctx), on=["run_id", "span_id"], how="anti")
            .join(aborted_by_caller(ctx), on=["run_id", "span_id"], how="anti")
            .join(detached_calls(ctx), on=["run_id", "span_id"], how="anti")
            .join(swallowed, on="run_id", how="left")
            .join(emptied_by_caller(ctx), on=["run_id", "span_id"], how="left")
            .filter(pl.col("_swallowed").is_null() | pl.col("_emptied").fill_null(False))
            # What is read below (per_run_finding, outer_failures), not every span column.
            .select("run_id", "span_id", "span_k", "seq", "kind", "call", "error_label", "t", "reported_outcome", "span_count")
            .collect()
            .lazy()
        )
        # A failure that only carried up another one below it (an agent-as-tool call) is told there.
        unhandled = unhandled.join(outer_failures(ctx, unhandled), on=["run_id", "span_id"], how="anti")
        unhandled = told_at_cut_call(unhandled, over_cut)
        then = (
            pl.when(pl.col("after") > 0)
            .then(pl.format("the run carried on with {} more span(s)", pl.col("after")))
            .otherwise(pl.lit("the run ended there"))
        )
        found = per_run_finding(
            unhandled,
            first=["kind", "call", "error_label", "t", "reported_outcome"],
            also=[(pl.col("span_count").first() - 1 - pl.col("seq").first()).alias("after")],
            explanation=pl.format(
                "{} {} failed with {} at {} and no retry, fallback, escalation or structured failure "
                "result followed; {} and reported {} ({} unhandled failure(s) in the run)",
                pl.col("kind"),
                txt(pl.col("call")),
                pl.col("error_label"),
                hms("t"),
                then,
                pl.col("reported_outcome"),
                pl.col("n"),
            ),
        )
        # An output guardrail that withheld the final answer, with nothing after it.
        tripped = unanswered_output_tripwires(ctx).join(found.select("run_id"), on="run_id", how="anti")
        return pl.concat([found, tripped], how="vertical_relaxed")


@register
class Stall(Detector):
    name = "stall"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "medium"
    thresholds = (
        Threshold("stall_seconds", 300.0, "A run that goes quiet for longer than this after an error has stalled.",
                  "a number of seconds > 0", lambda v: v > 0, (int, float)),
    )
    strength = "strong"
    description = (
        "The run never ends (its root has no end and no terminal status; not a run its application "
        "wrote parked to wait for a person after escalating: run.suspended), or it goes quiet for longer "
        "than thresholds.stall_seconds after an error, or a call waits longer than thresholds.stall_seconds "
        "and then fails with a timeout (what it waited on went quiet; not when a later attempt or a fallback "
        "answered it, nor when the run then relayed the silence: told as a fault or as no answer having come), "
        "or a call never returns while the step waiting on it ends in error with no other "
        "call under it failing (the wait cut from outside: asyncio CancelledError, a server timeout)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        stall_s = ctx.policy.stall_seconds
        s = ctx.spans.lazy()
        runs = ctx.runs.lazy()
        # Never ended: the hang is the latest-started model or tool call still open (the call that
        # never returned), or the delegation the run waits on (runs.awaiting_span_id: a handoff
        # that never returned, its agent idle since), or a step an application log started and
        # never ended (conventions.lifecycle: never_ended); with none, the last thing the run did.
        # A run its application parked to wait for a person after escalating (suspended_runs) did not
        # hang: whether anybody answered is the escalation's story (unacknowledged_escalation, limbo).
        from forensics.detectors.suspended_runs import suspended_for_a_person

        open_runs = (
            runs.filter(pl.col("reported_outcome") == "open")
            .select("run_id", "awaiting_span_id")
            .join(suspended_for_a_person(ctx), on="run_id", how="anti")
        )
        open_spans = s.join(open_runs, on="run_id")
        # A run whose last activity is a handoff waits on it: the agent that handed off passed its
        # work on and stopped acting, and nobody took the task up (limbo reads the same last
        # activity). An application log that writes each agent's start and never its end
        # (conventions.lifecycle: never_ended) leaves the handing-off agent's start open as well:
        # that agent did not hang, it handed off, so the handoff is where the run stopped.
        act = pl.col("kind").is_in(["llm", "tool", "retriever", "handoff"]) | pl.col("handoff_target").is_not_null()
        last_is_handoff = (
            (pl.col("seq") == pl.col("seq").filter(act).max().over("run_id"))
            & pl.col("handoff_target").is_not_null()
            & ~pl.col("is_root")
        ).fill_null(False)
        open_rows = open_spans.with_columns(
            (
                (~pl.col("is_root") & pl.col("end_time").is_null() & pl.col("kind").is_in(CALL_KINDS))
                | (pl.col("span_id") == pl.col("awaiting_span_id")).fill_null(False)
                | (pl.col("never_ended") & ~pl.col("is_root"))
                | last_is_handoff
            ).alias("hung"),
            pl.col("end_time").is_null().sum().over("run_id").alias("n_open"),
        ).select("run_id", "span_id", "seq", "kind", "call", "t", "hung", "n_open")
        # The columns read below only (pl.all() takes every column it is given), collected once:
        # both parts read it.
        open_rows = open_rows.collect().lazy()
        hung = open_rows.filter(pl.col("hung")).sort("run_id", "seq").group_by("run_id").agg(pl.all().last())
        no_hung = (
            open_rows.join(hung.select("run_id"), on="run_id", how="anti")
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(pl.all().last())
        )
        never = pl.concat([hung, no_hung], how="vertical_relaxed").select(
            "run_id",
            "span_id",
            "seq",
            pl.format(
                "the run never ended: {} span(s) have no end, and the last work was {} {} started at {}",
                pl.col("n_open"),
                pl.col("kind"),
                txt(pl.col("call")),
                hms("t"),
            ).alias("why"),
        )
        # Never ended, as an OpenTelemetry export shows it: a parent never exported (unexported.py).
        unexported = unexported_hangs(ctx, stall_s, open_runs)
        never = pl.concat([never, unexported], how="vertical_relaxed")
        # Quiet after an error: the gap from the failure's end to the next span's start.
        real_clock = runs.filter(~pl.col("synthetic_time")).select("run_id")
        gaps = (
            s.filter(pl.col("failed") & pl.col("next_t").is_not_null())
            .join(real_clock, on="run_id", how="semi")
            .with_columns(
                ((pl.col("next_t") - pl.coalesce("end_time", "t")).dt.total_milliseconds() / 1000).alias(
                    "gap_s"
                )
            )
            .filter(pl.col("gap_s") > stall_s)
            .select(
                "run_id",
                "span_id",
                "seq",
                pl.format(
                    "after {} {} failed with {} at {} the run went quiet for {} s (stall threshold {} s)",
                    pl.col("kind"),
                    txt(pl.col("call")),
                    pl.col("error_label"),
                    hms("t"),
                    num(pl.col("gap_s")),
                    pl.lit(stall_s),
                ).alias("why"),
            )
        )
        per_run = (
            pl.concat([never, gaps, timed_out_waits(ctx, stall_s), cut_waits(ctx)], how="vertical_relaxed")
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").first().alias("first_id"),
                pl.col("why").first(),
            )
        )
        return per_run.select(
            finding("run_id", pl.col("ids").list.unique(maintain_order=True), "first_id", pl.col("why"))
        )


def retry_storms(ctx: Context) -> pl.DataFrame:
    """The attempt groups retry_storm finds (one row per run and ``attempt_group``: more retries than
    thresholds.retry_limit, or retries whose spacing never grew). Shared by retry_storm and
    swallowed_error (a storm's failed attempts are that storm, told once): built once per
    classification, eager steps included."""
    return ctx.once("retry_storms", lambda: _retry_storms(ctx).collect())


#: What changes between two answers of one failure without telling anything new: the response's own
#: id (HubSpot's error body carries a fresh ``correlationId`` UUID on every response, HubSpot API
#: "Error handling"; Azure's and AWS's request ids are UUIDs too; GitHub's ``X-GitHub-Request-Id``,
#: five colon-separated hex groups ``C1A4:2F11:9A3E7C:A04C12:6970E5D4``, also quoted in its error
#: body: "please include the request ID ...") and the time it was answered.
VOLATILE: Final = (
    r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\b[0-9a-f]{4}:[0-9a-f]{4,6}:[0-9a-f]{5,8}:[0-9a-f]{5,8}:[0-9a-f]{8}\b"
    r"|\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def _retry_storms(ctx: Context) -> pl.LazyFrame:
    pol = ctx.policy
    key = ["run_id", "attempt_group"]
    # A call its caller or its user ended (aborted_by_caller: an AbortError, a recorded user
    # cancellation) did not fail to be retried: handling.failure_handling credits it to the
    # framework, and the Vercel AI SDK never resends it (retry-with-exponential-backoff.ts: "don't
    # retry when the request was aborted"); the same request sent again is the user's, not a policy's.
    cancelled = aborted_by_caller(ctx).collect()
    calls = (
        ctx.spans.lazy()
        .filter(pl.col("attempt_group").is_not_null())
        .join(cancelled.lazy().with_columns(pl.lit(True).alias("_cancelled")), on=["run_id", "span_id"], how="left")
        .with_columns(pl.col("failed") & pl.col("_cancelled").is_null())
        .drop("_cancelled")
    )
    # Only the attempt groups with a failing call can hold a storm: the few failing keys are found
    # first and the calls narrowed to them (a semi join on every attempt's run cost more than them).
    failing_keys = calls.filter(pl.col("failed")).select(key).unique().collect()
    # Narrowed by their attempt_group values first, a filter polars pushes onto the span table (the
    # semi join alone took every attempt's columns out before it joined: 433k rows at 584k spans).
    groups = failing_keys.get_column("attempt_group").implode()
    chain = (
        calls.filter(pl.col("attempt_group").is_in(groups))
        .join(failing_keys.lazy(), on=key, how="semi", nulls_equal=True)
        .sort("run_id", "seq")
        .with_columns(
            pl.col("failed").shift(1).over(key).fill_null(False).alias("is_retry"),
            # Whether this attempt waited out the Retry-After of the failure before it.
            pl.col("retry_after_honoured").shift(1).over(key).fill_null(False).alias("waited"),
            # Whether the failure before it asked for a wait (a Retry-After).
            pl.col("retry_after_s").shift(1).over(key).is_not_null().alias("asked"),
            # The wait it asked for, where the request never got through: then the server was right
            # and no wait shorter than it is a backoff (backoff_shown). Where a later attempt got
            # through, the Retry-After was the server's caution and the client's own growing backoff
            # (openai-python sleeps its own when Retry-After is over 60 s) is read as before.
            pl.when(pl.col("group_recovered").any().over(key))
            .then(None)
            .otherwise(pl.col("retry_after_s").shift(1).over(key))
            .alias("asked_s"),
            # The wait before a retry is from the end of the failed attempt to the retry's start:
            # the sleep a backoff policy grows (tenacity, the OpenAI SDK's _calculate_retry_timeout
            # sleep after the failure returns); start-to-start gaps also hold each attempt's own
            # duration, which hides the growth. Without an end time, start to start.
            # Where the client wrote down the wait it scheduled (client_retry_wait_s: Claude Code's
            # retryInMs), that wait is its backoff: the gap between its error lines also holds each
            # attempt's own time on the wire (a 529 can take 30 s to come back).
            pl.coalesce(
                pl.col("client_retry_wait_s").shift(1),
                (pl.col("t") - pl.coalesce(pl.col("end_time"), pl.col("t")).shift(1)).dt.total_milliseconds() / 1000,
            )
            .over(key)
            .alias("gap_s"),
        )
    )
    # Each attempt after the first: did the agent's model send it again (a repeat, repeated_action's)?
    # Materialised before and after: model_decided reads the chain three times, and retries and
    # firsts below read its result (a lazy frame read twice in one plan is computed twice).
    chain = model_decided(ctx, chain.collect().lazy(), key).collect().lazy()
    retries = chain.filter(pl.col("is_retry")).with_columns(
        pl.col("gap_s").shift(1).over(key).alias("prev_gap_s")
    )
    # grew by backoff_growth, or a RunnableRetry that waited; a wait under the floor or the Retry-After is none
    grew = backoff_shown(pol.backoff_growth, pol.retry_wait_floor_s)
    per_key = retries.group_by(key).agg(
        pl.len().alias("n_retries"),
        grew.any().alias("grew"),
        pl.col("waited").all().alias("honoured"),
        num(pl.col("gap_s")).str.join(", ").alias("gaps"),
        pl.col("span_id").alias("retry_ids"),
        # A tool call the agent's model issued again after each failure is a repeat, not a retry.
        (pl.col("decided") & (pl.col("kind") == "tool") & ~pl.col("http_attempt")).all().alias("repeat"),
        # The first resend that ignored the wait the server asked for: the first failure was an
        # instructed, recoverable wait, and that resend is where the storm became inevitable.
        pl.col("span_id").filter(pl.col("asked") & ~pl.col("waited")).first().alias("ignored_id"),
        # Every resend came before the wait the failure before it stated (RFC 9110 10.2.3 Retry-After).
        (pl.col("asked") & ~pl.col("waited")).all().alias("ignored_all"),
        # An application's retry loop around a whole agent invocation that got its answer in the end
        # (conventions.attempts: the agent invoked again with the same input): each attempt is a
        # whole agent run, no endpoint hammered; only too many attempts tell of a storm.
        ((pl.col("kind") == "agent") & pl.col("group_recovered")).any().alias("agent_recovered"),
        pl.col("group_recovered").fill_null(False).any().alias("_recovered"),
    )
    firsts = (
        chain.filter(pl.col("failed"))
        .group_by(key)
        .agg(
            pl.col("span_id").first().alias("first_id"),
            pl.col("kind").first(),
            # An HTTP resend is named by its method and URL (its span name is often just "GET").
            pl.when(pl.col("http_attempt"))
            .then(pl.concat_str([pl.col("call"), pl.col("http_url")], separator=" ", ignore_nulls=True))
            .otherwise(pl.col("call"))
            .first()
            .alias("call"),
            pl.col("t").first(),
            pl.col("seq").first(),
            pl.len().alias("n_failed"),
            pl.col("error_label").first(),
            pl.col("client_max_retries").max(),
            # Every failure a refusal the same request sent again at once could not get past (an open
            # circuit breaker, a certificate that fails verification: conventions.refusals).
            pl.col("refused_now").all().alias("refused"),
            # Each failed tool call told the model something else ("1 of 4 replicas", "3 of 4").
            # Answers that differ only by the response's id or time told nothing new.
            ((pl.col("kind").first() == "tool")
             & (pl.col("output").str.replace_all(VOLATILE, "~").drop_nulls().n_unique() == pl.len())).alias("news"),
        )
    )
    clocks = ctx.runs.lazy().select("run_id", "synthetic_time")
    storms = (
        per_key.join(firsts, on=key, nulls_equal=True)
        .join(clocks, on="run_id")
        .with_columns(
            # A client that states its own limit and backs off (Claude Code: maxRetries 10,
            # retryInMs doubling) runs its own policy: too many is past that limit.
            (
                pl.col("n_retries")
                > pl.when(pl.col("grew")).then(pl.max_horizontal(pl.col("client_max_retries"), pl.lit(pol.retry_limit)))
                .otherwise(pl.lit(pol.retry_limit))
            ).alias("too_many"),
            (
                (pl.col("n_retries") >= pol.backoff_min_retries)
                & ~pl.col("grew")
                & ~pl.col("synthetic_time")
                & ~pl.col("honoured").fill_null(False)
                & ~pl.col("agent_recovered")
            ).alias("no_backoff"),
        )
        # A tool re-run while its report keeps changing polls a moving state, not one failing
        # request resent (as in repeated_action: a failure that told something new is no repeat).
        # A tool call the agent's model issued again after each failure is a repeat (repeated_action's),
        # unless every failure was a refusal (refused_now) and the model sent it more than retry_limit
        # times, never getting through: resending into an open breaker is the storm the breaker is
        # there to stop, whoever decided the resends; so is each resend sent before the server's Retry-After.
        .filter(
            (pl.col("too_many") | pl.col("no_backoff"))
            & ~pl.col("news")
            & (
                ~pl.col("repeat")
                | ((pl.col("refused") | pl.col("ignored_all")) & pl.col("too_many") & ~pl.col("_recovered"))
            )
        )
        .drop("news", "repeat", "agent_recovered", "refused", "_recovered", "ignored_all")
    )
    return pl.concat([storms, reprompt_storms(ctx, storms.collect_schema())], how="diagonal")


@register
class RetryStorm(Detector):
    name = "retry_storm"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "medium"
    thresholds = (
        Threshold("retry_limit", 3, "More retries of one failing call than this is a storm.",
                  "an integer >= 0", lambda v: v >= 0),
        # 1.25: the OpenAI and Anthropic Python clients sleep min(0.5 * 2**n, 8) s times a jitter of
        # 0.75-1.0 (openai-python src/openai/_base_client.py _calculate_retry_timeout), so one wait
        # can be as little as 1.5x the one before, less with clock noise; a flat loop stays near 1.0.
        Threshold("backoff_growth", 1.25, "Each retry gap must grow by at least this factor over the previous "
                  "gap somewhere in the chain, or the retries had no backoff.",
                  "a growth factor >= 1.0", lambda v: v >= 1.0, (int, float)),
        # Was a literal `>= 2` in detect(): one retry has no spacing to compare, two are the first chain
        # whose spacing can fail to grow. Optional so policy files written before it keep loading.
        Threshold("backoff_min_retries", 2, "Retries of one call needed before missing backoff counts.",
                  "an integer >= 2", lambda v: v >= 2, required=False),
        # 0.1 s: a retry loop's own scheduling (tenacity's loop, LangChain's callback manager) takes
        # milliseconds, and a growth among such gaps (2 ms, then 4 ms) is clock noise, not a backoff.
        # Every backoff read here waits far longer: the OpenAI client 0.5 s at the least
        # (openai-python _base_client.py _calculate_retry_timeout), tenacity's wait_exponential_jitter
        # 1 s (its ``initial``). Was the constant WAIT_FLOOR_S; optional so older policy files load.
        Threshold("retry_wait_floor_s", 0.1, "A wait after a failed attempt shorter than this (seconds) is no "
                  "wait: its growth is no backoff. A wait shorter than the Retry-After the failure asked for "
                  "is none either.", "a number of seconds >= 0", lambda v: v >= 0, (int, float), required=False),
    )
    strength = "strong"
    description = (
        "More retries of one failing request (an attempt group: the same call by the same agent with "
        "the same arguments, or HTTP resends of one method and URL under one parent) than "
        "thresholds.retry_limit, or 2+ retries whose spacing never grows by thresholds.backoff_growth "
        "(spacing the server asked for with Retry-After, and honoured, is backoff). A framework's "
        "re-prompts of a rejected answer (pydantic-ai's retry prompt: reprompted) are retries of the "
        "model call before them. A tool call the agent's model issued again after each failure is a "
        "repeat (repeated_action's), not a retry, unless every failure was a refusal (refused_now: an open "
        "circuit breaker, a certificate that fails verification), or every resend came before the wait the failure "
        "before it asked for (Retry-After, RFC 9110 10.2.3), and it was sent more than thresholds.retry_limit "
        "times without getting through. A client that records its own retry limit "
        "(client_max_retries: Claude Code's maxRetries) and backs off is judged against that limit."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        pol = ctx.policy
        storms = retry_storms(ctx).lazy()
        why = pl.format(
            "{} {} failed {} time(s) with {} from {} and was retried {} time(s){}{}{}",
            pl.col("kind"),
            txt(pl.col("call")),
            pl.col("n_failed"),
            pl.col("error_label"),
            hms("t"),
            pl.col("n_retries"),
            pl.when(pl.col("too_many"))
            .then(pl.format(", more than the limit of {}", pl.lit(pol.retry_limit)))
            .otherwise(pl.lit("")),
            pl.when(pl.col("no_backoff"))
            .then(pl.format("; retry spacing never grew (gaps {} s)", pl.col("gaps")))
            .otherwise(pl.lit("")),
            pl.when(pl.col("ignored_id").is_not_null())
            .then(pl.lit("; the wait the server asked for (Retry-After) was not honoured"))
            .otherwise(pl.lit("")),
        )
        per_run = (
            storms.with_columns(
                why.alias("why"),
                pl.concat_list(pl.col("first_id"), "retry_ids").alias("ev"),
                # Decisive: the first failed attempt (from there the retry policy, too many or no
                # backoff, made the storm inevitable), unless that failure asked for a wait
                # (Retry-After) the client then ignored: then the resend that ignored it.
                pl.coalesce("ignored_id", "first_id").alias("decisive"),
            )
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(pl.col("ev").first(), pl.col("decisive").first(), pl.col("why").first())
        )
        # Attempts that one code action made (a smolagents CodeAgent's retry loop): its step decided them.
        return decided_by_code_step(ctx, per_run.select(finding("run_id", pl.col("ev"), "decisive", pl.col("why"))))
