"""context_collapse: the agent lost its operational thread.

It repeats steps, drops prior decisions, or restarts from scratch after a session boundary or
crash. Each signal in TAXONOMY.md is one detector below, but context_overflow (context_overflow.py).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors import stalled_results as stalled
from forensics.detectors.agent_runs import managed_run_of
from forensics.detectors.base import Context, Detector, failed_runs, finding, hms, snippet, txt
from forensics.detectors.changed_state import POLL_WAIT, repeats_on_changed_state
from forensics.detectors.decisions import model_decided
from forensics.detectors.effects import created_nothing_new, side_effects
from forensics.detectors.findings import first_repeat
from forensics.detectors.new_information import longest_unbroken, new_information_seen
from forensics.detectors.node_resumes import node_resumed
from forensics.detectors.parallel_runs import parallel_run_of
from forensics.detectors.registry import register
from forensics.detectors.restart_points import no_step_to_resume
from forensics.detectors.session_overlap import EFFECT_ORDER, same_job_again
from forensics.detectors.stalled_results import longest_same_result, same_result_told, stalled_at_limit
from forensics.detectors.tool_calls import tool_calls
from forensics.policy import Threshold

#: langgraph-supervisor's hand-back: when a worker agent finishes, the supervisor graph appends an
#: AI message calling ``transfer_back_to_<supervisor>`` with no arguments and its tool message
#: "Successfully transferred back to <supervisor>" (langgraph_supervisor/handoff.py
#: ``create_handoff_back_messages``, marked ``__is_handoff_back``): written by the framework, not
#: decided by a model, the same every time a worker returns. Three delegations are three of them.
_HAND_BACK = r"(?i)^transfer_back_to_"
#: LangChain's parse-error observation: an AgentExecutor with ``handle_parsing_errors`` catches the
#: OutputParserException of a reply it could not parse and runs ``ExceptionTool`` (name
#: ``"_Exception"``, it returns its input: the error text) so the model sees the error
#: (langchain/agents/agent.py ``AgentExecutor._iter_next_step``, ``ExceptionTool``). Every such call
#: already records a failed step: a loop of them is a repeated format error, decided at its first
#: member as ``repeated_format_error`` is (docs/DETECTORS.md, "Which span is decisive").
PARSE_ERROR_TOOL: Final = "_Exception"


def _identical_repeats(done: pl.LazyFrame, by: tuple[str, ...] = ()) -> pl.LazyFrame:
    """The completed tool calls (``done``, from :func:`tool_calls`) that repeat the same agent's
    previous call of the same tool with the same normalised arguments and got the identical
    result, with that previous call's ``prev_id``, ``prev_t`` and ``prev_end`` (its end, else its
    start). ``by``: more columns the two calls must share (``owner``: the same agent run)."""
    key = ["run_key", "agent", *by, "call", "call_args"]
    prev = {c: pl.col(c).shift(1).over(key) for c in ("span_id", "output", "end_time", "t")}
    return (
        done.sort("run_key", "seq")
        .with_columns(
            prev["span_id"].alias("prev_id"),
            prev["t"].alias("prev_t"),
            pl.coalesce(prev["end_time"], prev["t"]).alias("prev_end"),
            (prev["output"] == pl.col("output")).fill_null(False).alias("same_result"),
        )
        .filter(pl.col("prev_id").is_not_null() & pl.col("same_result"))
    )


def _first_redo_per_run(
    pairs: pl.LazyFrame, events: pl.LazyFrame, *extra: str, decisive: str = "call"
) -> pl.LazyFrame:
    """The redos: repeats (``pairs``, from :func:`_identical_repeats`) with an event of the same
    agent (``events``: ``run_key``, ``agent``, ``ev_id``, ``ev_t`` and the ``extra`` columns: a step
    error, a plan update) at or after the first call's end and at or before the redo's start, the
    earliest such event for each redo; when both carry ``owner`` (:func:`forensics.detectors.agent_runs.agent_run_of`), the event is
    of the same agent run as the calls. One row per run, from its first redo: ``decisive`` (the
    call that was redone; ``decisive="event"``: the event; ``decisive="redo"``: the redo), ``ids`` (that call, the event, the redo), ``call``, ``prev_t``, ``ev_t``,
    ``t``, ``agent``, the ``extra`` columns, and ``n``, the run's redos."""
    on = ["run_key", "agent"]
    if "owner" in pairs.collect_schema().names() and "owner" in events.collect_schema().names():
        on.append("owner")
    redone = (
        pairs.join(events, on=on, nulls_equal=True)
        .filter((pl.col("ev_t") >= pl.col("prev_end")) & (pl.col("ev_t") <= pl.col("t")))
        .sort("run_key", "seq", "ev_t")
        .group_by("run_key", "span_id")
        .agg(pl.all().first())
    )
    return (
        redone.sort("run_key", "seq")
        .group_by("run_key")
        .agg(
            pl.col("run_id").first(),
            pl.col({"event": "ev_id", "redo": "span_id"}.get(decisive, "prev_id")).first().alias("decisive"),
            pl.concat_list("prev_id", "ev_id", "span_id").first().alias("ids"),
            *[pl.col(c).first() for c in ("call", "prev_t", "ev_t", "t", *extra)],
            pl.col("agent").first().fill_null("(no agent)"),
            pl.len().alias("n"),
        )
    )


