"""silent_failure: "tests pass" about a test run started in the background whose output was never read.

Claude Code's Bash tool takes ``run_in_background: true`` for a long command: the call returns at
once with only the shell's id, "Command running in background with ID: <id>" (newer versions add
"Output is being written to: <path>/<id>.output"), and the command's output and exit code come
back only when asked for: the ``BashOutput`` tool with that id (``bash_id``; "Retrieves output from
a running or completed background bash shell ... Returns stdout and stderr output along with shell
status", the tool's description, shaneholloman/claude-code-prompts
system-prompts/tool-description-check-background-bash-output.md), ``TaskOutput`` in later versions, or
a read of the output file (bianbianzhu/claude-code-utilities docs/en/background-tasks/README.md).
The harness's notice that a background shell has new output names the id too. A run that started
its tests so, never asked for them (no later span names the id, no test run in the foreground), and
then answers that the tests pass claims what it never saw. The decisive span is the first act that
published the unverified work (a ``git push``, a pull request opened: claim_acts.command_call), else
the answer itself.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context, Detector, empty_findings, finding, hms
from forensics.detectors.claim_acts import command_call
from forensics.detectors.registry import register
from forensics.detectors.shell_commands import command_line
from forensics.detectors.suite_claims import ALL_PASS, runner_segment

#: The tool result of a command sent to the background: its shell's id.
_STARTED: Final = r"(?i)running in (?:the )?background with id:?\s*([A-Za-z0-9_-]+)"
#: The call asked for the background (the prepared ``args`` keep no whitespace).
_BACKGROUND_ARG: Final = '"run_in_background":true'
#: An answer saying the tests pass, in a few words ("Tests pass", "the tests are passing") or for
#: the whole suite (suite_claims.ALL_PASS).
PASS_CLAIM: Final = (
    ALL_PASS
    + r"|(?i:\b(?:unit\s+|integration\s+)?tests?\s+(?:(?:all|now|still)\s+)?(?:pass(?:es|ed|ing)?|succeed(?:s|ed)?"
    r"|are\s+(?:all\s+)?(?:passing|green))\b|\btest\s+suite\s+(?:pass\w*|is\s+green)\b)"
)
#: Words before a claim that make it no claim: negated ("not all tests pass"), or a condition or a
#: plan ("once the tests pass", "if tests pass").
_NOT_A_CLAIM: Final = re.compile(r"(?i)\b(?:not|n't|except|but|other\s+than|if|once|when|until|whether|after)\b")
#: The acts that publish the work (claim_acts.command_call's names).
_PUBLISHES: Final = ("git.push", "create_pull_request", "create_merge_request")


def _started(spans: pl.LazyFrame) -> pl.LazyFrame:
    """The tool calls sent to the background whose result gave the shell's id (``bg_id``)."""
    return spans.filter(
        (pl.col("kind") == "tool")
        & pl.col("args").str.contains(_BACKGROUND_ARG, literal=True).fill_null(False)
        & pl.col("output").str.contains(_STARTED).fill_null(False)
    ).with_columns(pl.col("output").str.extract(_STARTED, 1).alias("bg_id"))


def _names_shell(*cols: str) -> pl.Expr:
    """A later span names the shell's id (``bg_id``) in one of ``cols``: it asked for or heard of it."""
    return pl.any_horizontal(pl.col(c).str.contains(pl.col("bg_id"), literal=True).fill_null(False) for c in cols)


def _first_shell(found: pl.LazyFrame, evidence: pl.Expr, decisive: str | pl.Expr, explanation: pl.Expr) -> pl.LazyFrame:
    """One finding a run, on the first of its shells in ``found`` (by ``seq``)."""
    return found.sort("run_key", "seq").group_by("run_key").first().select(finding("run_id", evidence, decisive, explanation))


def _claims_pass(answer: str) -> bool:
    """The answer says the tests pass, not negated or conditional in the 40 characters before."""
    return any(not _NOT_A_CLAIM.search(answer[max(0, m.start() - 40) : m.start()]) for m in re.finditer(PASS_CLAIM, answer))


