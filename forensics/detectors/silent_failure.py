"""silent_failure: the run reports success, and the evidence says otherwise."""

from __future__ import annotations

import polars as pl

from forensics.detectors.acted_without import acted_without_read
from forensics.detectors.base import (
    CALL_KINDS,
    Context,
    Detector,
    failure_followups,
    finding,
    hms,
    snippet,
    txt,
)
from forensics.detectors.claim_acts import recovered_by_another_tool
from forensics.detectors.closing_guess import decided_by_closing_guess
from forensics.detectors.dropped_filters import decided_by_wider_retry
from forensics.detectors.error_reading import calling_tool
from forensics.detectors.error_shapes import ungrounded_retrievals
from forensics.detectors.findings import per_run_finding
from forensics.detectors.handling import not_made_good, told_of_failure, unhandled_failures
from forensics.detectors.ignored_errors import lost_with_ignored
from forensics.detectors.registry import register


@register
class SwallowedError(Detector):
    name = "swallowed_error"
    failure_class = "silent_failure"
    scope = "run"
    severity = "critical"
    strength = "strong"
    description = (
        "The run reports success (nothing it says tells of a failure), yet it holds an error that was "
        "never recovered (no later successful attempt of the same request, nor a successful fallback). "
        "Errors the framework handed back to the model as results (error_handled) are the model's to "
        "act on, not swallowed by the run, unless the model then did nothing with them and the run "
        "answered success without a word of the failure (ignored_tool_errors); an error the final answer or a later assistant message "
        "mentions was told, not swallowed; the failed attempts of a request retry_storm found are "
        "that storm, told once. A failed model call that was the last thing the run started, its "
        "roots saying nothing (status unset, no output), left the run with no answer at all: nothing "
        "reported success over it (unhandled_error's). The steps that failed on their own (no tool "
        "failing under them) of a run that used up its steps with no tool call ever succeeding (but "
        "the answer's), and answered with the "
        "framework's closing guess (smolagents provide_final_answer at max_steps), are swallowed "
        "under that answer, handed back to the model or not."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        lost = swallowed_errors(ctx).lazy()
        tried = (
            pl.when(pl.col("retried"))
            .then(pl.lit("no retry of it succeeded"))
            .otherwise(pl.lit("it was never retried"))
        )
        found = per_run_finding(
            lost,
            first=["kind", "call", "error_label", "t", "retried"],
            explanation=pl.format(
                "{} {} failed with {} at {} and {}, yet the run reported success ({} unrecovered error(s))",
                pl.col("kind"),
                txt(pl.col("call")),
                pl.col("error_label"),
                hms("t"),
                tried,
                pl.col("n"),
            ),
        )
        # A failure answered by a retry that dropped a constraint: that retry's wider answer was passed on.
        found = decided_by_wider_retry(lost, found)
        # Steps swallowed under the framework's closing guess: the guess is what reported success.
        return decided_by_closing_guess(ctx, lost, found)


def ended_on_failure(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id``: a failed model call that was the last thing its run started, in a run
    whose roots said nothing (status unset, no output, no HTTP response of their own; a person's
    message, a transcript's root, is the task, not a report). A root that is an HTTP server's span
    answering 2xx (``runs.root_answered_ok``: a Next.js route handler's ``POST /api/...`` with
    ``http.response.status_code`` 200 over a Vercel AI SDK ``ai.generateText`` that failed) told its
    caller the request succeeded: that is a success report, and the failure under it swallowed_error's.
    The answer was that call's to give: the
    run stopped there and never answered, so there was no success to swallow the failure under
    (an OpenTelemetry span's status is UNSET unless the instrumentation sets it,
    opentelemetry-specification trace/api.md "Set Status"; a smolagents agent whose model call
    raised ContextWindowExceededError ends with no final answer; a Claude Code session whose next
    API call came back as the synthetic "Prompt is too long" error ends there). Whether anything handled it is
    unhandled_error's to judge. A failed tool call at the end (a delivery) is not this: the
    answer may have been made before it."""
    s = ctx.spans.lazy()
    # Grouped by the run's integer key (run_key codes run_id one to one), not the run_id string.
    silent_roots = (
        s.group_by("run_key")
        .agg(
            pl.col("run_id").first(),
            # A person's message is the task, not the run's report (a transcript's root).
            (
                pl.col("is_root")
                & (pl.col("kind") != "human")
                & ((pl.col("status") != "unset") | pl.col("output").is_not_null())
            )
            .any()
            .alias("_said"),
            pl.col("span_id").filter(~pl.col("is_root")).sort_by(pl.col("seq").filter(~pl.col("is_root"))).last().alias("span_id"),
        )
        .filter(~pl.col("_said"))
        .select("run_id", "span_id")
        .join(ctx.runs.lazy().filter(pl.col("root_answered_ok")).select("run_id"), on="run_id", how="anti")
    )
    return (
        s.filter(pl.col("failed") & (pl.col("kind") == "llm"))
        .select("run_id", "span_id")
        .join(silent_roots, on=["run_id", "span_id"], how="semi")
    )


def swallowed_errors(ctx: Context) -> pl.DataFrame:
    """The failed spans swallowed_error reports (one row per run and span): unrecovered errors of a
    run that reports success. unhandled_error leaves these to it: an error the run then claimed
    success over is one story, told once, as the silent failure it became. Built once per
    classification, its eager steps (told_of_failure's collects) included."""
    return ctx.once("swallowed_errors", lambda: _swallowed_errors(ctx).collect())


def error_origin_below(ctx: Context) -> pl.Expr:
    """True for a failed span whose failure came up from a child: a failed child of its own, except
    an HTTP client request sent once that failed with its call. An HTTP client request is a call of
    its own only where the tool call around it returned normally (unhandled_error's rule): where the
    call failed with it (httpx's ``raise_for_status`` raising out of the tool,
    opentelemetry-instrumentation-httpx marking the request's span an error), the request is how the
    call failed, and the failing step is the call. Such a request is no origin either."""
    s = ctx.spans
    failed_calls = s.filter(pl.col("failed") & pl.col("kind").is_in(CALL_KINDS)).get_column("span_k").implode()
    request_of_call = (
        pl.col("failed")
        & pl.col("http_attempt").fill_null(False)
        & ~pl.col("kind").is_in(CALL_KINDS)
        & (pl.col("attempt_count").fill_null(1) <= 1)
        & pl.col("parent_k").is_in(failed_calls)
    )
    origins = s.filter(pl.col("failed") & ~request_of_call).get_column("parent_k").implode()
    return request_of_call | pl.col("span_k").is_in(origins)


def _swallowed_errors(ctx: Context) -> pl.LazyFrame:
    follow = failure_followups(ctx).lazy()
    success = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
    lost = (
        ctx.spans.lazy()
        .filter(pl.col("failed") & ~pl.col("is_root") & ~error_origin_below(ctx))
        .join(success, on="run_id", how="semi")
        .join(ended_on_failure(ctx), on=["run_id", "span_id"], how="anti")
        .join(follow, on=["run_id", "span_id"])
        # Handed back: the model's to act on, unless it re-sent the call with a constraint dropped (dropped_filters).
        .filter(~pl.col("error_handled") | pl.col("wider_retry_span_id").is_not_null())
        # Not made good (handling.failure_handling): no retry or fallback succeeded, nothing
        # escalated it, nobody was told.
        .join(not_made_good(ctx), on=["run_id", "span_id"], how="semi")
    )
    # One failing request retried into a storm is one story, retry_storm's (missing_fallback):
    # its failed attempts are not counted again as swallowed (TAXONOMY: one failure, one class).
    from forensics.detectors.missing_fallback import retry_storms

    storms = retry_storms(ctx).lazy().select("run_id", "attempt_group")
    lost = lost.join(storms, on=["run_id", "attempt_group"], how="anti")
    # A failure handed back to the model that the model then did nothing with, in a run that
    # answered success without a word of it (missing_fallback's ignored_tool_errors), was
    # swallowed after all: the model's to act on, and it did not.
    from forensics.detectors.missing_fallback import ignored_tool_errors

    names = lost.collect_schema().names()
    ignored = ignored_tool_errors(ctx).lazy().join(not_made_good(ctx), on=["run_id", "span_id"], how="semi").select(names)
    # The earlier failed attempts of such a call were lost with it, unless something made them
    # good (handling.failure_handling: a retry that succeeded, a message that told of them): the
    # model retried, got the error back each time and gave up (ignored_errors.lost_with_ignored).
    earlier = (
        ctx.spans.lazy()
        .join(lost_with_ignored(ctx), on=["run_id", "span_id"], how="semi")
        .join(not_made_good(ctx), on=["run_id", "span_id"], how="semi")
        .join(follow, on=["run_id", "span_id"])
        .select(names)
    )
    guessed = told_of_failure(ctx, steps_under_a_closing_guess(ctx).join(follow, on=["run_id", "span_id"])).select(names)
    # Collected once: recovered_by_another_tool collects it, and the anti join below read the
    # plan again (every part above computed twice).
    out = pl.concat([lost, ignored, earlier, guessed], how="vertical_relaxed").unique(["run_id", "span_id"]).collect().lazy()
    # A later success of another tool named for the same act recovered it (claim_acts.same_act); a
    # failed read the run acted past (acted_without) is unhandled_error's: one failure, one class.
    out = out.join(recovered_by_another_tool(ctx, out), on=["run_id", "span_id"], how="anti")
    return out.join(acted_without_read(ctx), on=["run_id", "span_id"], how="anti")


def steps_under_a_closing_guess(ctx: Context) -> pl.LazyFrame:
    """The steps that failed on their own (handed back to the model) of a run that used up its
    steps with no tool call but the answer's ever succeeding, and reported success on the framework's closing guess: at
    its step limit smolagents' ``_handle_max_steps_reached`` asks the model once more, with no
    tools, for an answer from the memory of the failed steps (``provide_final_answer``,
    src/smolagents/agents.py), and the run returns that answer with no error. Every step had
    failed (code that never parsed, a tool that always raised): the answer stands on no work, and
    the run says nothing of the failures. The closing guess is ``runs.step_limit_span_id``, a
    model call (a span that says it hit a limit, an error, is the error rules' own)."""
    from forensics.detectors.ignored_errors import ANSWER_TOOLS

    s = ctx.spans.lazy()
    guess = (
        ctx.runs.lazy()
        .filter((pl.col("reported_outcome") == "success") & pl.col("step_limit_hit").fill_null(False))
        .select("run_id", pl.col("step_limit_span_id").alias("span_id"))
        .join(s.filter(pl.col("kind") == "llm").select("run_id", "span_id", pl.col("seq").alias("_g_seq")), on=["run_id", "span_id"])
        .select("run_id", "_g_seq")
    )
    worked = s.filter(
        (pl.col("kind") == "tool") & pl.col("succeeded") & ~pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)
    ).select("run_id")
    return (
        # Steps that failed on their own (the model's output never became an action: code that
        # never parsed or ran). A tool failing step after step is that tool's story (the same
        # failing call repeated: repeated_action, retry_storm), and a step failed by a tool under
        # it is that tool's failure.
        s.filter(
            pl.col("failed") & pl.col("error_handled") & (pl.col("kind") == "chain") & ~pl.col("has_failed_child")
        )
        .join(guess.join(worked, on="run_id", how="anti"), on="run_id")
        .filter(pl.col("seq") < pl.col("_g_seq"))
        .drop("_g_seq")
    )


@register
class ErrorAsData(Detector):
    name = "error_as_data"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        'A tool span with ok status returns an error-shaped output ({"error": ...}, a traceback, '
        '429 Too Many Requests, "status": "failed", an empty result) and the run goes on as if it '
        "succeeded (no retry, fallback or escalation, nor a later lookup of the same thing by another key "
        "that found it, no failure reported: neither the final answer nor a "
        "later assistant message mentions a failure, or says the thing was not done in the error's own "
        "words). Also retriever spans that returned no documents, in a run where no retriever returned "
        "one, under an answer that does not say nothing was found; tool calls of a single-agent run "
        "that all returned an empty collection, under an answer stating figures none of them nor the "
        "request gave; a load whose result says it went in part (Snowflake's PARTIALLY_LOADED), or a query "
        "result flagged cut at its row cap, under an answer stating the whole; and a delegate that ran and "
        "returned nothing (an agent span, or a delegation tool call it ran inside), nobody took up, "
        "whose caller went on with the empty answer as the work done or as a finding, not saying it "
        "came back empty."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        not_failed_runs = ctx.runs.lazy().filter(pl.col("reported_outcome") != "error").select("run_id")
        # Error-shaped results no mechanism followed (handling.failure_handling): no retry,
        # fallback (a lookup by another key that found it among them) or escalation, nobody told
        # in fault words or given its reason, not passed on as the agent's own answer. A read that
        # found the run's own write missing told the truth: the write's loss is undelivered_output's
        # (lost_writes), told once.
        from forensics.detectors.lost_writes import lost_write_reads
        from forensics.detectors.unhandled_facts import ended_on_error_result

        shaped = (
            ctx.spans.lazy()
            .filter(pl.col("error_shaped") & ~pl.col("failed"))
            .join(not_failed_runs, on="run_id", how="semi")
            .join(follow, on=["run_id", "span_id"])
            .join(unhandled_failures(ctx), on=["run_id", "span_id"], how="semi")
            .join(lost_write_reads(ctx), on=["run_id", "span_id"], how="anti")
            # An error result the run ended on: the run did not go on at all (unhandled_error's).
            .join(ended_on_error_result(ctx), on=["run_id", "span_id"], how="anti")
        )
        # A span whose error-shaped output came up from a child flagged too is not where it was
        # produced: a smolagents ``Step N`` carries its tool call's observation as its own output
        # (openinference-instrumentation-smolagents ``_wrappers.py`` ``_StepWrapper``: the step's
        # ``observations`` as ``output.value``) and starts before it. The tool call returned it
        # ("Which span is decisive": the span whose output was misread).
        shaped = shaped.join(
            shaped.select("run_id", pl.col("parent_id").alias("span_id")), on=["run_id", "span_id"], how="anti"
        )
        # Retrievals that found nothing under an answer that says it found something. Whether the
        # answer told the user is judged there, by what an empty result means (nothing found, or
        # the lookup failed): the fault words of told_of_failure also name the user's own error
        # that a support answer explains.
        # And tools that all came back empty under an answer stating figures none of them gave
        # (empty_lookups.answered_from_nothing: a tool's empty result is data expected only when
        # the answer goes on as if it had some).
        from forensics.detectors.empty_lookups import answered_from_nothing

        cols = ["run_id", "span_id", "seq", "t", "call", "output", "kind"]
        # And a test run that ran no test (pytest "no tests ran", Jest "No tests found, exiting with
        # code 0") under an answer that says the tests pass (empty_test_runs); an empty reply of an
        # endpoint its server marked deprecated, read as none found (deprecated_replies).
        from forensics.detectors.deprecated_replies import deprecated_empty
        from forensics.detectors.empty_test_runs import ran_no_tests

        # And a load that went in part (Snowflake COPY INTO's PARTIALLY_LOADED) or a query cut at
        # its row cap ("truncated": true), reported as the whole (partial_results).
        from forensics.detectors.partial_results import partial_results

        blind = pl.concat(
            [
                calling_tool(ctx, ungrounded_retrievals(ctx)).select(cols),
                answered_from_nothing(ctx).select(cols),
                ran_no_tests(ctx).select(cols),
                deprecated_empty(ctx).select(cols),
                partial_results(ctx).select(cols),
            ]
        ).unique(["run_id", "span_id"], keep="first")
        # A delegated run that answered nothing, which its caller went on with as the work done
        # (posted, sent, reported) or read as the finding that there is nothing
        # (empty_reports.taken_as_done): an empty result where data was expected.
        from forensics.detectors.empty_reports import taken_as_done

        empty_report = taken_as_done(ctx).select(
            "run_id", "span_id", "seq", "t", pl.col("agent").alias("call"), "output", "kind"
        )
        shaped = pl.concat([shaped.select(cols), blind.select(cols), empty_report.select(cols)], how="vertical_relaxed")
        shown = (
            pl.when(pl.col("kind") == "retriever")
            .then(pl.lit("no documents"))
            .when(snippet(pl.col("output")) == "")
            .then(pl.lit("an empty result"))
            .otherwise(pl.format('"{}"', snippet(pl.col("output"))))
        )
        return per_run_finding(
            shaped,
            first=["call", "output", "t", "kind"],
            explanation=pl.format(
                "{} {} returned {} with status ok at {} and the run went on as if it had succeeded "
                "({} error-shaped result(s))",
                pl.when(pl.col("kind") == "retriever")
                .then(pl.lit("retriever"))
                .when(pl.col("kind") == "agent")
                .then(pl.lit("delegated agent"))
                .when(pl.col("kind") == "chain")
                .then(pl.lit("step"))
                .otherwise(pl.lit("tool")),
                txt(pl.col("call")),
                shown,
                hms("t"),
                pl.col("n"),
            ),
        )


@register
class UndeliveredOutput(Detector):
    name = "undelivered_output"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "The run reports success but its output went nowhere: the root's output is empty, or the "
        "run attempted a delivery (policy tools.delivery) and none succeeded (and no failed one was told "
        "of: an answer or later message naming the fault), or a write the run's own "
        "later read of the same place found missing (empty, or 'no such file', 'not found') and nothing "
        "made good, or the run's last agent span returned no reply (reply_missing: output messages "
        "ending with nothing for the user, or none recorded by Agent Framework), or a model call ended "
        "normally with nothing (its output recorded empty and zero output tokens: Gemini 2.5 thinking that "
        "used the output budget up) and a delivery followed it with no model answer in between. A handoff nobody "
        "received is dangling_handoff's (ownership_gap), not reported twice."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # A handoff nobody received is one failure, owned by ownership_gap (dangling_handoff: "a
        # handoff ... that nobody picks up"); reporting the same span again here as a silent failure
        # would count one lost handoff in two classes.
        success = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success")
        # A lookup named by its read verb delivers nothing, whatever it reads by: tau-bench's
        # find_user_id_by_email finds a user by the address (policy tools.read_only).
        # Read once per distinct tool name, not per call.
        tool_names = ctx.spans.get_column("call_tool").drop_nulls().unique()
        reads = tool_names.filter(tool_names.str.contains(ctx.policy.read_only))
        lookup = pl.col("call_tool").is_in(reads.implode()).fill_null(False)
        deliveries = (
            ctx.spans.lazy()
            .filter((pl.col("kind") == "tool") & pl.col("is_delivery") & ~lookup)
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("succeeded").any().alias("delivered"),
                pl.col("span_id").alias("d_ids"),
                pl.col("span_id").first().alias("d_first"),
                pl.col("call").first().alias("d_call"),
                pl.col("t").first().alias("d_t"),
                pl.len().alias("n_d"),
            )
        )
        # A failed delivery the run told somebody about (its answer or a later message naming the
        # fault, handling.told_spans: "the S3 upload failed with AccessDenied; not uploaded") was
        # reported, not passed off as delivered: it is no silent failure.
        failed_deliveries = (
            ctx.spans.lazy()
            .filter((pl.col("kind") == "tool") & pl.col("is_delivery") & ~lookup & ~pl.col("succeeded"))
            .join(success.select("run_id"), on="run_id", how="semi")
            .select("run_id", "span_id", "seq")
        )
        untold = told_of_failure(ctx, failed_deliveries).select("run_id").unique().with_columns(pl.lit(True).alias("_untold"))
        judged = (
            success.join(deliveries, on="run_id", how="left")
            .join(untold, on="run_id", how="left")
            .with_columns(
                (
                    pl.col("n_d").is_not_null() & ~pl.col("delivered").fill_null(True) & pl.col("_untold").fill_null(False)
                ).alias("undelivered"),
            )
            .filter(pl.col("undelivered") | pl.col("empty_answer"))
            # Collected once: the findings and the lost writes' anti join both read it.
            .collect()
            .lazy()
        )
        why = (
            pl.when(pl.col("undelivered"))
            .then(
                pl.format(
                    "the run reported success but none of its {} delivery attempt(s) succeeded (first: tool {} at {})",
                    pl.col("n_d"),
                    txt(pl.col("d_call")),
                    hms("d_t"),
                )
            )
            .otherwise(pl.format("the run reported success at {} with an empty final output", hms("root_t")))
        )
        empty_from = pl.coalesce("empty_span_id", "root_span_id")
        found = judged.select(
            finding(
                "run_id",
                pl.when(pl.col("undelivered"))
                .then(pl.col("d_ids"))
                .otherwise(pl.concat_list(empty_from, "root_span_id")),
                pl.when(pl.col("undelivered")).then(pl.col("d_first")).otherwise(empty_from),
                why,
            )
        )
        # A write the run's own later read found missing (lost_writes): the output went nowhere.
        from forensics.detectors.lost_writes import lost_writes

        lost = (
            lost_writes(ctx)
            .join(success.select("run_id"), on="run_id", how="semi")
            .join(judged.select("run_id"), on="run_id", how="anti")
            .select(
                finding(
                    "run_id",
                    pl.concat_list("w_id", "r_id"),
                    "w_id",
                    pl.format(
                        "tool {} reported success at {} but a later {} of the same place at {} found nothing ({}); "
                        "the run reported success",
                        pl.col("w_call"), hms("w_t"), pl.col("r_call"), hms("r_t"),
                        pl.when(pl.col("r_said").str.strip_chars().str.len_chars() > 0)
                        .then(pl.format('"{}"', snippet(pl.col("r_said"))))
                        .otherwise(pl.lit("an empty result")),
                    ),
                )
            )
        )  # fmt: skip
        # An agent run that returned with no reply (empty_reply: Agent Framework's invoke_agent
        # whose output messages end with nothing for the user, or that recorded none).
        from forensics.detectors.empty_reply import empty_agent_replies

        unanswered = (
            empty_agent_replies(ctx)
            .join(success.select("run_id"), on="run_id", how="semi")
            .join(judged.select("run_id"), on="run_id", how="anti")
            .join(lost.select("run_id"), on="run_id", how="anti")
            .group_by("run_id")
            .agg(pl.all().first())
            .select(
                finding(
                    "run_id",
                    pl.concat_list("span_id", "agent_id").list.unique(maintain_order=True),
                    "span_id",
                    pl.format("agent {} returned at {} and {}: nothing reached the user, yet the run reported "
                              "success", txt(pl.col("agent")), hms("t"), pl.col("how")),
                )
            )
        )  # fmt: skip
        # A model call that generated nothing (output empty, zero output tokens), then a delivery.
        from forensics.detectors.empty_generation import empty_generations_delivered

        sent_empty = (
            empty_generations_delivered(ctx)
            .join(pl.concat([judged.select("run_id"), lost.select("run_id"), unanswered.select("run_id")]), on="run_id", how="anti")
            .select(
                finding(
                    "run_id",
                    pl.concat_list("span_id", "d_id"),
                    "span_id",
                    pl.format("model call {} at {} {} and {} at {} delivered after it with no answer in between; "
                              "the run reported success", txt(pl.col("model")), hms("t"), pl.col("how"),
                              txt(pl.col("d_call")), hms("d_t")),
                )
            )
        )  # fmt: skip
        return pl.concat([found, lost, unanswered, sent_empty], how="vertical_relaxed")


@register
class PrematureSuccess(Detector):
    name = "premature_success"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "The run is marked done (its root ended without error) while some of its spans never ended, or "
        "while a model turn the provider paused (stop_reason pause_turn) was never resumed."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        done = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id", "last_end")
        spans = ctx.spans.lazy()
        # A JSON-lines app log's line is one record, written once: a line that states how its
        # work came out (its status ok or error) was written once the work was done, whatever end
        # it gives (a guardrail check's line with its result, a human's decision, at one stamp
        # with no duration; forensics/loaders/jsonl.py keeps such a line open, as it keeps a line
        # written when its work started). A span of a tracer is another matter: exported before
        # it ended, it may carry any status, and its missing end is the fact.
        from forensics.loaders import registry as loaders

        once = [n for n in loaders.names() if getattr(loaders.get(n), "records_written_once", False)]
        stated = pl.col("status").is_in(["ok", "error"]) & pl.col("source_format").is_in(once)
        # A request to a human answered by a decision under it (approval.requested, then
        # approval.granted / approval.timeout as its child line) ended with that answer.
        answers = (
            spans.filter((pl.col("kind") == "human") & stated)
            .select("run_id", pl.col("parent_id").alias("span_id"))
            .drop_nulls()
            .unique()
        )
        open_spans = (
            spans.filter(pl.col("end_time").is_null() & ~pl.col("is_root") & ~stated)
            .join(answers.with_columns(pl.lit(True).alias("_answered")), on=["run_id", "span_id"], how="left")
            .filter(~((pl.col("kind") == "human") & pl.col("_answered").fill_null(False)))
            .join(done, on="run_id")
        )
        # The call that never returned is decisive, not the step or chain left open around it (a
        # publish step open only because the page update under it never ended): the earliest open
        # span with no open span under it. Every open span stays evidence, in run order.
        under = open_spans.select("run_id", pl.col("parent_id").alias("span_id")).drop_nulls().unique()
        open_spans = open_spans.join(
            under.with_columns(pl.lit(False).alias("_leaf")), on=["run_id", "span_id"], how="left"
        ).with_columns(pl.col("_leaf").fill_null(True))
        leaf = pl.col("_leaf")
        found = (
            open_spans.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("span_id").filter(leaf).first().alias("first_id"),
                *[pl.col(c).filter(leaf).first() for c in ("kind", "call", "t")],
                pl.col("last_end").first(),
                pl.len().alias("n"),
            )
            .select(
                finding(
                    "run_id",
                    pl.col("ids"),
                    "first_id",
                    pl.format(
                        "the run reported success at {} while {} of its spans never ended (first: {} {} started at {})",
                        hms("last_end"),
                        pl.col("n"),
                        pl.col("kind"),
                        txt(pl.col("call")),
                        hms("t"),
                    ),
                )
            )
        )
        # A model turn the provider paused (Anthropic's stop_reason pause_turn) that nothing resumed:
        # the turn never ended, and the run reported it done (paused_turns).
        from forensics.detectors.paused_turns import unresumed_pauses

        paused = unresumed_pauses(ctx).join(found.select("run_id"), on="run_id", how="anti")
        return pl.concat([found, paused], how="vertical_relaxed")
