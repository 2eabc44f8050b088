"""What the orchestrator's ledger made of a failure or of a figure it estimated (forensics.attribution
``tool_rules`` ``_misread_by_ledger`` and ``_repeats``, ``ledger_rules`` ``_invented_estimates``).
Histories from Magentic-One's emitting code (tests/m1_history.py; microsoft/autogen
``autogen-magentic-one``: ``agents/coder.py``'s Executor answers "The script ran but produced no output to
console. The Unix exit code was: N. ..." for a failed script that printed nothing;
``agents/multimodal_web_surfer/multimodal_web_surfer.py``'s ``_generate_reply`` returns
``f"Web surfing error:\\n\\n{traceback}"`` for an exception it caught; ``agents/orchestrator.py``'s
``update_ledger`` writes the progress ledger the next speaker's instruction comes from)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, blamed_row, instruct, ledger, plan, said, tell, verdict

TASK = (
    "The file /workspace/ferry_trips.csv lists every crossing of the Orlen ferry in May 2024. What was the "
    "mean crossing time, in minutes, of the crossings that left from the 'North Quay' pier? Round to one "
    "decimal place."
)
SCRIPT = (
    "I load the file and filter on the departure pier.\n\n```python\nimport sys\nimport pandas as pd\n\n"
    "df = pd.read_csv('/workspace/ferry_trips.csv')\nsub = df[df['pier'] == 'North Quay']\nif sub.empty:\n"
    "    sys.exit(1)\nprint(round(sub['minutes'].mean(), 1))\n```"
)
NO_OUTPUT = (
    "The script ran but produced no output to console. The Unix exit code was: 1. If you were expecting "
    "output, consider revising the script to ensure content is printed to stdout."
)


def _failed_then(report: str) -> list[dict[str, str]]:
    """The Coder's script exits 1 printing nothing; the next ledger (step 8) reads the run as done
    and asks the Coder for the value; ``report`` is the Coder's answer."""
    return [
        plan(TASK, "- The file /workspace/ferry_trips.csv.", "- Coder: compute the mean.\n- Report it."),
        *tell("Coder", "Please write a script that computes the mean crossing time from North Quay."),
        said("Coder", SCRIPT),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", NO_OUTPUT),
        ledger(
            False,
            "The script has run; its value is yet to be stated.",
            "Coder",
            "The script has been executed. Please report the mean crossing time.",
        ),
        instruct("Coder", "The script has been executed. Please report the mean crossing time."),
        said("Coder", report),
        *accept("The Coder reported the mean crossing time of 14.8 minutes.", "FINAL ANSWER: 14.8"),
    ]


def test_a_failed_run_the_ledger_read_as_done_is_the_ledgers(tmp_path: Path) -> None:
    # The Coder says its run printed nothing and estimates: the ledger at step 8 took the failed run
    # (step 7) for a result and asked for it; the misreading is the orchestrator's.
    report = "The output was not captured, so from the sample rows the mean is approximately 14.8 minutes."
    row = blamed_row(tmp_path, "m1-misread-run", TASK, _failed_then(report))
    assert verdict(row) == (
        "Orchestrator",
        8,
        "tool_error",
    )
    assert "for progress" in row["attribution_evidence"]


def test_a_result_the_author_claims_from_a_failed_run_is_the_authors(tmp_path: Path) -> None:
    # Near miss: the Coder states the mean as its script's result: it invented a figure the run never
    # printed, and stays blamed at its code (step 4).
    report = "The script computed a mean crossing time of 14.8 minutes for North Quay."
    assert blamed(tmp_path, "m1-misread-run", TASK, _failed_then(report)) == ("Coder", 4, "tool_error")


LIB_TASK = "How many branches of the Tarn Valley Library are open on Sundays, per the library's own website?"
TIMEOUT = (
    'Web surfing error:\n\nTraceback (most recent call last):\n  File "multimodal_web_surfer.py", line 240, in '
    "_generate_reply\n    request_halt, content = await self.__generate_reply(cancellation_token)\n"
    "playwright._impl._errors.TimeoutError: Page.goto: Timeout 30000ms exceeded.\nCall log:\n"
    '  - navigating to "https://www.tarnvalleylibrary.org/hours", waiting until "load"\n'
)


def _no_progress(reason: str, instruction: str) -> dict[str, str]:
    """A ledger that answers ``is_progress_being_made: false`` (not in a loop) and sends the surfer
    ``instruction``."""
    judged = ledger(False, reason, "WebSurfer", instruction, in_loop=True)
    judged["content"] = judged["content"].replace(
        '"We are repeating the same request.",\n    "answer": true',
        '"We are not repeating ourselves.",\n    "answer": false',
    )
    return judged


