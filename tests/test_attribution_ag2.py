"""forensics.attribution on AG2 group chats (CaptainAgent / AgentBuilder teams, Who&When's
Algorithm-Generated histories): one firing and one near-miss test per rule. Histories are written
inline from AG2's own message shapes (the Computer_terminal proxy's replies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from m1_history import ag2_chat, attributed, verdict

from forensics.load import load

#: AgentBuilder.DEFAULT_PROXY_AUTO_REPLY (autogen agentchat/contrib/agent_builder.py): the
#: Computer_terminal's reply to a message that holds no code.
NO_CODE = (
    "There is no code from the last 1 message for me to execute. Group chat manager should let other "
    "participants to continue the conversation. If the group chat manager want to end the conversation, "
    'you should let other participant reply me only with "TERMINATE"'
)
TASK = (
    "You are given: (1) a task and advises from your manager with a specific plan and (2) a general task.\n"
    "# General Task\nWhy does the script print 'unknown language unknown'?\n"
    "## Plan for solving the task\n1. Review the code. 2. Fix it."
)


def _attributed(tmp_path: Path, messages: list[tuple[str, str]]) -> dict[str, Any]:
    return attributed(ag2_chat(tmp_path, messages), "r")


def test_a_terminal_reply_that_ran_nothing_is_owned_by_the_message_it_answered(tmp_path: Path) -> None:
    # The first reply to the task is the terminal's "no code" auto-reply: it added nothing, so the
    # first response the run built on is the task statement and plan it was handed (step 0).
    row = _attributed(
        tmp_path,
        [
            ("PythonDebugging_Expert", TASK),
            ("Computer_terminal", NO_CODE),
            ("Verification_Expert", "There is no code yet; please share the script that failed."),
            ("PythonDebugging_Expert", "Without the script we cannot go further."),
        ],
    )
    assert verdict(row) == (
        "PythonDebugging_Expert",
        0,
        "first_response",
    )


def test_a_terminal_reply_that_ran_code_is_still_the_codes_authors(tmp_path: Path) -> None:
    # Near miss: the first reply is the terminal running code another expert wrote at step 1 (its
    # input is that code): the code's author at its own message is blamed, not the task statement.
    row = _attributed(
        tmp_path,
        [
            ("PythonDebugging_Expert", TASK),
            ("Verification_Expert", "Let us test it.\n```python\nprint('ok')\n```"),
            ("Computer_terminal", "exitcode: 0 (execution succeeded)\nCode output: ok"),
            ("PythonDebugging_Expert", "It works now."),
        ],
    )
    assert verdict(row) == (
        "Verification_Expert",
        1,
        "first_response",
    )


def test_an_expert_first_reply_is_the_first_response(tmp_path: Path) -> None:
    # Near miss: the no-code auto-reply comes later (step 2); the expert's step 1 is the first response.
    row = _attributed(
        tmp_path,
        [
            ("PythonDebugging_Expert", TASK),
            ("Verification_Expert", "The language table is probably missing an entry."),
            ("Computer_terminal", NO_CODE),
            ("PythonDebugging_Expert", "Agreed."),
        ],
    )
    assert verdict(row) == (
        "Verification_Expert",
        1,
        "first_response",
    )


CLAIM = (
    'I have successfully retrieved the article "Uncoupled" from Project MUSE using the provided DOI. '
    "The quoted passage on pages 45-46 matches the citation."
)


def test_a_retrieval_claimed_before_any_tool_returned_is_blamed(tmp_path: Path) -> None:
    # No code was ever run (the only terminal reply ran nothing) when the expert says it retrieved
    # the article: the retrieval was invented, and the claim is blamed (not the first response).
    row = _attributed(
        tmp_path,
        [
            ("Literature_Expert", TASK),
            ("Research_Expert", "I will start by retrieving the article from Project MUSE."),
            ("Computer_terminal", NO_CODE),
            ("Research_Expert", CLAIM),
            ("Literature_Expert", "Then the citation matches. TERMINATE"),
        ],
    )
    assert verdict(row) == (
        "Research_Expert",
        3,
        "claimed_access",
    )
    assert "I have successfully retrieved" in row["attribution_evidence"]


def test_a_retrieval_claimed_after_code_fetched_it_is_not_blamed(tmp_path: Path) -> None:
    # Near miss: the expert's code ran and printed the article first; the same claim reports it.
    row = _attributed(
        tmp_path,
        [
            ("Literature_Expert", TASK),
            ("Research_Expert", "```python\nimport requests\nprint(requests.get('https://muse.jhu.edu/a').text)\n```"),
            ("Computer_terminal", "exitcode: 0 (execution succeeded)\nCode output: Uncoupled: OR, How I Lost"),
            ("Research_Expert", CLAIM),
            ("Literature_Expert", "Then the citation matches. TERMINATE"),
        ],
    )
    assert row["attribution_rule"] != "claimed_access"
    assert (row["decisive_agent"], row["decisive_step"]) == ("Research_Expert", 1)


def test_a_retrieval_planned_is_no_claim(tmp_path: Path) -> None:
    # Near miss: "I will retrieve" and "once we have located" claim nothing done.
    row = _attributed(
        tmp_path,
        [
            ("Literature_Expert", TASK),
            ("Research_Expert", "I will retrieve the article from Project MUSE next."),
            ("Computer_terminal", NO_CODE),
            ("Art_Expert", "Once we have located the article, I will compare the citation. Please share it."),
        ],
    )
    assert row["attribution_rule"] == "first_response"
    assert (row["decisive_agent"], row["decisive_step"]) == ("Research_Expert", 1)


#: A CaptainAgent nested chat seeded with the caller's last message, which was the terminal's reply
#: to failed code (AG2's "exitcode: 1 (execution failed)\nCode output: ..."): the task is an error.
ERROR_TASK = (
    "You are given: (1) a task and advises from your manager with a specific plan and (2) a general task.\n"
    "# General Task\nexitcode: 1 (execution failed)\nCode output: \nunknown language json\n"
    "# Task and suggestions from manager\n## Task description\nIdentify the cause of the error and fix it."
)
FAILED_RUN = "exitcode: 1 (execution failed)\nCode output: unknown language json"


def test_a_task_that_is_a_failure_report_is_blamed_at_step_0(tmp_path: Path) -> None:
    # The team was handed the terminal's error instead of a question; the later failed run of the
    # debugging expert's code follows from that task, so the task statement (step 0) is blamed.
    row = _attributed(
        tmp_path,
        [
            ("JSON_Expert", ERROR_TASK),
            ("Debugging_Expert", "Let us reproduce it.\n```python\nraise ValueError('unknown language json')\n```"),
            ("Computer_terminal", FAILED_RUN),
            ("Verification_Expert", "The error is reproduced and explained. TERMINATE"),
        ],
    )
    assert verdict(row) == (
        "JSON_Expert",
        0,
        "task_is_tool_error",
    )


def test_a_task_that_asks_about_an_error_is_no_failure_report(tmp_path: Path) -> None:
    # Near miss: the task is a question about an error (TASK), and a report of a failed run quoted
    # later in the task message (a previous response's results) is not the task either: the first
    # failed run of the run's own code is blamed (tool_error at its author's message).
    quoted = TASK + "\n## Results from last response\nexitcode: 1 (execution failed)\nCode output: unknown language"
    for task in (TASK, quoted):
        row = _attributed(
            tmp_path,
            [
                ("PythonDebugging_Expert", task),
                ("Debugging_Expert", "Let us reproduce it.\n```python\nraise ValueError('unknown language json')\n```"),
                ("Computer_terminal", FAILED_RUN),
                ("Verification_Expert", "The error is reproduced and explained. TERMINATE"),
            ],
        )
        assert verdict(row) == (
            "Debugging_Expert",
            1,
            "tool_error",
        )


#: A scraper whose page lookup failed (AG2's terminal reply to failed code).
SCRAPE = "```python\nimport requests, bs4\nprint(bs4.BeautifulSoup(requests.get(URL).text).find('td').text)\n```"
SCRAPE_FAILED = "exitcode: 1 (execution failed)\nCode output: AttributeError: 'NoneType' object has no attribute 'text'"
EMPTY_RUN = "exitcode: 0 (execution succeeded)\nCode output: "


def test_a_check_reported_by_hand_after_a_failed_tool_leaves_the_tool_error_decisive(tmp_path: Path) -> None:
    # A rule that blamed the hand-reported check instead (claimed_manual_check) was right on 1 of
    # the 4 kept-back Who&When runs it fired on, and was removed: the failed scraper's author, at
    # the code that failed, stays the decisive step.
    hand_check = "Upon visiting the link, the headstone in the background reads Creme Brulee."
    row = _attributed(
        tmp_path,
        [
            ("Literature_Expert", TASK),
            ("DataVerification_Expert", SCRAPE),
            ("Computer_terminal", SCRAPE_FAILED),
            ("Flavors_Expert", hand_check),
            ("DataVerification_Expert", "That settles it. TERMINATE"),
        ],
    )
    assert verdict(row) == (
        "DataVerification_Expert",
        1,
        "tool_error",
    )


def test_code_that_printed_nothing_is_a_failed_run(tmp_path: Path) -> None:
    # The expert's script prints the gyms it found, and the terminal shows it printed nothing; the
    # verifier goes on with a list of its own: the script's author at its message is blamed.
    row = _attributed(
        tmp_path,
        [
            ("Geometry_Expert", TASK),
            ("Geometry_Expert", "```python\nfor gym in [g for g in gyms if near(g)]:\n    print(gym['name'])\n```"),
            ("Computer_terminal", EMPTY_RUN),
            ("Verification_Expert", "The gyms within 5 miles are Point Pleasant Gym and River Fitness Center."),
        ],
    )
    assert verdict(row) == (
        "Geometry_Expert",
        1,
        "tool_error",
    )
    assert "printed nothing" in row["attribution_evidence"]


def test_code_that_prints_nothing_by_design_is_no_failed_run(tmp_path: Path) -> None:
    # Near miss: an install command prints nothing when it succeeds (no print in it): no tool error.
    row = _attributed(
        tmp_path,
        [
            ("Geometry_Expert", TASK),
            ("Geometry_Expert", "```sh\npip install googlemaps\n```"),
            ("Computer_terminal", EMPTY_RUN),
            ("Verification_Expert", "The gyms within 5 miles are Point Pleasant Gym and River Fitness Center."),
        ],
    )
    assert row["attribution_rule"] != "tool_error"


def test_runs_holding_an_empty_run_may_hold_evidence(tmp_path: Path) -> None:
    # A run a detector already named is attributed only if it may hold evidence: a printing
    # script's empty run is such evidence; a plain exchange is not.
    from forensics.attribution.runner import _may_hold_evidence
    from forensics.classify import _as_spans

    def run(name: str, messages: list[tuple[str, str]]) -> None:
        doc = {"question_ID": name, "is_correct": False, "history": [{"name": n, "role": "user", "content": c} for n, c in messages]}
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))

    run("empty", [("Geometry_Expert", TASK), ("Geometry_Expert", "```python\nprint(1)\n```"), ("Computer_terminal", EMPTY_RUN)])
    run("plain", [("Literature_Expert", TASK), ("Flavors_Expert", "We can manually verify the rhyme. I will visit the link.")])
    found = set(_may_hold_evidence(_as_spans(load(tmp_path, format="ag2-history").spans))["run_id"].to_list())
    assert found == {"empty"}


def _manager_task(described: str) -> str:
    """A CaptainAgent nested chat's first message: the request, then the manager's description."""
    return (
        "You are given: (1) a task and advises from your manager with a specific plan and (2) a general task.\n"
        "# General Task\nWhat's the highest price a high-rise apartment was sold for in Mission Bay, "
        "San Francisco, in 2021? Please solve the task carefully.\n"
        f"# Task and suggestions from manager\n## Task description\n{described}\n"
        "## Plan for solving the task\n1. Review the collected data.\n2. Confirm the highest sale price."
    )


VERIFIER = (
    "Among the collected data the highest sale price is from Realtor.com. The highest sale price of a high-rise "
    "apartment in Mission Bay in 2021 is confirmed. TERMINATE"
)


def test_a_figure_the_manager_states_and_the_request_does_not_is_blamed_at_step_0(tmp_path: Path) -> None:
    # The description hands the team the price to confirm ($5,200,000): a premise, not a question.
    task = _manager_task(
        "Verify the highest sale price of a high-rise apartment in Mission Bay, San Francisco, during the year "
        "2021, which was found to be $5,200,000."
    )
    row = _attributed(tmp_path, [("DataAnalysis_Expert", task), ("Verification_Expert", VERIFIER)])
    assert verdict(row) == (
        "DataAnalysis_Expert",
        0,
        "task_unasked_figure",
    )
    assert "5200000" in row["attribution_evidence"]


def test_a_description_restating_the_requests_figures_is_no_premise(tmp_path: Path) -> None:
    # Near miss: the description names only the request's year (2021): the first response is blamed.
    # Nor is a path's digits (the attached file the description points to).
    for described in (
        "Find the highest sale price of a high-rise apartment in Mission Bay, San Francisco, during the year 2021.",
        "Find the highest 2021 sale price in the file ../2023/validation/54612da3-fd56-4941-80f4.xlsx.",
    ):
        row = _attributed(tmp_path, [("DataAnalysis_Expert", _manager_task(described)), ("Verification_Expert", VERIFIER)])
        assert row["attribution_rule"] != "task_unasked_figure"
        assert (row["decisive_agent"], row["decisive_step"]) == ("Verification_Expert", 1)
