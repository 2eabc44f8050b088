"""What an accepting ledger accepted (forensics.attribution.ledger_rules, ``accepted_wrong_answer``):
the figure the run's answer states, traced to the step that first held it.

Written from Magentic-One's emitting code (microsoft/autogen
``python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py``):
``LedgerOrchestrator`` logs the progress ledger (``ORCHESTRATOR_LEDGER_PROMPT`` in
``orchestrator_prompts.py``: ``is_request_satisfied`` with a free-text ``reason``) as ``Orchestrator
(thought)``, and once it is satisfied ``_prepare_final_answer`` writes the answer from the whole
transcript (``ORCHESTRATOR_GET_FINAL_ANSWER``) as ``Orchestrator (final answer)``. The reason is
the model's own words: it may restate the answer's figure, name only who found it ("FileSurfer
found the maximum"), or name where it was read ("on the county portal"). ``file_surfer.py`` answers
with the markdown browser's viewport ("Address: file://... Viewport position: Showing page i of
n."); ``multimodal_web_surfer.py`` with "I clicked '...'." / "Here is a screenshot of [title](url)."
/ "Automatic OCR of the page screenshot has detected the following text:". The histories are built
with tests/m1_history.py."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed_row, file_view, plan, said, tell, verdict

TASK = (
    "The folder /data/inspections/ holds the Harbour District's 2023 restaurant inspection reports. "
    "According to the signed annual summary, how many restaurants failed their first inspection?"
)
LISTING = (
    "# Index of /data/inspections/\n\n| Name | Size |\n| --- | --- |\n"
    "| annual_summary_unsigned_v3.docx | 41.2 KiB |\n| annual_summary_signed.pdf | 88.0 KiB |\n"
)
UNSIGNED = "# Harbour District inspections 2023\n\n| Result | Restaurants |\n|---|---|\n| Passed | 211 |\n| Failed first inspection | 37 |\n"


def _row(tmp_path: Path, history: list[dict[str, str]], task: str = TASK) -> dict[str, object]:
    return blamed_row(tmp_path, "m1-accepted", task, history)


def _run(reason: str) -> list[dict[str, str]]:
    # Step 1 plan, 2-3 instruction, 4 listing, 5-6 instruction, 7 the file the FileSurfer opened
    # (37), 8-9 instruction, 10 its answer, 11-12 instruction, 13 the WebSurfer's plausibility note.
    return [
        plan(TASK, "- The reports are in /data/inspections/.", "- FileSurfer: open the summary.\n- Answer."),
        *tell("FileSurfer", "List the files in /data/inspections/."),
        file_view("/data/inspections/", LISTING),
        *tell("FileSurfer", "Open the signed annual summary and find the failed first inspections."),
        file_view("/data/inspections/annual_summary_unsigned_v3.docx", UNSIGNED),
        *tell("FileSurfer", "How many restaurants failed their first inspection?"),
        said("FileSurfer", "The annual summary lists 37 restaurants that failed their first inspection."),
        *tell("WebSurfer", "Check whether 37 failures among 248 restaurants is a plausible share."),
        said("WebSurfer", "A failure share of about 15% is typical for a city district, so 37 is plausible."),
        *accept(
            reason, "37 restaurants failed their first inspection.\n\nFINAL ANSWER: 37 restaurants (2023)"
        ),
    ]


def test_a_reason_stating_no_figure_accepted_the_final_answers_figure(tmp_path: Path) -> None:
    # The ledger (step 14) says only who found the answer; the answer is 37, which first entered at
    # the FileSurfer's view of the unsigned draft (step 7): that step, not the WebSurfer's note the
    # ledger judged last (step 13), which on HEAD was blamed.
    row = _row(tmp_path, _run("FileSurfer found the number of failed first inspections."))
    assert verdict(row) == (
        "FileSurfer",
        7,
        "accepted_wrong_answer",
    )
    assert "stating 37" in str(row["attribution_evidence"])


def test_an_answer_message_stating_one_figure_is_the_figure_accepted(tmp_path: Path) -> None:
    # The reason states no figure and the answer has no FINAL ANSWER line: it is the plain text
    # _prepare_final_answer writes (ORCHESTRATOR_GET_FINAL_ANSWER) from the transcript the ledger
    # judged, and its one figure the request does not give (37) is the value accepted. It is traced
    # to the FileSurfer's view of the unsigned draft (step 7); HEAD blamed the WebSurfer's note the
    # ledger judged last (step 13).
    history = _run("FileSurfer found the number of failed first inspections.")
    history[-1] = {**history[-1], "content": "37 restaurants failed their first inspection."}
    row = _row(tmp_path, history)
    assert verdict(row) == (
        "FileSurfer",
        7,
        "accepted_wrong_answer",
    )
    assert "stating 37" in str(row["attribution_evidence"])


def test_an_answer_message_stating_several_figures_leaves_the_judged_step(tmp_path: Path) -> None:
    # Near miss: the answer message restates an input beside the answer ("37 of the 248"): no one
    # figure of it is the answer, so the ledger stays read as accepting the worker message it judged
    # (the WebSurfer's note, step 13).
    history = _run("FileSurfer found the number of failed first inspections.")
    history[-1] = {**history[-1], "content": "37 of the 248 restaurants failed their first inspection."}
    row = _row(tmp_path, history)
    assert verdict(row) == (
        "WebSurfer",
        13,
        "accepted_wrong_answer",
    )


def test_an_answer_message_figure_no_step_held_is_not_the_ledgers_composing(tmp_path: Path) -> None:
    # Near miss: the answer message's one figure (52) no earlier step held: the message wrote it
    # (final_answer_composed blames the answer, step 16), the ledger did not compose it:
    # accepted_wrong_answer does not blame the ledger (step 14) for it.
    history = _run("FileSurfer found the number of failed first inspections.")
    history[-1] = {**history[-1], "content": "52 restaurants failed their first inspection."}
    row = _row(tmp_path, history)
    assert (row["decisive_step"], row["attribution_rule"]) == (16, "final_answer_composed")


PARCEL_TASK = (
    "How many parcels does the county's 2022 land register list for the Millbrook township? Give the number."
)
RESULTS = (
    "I typed 'Millbrook township parcels 2022' into '0'.\n\nHere is a screenshot of [Millbrook township parcels "
    "2022 - Search](https://www.bing.com/search?q=Millbrook+township+parcels+2022). The viewport shows 30% of "
    "the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected "
    "the following text:\n\nLand register 2022 - Kesterton County Portal\nMillbrook township - Wikipedia\n"
)
REGISTER = (
    "I clicked 'Land register 2022 - Kesterton County Portal'.\n\nHere is a screenshot of [Land register 2022]"
    "(https://portal.kesterton.example.gov/land/2022). The viewport shows 40% of the webpage, and is positioned "
    "at the top of the page.\nAutomatic OCR of the page screenshot has detected the following text:\n\n"
    "Land register 2022\nTownship  Parcels\nAshby  1,204\nMillbrook  2,917\n"
)


def _portal_run(final: str, reason: str) -> list[dict[str, str]]:
    # Step 2 the ledger naming Kesterton County Portal, 3 the instruction, 4 the results page,
    # 5-6 instruction, 7 the surfer's click to the register (2,917).
    return [
        plan(
            PARCEL_TASK, "- The township is Millbrook.", "- WebSurfer: open the county register.\n- Answer."
        ),
        *tell("WebSurfer", "Search for the Kesterton County Portal land register 2022."),
        said("WebSurfer", RESULTS),
        *tell("WebSurfer", "Open the register and read the parcel count."),
        said("WebSurfer", REGISTER),
        *accept(reason, final),
    ]


def test_a_name_beside_the_final_answers_figure_says_where_it_was_read(tmp_path: Path) -> None:
    # The reason states the answer (2917) and where it was read (Kesterton County Portal, named
    # first by the orchestrator's own instruction at step 2/3): the figure is the answer, traced to
    # the surfer's register page (step 7), not the name to the instruction (HEAD blamed step 2).
    row = _row(
        tmp_path,
        _portal_run(
            "The register has 2,917 parcels.\n\nFINAL ANSWER: 2917",
            "The Kesterton County Portal register lists 2,917 parcels for Millbrook.",
        ),
        PARCEL_TASK,
    )
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 7)
    assert "stating 2917" in str(row["attribution_evidence"])


def test_a_name_is_traced_when_the_final_answer_states_no_figure(tmp_path: Path) -> None:
    # Near miss: the answer is a name (the township with the most parcels) and states no figure: the
    # name the reason gives is still traced, to the step that first held it (the register, step 7).
    row = _row(
        tmp_path,
        _portal_run(
            "Millbrook has the most parcels.\n\nFINAL ANSWER: Ashby",
            "The register shows Ashby ahead of the other townships.",
        ),
        PARCEL_TASK,
    )
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 7)


TRIPS_TASK = "How many trips does ferry line F3 run on Sunday 7 July 2024 according to the attached schedule /data/f3.csv?"
TRIPS_CODE = (
    "```python\nimport pandas as pd\ndf = pd.read_csv('/data/f3.csv')\nprint(len(df[df.day == 'sun']))\n```"
)


def _trips_run(terminal: str, check: str) -> list[dict[str, str]]:
    # Step 1-2 instruction, 3 the Coder's script, 4-5 instruction, 6 the terminal's output, 7-8 the
    # orchestrator asking for a plausibility check, 9 the Coder's answer, 10 the accepting ledger.
    return [
        *tell("Coder", "Write a script that counts the Sunday trips of line F3 in /data/f3.csv."),
        said("Coder", TRIPS_CODE),
        *tell("ComputerTerminal", "Please run the Coder's script."),
        said("ComputerTerminal", terminal),
        *tell("Coder", "Is that count plausible for a ferry line?"),
        said("Coder", check),
        *accept(
            "The Coder's script counted the trips and the Coder confirmed the figure.", "FINAL ANSWER: 64"
        ),
    ]


def test_a_hedged_check_of_a_figure_already_printed_is_no_unverified_value(tmp_path: Path) -> None:
    # The terminal printed 64 (step 6); the Coder's check (step 9) estimates ("roughly 32 crossings
    # each way") and the ledger judged that check. The figure was established by the script's output,
    # so the code's author (the Coder's script, step 3) is blamed; HEAD called it unverified_accepted
    # at the ledger (step 10).
    row = _row(
        tmp_path,
        _trips_run("64\n", "64 is plausible: roughly 32 crossings each way over a 16-hour day."),
        TRIPS_TASK,
    )
    assert (row["decisive_agent"], row["decisive_step"]) == ("Coder", 3)
    assert row["attribution_rule"] != "unverified_accepted"


def test_a_hedged_message_that_first_gave_the_figure_is_still_unverified(tmp_path: Path) -> None:
    # Near miss: the script printed nothing usable (a count by direction, 32); the figure 64 first
    # appears in the Coder's own estimate, which the ledger accepted: unverified_accepted at step 10.
    row = _row(
        tmp_path,
        _trips_run("32\n", "Counting both directions, roughly 64 trips is plausible."),
        TRIPS_TASK,
    )
    assert verdict(row) == (
        "Orchestrator",
        10,
        "unverified_accepted",
    )


RECORD_TASK = (
    "What is the current women's indoor world record in the 60 m hurdles, as ratified? Answer with the time."
)
SNIPPETS = (
    "I typed 'women 60 m hurdles indoor world record' into '0'.\n\nHere is a screenshot of [women 60 m hurdles "
    "indoor world record - Search](https://www.bing.com/search?q=women+60+m+hurdles+indoor+world+record). The "
    "viewport shows 30% of the webpage, and is positioned at the top of the page.\nAutomatic OCR of the page "
    "screenshot has detected the following text:\n\nHurdles record stands for a decade | News\n"
    "... the 7.68 set in 2008 remains the record ...\nIndoor records | Federation\n"
)


def _record_run(report: str) -> list[dict[str, str]]:
    # Step 1-2 instruction, 3 the results page, 4-5 instruction, 6 the surfer's report, 7 the ledger.
    return [
        *tell("WebSurfer", "Search for the ratified women's 60 m hurdles indoor world record."),
        said("WebSurfer", SNIPPETS),
        *tell("WebSurfer", "What do the results say the record is?"),
        said("WebSurfer", report),
        *accept("The WebSurfer reported the record as 7.68.", "FINAL ANSWER: 7.68"),
    ]


def test_a_report_whose_source_was_not_yet_opened_is_unverified(tmp_path: Path) -> None:
    # The surfer says it has not opened the official records page yet: the value is not established
    # and accepting it was the orchestrator's mistake (the ledger, step 7); HEAD traced it to step 6.
    row = _row(
        tmp_path,
        _record_run(
            "A 2018 news snippet says the 7.68 from 2008 remains the record. I have not opened the official "
            "records page yet."
        ),
        RECORD_TASK,
    )
    assert verdict(row) == (
        "Orchestrator",
        7,
        "unverified_accepted",
    )


def test_a_report_from_the_opened_source_is_traced(tmp_path: Path) -> None:
    # Near miss: the surfer reports the value as read on the records page it opened: traced to it.
    row = _row(
        tmp_path,
        _record_run("I have opened the official records page: the record is 7.68, set in 2008."),
        RECORD_TASK,
    )
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 6)
    assert row["attribution_rule"] != "unverified_accepted"


RECORDS_PAGE = (
    "I clicked 'Indoor records | Federation'.\n\nHere is a screenshot of [Indoor records](https://federation.example"
    ".org/records/indoor). The viewport shows 40% of the webpage, and is positioned at the top of the page.\n"
    "Automatic OCR of the page screenshot has detected the following text:\n\nIndoor world records\n"
    "Women 60 m hurdles (2008-2023): 7.68\nWomen 60 m hurdles (ratified 2024): 7.65\n"
)


def _opened_record_run(report: str) -> list[dict[str, str]]:
    # Step 1-2 instruction, 3 the results page, 4-5 instruction, 6 the records page opened as told,
    # 7-8 instruction, 9 the surfer's report, 10 the ledger.
    return [
        *tell("WebSurfer", "Search for the ratified women's 60 m hurdles indoor world record."),
        said("WebSurfer", SNIPPETS),
        *tell("WebSurfer", "Please click 'Indoor records | Federation'."),
        said("WebSurfer", RECORDS_PAGE),
        *tell("WebSurfer", "What is the current record?"),
        said("WebSurfer", report),
        *accept("The WebSurfer reported the record as 7.68.", "FINAL ANSWER: 7.68"),
    ]


def test_a_hedged_report_of_a_figure_a_page_showed_is_traced_to_the_report(tmp_path: Path) -> None:
    # The figure was on the results page (step 3) and on the records page the surfer opened as told
    # (step 6); the surfer's "approximately 7.68" (step 9) takes up the superseded row in its own words:
    # a figure read, not estimated, so the report is traced (final_answer_origin, as accepted_wrong_answer
    # does); HEAD called it unverified_accepted at the ledger (step 10): the first holder, a results page,
    # hid the page view after it.
    row = _row(tmp_path, _opened_record_run("The current record is approximately 7.68 seconds."), RECORD_TASK)
    assert verdict(row) == ("WebSurfer", 9, "final_answer_origin")


def test_a_hedged_report_of_a_figure_only_snippets_showed_stays_unverified(tmp_path: Path) -> None:
    # Near miss: the records page shows only the new record; 7.68 was only a results page's snippet
    # before the surfer's hedged report: the value was never established (the ledger, step 10).
    history = _opened_record_run("The current record is approximately 7.68 seconds.")
    history[5] = said("WebSurfer", RECORDS_PAGE.replace("Women 60 m hurdles (2008-2023): 7.68\n", ""))
    row = _row(tmp_path, history, RECORD_TASK)
    assert verdict(row) == ("Orchestrator", 10, "unverified_accepted")
