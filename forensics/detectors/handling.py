"""Was each failure handled, and how: one answer per failing span, built once per classification.

Every error-reading detector asks the same question of a failed span (or an error-shaped result):
did anything deal with it? Answered in each detector's own way, one saw a failure as handled and
another as not (a tool failure the run then told the user about in plain words was "told" for
swallowed_error and "unhandled" for unhandled_error; an HTTP request retried into a success outside
any agent was an orphan). :func:`failure_handling` answers it once, as columns over the whole table:

``handled_by`` is the first mechanism that applies, in this order (strongest first):

* ``retry``: a later attempt of the same request succeeded (a re-issued call, an attempt group's
  later attempt, a failed call whose failed caller was retried into a success, a run that ended in
  error whose request the session's next run sent again and got answered: session_retry);
* ``fallback``: another tool or model did the step and succeeded (a declared fallback: LangChain
  with_fallbacks, pydantic-ai FallbackModel, LiteLLM Router ``attempted_fallbacks``; the same verb
  and arguments on another service; a lookup of the same thing by another key that found it; the
  same file written to another place the answer names, a created object found there already:
  made_good_elsewhere);
* ``escalation``: an escalation followed (a human, a queue, a ticket: policy ``tools.escalation``; work
  sent to a dead-letter queue, dead_letters.dead_letter_parks);
* ``framework``: the framework handled it as designed: the error handed back to the model as the
  call's result (``error_handled``: a ToolNode error message, the Agents SDK's non-fatal tool error,
  a smolagents error observation, pydantic-ai's ModelRetry) and the model did not ignore it
  (``ignored_tool_errors``, nor a later failure of the same tool it then ignored:
  ``lost_with_ignored``), nor went straight on to an irreversible act (:func:`pushed_past_handback`:
  its next tool call a deploy, payment or drop that succeeded), a limit that stopped the work on purpose (``limit_stop``), a call its
  own caller aborted (``AbortError``), or a request that failed inside a model call that then
  got its response from a later request (:func:`inside_returned_model_call`: the client's own
  resends, a FallbackModel's next model);
* ``structured_failure``: the run returned a structured failure result (``"status": "failed"``);
* ``reported``: the run told someone: its final answer says it could not do the task
  (``says_failure``), the final answer or a later assistant message (not a CodeAgent's thought
  before its code: ``CODE_ACTION``) names a fault (``TELLS_OF_FAULT``), a later successful side
  effect passed it on in its arguments, the agent gave the error as its answer (its answer tool), or
  (an error-shaped result) a later message passed its reason on. Fault words, not inability words
  (an error body read as data: "the transfer can't go through"; "I can't wait till then": no report);
  A report is no handling of a failure the run then pushed past into an irreversible act (a
  successful deploy, payment or drop after it, with no retry, fallback or escalation first:
  :func:`pushed_past`): "the migration hit a lock timeout, proceeding with the rollout" told, and
  carried on; a structured failure at the end (the rollout's own health check failing) tells of
  what followed, not of a path that handled it;
* ``retried`` / ``fell_back``: a retry or a fallback followed, but none succeeded: a defined path
  followed (missing_fallback's question) that did not make the failure good (silent_failure's).

``handled_span_id`` is the evidence: the successful retry or fallback, the escalation, the span the
framework handled, the answer or message that told. :func:`made_good` is the set of mechanisms
after which a run that reports success swallowed nothing. The detectors read this table and add
only their own scope (which failures they judge, which run outcome), so they cannot disagree on
whether a failure was handled.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.outcome import ends_with_tool_message
from forensics.conventions.smol_steps import CODE_ACTION
from forensics.detectors.base import Context, failure_followups
from forensics.detectors.next_step_told import tells_next_step

#: Words that tell of a fault (a subset of ``MENTIONS_FAILURE``): the bare inability words ("can't",
#: "unable", "didn't go through") and apologies are left out, since a run that misread an error body
#: as data says them about the consequence ("the transfer can't go through").
TELLS_OF_FAULT: Final = (
    r"(?i)\b(?:error|errors|errored|fail|failed|fails|failure|failing|unsuccessful|unavailable|"
    r"not\s+available|outage|not\s+responding|timed?\s*out|timeout|went\s+wrong|"
    r"(?:is|are|was|were|went)\s+down|down\s+for\s+maintenance|try\s+again\s+later|"
    r"(?:technical|system|service|server)\s+(?:problem|issue|trouble)s?|"
    # The provider's filter named as what stopped the answer ("blocked by our content filter"):
    # conventions.content_filter's failure, told.
    r"(?:content|safety)\s+(?:filters?|filtering|polic(?:y|ies)))\b"
)

#: A final answer that mentions a failure in any words (looser than says_failure and TELLS_OF_FAULT):
#: ignored_tool_errors reads it to decide whether the model did anything with an error handed back to
#: it (any word of it in the answer shows the model read it); it tells nobody of other failures.
MENTIONS_FAILURE: Final = (
    r"(?i)\b(?:error|errors|errored|fail|failed|fails|failure|failing|unable|unsuccessful|cannot|"
    r"could\s+not|couldn'?t|can'?t|wasn'?t\s+able|weren'?t\s+able|not\s+able|did\s+not\s+go\s+through|"
    r"didn'?t\s+go\s+through|didn'?t\s+work|went\s+wrong|try\s+again|retry|unfortunately|sorry|"
    r"down|unavailable|not\s+available|outage|not\s+responding|timed?\s*out|timeout|problem|trouble)\b"
)

#: TELLS_OF_FAULT over tool arguments, which are kept without whitespace ("CourtListenerunavailable",
#: preparation's ``args``): a fault word may end a run of joined words, so only its end is bounded.
TELLS_OF_FAULT_IN_ARGUMENTS: Final = TELLS_OF_FAULT.replace(r"(?i)\b", "(?i)", 1).replace(r"\s+", r"\s*")

#: The mechanisms in the order ``handled_by`` names them (the first that applies).
MECHANISMS: Final = (
    "retry",
    "fallback",
    "escalation",
    "framework",
    "structured_failure",
    "reported",
    "retried",
    "fell_back",
)
#: After these, a failure is made good: recovered, passed to someone, or told.
MADE_GOOD: Final = ("retry", "fallback", "escalation", "framework", "structured_failure", "reported")


#: A failure that says what it looked for is not there: HTTP 404, or an error text saying "not
#: found" (a tracking number, an order, a file): a lookup that found nothing.
#: An API's error code spells it as one token: ``order_not_found``, ``resource_not_found``,
#: ``NOT_FOUND`` (gRPC status codes), ``NotFound`` / ``NotFoundException``.
FAILED_AS_ABSENT: Final = (
    r"(?i)^404$|\b404\b|(?:\b|_)not[\s_]*found(?:\b|_|exception)|\bno\s+such\b|\bdoes\s*n[o']?t\s+exist\b"
)
#: An answer that tells its reader the thing was not there: the same fact in the words people use
#: to relay a 404 ("UPS has no record of that number", "I couldn't find order 88"). Only read for
#: a failure that was one (FAILED_AS_ABSENT): after a 500 or a timeout the same words are an error
#: read as data. So does Kubernetes' one-word reason quoted (apimachinery NewNotFound: "(NotFound)").
TELLS_ABSENT: Final = (
    r"(?i)\b(?:not\s*found|no\s+record|no\s+such|does\s*n[o']?t\s+exist|do\s*n[o']?t\s+exist|"
    r"could\s*n[o']?t\s+(?:find|locate)|could\s+not\s+(?:find|locate)|unable\s+to\s+(?:find|locate)|"
    r"no\s+(?:match|result)s?\s+for)\b"
)


#: A fault the text says was absent ("ran with no errors", "no settlement errors were found",
#: "error-free"): over a process killed with empty output it is the kill read as data, not told.
DENIES_FAULT: Final = (
    r"(?i)\b(?:no|zero|0|without(?:\s+any)?|free\s+of|never\s+(?:an?|any))\s+(?:[a-z][\w-]*\s+){0,2}?"
    r"(?:errors?|failures?|failed|failing)\b|\b(?:error|failure)[- ]free\b"
    r"|\b(?:nothing|none)\s+(?:\w+\s+)?(?:failed|errored)\b|\b(?:did\s+not|didn'?t|never)\s+(?:fail|error)\b"
)


def tells(text: pl.Expr) -> pl.Expr:
    """``text`` names a fault in its words; a JSON key ({"error": null}) is a field name, not words,
    and a fault said absent (DENIES_FAULT) is none: "no errors, but the upload failed" still tells."""
    words = text.str.replace_all(r'"[^"]*"\s*:', " ").str.replace_all(DENIES_FAULT, " ")
    return words.str.contains(TELLS_OF_FAULT).fill_null(False)


def told_spans(ctx: Context, failures: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, told_span_id`` of the ``failures`` (spans with ``run_id``, ``span_id`` and
    ``seq``) that somebody was told about, and where: the final answer naming a fault (the answer span), a later
    assistant (model) message naming one, a later successful side-effecting call whose arguments
    name it (a review task or ticket opened "because CourtListener is unavailable": passed on to
    whoever that call reached). A run that said "the service is unavailable, I will try again later"
    did not go on as if it had succeeded; one that said "your balance is $0.00, so the transfer
    can't go through" read the error as data."""
    # Only the runs that hold such a failure are read (the text check is the costly part). Their
    # rows are taken out first: left in one plan, the optimiser pushes the text filter below the
    # join, onto every model call of every run.
    failures = failures.select("run_id", "span_id", "seq").collect().lazy()
    in_play = failures.select("run_id").unique().collect().lazy()
    # The model messages of those runs: read for a fault told (said_later) and for an absence told
    # (absent_later).
    messages = (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "llm")
        .select("run_id", pl.col("seq").alias("_said_seq"), pl.col("span_id").alias("_said_id"), "output")
        .join(in_play, on="run_id", how="semi")
        .collect()
        .lazy()
    )
    said_later = (
        messages.filter(tells(pl.col("output")) & ~pl.col("output").str.contains(CODE_ACTION).fill_null(False))
        .sort("run_id", "_said_seq")
        .group_by("run_id")
        .agg(pl.col("_said_seq").max(), pl.col("_said_id").last())
    )
    answers = (
        ctx.runs.lazy()
        .select("run_id", "final_output", pl.coalesce("answer_span_id", "final_span_id").alias("_final_id"))
        .join(in_play, on="run_id", how="semi")
        .collect()
        .lazy()
    )
    # A refusal told with what happens next ("pending manager approval", "I've escalated it to our
    # billing team": next_step_told) told the user the act did not happen; a tool message, nobody.
    said = pl.col("final_output")
    final = answers.filter((tells(said) | tells_next_step(said)) & ~ends_with_tool_message(said)).select("run_id", "_final_id")
    # A lookup that found nothing (a 404, "not found"), relayed as finding nothing: the answer told
    # the user the one thing the failure meant (Strands hands a tool's error result back to the
    # model, which answers "UPS has no record of that number").
    # The failures' own texts only (taken out first: the text built for every span, then joined,
    # cost more than the regex).
    absent = (
        ctx.spans.lazy()
        .select("run_id", "span_id", "error_type", "error_label", "output")
        .join(failures.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
        .collect()
        .lazy()
        .select("run_id", "span_id", pl.concat_str(["error_type", "error_label", "output"], separator=" ",
                                                   ignore_nulls=True).alias("_said"))
        .filter(pl.col("_said").str.contains(FAILED_AS_ABSENT).fill_null(False))
    )
    # Told in the final answer, or in a model message after the lookup: in a conversation the turn
    # that answers the failed lookup ("I couldn't find order 4471-22819, but you do have 4417-22819")
    # is seldom the last one ("Great, anything else?").
    absent_answer = absent.join(
        answers.filter(pl.col("final_output").str.contains(TELLS_ABSENT).fill_null(False)), on="run_id"
    ).select("run_id", "span_id", pl.col("_final_id").alias("_absent_id"))
    absent_later = (
        absent.join(failures.select("run_id", "span_id", "seq"), on=["run_id", "span_id"])
        .join(
            # (Those runs' model messages only: the regex read every model call's output before.)
            messages.filter(pl.col("output").str.contains(TELLS_ABSENT).fill_null(False)).select(
                "run_id", pl.col("_said_seq").alias("_abs_seq"), pl.col("_said_id").alias("_absent_id")
            ),
            on="run_id",
        )
        .filter(pl.col("_abs_seq") > pl.col("seq"))
        .sort("run_id", "span_id", "_abs_seq")
        .group_by("run_id", "span_id")
        .agg(pl.col("_absent_id").first())
    )
    absent = pl.concat([absent_answer, absent_later]).unique(["run_id", "span_id"], keep="first")
    # Word of the failure passed on through a later action: a successful side-effecting call whose
    # arguments name the fault (create_review_task(reason="CourtListener unavailable"), a ticket
    # or a message saying the service failed) put the failure in front of someone.
    passed_on = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("is_side_effect"))
        .select("run_id", pl.col("seq").alias("_passed_seq"), pl.col("span_id").alias("_passed_id"), "args")
        .join(in_play, on="run_id", how="semi")
        .collect()
        .lazy()
        .filter(
            pl.col("args")
            .str.replace_all(r'"[^"]*"\s*:', " ")
            .str.contains(TELLS_OF_FAULT_IN_ARGUMENTS)
            .fill_null(False)
        )
        .sort("run_id", "_passed_seq")
        .group_by("run_id")
        .agg(pl.col("_passed_seq").max(), pl.col("_passed_id").last())
    )
    return (
        failures.join(final, on="run_id", how="left")
        .join(absent, on=["run_id", "span_id"], how="left")
        .join(said_later, on="run_id", how="left")
        .join(passed_on, on="run_id", how="left")
        .select(
            "run_id",
            "span_id",
            pl.coalesce(
                pl.col("_final_id"),
                pl.col("_absent_id"),
                pl.when(pl.col("_said_seq") > pl.col("seq")).then(pl.col("_said_id")),
                pl.when(pl.col("_passed_seq") > pl.col("seq")).then(pl.col("_passed_id")),
            ).alias("told_span_id"),
        )
        .drop_nulls("told_span_id")
    )


