"""A web surfer that answered new instruction after new instruction with the same search
(``unrefined_search``, forensics.attribution.search_rules). Histories from Magentic-One's emitting code
(tests/m1_history.py; microsoft/autogen ``autogen-magentic-one`` ``agents/multimodal_web_surfer/
multimodal_web_surfer.py``: ``web_search`` reports "I typed 'Q' into '...'." with the results page's
screenshot description; ``agents/orchestrator.py``: each ledger's ``instruction_or_question`` broadcast
as ``Orchestrator (-> WebSurfer)``)."""

from __future__ import annotations

from pathlib import Path

from m1_history import accept, blamed, plan, said, tell

TASK = (
    "In which year did the Port of Tauranga first handle more than one million TEU in a financial year? "
    "Answer with the year only, according to the port's annual reports."
)
ASKS = (
    "Please search for the Port of Tauranga annual report that first records more than one million TEU.",
    "These results are general. Please search specifically for the port's annual reports and their container volumes.",
    "Please refine the search: include the words annual report, TEU and the port's name.",
)


def _typed(query: str) -> str:
    url = "https://www.bing.com/search?q=" + query.replace(" ", "+") + "&FORM=QBLH"
    return (
        f"I typed '{query}' into '0 characters out of 2000'.\n\nHere is a screenshot of [{query} - Search]({url}). "
        "The viewport shows 30% of the webpage, and is positioned at the top of the page.\nAutomatic OCR of the "
        f"page screenshot has detected the following text:\n\n{query}\nPort of Tauranga - Wikipedia\n"
        "In 2023 the port handled 1.2 million TEU ...\n"
    )


def _run(queries: tuple[str, str, str], asks: tuple[str, ...] = ASKS) -> list[dict[str, str]]:
    history = [plan(TASK, "- The Port of Tauranga.", "- WebSurfer: find the annual reports.\n- Report the year.")]
    for ask, query in zip(asks, queries, strict=True):
        history += [*tell("WebSurfer", ask), said("WebSurfer", _typed(query))]
    return history + accept("The results page says 2023.", "FINAL ANSWER: 2023")


def _named(tmp_path: Path, history: list[dict[str, str]]) -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-unrefined", TASK, history)


def test_a_surfer_typing_one_query_for_three_different_instructions(tmp_path: Path) -> None:
    # Three instructions (steps 3, 6, 9) ask for the annual reports, each differently; the surfer
    # typed 'tauranga port containers' every time (steps 4, 7, 10): its first search is blamed.
    # HEAD traced 2023 to the results page's first later taking up, not the search that never changed.
    query = "tauranga port containers"
    assert _named(tmp_path, _run((query, query, query))) == ("WebSurfer", 4, "unrefined_search")


def test_a_surfer_that_refined_its_search_on_the_third_ask(tmp_path: Path) -> None:
    # Near miss: the same query twice (one retry is fair), then a refined one.
    query = "tauranga port containers"
    history = _run((query, query, "port of tauranga annual report TEU"))
    assert _named(tmp_path, history)[2] != "unrefined_search"


def test_a_surfer_typing_the_query_each_instruction_dictated(tmp_path: Path) -> None:
    # Near miss: every instruction quotes the query word for word: the search was the orchestrator's.
    query = "tauranga port containers"
    asks = tuple(f"{ask} Search for '{query}'." for ask in ASKS)
    assert _named(tmp_path, _run((query, query, query), asks))[2] != "unrefined_search"