def _retried(second_progress: bool) -> list[dict[str, str]]:
    """The surfer's page load times out (step 4), the ledger judging it (step 5) sees no progress and
    asks for another try, and the same error comes back (step 7); the ledger after it (step 8) answers
    progress ``second_progress``; then the ledger at step 9 accepts the plan's guess of 5."""
    again = "The page timed out. Please try again to open https://www.tarnvalleylibrary.org/hours."
    return [
        plan(
            LIB_TASK,
            "- The library is the Tarn Valley Library.",
            "- WebSurfer: open the hours page.\n- Count.",
        ),
        *tell("WebSurfer", "Please open https://www.tarnvalleylibrary.org/hours and list the Sunday hours."),
        said("WebSurfer", TIMEOUT),
        _no_progress("The page could not be loaded.", again),
        instruct("WebSurfer", again),
        said("WebSurfer", TIMEOUT),
        ledger(False, "The page timed out again.", "WebSurfer", "Please try once more.")
        if second_progress
        else _no_progress("The page timed out again.", "Please try once more."),
        *accept(
            "The site is unreachable; our fact sheet estimates 5 branches open on Sundays.", "FINAL ANSWER: 5"
        ),
    ]


def test_a_failure_that_came_back_the_same_on_a_retry_is_no_loop(tmp_path: Path) -> None:
    # The second timeout (step 7) answered the orchestrator's "try again", and the ledger judging it
    # (step 8) saw no progress: the orchestrator took the failure over; the acceptance (step 9) decides.
    agent, step, rule = blamed(tmp_path, "m1-retried-timeout", LIB_TASK, _retried(second_progress=False))
    assert rule != "repeated_action"
    assert (agent, step) == ("Orchestrator", 9)


def test_a_failure_repeated_while_the_ledger_saw_progress_is_still_a_repeat(tmp_path: Path) -> None:
    # Near miss: the ledger judging the second timeout (step 8) says progress is being made: nobody took
    # that failure over, and the surfer's step 7 stays decisive (its failed call, ahead of the repeat).
    assert blamed(tmp_path, "m1-retried-timeout", LIB_TASK, _retried(second_progress=True))[:2] == (
        "WebSurfer",
        7,
    )


SEATS_TASK = (
    "How many more seats does the Harrow Lyric Theatre have than the Mill Lane Playhouse, according to the "
    "theatres' own websites? Give the difference as a number."
)
LYRIC = (
    "I clicked 'About the Lyric'.\n\nHere is a screenshot of [About | Harrow Lyric Theatre](https://www.harrowlyric"
    ".org/about). The viewport shows 40% of the webpage, and is positioned at the top of the page.\n"
    "Automatic OCR of the page screenshot has detected the following text:\n\nAbout the Lyric\n"
    "Reopened in 2019, the Lyric now seats 812 across three levels.\n"
)


def _estimated(mill_page: str | None) -> list[dict[str, str]]:
    """The surfer reads the Lyric's 812 seats (step 4); the ledger (step 5) accepts with the Mill Lane
    Playhouse at "about 250 seats"; ``mill_page``: a page of the playhouse the surfer read before."""
    found = (
        [
            *tell("WebSurfer", "Please open the Mill Lane Playhouse's website and find its seat count."),
            said("WebSurfer", mill_page),
        ]
        if mill_page
        else []
    )
    return [
        plan(SEATS_TASK, "- Two theatres.", "- WebSurfer: read both seat counts.\n- Subtract."),
        *tell("WebSurfer", "Please open the Harrow Lyric Theatre's website and find its seat count."),
        said("WebSurfer", LYRIC),
        *found,
        *accept(
            "The Lyric seats 812 per its website, and a converted mill playhouse typically holds about 250 seats.",
            "The Lyric has about 562 more seats.\n\nFINAL ANSWER: 562",
        ),
    ]


def test_an_operand_the_ledger_estimated_itself_is_unverified(tmp_path: Path) -> None:
    # The "about 250 seats" of the accepting ledger (step 5) is in no earlier step: the orchestrator
    # estimated one of the two figures and accepted the answer built on it.
    assert blamed(tmp_path, "m1-estimated-operand", SEATS_TASK, _estimated(None)) == (
        "Orchestrator",
        5,
        "unverified_accepted",
    )


def test_an_approximate_figure_a_worker_read_is_not_the_ledgers_estimate(tmp_path: Path) -> None:
    # Near miss: the playhouse's own page (step 7) says it seats "about 250": the ledger restated a
    # worker's figure; it is no estimate of its own.
    mill = (
        LYRIC.replace("About the Lyric", "Our Playhouse")
        .replace("harrowlyric", "milllane")
        .replace(
            "Reopened in 2019, the Lyric now seats 812 across three levels.",
            "The Playhouse seats about 250 in the round.",
        )
    )
    assert blamed(tmp_path, "m1-estimated-operand", SEATS_TASK, _estimated(mill))[2] != "unverified_accepted"