#: The text browsers of open_deep_research (``scripts/text_web_browser.py``, ``_prev_visit``) and of
#: autogen's WebSurfer (``_get_browser_state``) put this line in a page's header when the agent
#: opens an address it opened before: the page is the same, only the seconds differ.
_REVISIT_HEADER = r"You previously visited this page \d+ seconds ago\.\n?"


#: LangChain runs a tool given a model's tool call into a ToolMessage that names the call it answers
#: (langchain_core/tools/base.py ``_format_output``: ``ToolMessage(content, ..., tool_call_id=...)``),
#: and LangSmith records that message, serialised, as the tool run's output: the id is the model's
#: bookkeeping, new at each call, not what the tool found.
_TOOL_CALL_ID = r'"tool_call_id"\s*:\s*"[^"]*"'


def _same_page_text(output: pl.Expr) -> pl.Expr:
    """A tool result with the browser's revisit line cut out, so the same page read again compares
    equal to the first read (the line is the only thing that changes between them), and with the
    id of the tool call a LangChain ToolMessage answers (new at each call) left out."""
    return output.str.replace(_REVISIT_HEADER, "").str.replace(_TOOL_CALL_ID, '"tool_call_id":""')


#: A search tool, by its name: web_search (open_deep_research, smolagents' default search tools),
#: search_*, *_search, google/bing/duckduckgo/tavily/serper/brave searches.
SEARCH_TOOL: Final = r"(?i)search|google|bing|duckduckgo|tavily|serp"
#: An address in a result list (markdown links "[title](url)", bare urls).
RESULT_LINK: Final = r"https?://[^\s)\]>\"'\\]+"
#: CrewAI's answer to a call identical to the agent's previous one: the tool is not run, the model
#: is told it repeated itself (crewAI src/crewai/tools/tool_usage.py ``_use`` ->
#: ``_check_tool_repeated_usage``; the text is i18n ``errors.task_repeated_usage``,
#: src/crewai/translations/en.json: "I tried reusing the same input, I must stop using this action
#: input. I'll try something else instead."; before 0.30: "I just used the {tool} tool with input
#: {tool_input}. So I already know the result of that and don't need to use it now."). The
#: framework itself found the call a repeat: it brought nothing new.
REFUSED_REPEAT: Final = (
    r"^\s*(?:I tried reusing the same input, I must stop using this action input"
    r"|(?s:I just used the .{1,200}? tool with input .*?So I already know the result of that))"
)