def told_of_failure(ctx: Context, failures: pl.LazyFrame) -> pl.LazyFrame:
    """The ``failures`` rows (spans with ``run_id``, ``span_id`` and ``seq``) that nobody was told
    about (:func:`told_spans`)."""
    failures = failures.collect().lazy()
    return failures.join(told_spans(ctx, failures), on=["run_id", "span_id"], how="anti")


def inside_returned_model_call(ctx: Context, failing: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, _answered_id``: the ``failing`` spans that are a request or an inner model
    call (kind ``unknown`` or ``llm``) directly under a model call that did not fail and ended, where
    a later request or inner call under that same model call succeeded (``_answered_id``): the call
    got its response after the failure, so the failure was absorbed inside it. What puts them
    there: the OpenAI and Anthropic Python clients resend a 408/409/429/5xx on their own
    (openai-python ``_base_client.py`` ``_should_retry``/``_retry_request``, ``max_retries`` 2 by
    default), each attempt an httpx CLIENT span (opentelemetry-instrumentation-httpx) under the one
    model-call span (opentelemetry-instrumentation-openai-v2, OpenInference); pydantic-ai's
    ``InstrumentedModel`` wraps the agent's model, a ``FallbackModel`` included, in one request span,
    and the ``FallbackModel`` tries its next model when one raises (pydantic_ai/models/instrumented.py,
    models/fallback.py ``fallback_on``), so the first provider's failed requests and the next one's
    answer share that span, whatever the span is named. A failed HTTP request counts only when the
    request that answered went to another host (another provider: a resend of the same URL is an
    attempt group's, conventions.attempts, and another path on the same host is another request,
    not the failed one's replacement); an inner model call's failure, when any later request or call
    under the same call succeeded. With no later success under it, nothing shows the failure was
    got over. A tool, agent or handoff under a model call is not read: a call that returned may
    still have handed its tool's error to the model to ignore."""
    calls = ctx.spans.lazy().filter(
        (pl.col("kind") == "llm") & ~pl.col("failed") & pl.col("end_time").is_not_null()
    ).select("run_id", pl.col("span_id").alias("parent_id"))
    host = pl.col("http_url").str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)", 1).str.to_lowercase()
    answered = (
        ctx.spans.lazy()
        .filter(pl.col("kind").is_in(["unknown", "llm"]) & pl.col("succeeded") & pl.col("parent_id").is_not_null())
        .join(calls, on=["run_id", "parent_id"], how="semi")
        .select(
            "run_id",
            "parent_id",
            pl.col("seq").alias("_ok_seq"),
            pl.col("span_id").alias("_answered_id"),
            host.alias("_ok_host"),
        )
    )
    return (
        failing.filter(pl.col("kind").is_in(["unknown", "llm"]) & pl.col("parent_id").is_not_null())
        .join(ctx.spans.lazy().select("run_id", "span_id", host.alias("_host")), on=["run_id", "span_id"], how="left")
        .select("run_id", "span_id", "parent_id", "seq", "kind", "_host")
        .join(answered, on=["run_id", "parent_id"])
        .filter(
            (pl.col("_ok_seq") > pl.col("seq"))
            & (
                (pl.col("kind") == "llm")
                | (pl.col("_host").is_not_null() & pl.col("_ok_host").is_not_null() & (pl.col("_host") != pl.col("_ok_host")))
            )
        )
        .sort("run_id", "span_id", "_ok_seq")
        .group_by("run_id", "span_id")
        .agg(pl.col("_answered_id").first())
    )


def failure_handling(ctx: Context) -> pl.DataFrame:
    """One row per failing span (``failed`` or ``error_shaped``): ``run_id, span_id, handled_by,
    handled_span_id, made_good`` (see the module docs). Built once per classification."""
    return ctx.once("failure_handling", lambda: _failure_handling(ctx))


def _failure_handling(ctx: Context) -> pl.DataFrame:
    from forensics.detectors.acted_without import acted_without_read
    from forensics.detectors.batch_results import whole_batch_claimed
    from forensics.detectors.error_reading import answered_with_error
    from forensics.detectors.error_shapes import found_another_way, relayed_error
    from forensics.detectors.ignored_errors import ignored_tool_errors, lost_with_ignored
    from forensics.detectors.made_good_elsewhere import made_good_elsewhere
    from forensics.detectors.session_retry import session_retries
    from forensics.detectors.unhandled_facts import aborted_by_caller

    s = ctx.spans.lazy()
    follow = failure_followups(ctx).lazy()
    failing = (
        s.filter(pl.col("failed") | pl.col("error_shaped"))
        .select(
            "run_id",
            "span_id",
            "seq",
            "failed",
            "error_handled",
            "limit_stop",
            "attempt_group",
            "call_tool",
            "agent",
            "output",
            "kind",
            "parent_id",
        )
        .join(follow, on=["run_id", "span_id"], how="left")
        .collect()
    )
    rows = failing.lazy()
    # The later successful attempt of the same request (conventions.attempts), and the declared
    # fallback that answered in its place (conventions.fallbacks): the evidence of a recovery the
    # attempt group records.
    attempt_ok = (
        rows.filter(pl.col("attempt_group").is_not_null())
        .select("run_id", "span_id", "seq", "attempt_group")
        .join(
            s.filter(pl.col("succeeded") & pl.col("attempt_group").is_not_null()).select(
                "run_id", "attempt_group", pl.col("seq").alias("_ok_seq"), pl.col("span_id").alias("_ok_id")
            ),
            on=["run_id", "attempt_group"],
        )
        .filter(pl.col("_ok_seq") > pl.col("seq"))
        .sort("run_id", "span_id", "_ok_seq")
        .group_by("run_id", "span_id")
        .agg(pl.col("_ok_id").first().alias("_attempt_ok_id"))
    )
    declared = (
        s.filter(pl.col("succeeded") & pl.col("fallback_of").is_not_null())
        .sort("run_id", "seq")
        .group_by("run_id", pl.col("fallback_of").alias("span_id"))
        .agg(pl.col("span_id").first().alias("_declared_id"))
    )
    # The step done another way (a lookup by another key), and the error given as the agent's answer.
    another_way = found_another_way(ctx, rows).select("run_id", "span_id", pl.lit(True).alias("_another_way"))
    # The file written to another place through another tool, the created object found there
    # already (made_good_elsewhere): the step's end reached another way.
    elsewhere = made_good_elsewhere(ctx, rows)
    as_answer = answered_with_error(rows).select("run_id", "span_id", "_answer_id")
    ignored = ignored_tool_errors(ctx).lazy().select("run_id", "span_id", pl.lit(True).alias("_ignored"))
    # The earlier failed attempts of an ignored call were ignored with it: no framework credit.
    ignored = pl.concat([ignored, lost_with_ignored(ctx).with_columns(pl.lit(True).alias("_ignored"))]).unique()
    aborted = aborted_by_caller(ctx).select("run_id", "span_id", pl.lit(True).alias("_aborted"))
    inside_ok = inside_returned_model_call(ctx, rows)
    # Word of the failure before the retry that dropped a constraint (dropped_filters) was that retry's
    # plan ("the search timed out; retry with a simpler query", a ReAct thought), told to nobody: what
    # tells of it comes after the wider answer came back.
    seqs = s.select("run_id", "span_id", "seq")
    told = (
        told_spans(ctx, rows)
        .join(seqs.rename({"span_id": "told_span_id", "seq": "_told_seq"}), on=["run_id", "told_span_id"], how="left")
        .join(rows.select("run_id", "span_id", "wider_retry_span_id"), on=["run_id", "span_id"], how="left")
        .join(seqs.rename({"span_id": "wider_retry_span_id", "seq": "_wider_seq"}), on=["run_id", "wider_retry_span_id"], how="left")
        .filter(~(pl.col("_told_seq") < pl.col("_wider_seq")).fill_null(False))
        .select("run_id", "span_id", "told_span_id")  # an answer that is the error itself tells nobody:
        .join(ctx.runs.lazy().select("run_id", span_id="quoted_error_id"), on=["run_id", "span_id"], how="anti")
    )
    pushed = pushed_past(ctx, rows).with_columns(pl.lit(True).alias("_pushed"))
    handback_pushed = pushed_past_handback(ctx).with_columns(pl.lit(True).alias("_handback_pushed"))
    # A failed read the run went on past into an act that needed it (acted_without): neither the
    # hand-back nor a word of it was a path.
    acted = acted_without_read(ctx).select("run_id", "span_id", pl.lit(True).alias("_acted"))
    # A batch whose items partly failed, under an answer that states its whole size and not the
    # split ("All 40 invoices now carry the credit" over 36 credited, 4 failed): a fault word in
    # that answer ("the October outage list") told nobody of the failed items (batch_results).
    whole = whole_batch_claimed(ctx.runs.lazy(), rows).select("run_id", "span_id", pl.lit(True).alias("_whole"))
    runs = ctx.runs.lazy().select(
        "run_id",
        "structured_failure",
        pl.col("says_failure").fill_null(False),
        pl.coalesce("answer_span_id", "final_span_id").alias("_final_id"),
    )
    ok = ["recovered", "retried", "fell_back", "escalated"]
    joined = (
        rows.with_columns(pl.col(ok).fill_null(False))
        .join(attempt_ok, on=["run_id", "span_id"], how="left")
        .join(declared, on=["run_id", "span_id"], how="left")
        .join(another_way, on=["run_id", "span_id"], how="left")
        .join(elsewhere, on=["run_id", "span_id"], how="left")
        .join(as_answer, on=["run_id", "span_id"], how="left")
        .join(ignored, on=["run_id", "span_id"], how="left")
        .join(aborted, on=["run_id", "span_id"], how="left")
        .join(inside_ok, on=["run_id", "span_id"], how="left")
        .join(told, on=["run_id", "span_id"], how="left")
        .join(whole, on=["run_id", "span_id"], how="left")
        .join(pushed, on=["run_id", "span_id"], how="left")
        .join(handback_pushed, on=["run_id", "span_id"], how="left")
        .join(acted, on=["run_id", "span_id"], how="left")
        .with_columns(pl.col("_acted").fill_null(False))
        .with_columns((pl.col("_pushed").fill_null(False) | pl.col("_acted")).alias("_pushed"),
                      (pl.col("_handback_pushed").fill_null(False) | pl.col("_acted")).alias("_handback_pushed"))
        .join(runs, on="run_id", how="left")
        # The whole request sent again as the session's next run (session_retry): every failure of
        # the run that ended in error is an attempt of it.
        .join(session_retries(ctx).lazy(), on="run_id", how="left")
        .with_columns(pl.col("_session_retried").fill_null(False))
    )
    # A later call the framework declared a fallback of this one (conventions.fallbacks: LiteLLM's
    # attempted_fallbacks on a deployment of the same model name) is that fallback, not a retry.
    recovered_by_retry = pl.col("recovered") & pl.col("_declared_id").is_null() & (
        pl.col("retry_ok_span_id").is_not_null()
        | pl.col("_attempt_ok_id").is_not_null()
        | (pl.col("recovery_span_id").is_not_null() & pl.col("fallback_ok_span_id").is_null())
    ) | pl.col("_session_ok_id").is_not_null()
    recovered_by_fallback = (
        (pl.col("recovered") & ~recovered_by_retry)
        | pl.col("_another_way").fill_null(False)
        | pl.col("_elsewhere_id").is_not_null()
    )
    # A hand-back the model answered by asking a wider question (the same tool again with a constraint
    # dropped, dropped_filters) took no path about the failure: the question it failed on went unanswered.
    framework = (
        (pl.col("error_handled") & ~pl.col("_ignored").fill_null(False) & ~pl.col("_handback_pushed").fill_null(False)
         & pl.col("wider_retry_span_id").is_null())
        | pl.col("limit_stop")
        | pl.col("_aborted").fill_null(False)
        | pl.col("_answered_id").is_not_null()
    )
    reported = (
        pl.col("says_failure") | pl.col("told_span_id").is_not_null() | pl.col("_answer_id").is_not_null()
    ) & ~pl.col("_whole").fill_null(False) & ~pl.col("_pushed").fill_null(False)
    how = (
        pl.when(recovered_by_retry)
        .then(pl.lit("retry"))
        .when(recovered_by_fallback)
        .then(pl.lit("fallback"))
        .when(pl.col("escalated"))
        .then(pl.lit("escalation"))
        .when(framework)
        .then(pl.lit("framework"))
        .when(pl.col("structured_failure").fill_null(False) & ~pl.col("_pushed").fill_null(False))
        .then(pl.lit("structured_failure"))
        .when(reported)
        .then(pl.lit("reported"))
        .when(pl.col("retried") | pl.col("_session_retried"))
        .then(pl.lit("retried"))
        .when(pl.col("fell_back"))
        .then(pl.lit("fell_back"))
    )
    evidence = (
        pl.when(pl.col("handled_by") == "retry")
        .then(pl.coalesce("retry_ok_span_id", "_attempt_ok_id", "recovery_span_id", "_session_ok_id"))
        .when(pl.col("handled_by") == "fallback")
        .then(pl.coalesce("fallback_ok_span_id", "_declared_id", "recovery_span_id", "_elsewhere_id"))
        .when(pl.col("handled_by") == "escalation")
        .then(pl.col("escalation_span_id"))
        .when(pl.col("handled_by") == "framework")
        .then(pl.coalesce("_answered_id", "span_id"))
        .when(pl.col("handled_by") == "structured_failure")
        .then(pl.col("_final_id"))
        .when(pl.col("handled_by") == "reported")
        .then(pl.coalesce("told_span_id", "_answer_id", "_final_id"))
    )
    first = (
        joined.with_columns(how.alias("handled_by")).with_columns(evidence.alias("handled_span_id")).collect()
    )
    # An error-shaped result nothing else handled whose reason a later assistant message passed on
    # (error_shapes.relayed_error: "I wasn't able to switch you: tariff changes are blocked ..."):
    # reported. Read last, on the few results left (the word comparison is the costly part).
    left = (
        first.lazy()
        .filter(pl.col("handled_by").is_null() & ~pl.col("failed"))
        .select("run_id", "span_id", "seq", "output")
    )
    relayed = relayed_error(ctx, left).select("run_id", "span_id", pl.lit(True).alias("_relayed"))
    return (
        first.lazy()
        .join(relayed, on=["run_id", "span_id"], how="left")
        .with_columns(
            pl.when(pl.col("_relayed").fill_null(False))
            .then(pl.lit("reported"))
            .otherwise(pl.col("handled_by"))
            .alias("handled_by"),
            pl.when(pl.col("_relayed").fill_null(False))
            .then(pl.col("_final_id"))
            .otherwise(pl.col("handled_span_id"))
            .alias("handled_span_id"),
        )
        .select(
            "run_id",
            "span_id",
            "handled_by",
            "handled_span_id",
            pl.col("handled_by").is_in(list(MADE_GOOD)).fill_null(False).alias("made_good"),
        )
        .collect()
    )


def pushed_past(ctx: Context, failing: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``failing`` spans after which the run went on to an irreversible
    act (a tool call policy tools.irreversible names, that succeeded) later in its order. A run that
    said "the migration hit a lock timeout; proceeding with the rollout" and deployed did not stop
    at the failure: telling it, or a failure result at the end (the deploy's own health check
    failing), is no path that handled it (TAXONOMY unhandled_error: "the run just carries on"). A
    retry, fallback or escalation before the act is read first (``handled_by``) and stands."""
    acts = ctx.spans.lazy().filter(
        (pl.col("kind") == "tool") & pl.col("is_irreversible").fill_null(False) & pl.col("succeeded")
    )
    return (
        failing.select("run_id", "span_id", "seq")
        .join(acts.select("run_id", pl.col("seq").alias("_act_seq")), on="run_id")
        .filter(pl.col("_act_seq") > pl.col("seq"))
        .select("run_id", "span_id")
        .unique()
    )


def pushed_past_handback(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the tool failures the framework handed back to the model
    (``error_handled``: Strands' ``{"status": "error"}`` tool result, a ToolNode error message, the
    Agents SDK's failure_error_function text) whose agent's next tool call, sent once the error had
    come back, was an irreversible act (policy tools.irreversible) that succeeded. The hand-back is
    the framework's path only while the model acts on the error; a model that read "the backup failed"
    and deleted at once went straight past it into an act nothing undoes (TAXONOMY unhandled_error:
    "the run just carries on"). A retry, a fallback or an escalation, or any other tool call first (a
    status check, a wait), is not this. Built once per classification."""

    def build() -> pl.DataFrame:
        tools = ctx.spans.lazy().filter(pl.col("kind") == "tool")
        handed = tools.filter(pl.col("failed") & pl.col("error_handled")).select(
            "run_id", "span_id", "seq", "agent", pl.coalesce("end_time", "t").alias("_end")
        )
        later = tools.select(
            "run_id",
            pl.col("seq").alias("_n_seq"),
            pl.col("t").alias("_n_t"),
            pl.col("agent").alias("_n_agent"),
            (pl.col("is_irreversible").fill_null(False) & pl.col("succeeded")).alias("_n_act"),
        )
        return (
            handed.join(later, on="run_id")
            # Sent after the error came back (a call of the same parallel batch was issued with the
            # failed one, not in answer to it), by the agent the error was handed to.
            .filter(
                (pl.col("_n_seq") > pl.col("seq"))
                & (pl.col("_n_t") >= pl.col("_end")).fill_null(True)
                & pl.col("_n_agent").eq_missing(pl.col("agent"))
            )
            .sort("run_id", "span_id", "_n_seq")
            .group_by("run_id", "span_id")
            .agg(pl.col("_n_act").first())
            .filter(pl.col("_n_act"))
            .select("run_id", "span_id")
            .collect()
        )

    return ctx.once("pushed_past_handback", build).lazy()


def unhandled_failures(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the failing spans no mechanism followed (``handled_by`` null)."""
    return failure_handling(ctx).lazy().filter(pl.col("handled_by").is_null()).select("run_id", "span_id")


def not_made_good(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the failing spans not made good (no mechanism, or only a retry or a
    fallback that never succeeded)."""
    return failure_handling(ctx).lazy().filter(~pl.col("made_good")).select("run_id", "span_id")
