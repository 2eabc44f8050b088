"""Attribution rules over the agents' own actions (AG2 / Magentic-One terminals and surfers):
``task_is_tool_error``, ``tool_error`` and ``repeated_action`` (see :mod:`forensics.attribution`).
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _ACK, REPEAT_MIN_CHARS, _hedged, _no_rows, _pick

#: A task that is a code executor's failure report: AG2's reply to code that failed ("exitcode: 1
#: (execution failed)\nCode output: ...", ConversableAgent.generate_code_execution_reply /
#: execute_code_blocks, autogen agentchat/conversable_agent.py) as the whole message or as the
#: "# General Task" a CaptainAgent nested chat was seeded with (seek_experts_help hands the caller's
#: last message on as the task, autogen agentchat/contrib/captainagent).
_TASK_IS_FAILURE = r"(?:\A|# General Task\s*\n)\s*exitcode: *[1-9]\d* \(execution failed\)"


def _task_is_tool_error(s: pl.DataFrame) -> pl.DataFrame:
    """The run's first step (its task) is a failed execution's report, not a question: the team was
    handed an error to debug instead of the request it was meant to answer, so nothing it did later
    could answer it. The task statement (its owner at step 0) is blamed: the failure was decided
    before any agent acted. A task that merely mentions an error (a question about one) is no such
    report."""
    first = s.filter(
        (pl.col("step") == 0)
        & ~pl.col("is_tool")
        & pl.col("output").fill_null("").str.contains(_TASK_IS_FAILURE)
    )
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step 0: {}'s task is a code execution's failure report (exitcode, execution failed), "
                "not the request: the team was handed an error to debug",
                pl.col("owner_agent"),
            ),
        ),
        "task_is_tool_error",
        0,
    )


def _tool_errors(s: pl.DataFrame) -> pl.DataFrame:
    ack = pl.col("output").fill_null("").str.contains(_ACK)
    nxt_ack = pl.when(pl.col("worker") & ~pl.col("is_tool")).then(ack).shift(-1).backward_fill().over("_rk")
    failed = s.with_columns(nxt_ack=nxt_ack).filter(
        (pl.col("failed") | _printed_nothing()) & pl.col("worker") & (pl.col("step") > pl.col("last_replan"))
    )
    if failed.height > 0 and bool(s.get_column("orchestrator").any()):
        failed = failed.join(_recovered(s, failed), on=["run_id", "step"], how="anti")
        failed = failed.join(_handed_over(s, failed), on=["run_id", "step"], how="anti")
    first = failed.sort("run_id", "step").unique("run_id", keep="first")
    # A failed run the next ledger took for a result, whose author then said it had none: the
    # ledger's misreading decided the run (``_misread_by_ledger``), blamed at that ledger.
    misread = _misread_by_ledger(s, first) if bool(s.get_column("orchestrator").any()) else None
    if misread is not None and misread.height > 0:
        first = first.join(misread, on=["run_id", "step"], how="left")
        by_ledger = pl.col("_ledger").is_not_null()
        first = first.with_columns(
            owner_agent=pl.when(by_ledger).then(pl.col("_ledger_agent")).otherwise(pl.col("owner_agent")),
            owner_step=pl.when(by_ledger).then(pl.col("_ledger")).otherwise(pl.col("owner_step")),
            _misread=by_ledger,
        )
    else:
        first = first.with_columns(_misread=pl.lit(False))
    reading = (
        pl.when(pl.col("nxt_ack") == False)  # noqa: E712
        .then(pl.lit("; the next message carried on as if it had worked"))
        .when(pl.col("nxt_ack"))
        .then(pl.lit("; the next message acknowledged it"))
        .otherwise(pl.lit(""))
    )
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.when(pl.col("_misread"))
            .then(
                pl.format(
                    "step {}: {}'s ledger took {}'s failed run (step {}) for progress and asked for its "
                    "result; the code's author then said the result was not established",
                    pl.col("owner_step"),
                    pl.col("owner_agent"),
                    pl.col("agent"),
                    pl.col("step"),
                )
            )
            .otherwise(
                pl.format(
                    "step {}: {} failed ({}) running {}'s step {}{}",
                    pl.col("step"),
                    pl.col("agent"),
                    pl.when(pl.col("failed")).then(pl.col("status")).otherwise(pl.lit("it printed nothing")),
                    pl.col("owner_agent"),
                    pl.col("owner_step"),
                    reading,
                )
            ),
        ),
        "tool_error",
        1,
    )


#: AG2's code executor's reply to code that ran and printed nothing ("exitcode: 0 (execution
#: succeeded)\nCode output: " and no more: ConversableAgent.execute_code_blocks, autogen
#: agentchat/conversable_agent.py).
_EMPTY_RUN = r"^exitcode: 0 \(execution succeeded\)\s*Code output:\s*$"


def _printed_nothing() -> pl.Expr:
    """A terminal run of code that prints its result (a ``print(`` in the code it ran) and printed
    nothing: the result the code was written to give never came, as if it had failed; the next
    message that goes on without it relies on an output that is not there."""
    return (
        pl.col("is_tool")
        & pl.col("input").fill_null("").str.contains("print(", literal=True)
        & pl.col("output").fill_null("").str.contains(_EMPTY_RUN)
    )


def _recovered(s: pl.DataFrame, failed: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step`` of the failed steps a Magentic-One team got past: a later ledger reported
    progress and the same agent later acted successfully (a terminal run of its code that did not
    fail, or a page view of its own). An error its author never got past (a misread error: the
    Coder reporting a count its failed script never printed) stays evidence.

    AgentChat's MagenticOneGroupChat keeps its progress ledger out of the messages (``_orchestrate_step``
    logs it only) and re-enters its outer loop, posting a new task ledger, when the team stalls: in a
    run with a plan and no ledger in its messages, a later success of the same agent after no replan
    (the rule reads only failures after the last one) is the progress the orchestrator saw."""
    last_progress = (
        s.filter(pl.col("ledger_progress").fill_null(False))
        .group_by("run_id")
        .agg(pl.col("step").max().alias("_lp"))
    )
    unledgered = (
        s.group_by("run_id")
        .agg(
            pl.col("ledger_progress").is_not_null().any().alias("_ledgered"),
            pl.col("plan_msg").any().alias("_planned"),
            (pl.col("step").max() + 1).alias("_lp"),
        )
        .filter(~pl.col("_ledgered") & pl.col("_planned"))
        .select("run_id", "_lp")
    )
    last_progress = pl.concat([last_progress, unledgered], how="vertical")
    succeeded = s.filter(
        ~pl.col("failed")
        & ((pl.col("is_tool") & (pl.col("owner_step") != pl.col("step"))) | pl.col("observation"))
    ).select("run_id", pl.col("owner_agent").alias("_who"), pl.col("step").alias("_ok_at"))
    return (
        failed.select("run_id", "step", pl.col("owner_agent").alias("_who"))
        .join(last_progress, on="run_id")
        .filter(pl.col("_lp") > pl.col("step"))
        .join(succeeded, on=["run_id", "_who"])
        .filter(pl.col("_ok_at") > pl.col("step"))
        .select("run_id", "step")
        .unique()
    )


def _misread_by_ledger(s: pl.DataFrame, failed: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step, _ledger, _ledger_agent``: the failed terminal runs (``failed``, not taken over)
    whose next Magentic-One ledger took them for progress (``is_progress_being_made: true``) and
    whose code's author, at its next message after that ledger, said itself that the result is not
    established (``_HEDGE``: "the console output was not captured ... approximately 15.2"). The
    Executor's "The script ran but produced no output to console. The Unix exit code was: 1."
    (autogen-magentic-one agents/coder.py) was in the ledger's view; ``update_ledger`` read it as a
    result and the instruction asked the author for a value its code never printed, which the author
    could only estimate: the ledger's misreading decided the run. An author that instead states the
    result as printed ("The script counted 318 rows") invented it and stays blamed, at its code."""
    ledgers = s.filter(pl.col("ledger_progress").is_not_null()).select(
        "run_id",
        pl.col("step").alias("_ledger"),
        pl.col("agent").alias("_ledger_agent"),
        pl.col("ledger_progress").alias("_p"),
    )
    nxt = (
        failed.filter(pl.col("is_tool") & pl.col("code_agent").is_not_null())
        .select("run_id", "step", "code_agent")
        .join(ledgers, on="run_id")
        .filter(pl.col("_ledger") > pl.col("step"))
        .sort("run_id", "step", "_ledger")
        .unique(["run_id", "step"], keep="first")
        .filter(pl.col("_p"))
    )
    if nxt.height == 0:
        return nxt.select("run_id", "step", "_ledger", "_ledger_agent")
    reports = s.filter(pl.col("worker") & ~pl.col("is_tool")).select(
        "run_id", pl.col("agent").alias("code_agent"), pl.col("step").alias("_r"), _hedged().alias("_hedged")
    )
    return (
        nxt.join(reports, on=["run_id", "code_agent"])
        .filter(pl.col("_r") > pl.col("_ledger"))
        .sort("run_id", "step", "_r")
        .unique(["run_id", "step"], keep="first")
        .filter(pl.col("_hedged"))
        .select("run_id", "step", "_ledger", "_ledger_agent")
    )


def _handed_over(s: pl.DataFrame, failed: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step`` of the failed steps a Magentic-One orchestrator took over: the first ledger
    after the failure answers ``is_progress_being_made: false`` (``LedgerOrchestrator.update_ledger``
    reads every message; a stalled ledger counts towards its replan). The failure (a page that would
    not load, a package that would not build: often the environment's) was seen, and what the
    orchestrator did about it (retry, another agent, another source, accepting a guess) decided the
    run, so the failure is not the decisive step. A failure the next ledger took for progress (the
    Coder then reporting a count its failed script never printed) was misread and stays evidence."""
    ledgers = s.filter(pl.col("ledger_progress").is_not_null()).select(
        "run_id", pl.col("step").alias("_l"), pl.col("ledger_progress").alias("_p")
    )
    first_judged = (
        failed.select("run_id", "step")
        .join(ledgers, on="run_id")
        .filter(pl.col("_l") > pl.col("step"))
        .sort("run_id", "step", "_l")
        .unique(["run_id", "step"], keep="first")
        .filter(~pl.col("_p"))
        .select("run_id", "step")
    )
    return pl.concat([first_judged, _retried_until_handed_over(s, failed, ledgers)], how="vertical").unique()


def _retried_until_handed_over(s: pl.DataFrame, failed: pl.DataFrame, ledgers: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step`` of the failed steps whose author was asked for another try and failed again, every
    try, until a ledger answered ``is_progress_being_made: false``: between the failure and that ledger
    no worker spoke but the same author with code that failed (a Coder's pydub script, then its pip
    install of whisper, each "The script ran, then exited with Unix exit code: 1", autogen-magentic-one
    ``agents/coder.py``). ``update_ledger`` judged the retries worth making and then took the failed
    line of work over, as it does a failure its next ledger calls no progress: what the orchestrator
    did next (another agent, another source) decided the run. A try that worked, or an author that
    answered in its own words (a count its failed script never printed), breaks the streak."""
    no_progress = (
        failed.select("run_id", "step", pl.col("owner_agent").alias("_who"))
        .join(ledgers.filter(~pl.col("_p")), on="run_id")
        .filter(pl.col("_l") > pl.col("step"))
        .sort("run_id", "step", "_l")
        .unique(["run_id", "step"], keep="first")
        .drop("_p")
    )
    if no_progress.height == 0:
        return no_progress.select("run_id", "step")
    runs_failing = s.filter(pl.col("failed") & pl.col("worker"))
    # The steps of a failed try: the run that failed and the message holding the code it ran.
    tries = pl.concat(
        [
            runs_failing.select("run_id", pl.col("step").alias("_w"), pl.col("owner_agent").alias("_who")),
            runs_failing.select(
                "run_id", pl.col("owner_step").alias("_w"), pl.col("owner_agent").alias("_who")
            ),
        ],
        how="vertical",
    ).unique()
    spoke = s.filter(pl.col("worker")).select("run_id", pl.col("step").alias("_w"))
    between = no_progress.join(spoke, on="run_id").filter(
        (pl.col("_w") > pl.col("step")) & (pl.col("_w") < pl.col("_l"))
    )
    broken = between.join(tries, on=["run_id", "_w", "_who"], how="anti").select("run_id", "step").unique()
    retried = between.select("run_id", "step").unique()
    return retried.join(broken, on=["run_id", "step"], how="anti")


def _repeats(s: pl.DataFrame) -> pl.DataFrame:
    # Word for word: the same text (by a 64-bit hash, then compared) from the same agent.
    rows = s.filter(
        pl.col("worker") & ~pl.col("is_tool") & (pl.col("output").str.len_bytes() >= REPEAT_MIN_CHARS)
    ).with_columns(_h=pl.col("output").hash(7))
    rows = (
        rows.filter(pl.len().over("_rk", "agent", "_h") > 1)
        .with_columns(
            _nth=pl.int_range(pl.len()).over("_rk", "agent", "output"),
            _orig=pl.col("step").min().over("_rk", "agent", "output"),
        )
        .filter((pl.col("_nth") > 0) & (pl.col("step") > pl.col("last_replan")))
    )
    if rows.height > 0 and s.get_column("ledger_progress").null_count() < s.height:
        rows = rows.join(_moved_on(s, rows), on=["run_id", "step"], how="anti")
        # A failure that came back the same (a page that timed out again when the orchestrator asked
        # for another try) is the tool failing twice, not the worker looping: where the ledger judging
        # it answered no progress, the orchestrator took it over (``_handed_over``, as for the first).
        rows = rows.join(_handed_over(s, rows.filter(pl.col("failed"))), on=["run_id", "step"], how="anti")
    first = rows.sort("run_id", "step").unique("run_id", keep="first")
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} repeated its step {} word for word",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_orig"),
            ),
        ),
        "repeated_action",
        2,
    )


def _moved_on(s: pl.DataFrame, repeats: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step`` of the repeats a Magentic-One team got past: the same agent later said
    something else, or the orchestrator handed the work on to another worker who answered, and a
    ledger after that reported progress out of a loop (``is_progress_being_made: true``,
    ``is_in_loop: false``): a retried page that came back the same, then a search that found the
    figure; a page that answered a second question as it stood, then the Coder's turn. A repeat the
    team never got past is the loop (or ``orchestrator_stall``'s)."""
    moved = s.filter(
        pl.col("ledger_progress").fill_null(False) & ~pl.col("ledger_in_loop").fill_null(False)
    ).select("run_id", pl.col("step").alias("_lp"))
    later = s.filter(pl.col("worker")).select(
        "run_id",
        pl.col("agent").alias("_a2"),
        pl.col("step").alias("_at"),
        pl.col("output").hash(7).alias("_h2"),
    )
    got_past = (
        repeats.select("run_id", "step", "agent", "_h")
        .join(later, on="run_id")
        .filter(
            (pl.col("_at") > pl.col("step"))
            & ((pl.col("_h2") != pl.col("_h")) | (pl.col("_a2") != pl.col("agent")))
        )
        # Another worker's answer counts only when the ledger judging the repeat itself saw progress
        # out of a loop: the orchestrator took the page as an answer, not as the same failure again.
        .join(_judged_as_progress(s, repeats), on=["run_id", "step"], how="left")
        .filter((pl.col("_a2") == pl.col("agent")) | pl.col("_progress").fill_null(False))
        .join(moved, on="run_id")
        .filter(pl.col("_lp") > pl.col("_at"))
    )
    return got_past.select("run_id", "step").unique()


def _judged_as_progress(s: pl.DataFrame, repeats: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step, _progress``: the ``repeats`` whose next ledger (the one judging them) answered
    ``is_progress_being_made: true`` and ``is_in_loop: false``."""
    ledgers = s.filter(pl.col("ledger_progress").is_not_null()).select(
        "run_id", pl.col("step").alias("_l"), "ledger_progress", "ledger_in_loop"
    )
    judged = (
        repeats.select("run_id", "step")
        .join(ledgers, on="run_id")
        .filter(pl.col("_l") > pl.col("step"))
        .sort("run_id", "step", "_l")
        .unique(["run_id", "step"], keep="first")
    )
    return judged.select(
        "run_id",
        "step",
        (pl.col("ledger_progress").fill_null(False) & ~pl.col("ledger_in_loop").fill_null(False)).alias(
            "_progress"
        ),
    )


#: A fenced block autogen-magentic-one's Executor runs: ``_extract_execution_request``'s own pattern
#: ``` ```(\w+)\n(.*?)\n``` ``` (agents/coder.py, ``re.DOTALL``): a language tag right after the opening
#: fence *and* a closing fence at the start of a line. A block closed on its last code line
#: (``print(x)```) matches no more than an untagged one: the Executor walks back to an earlier block.
_RUNNABLE_FENCE = r"(?s)```\w+\n.*?\n```"


def _blockless_reply(s: pl.DataFrame, runs: pl.DataFrame, earlier: pl.DataFrame) -> pl.DataFrame:
    """Repeated terminal outputs (``runs`` joined with their ``earlier`` twin) after which, between
    the two, the author of the code that ran spoke again with no block the Executor's pattern
    matches (a fix described in prose, "use ``x.dt.year`` instead"): the Executor walks back past
    that message (``check_last_n_message``) to the earlier script and runs it again. ``code_step``
    is then that prose message, as the evidence names it."""
    prose = s.filter(
        pl.col("worker") & ~pl.col("is_tool") & ~pl.col("output").fill_null("").str.contains(_RUNNABLE_FENCE)
    )
    authored = s.filter(pl.col("is_tool")).select("run_id", "step", "code_agent")
    return (
        runs.join(earlier, on=["run_id", "agent", "_h"])
        # No code came between the two runs (a new script that printed the same is its own result).
        .filter((pl.col("_before") < pl.col("step")) & (pl.col("code_step") < pl.col("_before")))
        .drop("code_step")
        .join(authored, on=["run_id", "step"])
        .join(
            prose.select("run_id", pl.col("agent").alias("code_agent"), pl.col("step").alias("code_step")),
            on=["run_id", "code_agent"],
        )
        .filter((pl.col("code_step") > pl.col("_before")) & (pl.col("code_step") < pl.col("step")))
        .drop("code_agent")
    )


def _stale_outputs(s: pl.DataFrame) -> pl.DataFrame:
    """``stale_output``: in an autogen-magentic-one run (its progress ledger is in the messages), a
    terminal's output that repeats, word for word, its own earlier output, while the latest code message
    before it (after that earlier run) holds no block the Executor's pattern matches (no language tag,
    or the closing fence on the code's last line). The Executor
    (autogen_magentic_one/agents/coder.py) walks back through its history for the first message whose
    block matches ``` ```(\\w+)\\n(.*?)\\n``` ```; an untagged or unclosed block never does, so it ran an earlier script again and
    handed back that script's result as the new code's. The terminal's step is blamed: its answer is not
    the run of the code it was asked to run (the earlier result, traced, was right for its own code).
    AgentChat's CodeExecutorAgent runs an untagged block, so its namings are not read. So too when
    the code's author answered between the two runs with no runnable block at all (``_blockless_reply``)."""
    text = pl.col("output").fill_null("")
    ledgered = pl.col("ledger_progress").is_not_null().any().over("_rk")
    runs = s.filter(
        ledgered & pl.col("is_tool") & pl.col("worker") & (text.str.len_bytes() >= REPEAT_MIN_CHARS)
    ).select("run_id", "step", "agent", "code_step", text.hash(7).alias("_h"))
    if runs.height < 2:
        return _pick(_no_rows(s), "stale_output", 2)
    untagged = s.filter(pl.col("has_code") & ~text.str.contains(_RUNNABLE_FENCE)).select(
        "run_id", pl.col("step").alias("code_step")
    )
    earlier = runs.select("run_id", "agent", "_h", pl.col("step").alias("_before"))
    by_untagged = (
        runs.join(untagged, on=["run_id", "code_step"], how="semi")
        .join(earlier, on=["run_id", "agent", "_h"])
        .filter(pl.col("_before") < pl.col("code_step"))
    )
    stale = (
        pl.concat([by_untagged, _blockless_reply(s, runs, earlier)], how="diagonal_relaxed")
        .sort("run_id", "step", "_before")
        .unique("run_id", keep="first")
    )
    return _pick(
        stale.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} answered step {} (no block with a language tag) with its step {}'s output word "
                "for word (the executor runs only a block with a language tag: it ran the earlier script again)",
                pl.col("step"),
                pl.col("agent"),
                pl.col("code_step"),
                pl.col("_before"),
            ),
        ),
        "stale_output",
        2,
    )
