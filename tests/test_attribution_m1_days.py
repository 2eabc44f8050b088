"""An orchestrator instruction asking about another kind of day than the request (forensics.attribution
.instruction_rules ``instruction_contradicts_task``, common ``_day_kinds``). Histories from Magentic-One's
emitting code (tests/m1_history.py: microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py``,
whose ledger's ``instruction_or_question`` is broadcast as ``Orchestrator (-> X)``, and
``agents/multimodal_web_surfer/multimodal_web_surfer.py``'s "I clicked '...'." / "Here is a screenshot
of [title](url).")."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from m1_history import accept, blamed_row, plan, said, tell

from forensics.attribution.common import _day_kinds

TASK = (
    "According to Fabrikam Ferries' published timetable, when does the first ferry leave Lakeside Pier "
    "for North Harbour on a weekday (Monday to Friday)?"
)


def _page(view: str) -> str:
    return (
        f"I clicked '{view}'.\n\nHere is a screenshot of [Timetable | Fabrikam Ferries]"
        f"(https://ferries.example.com/timetable?day={view.lower()}). The viewport shows 30% of the webpage, "
        "and is positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected the "
        f"following text:\n\nLakeside Pier to North Harbour - {view}\nFirst sailing 8:15\nLast sailing 19:40\n"
    )


def _run(view: str) -> list[dict[str, str]]:
    return [
        plan(TASK, "- Route: Lakeside Pier to North Harbour.", "- WebSurfer: read the timetable.\n- Report."),
        *tell("WebSurfer", "Please open the Fabrikam Ferries timetable page."),
        said("WebSurfer", _page("All services")),
        *tell("WebSurfer", f"Please select the {view} timetable and list the departures from Lakeside Pier."),
        said("WebSurfer", _page(view)),
        *accept("The first ferry leaves at 8:15.", "The first ferry leaves Lakeside Pier at 8:15."),
    ]


def _row(tmp_path: Path, view: str) -> dict[str, object]:
    return blamed_row(tmp_path, "m1-days", TASK, _run(view))


def test_an_instruction_for_the_saturday_timetable_contradicts_a_weekday_request(tmp_path: Path) -> None:
    # The request asks about a weekday; the orchestrator sends the surfer to the Saturday timetable,
    # whose first sailing is then accepted: the ledger that wrote that instruction (step 5) is blamed.
    row = _row(tmp_path, "Saturday")
    assert row["attribution_rule"] == "instruction_contradicts_task"
    assert (row["decisive_agent"], row["decisive_step"]) == ("Orchestrator", 5)
    assert "another kind of day" in str(row["attribution_evidence"])


def test_an_instruction_for_one_working_day_keeps_to_a_weekday_request(tmp_path: Path) -> None:
    # Near miss: "Wednesday" is a day of "Monday to Friday": the same kind of day, no contradiction.
    assert _row(tmp_path, "Wednesday")["attribution_rule"] != "instruction_contradicts_task"


def test_day_kinds_reads_working_days_saturdays_sundays_and_weekends() -> None:
    frame = pl.DataFrame(
        {"t": ["on a weekday (Monday to Friday)", "the Saturday schedule", "weekends only", "Sunday & holidays", "x"]}
    )
    kinds = [sorted(k) for k in frame.select(_day_kinds(pl.col("t"))).to_series().to_list()]
    assert kinds == [["weekday"], ["saturday"], ["saturday", "sunday"], ["sunday"], []]
