"""silent_failure: "all tests pass" after a test run that failed and was never passed again.

A coding agent runs the project's tests through its shell tool (Claude Code ``Bash``, OpenHands
``execute_bash``: the command line in the ``command`` argument, a failing run marked by the tool
result's ``is_error`` / a non-zero exit code, loaders/claude_code.py, loaders/openhands.py). Its
answer then speaks for the whole suite ("All tests pass, the branch is ready"). That claim is
backed only by a later passing run that covers what failed: the same command, or a broader one
(the same runner with fewer selectors). A passing run of a narrower selection (the new test file,
``-k new_feature``) says nothing of the tests that failed.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context, Detector, empty_findings, finding, hms
from forensics.detectors.registry import register
from forensics.detectors.shell_commands import command_line

#: The test runners of the common ecosystems, at the start of a command segment, matched on the
#: whitespace-free spelling the prepared table keeps (``args``): "python -m pytest -q" is
#: "python-mpytest-q".
_RUNNER: Final = re.compile(
    r"^(?:(?:python\d*(?:\.\d+)?|uvrun|poetryrun|pipenvrun)(?:-m)?)?"
    r"(?:pytest|py\.test|tox|nox|unittest|(?:npm|yarn|pnpm|bun)(?:run)?test|npx(?:jest|vitest|mocha)|jest|vitest|mocha"
    r"|gotest|cargo(?:test|nextest)|mvn\S*test|(?:\./)?gradlew?test|(?:bundleexec)?rspec"
    r"|make(?:test|check)|dotnettest|phpunit|mixtest|ctest)"
)
_SEGMENTS: Final = re.compile(r"&&|\|\||;|\|")
#: An answer speaking for the whole suite: "all tests pass", "all 212 tests passed", "the full suite
#: is green", "everything passes", "no failing tests".
ALL_PASS: Final = (
    r"(?i)\b(?:all|every)\s+(?:of\s+the\s+)?(?:\d+\s+)?(?:the\s+)?(?:unit\s+|integration\s+)?(?:tests?|specs?|checks?)\b"
    r"[^.!?\n]{0,30}\b(?:pass\w*|green|succe\w*|ok)\b"
    r"|\b(?:the\s+)?(?:full|whole|entire|complete)\s+(?:test\s+)?suite\b[^.!?\n]{0,30}\b(?:pass\w*|green|succe\w*)\b"
    r"|\beverything\s+(?:passes|passed|is\s+(?:passing|green))\b|\bno\s+(?:failing|failed)\s+tests\b"
    r"|\btests\s+are\s+all\s+(?:passing|green)\b"
)
_NEGATED: Final = r"(?i)\b(?:not|n't|except|but|other\s+than)\b"


def runner_segment(command: str) -> str | None:
    """The whitespace-free test-running segment of a command line (a runner and its arguments),
    or None when no segment runs tests."""
    for seg in _SEGMENTS.split(re.sub(r"\s+", "", command)):
        if _RUNNER.match(seg):
            return seg
    return None


def failed_test_runs(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the failed shell calls that ran the tests (pytest, npm test, vitest,
    go test ...: runner_segment). A test runner's non-zero exit is the tests' answer,
    not a failure of the call: pytest exits 1 when "tests were collected and run but some of the
    tests failed" (docs.pytest.org, "Exit codes"), Jest and Vitest exit 1 on a failing test. Like
    grep's exit 1 (conventions: the command answered), it asks for no retry or fallback; a claim
    that the suite passed is silent_failure's (tests_claimed_passing, swallowed_error). Parsed once
    per distinct command line, on the failed calls that carry one."""
    calls = (
        ctx.spans.lazy()
        .filter(
            pl.col("failed") & (pl.col("kind") == "tool") & pl.col("args").str.contains('"command', literal=True).fill_null(False)
        )
        .select("run_id", "span_id", "args")
        .collect()
    )
    tests = [a for a in calls.get_column("args").unique().to_list() if (line := command_line(a)) and runner_segment(line)]
    return calls.lazy().filter(pl.col("args").is_in(tests)).select("run_id", "span_id")


def _covers(passed: str, failed: str) -> bool:
    """A passing run covers a failing one when it is the same command, or a broader one: the
    failing command with selectors taken out (its text a subsequence of the failing one's)."""
    if passed == failed:
        return True
    if len(passed) >= len(failed) or _RUNNER.match(passed) is None:
        return False
    rest = iter(failed)
    return all(ch in rest for ch in passed)


@register
class TestsClaimedPassing(Detector):
    name = "tests_claimed_passing"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "The run's answer says the whole test suite passes ('all tests pass', 'the full suite is "
        "green'), yet a shell test run earlier in the run failed (pytest, npm test, go test, cargo "
        "test ... in the command line) and no later run of the same command, or a broader one (the "
        "same runner, no selector it lacked), passed: a narrower run that passed (the new test file) "
        "does not back a claim about the tests that failed."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        answers = ctx.runs.lazy().filter(pl.col("final_output").str.contains(ALL_PASS).fill_null(False))
        claimed = answers.select("run_id", "final_output", "final_span_id").collect()
        if claimed.height == 0:
            return empty_findings()
        calls = (
            s.join(claimed.lazy().select("run_id"), on="run_id", how="semi")
            .filter((pl.col("kind") == "tool") & pl.col("args").str.contains('"command', literal=True).fill_null(False))
            .select("run_id", "span_id", "seq", "t", "args", "failed", "succeeded")
            .collect()
        )
        words: dict[str, str | None] = {}
        for a in calls.get_column("args").drop_nulls().unique().to_list():
            line = command_line(a)
            words[a] = runner_segment(line) if line else None
        runs: dict[str, list[tuple[int, str, object, str, bool, bool]]] = {}
        for r, sid, seq, t, a, bad, ok in calls.iter_rows():
            w = words.get(a)
            if w:
                runs.setdefault(r, []).append((seq, sid, t, w, bool(bad), bool(ok)))
        rows = []
        for r, said, _final in claimed.iter_rows():
            claims = [m for m in re.finditer(ALL_PASS, said)]
            if not any(not re.search(_NEGATED, said[max(0, m.start() - 40) : m.start()]) for m in claims):
                continue
            tests = sorted(runs.get(r, []))
            for i, (_seq, sid, t, w, bad, _ok) in enumerate(tests):
                if bad and not any(ok2 and _covers(w2, w) for _s2, _i2, _t2, w2, _b2, ok2 in tests[i + 1 :]):
                    rows.append((r, sid, t, w))
                    break
        if not rows:
            return empty_findings()
        found = pl.LazyFrame(
            rows, schema={"run_id": pl.String, "span_id": pl.String, "t": pl.Datetime("ns", "UTC"), "cmd": pl.String},
            orient="row",
        ).join(claimed.lazy().select("run_id", "final_span_id"), on="run_id", how="left")
        return found.select(
            finding(
                "run_id",
                pl.concat_list("span_id", "final_span_id").list.drop_nulls(),
                "span_id",
                pl.format(
                    "the run's answer says the whole test suite passes, yet the test run `{}` failed at {} and no "
                    "later run of it, or of a broader selection, passed",
                    pl.col("cmd"),
                    hms("t"),
                ),
            )
        )