def result_key(call: pl.Expr, output: pl.Expr) -> pl.Expr:
    """What a tool call found, for comparing repeats: a search tool's result list by its links, in
    order (the Tavily API answers each search with its own ``response_time`` and ``request_id``
    beside the ``results``, Tavily API reference /search; langchain-tavily's TavilySearch hands the
    model that whole response: the same links in the same order are the same results), any other
    result as :func:`_same_page_text` reads it. A search that listed no link is read as its text."""
    links = output.str.extract_all(RESULT_LINK)
    listed = call.str.contains(SEARCH_TOOL).fill_null(False) & (links.list.len() > 0).fill_null(False)
    return pl.when(listed).then(pl.concat_str([pl.lit("links:\n"), links.list.join("\n")])).otherwise(_same_page_text(output))


@register
class RepeatedAction(Detector):
    name = "repeated_action"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    thresholds = (
        Threshold("repeat_count", 3, "Identical tool calls (same agent, tool, arguments) that count as a loop "
                  "when no call in between brought new information.", "an integer >= 2", lambda v: v >= 2),
        POLL_WAIT,
    )
    strength = "strong"
    description = (
        "The same agent calls the same tool with the same (normalised) arguments repeat_count+ times "
        "in a run and the calls bring no new information: the same result each time (a log that recorded "
        "neither the arguments nor the results shows no sameness), or the same "
        "error each time with each attempt issued by the agent's model (the agent decided again; "
        "resends no model decided are retry_storm's). An agent that made repeat_count calls bringing new results (a tool, arguments "
        "and result met once in its run) between two repeats moved on: the repeats before and after are "
        "counted apart (a re-check once other work is done). Twice is enough in a run that hit its step, turn or "
        "recursion limit (runs.step_limit_hit): the repeats are where its steps went; there, repeat_count calls in "
        "a row with the same result are a loop though the result changed before them (a status that moved once, "
        "then stood still until the limit). A wait (a wait or sleep "
        "tool, browser-use's wait action) repeated between other calls is waiting for something to change; "
        "a call with no arguments (close_popups) acts on the page in front of it, a repeat only when "
        "repeat_count of them follow one another with no other call between. "
        "A transfer_back_to_<supervisor> call is langgraph-supervisor's hand-back, written by the framework "
        "each time a worker returns: no repeat. Runs of one agent side by side are each their own memory."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n = ctx.policy.repeat_count
        # Within one memory: a managed agent's calls are compared within each of its runs
        # (managed_run_of: each call of a managed agent starts afresh; the same search in three
        # delegations is the manager's loop, repeated_delegation's, or three different questions).
        # (Only calls made at least twice can repeat: the managed run is looked up for those.)
        # A read of an incident the run opened, still triggered (conventions.pauses awaits_incident),
        # is waiting on that escalation (polling), not a lost thread.
        tools = managed_run_of(
            ctx,
            tool_calls(ctx)
            .lazy()
            .filter(~pl.col("awaits_incident"))
            # A worker's hand-back to its supervisor is the framework returning control (_HAND_BACK).
            .filter(~pl.col("call").str.contains(_HAND_BACK).fill_null(False))
            .filter(pl.len().over("run_key", "agent", "call", "call_args") > 1),
        )
        # Runs of one agent side by side (parallel workers) are each their own memory (parallel_runs).
        tools = parallel_run_of(ctx, tools)
        # The agent run that hit the limit (its memory, as for the calls): twice is enough only for
        # calls of that run. A managed agent out of steps says nothing of its manager's calls, nor
        # of another delegation's (each starts afresh).
        limit_spans = ctx.runs.lazy().filter(pl.col("step_limit_hit").fill_null(False)).select(
            "run_id", pl.col("step_limit_span_id").alias("span_id")
        )
        limited = managed_run_of(
            ctx, ctx.spans.lazy().join(limit_spans, on=["run_id", "span_id"], how="semi").select("run_id", "span_k", "parent_id")
        ).select("run_id", pl.col("memory").alias("limit_memory"), pl.lit(True).alias("step_limit_hit"))
        ok = pl.col("succeeded")
        # An error result counts as no new information (TAXONOMY), whether the status says so or
        # only the output does (error_shaped: "API request failed: ..." with status ok); an
        # error-shaped result is told apart from another by its text.
        bad = pl.col("failed") | pl.col("error_shaped")
        # A failed call is told apart from another by its error and by what it gave the model back
        # (a shell command that exits 1 prints which test failed; the next run, after an edit, prints
        # another): a different failure is new information, as a different result is.
        error_key = (
            pl.when(pl.col("failed"))
            .then(pl.concat_str([pl.col("error_label"), pl.col("output")], separator="\n", ignore_nulls=True))
            .otherwise(pl.col("output"))
        )
        error_label = (
            pl.when(pl.col("failed"))
            .then(pl.col("error_label"))
            .otherwise(pl.format('"{}"', snippet(pl.col("output"))))
        )
        # Whether the agent's model issued each call again (decisions.py); retries are retry_storm's.
        tools = model_decided(ctx, tools, ["run_key", "memory", "agent", "call", "call_args"])
        # How many of the agent's calls so far brought something it had not seen (new_information):
        # a repeat after repeat_count of them is a re-check once the agent moved on, not a loop.
        tools = new_information_seen(ctx, tools, result_key(pl.col("call"), pl.col("output")))
        groups = (
            # One 64-bit key for (run, memory, agent, tool, arguments): grouping a million tool calls
            # on one integer rather than three strings.
            tools.group_by(pl.struct("run_key", "memory", "agent", "call", "call_args").hash(7).alias("_k"))
            .agg(
                pl.col("run_id").first(),
                pl.col("memory").first(),
                pl.col("agent").first().fill_null("(no agent)"),
                pl.col("call").first(),
                pl.col("span_id").alias("ids"),
                pl.len().alias("n"),
                ok.sum().alias("n_ok"),
                # CrewAI's refusal of a repeated call (REFUSED_REPEAT) is no result of its own.
                result_key(pl.col("call"), pl.col("output"))
                .filter(ok & ~pl.col("output").str.contains(REFUSED_REPEAT).fill_null(False))
                .n_unique()
                .alias("n_results"),
                (ok & pl.col("output").str.contains(REFUSED_REPEAT).fill_null(False)).sum().alias("n_refused"),
                longest_same_result(
                    result_key(pl.col("call"), pl.col("output")),
                    ok & ~pl.col("output").str.contains(REFUSED_REPEAT).fill_null(False),
                    pl.col("seq"),
                ).alias("longest_same"),
                # The same result in a row on a state that had ended in failure, and its first repeat.
                *stalled.failed_stretch(result_key(pl.col("call"), pl.col("output")), ok, pl.col("output"), pl.col("seq"), pl.col("span_id")),
                # The most completed calls with the agent not moving on between them (new_information).
                longest_unbroken(ok, pl.col("seq"), n).alias("unbroken"),
                # The first repeat: the call that ignored the first result (findings.first_repeat);
                # a loop of parse-error observations: its first member (PARSE_ERROR_TOOL).
                pl.when(pl.col("call").first() == PARSE_ERROR_TOOL)
                .then(pl.col("span_id").sort_by("seq").first())
                .otherwise(first_repeat(ok))
                .alias("redo_id"),
                pl.col("t").min().alias("first_t"),
                pl.col("t").max().alias("last_t"),
                pl.col("seq").min().alias("first_seq"),
                pl.col("seq").max().alias("last_seq"),
                pl.col("run_key").first(),
                bad.sum().alias("n_err"),
                error_key.filter(bad).n_unique().alias("n_errors"),
                error_label.filter(bad).first().alias("error"),
                pl.col("decided").all().alias("decided"),
                # Whether the log recorded what the calls were given or gave back: a tracer that
                # writes neither (autogen-core's execute_tool span: the tool's name, id and
                # description, no arguments, no result) shows no sameness, only the tool's name.
                (pl.col("call_args").is_not_null() | pl.col("output").is_not_null()).any().alias("_recorded"),
            )
            # The step completed at least twice with the same result, or the agent's model decided
            # again each time to make a call that failed the same way (a resend no model decided is
            # retry_storm's). Where the run hit its step, turn or recursion limit
            # (runs.step_limit_hit), a call repeated twice with nothing new is where the steps went.
            .join(limited, on="run_id", how="left")
            .with_columns(
                (pl.col("step_limit_hit").fill_null(False) & pl.col("limit_memory").eq_missing(pl.col("memory"))).alias(
                    "step_limit_hit"
                )
            )
            .filter(
                (pl.col("n") >= pl.when(pl.col("step_limit_hit")).then(2).otherwise(n))
                & (
                    # The same result each time, as many of them without the agent moving on to other
                    # work between two (new_information): a re-check after that work is no loop.
                    (
                        (pl.col("n_ok") >= 2) & (pl.col("n_results") == 1) & pl.col("_recorded")
                        & (pl.col("unbroken") >= pl.when(pl.col("step_limit_hit")).then(2).otherwise(n))
                    )
                    # Or, in a run its limit stopped, its result stood still for the last stretch.
                    | (stalled_at_limit(pl.col("longest_same"), pl.col("step_limit_hit"), n) & pl.col("_recorded"))
                    # Or it stood still on a state that had ended in failure: a poll that waits for nothing.
                    | stalled.stalled_on_failure(n)
                    | (
                        (pl.col("n_err") == pl.col("n")) & (pl.col("n_errors") == 1)
                        & pl.col("decided")
                    )
                )
            )
        )
        # A wait repeated between other calls, or a call with no arguments with other calls between
        # (close_popups after each page opened), acted on a state that changed (changed_state).
        # ... unless the state it read had ended in failure: no wait or change is left to account for.
        changed = repeats_on_changed_state(ctx, groups.filter(~stalled.stalled_on_failure(n)), n)
        groups = groups.join(changed, on="_k", how="anti").with_columns(stalled.redo_at_failure(n))
        return groups.select(
            finding(
                "run_id",
                pl.col("ids"),
                "redo_id",
                pl.when(pl.col("n_ok") > 0)
                .then(
                    pl.format(
                        "agent {} called tool {} {} times with the same arguments between {} and {}, "
                        "getting the same result {}{}, so the repeats brought no new information",
                        pl.col("agent"),
                        txt(pl.col("call")),
                        pl.col("n"),
                        hms("first_t"),
                        hms("last_t"),
                        same_result_told(pl.col("n_results"), pl.col("n_ok"), pl.col("longest_same"), pl.col("longest_failed")),
                        pl.when(pl.col("n_refused") > 0)
                        .then(pl.format(" ({} of them the framework refusing to run the same call again)", pl.col("n_refused")))
                        .otherwise(pl.lit("")),
                    )
                )
                .otherwise(
                    pl.format(
                        "agent {} decided {} times to call tool {} with the same arguments between {} and {}, "
                        "and it failed with the same error ({}) every time, so the repeats brought no new information",
                        pl.col("agent"),
                        pl.col("n"),
                        txt(pl.col("call")),
                        hms("first_t"),
                        hms("last_t"),
                        pl.col("error"),
                    )
                ),
            )
        )


@register
class RedoAfterRestart(Detector):
    name = "redo_after_restart"
    failure_class = "context_collapse"
    scope = "session"
    severity = "medium"
    strength = "weak"
    description = (
        "Within a session, a later run repeats a tool call (same tool and arguments) that an "
        "earlier, failed run had already completed, instead of resuming from the failed step; a restart "
        "starts after the failed run's last activity (a run of the session at work beside it restarts nothing). A graph "
        "node resumed where it stopped (LangGraph replays that node from its first line) re-reading what it "
        "read before failing resumed: every redo inside a node named as the one that failed or paused, "
        "none of them a side effect. A failed run none of whose tool calls failed, that failed in its model "
        "or ran out of steps, left no step to resume at: a restart's re-reads of it are no redo, its side "
        "effects are."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        runs = ctx.runs.lazy().filter(pl.col("session_id").is_not_null())
        failed = (
            failed_runs(ctx)
            .lazy()
            .filter(pl.col("run_failed"))
            .join(runs.select("run_id", "start_time", "last_activity", "task"), on="run_id")
            .select(
                "run_id", pl.col("start_time").alias("e_run_start"), pl.col("last_activity").alias("e_run_end"),
                pl.col("task").alias("e_task"),
            )
        )
        # Only the runs of a session that holds a failed run can redo one's work: their spans are
        # the ones read below (a tenth of the bench night's), looked up by the integer run key.
        sessions = runs.join(failed, on="run_id", how="semi").select("session_id")
        in_play = runs.join(sessions, on="session_id", how="semi").select("run_key").collect().get_column("run_key")
        spans = ctx.spans.lazy().filter(pl.col("run_key").is_in(in_play.implode()))
        tools = spans.filter((pl.col("kind") == "tool") & pl.col("session_id").is_not_null())
        done = (
            tools.filter(pl.col("succeeded"))
            .join(failed, on="run_id")
            .sort("e_run_start", "seq")
            # The earliest completion of each step is the one a resuming run should have reused.
            .group_by("session_id", "call", "args")
            .agg(
                pl.col("run_id").first().alias("e_run"),
                pl.col("span_id").first().alias("e_span"),
                pl.col("e_run_start").first(),
                pl.col("e_run_end").first(),
                pl.col("e_task").first(),
            )
        )
        later = tools.join(
            runs.select("run_id", pl.col("start_time").alias("run_start"), "task"), on="run_id"
        )
        # A restart is given the same task again; a new request in the same conversation that
        # re-reads the same record is not a redo. Without recorded tasks we cannot tell, and judge.
        same_task = (
            pl.col("task").is_null() | pl.col("e_task").is_null() | (pl.col("task") == pl.col("e_task"))
        )
        # A restart follows the failure: a run of the session that started while the failed one was
        # still at work ran beside it (a second request, a twin worker), and resumed nothing of it.
        # Without times, the order of starts alone is read.
        after_it = (pl.col("run_start") >= pl.col("e_run_end")).fill_null(pl.col("run_start") > pl.col("e_run_start"))
        redo = later.join(done, on=["session_id", "call", "args"]).filter(
            (pl.col("run_id") != pl.col("e_run")) & (pl.col("run_start") > pl.col("e_run_start")) & after_it & same_task
        )
        redo = redo.join(node_resumed(spans, redo), on="run_id", how="anti")
        # Decisive: the first redone step that changes the world (a charge, an e-mail, an invoice made
        # again: the duplicate), else the first redone step. Re-reading what the failed run had read
        # harms nothing; the restart's failure is inevitable where it does a done effect again
        # (TAXONOMY: the earliest span from which the failure was inevitable).
        effect = pl.col("is_side_effect").fill_null(False) & ~created_nothing_new()
        # A re-read of a run that failed in its model or ran out of steps, with no failed step to
        # resume at, is the restart's own context (restart_points.py); its side effects are redone.
        no_resume = no_step_to_resume(ctx).select(pl.col("run_id").alias("e_run"), pl.lit(True).alias("_no_resume"))
        redo = redo.join(no_resume, on="e_run", how="left").filter(effect | pl.col("_no_resume").is_null()).drop("_no_resume")
        per_run = (
            redo.sort("run_id", "seq")
            .group_by("run_id")
            .agg(
                pl.coalesce(pl.col("span_id").filter(effect).first(), pl.col("span_id").first()).alias("first_redo"),
                pl.coalesce(pl.col("call").filter(effect).first(), pl.col("call").first()).alias("call"),
                pl.coalesce(pl.col("t").filter(effect).first(), pl.col("t").first()).alias("t"),
                pl.col("e_run").first(),
                pl.col("e_span").unique(maintain_order=True).alias("e_spans"),
                pl.col("span_id").alias("redo_ids"),
                pl.struct("call", "args").n_unique().alias("n_steps"),
            )
        )
        return per_run.select(
            finding(
                "run_id",
                pl.concat_list("e_spans", "redo_ids"),
                "first_redo",
                pl.format(
                    "this run redid {} step(s) that run {} of the same session had already completed "
                    "before it failed, starting with tool {} at {}, instead of resuming from the failed step",
                    pl.col("n_steps"),
                    pl.col("e_run"),
                    txt(pl.col("call")),
                    hms("t"),
                ),
            )
        )


#: HTTP methods whose repeat has the effect of one request (RFC 9110 section 9.2.2, "Idempotent
#: Methods": PUT, DELETE and the safe methods), and of those the ones that change anything.
_IDEMPOTENT_METHODS = ("PUT", "DELETE", "GET", "HEAD", "OPTIONS")
_IDEMPOTENT_WRITES = ("PUT", "DELETE")


def _idempotent_requests(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the tool calls whose HTTP requests (their client spans right under
    them: ``http_method``) were all idempotent and at least one a PUT or DELETE: the same call made
    again set the same state again (RFC 9110 9.2.2: "the intended effect on the server of multiple
    identical requests with that method is the same as the effect for a single such request"). A
    call that sent a POST or PATCH, or whose requests the log does not show, is judged as before."""
    if "http_method" not in ctx.spans.columns:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    method = pl.col("http_method").str.to_uppercase()
    return (
        ctx.spans.lazy()
        .filter(pl.col("http_method").is_not_null() & pl.col("parent_id").is_not_null())
        .group_by("run_id", pl.col("parent_id").alias("span_id"))
        .agg(method.is_in(_IDEMPOTENT_METHODS).all().alias("_all"), method.is_in(_IDEMPOTENT_WRITES).any().alias("_w"))
        .filter(pl.col("_all") & pl.col("_w"))
        .select("run_id", "span_id")
    )


@register
class DuplicateSideEffect(Detector):
    name = "duplicate_side_effect"
    failure_class = "context_collapse"
    scope = "session"
    severity = "high"
    strength = "strong"
    description = (
        "A side-effecting tool (policy tools.side_effecting), or a step that acts though no tool span (a Langfuse v2 "
        "program's own function), succeeds twice with the same arguments "
        "in a run, or again in a restart (same task) of a failed run of the session, or again in the next run of "
        "the session given the same request that started before the earlier run ended or within "
        "thresholds.resend_window_s of its end (a client that gave up waiting and sent the request again: "
        "the earlier run did its work all the same), or again in a neighbouring run of the session at work at "
        "the same time when neither records a request (a scheduler firing again while its previous run still "
        "goes); compared in the order they happened, the second is the repeat. A create whose "
        "result returns the object already there (\"created\": false beside its id) changed nothing, nor "
        "did a repeat sent with the same idempotency key or answered Idempotent-Replayed: true (Stripe "
        "answers it with the first request's saved result), nor a call whose HTTP requests were all "
        "idempotent, a PUT or DELETE among them (RFC 9110 9.2.2: repeated, the same effect as once). A call "
        "that failed after its own HTTP write was accepted (pydantic-ai ModelRetry raised on the response) acted."
    )

    thresholds = (
        Threshold(
            "resend_window_s", 30.0,
            "duplicate_side_effect: a run of a session given the same request as an earlier one, started "
            "before that run ended or within this many seconds of its end, is the request sent again "
            "(a client's retry after its own timeout), not the user asking anew.",
            "a number of seconds >= 0", lambda v: v >= 0, (int, float), required=False,
        ),
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        key = ["scope_key", "call", "args"]
        effects = (
            # The same call however its arguments were spelled: a smolagents tool called with them
            # positionally from a CodeAgent's code, by keyword from a ToolCallingAgent (tool_calls:
            # call_values, the values as given); and a step that acts though no tool span
            # (effects.side_effects: a Langfuse v2 program's own function).
            side_effects(ctx)
            # Taken out first: polars merges stacked filters into one predicate and evaluates each
            # part on every row, so the result regexes read every span's output (0.19 s at the
            # bench night) where the side effects' are a twentieth of them.
            .collect()
            .lazy()
            .filter(~created_nothing_new())
            .select("run_id", "span_id", "seq", "t", "call", "args", "kind")
            .join(_idempotent_requests(ctx), on=["run_id", "span_id"], how="anti")
            .join(
                ctx.runs.lazy().select(
                    "run_id", pl.col("start_time").alias("run_start"), pl.col("last_activity").alias("run_end"),
                    "task", "scope_key",
                    # The run's place among its session's runs (start, then id: ties broken).
                    pl.int_range(pl.len()).over("scope_key", order_by=["start_time", "run_id"]).alias("run_n"),
                ),
                on="run_id",
            )
            # Only an effect that succeeded twice (same scope, tool and arguments) can be repeated.
            .filter(pl.len().over(key) > 1)
            .join(failed_runs(ctx).lazy(), on="run_id")
            # In the order they happened: of two runs of a session at work at once (a schedule
            # firing again while its previous run is still going), the effect done second is the
            # repeat, whichever run started first.
            .sort(*EFFECT_ORDER, nulls_last=True)
        )
        cols = ("run_id", "span_id", "t", "run_failed", "task", "run_start", "run_end", "run_n")
        prev = {c: pl.col(c).shift(1).over(key) for c in cols}
        same_task = prev["task"].is_null() | pl.col("task").is_null() | (prev["task"] == pl.col("task"))
        # The same request sent again while the earlier run was at work or just after it, or the
        # same unasked job run twice at once (session_overlap.same_job_again).
        window = pl.duration(milliseconds=pl.lit(ctx.policy.resend_window_s * 1000))
        resent = same_job_again(prev, window)
        # Each success is compared with the previous one of the same effect: a repeat within a run,
        # a restart of a failed run given the same task (two separate requests that each send the
        # same confirmation are two requests), or the same request re-sent.
        repeats = effects.with_columns(
            prev["run_id"].alias("prev_run"),
            prev["span_id"].alias("prev_id"),
            prev["t"].alias("prev_t"),
            (prev["run_id"] == pl.col("run_id")).alias("same_run"),
            (prev["run_failed"].fill_null(False) & same_task & (prev["run_n"] < pl.col("run_n")).fill_null(False)).alias("restart"),
            resent.alias("resent"),
        ).filter(pl.col("prev_run").is_not_null() & (pl.col("same_run") | pl.col("restart") | pl.col("resent")))
        per_effect = (
            repeats.sort(*EFFECT_ORDER, nulls_last=True)
            .group_by(key)
            .agg(pl.all().first(), pl.len().alias("n_repeats"))
            .with_columns(
                # Decisive: the repeat, the second success (TAXONOMY: the earliest span from which
                # the failure was inevitable). Unlike a loop's pointless repeats, the first success
                # was the job done right; the customer is charged or mailed twice only when the agent
                # does it again, in the same run or in a restart.
                pl.col("span_id").alias("decisive"),
            )
        )
        where = (
            pl.when(pl.col("same_run"))
            .then(pl.lit("in the same run"))
            .when(pl.col("restart"))
            .then(pl.format("in a restart of failed run {}", pl.col("prev_run")))
            .otherwise(
                pl.format(
                    "in a run given the same request as run {} of the session while it was at work or just after "
                    "(the request sent again, as a client does after its own timeout)",
                    pl.col("prev_run"),
                )
            )
        )
        return per_effect.select(
            finding(
                "run_id",
                pl.concat_list("prev_id", "span_id"),
                "decisive",
                pl.format(
                    "side-effecting {} {} succeeded at {} and again with the same arguments at {} {}",
                    pl.when(pl.col("kind") == "tool").then(pl.lit("tool")).otherwise(pl.lit("step")),
                    txt(pl.col("call")),
                    hms("prev_t"),
                    hms("t"),
                    where,
                ),
            )
        )