@register
class UnreadBackgroundTests(Detector):
    name = "unread_background_tests"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "The answer says the tests pass, yet the run started its test run in the background (Claude "
        "Code Bash run_in_background: only the shell's id came back) and never read it: no later "
        "span names the shell's id (BashOutput, TaskOutput, the output file, the harness's notice) "
        "and no test run in the foreground followed. The claim stands on nothing the run saw."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        started = (
            _started(s)
            .select("run_key", "run_id", "span_id", "seq", "t", "args", "bg_id")
            .join(ctx.runs.lazy().select("run_id", "final_output", "final_span_id"), on="run_id")
            .collect()
        )
        if started.height == 0:
            return empty_findings()
        # Test runs only, answered by a claim that the tests pass: read per distinct text (a few rows).
        tests = {a for a in started.get_column("args").unique().to_list() if (line := command_line(a)) and runner_segment(line)}
        claims = {a for a in started.get_column("final_output").drop_nulls().unique().to_list() if _claims_pass(a)}
        started = started.filter(pl.col("args").is_in(list(tests)) & pl.col("final_output").is_in(list(claims)))
        if started.height == 0:
            return empty_findings()
        later = (
            s.join(started.lazy().select("run_key").unique(), on="run_key", how="semi")
            .select("run_key", pl.col("span_id").alias("l_id"), pl.col("seq").alias("l_seq"), pl.col("kind").alias("l_kind"),
                    pl.col("args").alias("l_args"), pl.col("output").alias("l_output"))
            .collect()
        )
        pairs = started.join(later, on="run_key").filter((pl.col("l_seq") > pl.col("seq")) & pl.col("l_id").ne_missing(pl.col("final_span_id")))
        # Heard back: a later span names the shell's id (in its arguments or output).
        names_id = _names_shell("l_args", "l_output")
        later_tests = [a for a in pairs.get_column("l_args").drop_nulls().unique().to_list() if (line := command_line(a)) and runner_segment(line)]
        foreground = (
            (pl.col("l_kind") == "tool")
            & pl.col("l_args").is_in(later_tests)
            & ~pl.col("l_args").str.contains(_BACKGROUND_ARG, literal=True).fill_null(False)
        )
        heard = pairs.filter(names_id | foreground).select("run_key", "span_id").unique()
        unread = started.join(heard, on=["run_key", "span_id"], how="anti")
        if unread.height == 0:
            return empty_findings()
        acts = command_call(
            pairs.lazy().filter(pl.col("l_kind") == "tool").with_columns(pl.lit(None, dtype=pl.String).alias("call_tool")), args="l_args"
        )
        published = (
            acts.filter(pl.col("as_call").is_in(list(_PUBLISHES)))
            .sort("l_seq")
            .group_by("run_key", "span_id")
            .agg(pl.col("l_id").first().alias("_pub_id"))
        )
        return _first_shell(
            unread.lazy().join(published, on=["run_key", "span_id"], how="left"),
            pl.concat_list("span_id", "_pub_id", "final_span_id").list.drop_nulls(),
            pl.coalesce("_pub_id", "final_span_id"),
            pl.format(
                "the answer says the tests pass, yet the test run started in the background at {} (shell {}) "
                "was never read: no later call asked for its output and no test run followed",
                hms("t"),
                pl.col("bg_id"),
            ),
        )


#: A background shell's state as the harness reports it when asked (BashOutput's ``<status>``) or in
#: its notice (``<task-notification>`` ... ``<status>``): still running.
_SHELL_RUNNING: Final = r"<status>\s*running\s*</status>|\(status:\s*running\)"
#: ... or settled: completed, failed, killed or stopped, or an exit code given.
_SHELL_SETTLED: Final = (
    r"(?i)<status>\s*(?:completed|failed|killed|stopped)\s*</status>|\(status:\s*(?:completed|failed|killed|stopped)\)"
    r"|<exit_code>|\bexit code\b"
)
#: An answer stating the work finished.
_SAYS_DONE: Final = (
    r"(?i)\b(?:is|was|has)\s+(?:now\s+)?(?:complete[d]?|finished|done)\b|\b(?:completed|finished)\s+(?:all|every|the)\b"
    r"|\bworked\s+through\s+all\b|\ball\s+\d[\d,]*\s+(?:batches|rows|records|items|files|steps)\b"
)
#: An answer telling the work is still going, or failed.
_TOLD_RUNNING: Final = (
    r"(?i)\bstill\s+(?:running|in\s+progress|going|processing)\b|\bin\s+progress\b|\brunning\s+in\s+the\s+background\b"
    r"|\bnot\s+(?:yet\s+)?(?:complete[d]?|finished|done)\b|\bcheck\s+back\b|\bonce\s+it\s+(?:finishes|completes)\b"
    r"|\bfail(?:ed|ure|s)?\b|\berror\b|could\s*n[o']?t|\bunable\b"
)


@register
class BackgroundStillRunning(Detector):
    name = "background_still_running"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "The answer says the work is finished, yet the command the run started in the background "
        "(Claude Code Bash run_in_background) was last seen running: every later read of its shell "
        "(BashOutput, the harness's notice) said <status>running</status>, none completed, failed or "
        "killed, and no exit code came back. The run reported the end of work it saw under way."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        answers = ctx.runs.lazy().filter(
            pl.col("final_output").str.contains(_SAYS_DONE).fill_null(False)
            & ~pl.col("final_output").str.contains(_TOLD_RUNNING).fill_null(False)
        ).select("run_id", "final_span_id", "final_t")
        started = (
            _started(s)
            .join(answers, on="run_id")
            .select("run_key", "run_id", "span_id", "seq", "t", "final_span_id", "final_t", "bg_id")
        )
        # Any later span naming the shell: a BashOutput call, or the harness's notice in a user line.
        reads = (
            s.select("run_key", pl.col("span_id").alias("r_id"), pl.col("seq").alias("r_seq"), pl.col("args").alias("r_args"),
                    pl.col("output").alias("r_out"))  # fmt: skip
            .join(started.select("run_key", "span_id", "seq", "bg_id"), on="run_key")
            .filter((pl.col("r_seq") > pl.col("seq")) & _names_shell("r_args", "r_out"))
            .group_by("run_key", "span_id")
            .agg(
                pl.col("r_out").str.contains(_SHELL_RUNNING).fill_null(False).any().alias("_seen_running"),
                pl.col("r_out").str.contains(_SHELL_SETTLED).fill_null(False).any().alias("_settled"),
                pl.col("r_id").sort_by("r_seq").last().alias("_last_read"),
            )
        )
        return _first_shell(
            started.join(reads, on=["run_key", "span_id"]).filter(pl.col("_seen_running") & ~pl.col("_settled")),
            pl.concat_list("span_id", "_last_read", "final_span_id").list.drop_nulls(),
            "final_span_id",
            pl.format(
                "the command started in the background at {} (shell {}) was last read still running and "
                "never seen to finish, yet the answer at {} says the work is complete",
                hms("t"), pl.col("bg_id"), hms("final_t"),
            ),
        )  # fmt: skip
