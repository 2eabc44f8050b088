"""The forms a figure takes between Magentic-One's messages: a percentage an instruction hands the
Coder that its code writes as a fraction (``instruction_unbacked_figure``,
forensics.attribution.instruction_rules), and a year that dates the figure an accepting ledger states
(``accepted_wrong_answer``, forensics.attribution.ledger_rules). Histories from Magentic-One's emitting
code (tests/m1_history.py; microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py``: the
ledger's ``instruction_or_question`` broadcast as ``Orchestrator (-> X)``, the ledger's
``is_request_satisfied`` reason and ``_prepare_final_answer``'s answer written from the transcript;
``agents/coder.py``: the Coder's fenced script, the ComputerTerminal's stdout;
``agents/file_surfer/file_surfer.py``: the FileSurfer's viewport)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, attributed, blamed, file_view, plan, said, tell, verdict, write

RATE_TASK = (
    "How much interest would a deposit of $25,000 earn in one year at the Reserve Bank of Australia's "
    "cash rate target set at its November 2023 meeting? Give the answer in dollars."
)
RBA_PAGE = (
    "I clicked 'Statement by Michele Bullock, Governor: Monetary Policy Decision'.\n\nHere is a screenshot of "
    "[Statement by Michele Bullock, Governor: Monetary Policy Decision](https://www.rba.gov.au/media-releases/"
    "2023/mr-23-31.html). The viewport shows 30% of the webpage, and is positioned at the top of the page.\n"
    "Automatic OCR of the page screenshot has detected the following text:\n\n"
    "At its meeting today, the Board decided to increase the cash rate target by 25 basis points to "
    "4.35 per cent.\n"
)


def _rate_run(handed: str) -> list[dict[str, str]]:
    rate = float(handed) / 100
    return [
        plan(RATE_TASK, "- Deposit: $25,000 for one year.", "- WebSurfer: find the rate.\n- Coder: compute."),
        *tell("WebSurfer", "Please open the RBA's media release on its November 2023 cash rate decision."),
        said("WebSurfer", RBA_PAGE),
        *tell(
            "Coder",
            f"Please write a script that prints one year's simple interest on $25,000 at {handed}%, to the cent.",
        ),
        said("Coder", f"```python\nprincipal = 25000\nrate = {rate:.4f}\nprint(round(principal * rate, 2))\n```"),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", f"{round(25000 * rate, 2)}\n"),
        *accept(
            f"The script computed {round(25000 * rate, 2)} dollars of interest.",
            f"FINAL ANSWER: {round(25000 * rate, 2)}",
        ),
    ]


def _named(tmp_path: Path, task: str, history: list[dict[str, str]]) -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-forms", task, history)


def test_an_instruction_handing_a_percentage_nobody_held_that_the_code_used_as_a_fraction(tmp_path: Path) -> None:
    # The page (step 4) says 4.35 per cent; the ledger (step 5) tells the Coder 4.53%, and the code
    # computes with rate = 0.0453: the instruction's figure, written as the fraction the formula
    # needs. HEAD looked for 4.53 in the code, found none, and traced the answer to the code's author.
    assert _named(tmp_path, RATE_TASK, _rate_run("4.53")) == ("Orchestrator", 5, "instruction_unbacked_figure")


def test_an_instruction_handing_the_percentage_the_page_gave_is_no_invention(tmp_path: Path) -> None:
    # Near miss: the instruction hands on the page's own 4.35%; the code's 0.0435 is that figure.
    assert _named(tmp_path, RATE_TASK, _rate_run("4.35"))[2] != "instruction_unbacked_figure"


GRANT_TASK = (
    "The attached PDF is a town's adopted budget. How much did the town council grant the public library "
    "for books and media?"
)
BUDGET = (
    "# Town of Millbrook: Adopted Budget, Fiscal 2023\n\n## Grants\n"
    "| Recipient | Purpose | Amount |\n| --- | --- | --- |\n"
    "| Public library | Books and media | $48,750.00 |\n| Historical society | Archive | $12,000.00 |\n"
)


def _agentchat(tmp_path: Path, task: str) -> tuple[object, object, object]:
    # agentchat's MagenticOneGroupChat (_magentic_one_orchestrator.py) keeps the progress ledger out of
    # the messages: the task ledger, the instructions and the final answer that _prepare_final_answer
    # posts are MagenticOneOrchestrator's (role "assistant" in _thread_to_context), the agents' replies
    # "user"; the final answer is the acceptance, its whole text the reason.
    def msg(source: str, text: str) -> dict[str, str]:
        return {"content": text, "role": "assistant" if source == "MagenticOneOrchestrator" else "user", "name": source}

    ledger = plan(task, "- The budget is attached.", "- FileSurfer: read the grants table.")
    history = [
        msg("MagenticOneOrchestrator", "\n" + ledger["content"].removeprefix("Initial plan:").lstrip("\n")),
        msg("MagenticOneOrchestrator", "Please open the attached budget and list its sections."),
        msg("FileSurfer", file_view("/workspace/c41e07.pdf", BUDGET.split("## Grants")[0])["content"]),
        msg("MagenticOneOrchestrator", "Please read the grants table and report the library's grant."),
        msg("FileSurfer", "The grants table lists the public library's books and media grant at $84,750.00."),
        msg("MagenticOneOrchestrator", "The town's 2023 budget granted the public library $84,750.00 for books and media."),
    ]
    return verdict(attributed(write(tmp_path, "m1-grant", task, history, asker="user")))


def test_an_accepted_amount_is_traced_past_the_year_that_dates_it(tmp_path: Path) -> None:
    # The final answer states "2023" and "$84,750.00"; the year dates the budget (first held by the
    # file view the surfer chose, step 3: nobody named its path), the amount is the answer, first said by FileSurfer's report
    # (step 5; the table says 48,750). HEAD traced the year, the earliest figure held, and blamed the view.
    assert _agentchat(tmp_path, GRANT_TASK) == ("FileSurfer", 5, "accepted_wrong_answer")


def test_a_year_the_request_asks_for_is_traced(tmp_path: Path) -> None:
    # Near miss: a request that asks for a year ("In what year ...") may be answered by the year the
    # answer states: the year stays among the figures traced, and its first holder (step 3) is named.
    task = (
        "The attached PDF is a town's adopted budget. In what year was it adopted, and what did it grant the "
        "library?"
    )
    assert _agentchat(tmp_path, task)[:2] == ("FileSurfer", 3)
