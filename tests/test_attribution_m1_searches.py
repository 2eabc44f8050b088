"""A stall that began with a search the orchestrator dictated (forensics.attribution.stall_rules
``orchestrator_stall``, ``_scrolled_as_told``, ``_TYPED_SEARCH``). Histories from Magentic-One's emitting
code (tests/m1_history.py: microsoft/autogen ``autogen-magentic-one`` ``agents/orchestrator.py``, whose
progress ledger answers ``is_in_loop`` / ``is_progress_being_made`` and whose ``instruction_or_question``
is broadcast as ``Orchestrator (-> X)``, "Max time (1800s) reached." as ``Orchestrator (termination
condition)``; ``agents/multimodal_web_surfer/multimodal_web_surfer.py``'s ``web_search`` types the query
into the search box, "I typed 'Q' into '0 characters out of 2000'.", and opens
https://www.bing.com/search?q=...)."""

from __future__ import annotations

from pathlib import Path

from m1_history import blamed, orchestrator, plan, said, tell

TASK = "How many tide gauges does the Fabrikam Coastal Survey list for Contoso Bay?"


def _results(query: str) -> str:
    q = query.replace(" ", "+")
    return (
        f"I typed '{query}' into '0 characters out of 2000'.\n\nHere is a screenshot of [{query} - Search]"
        f"(https://www.bing.com/search?q={q}&form=QBLH). The viewport shows 21% of the webpage, and is "
        "positioned at the top of the page.\nAutomatic OCR of the page screenshot has detected the following "
        "text:\n\nContoso Bay - Wikipedia\nFabrikam Coastal Survey - Station map\nContoso Bay sailing club\n"
    )


def _looping(instruction: str) -> list[dict[str, str]]:
    """The ledger judging the team in a loop, and the instruction it broadcasts."""
    return tell("WebSurfer", instruction, "The count has not been found.", in_loop=True)


def _run(second: str, typed: str) -> list[dict[str, str]]:
    return [
        plan(TASK, "- Bay: Contoso Bay.", "- WebSurfer: find the survey's station list.\n- Report the count."),
        *tell("WebSurfer", "Please search for 'Fabrikam Coastal Survey Contoso Bay tide gauges'."),
        said("WebSurfer", _results("Fabrikam Coastal Survey Contoso Bay tide gauges")),
        *tell("WebSurfer", second),
        said("WebSurfer", _results(typed)),
        *_looping("Please search again for the number of tide gauges in Contoso Bay."),
        said("WebSurfer", _results("number of tide gauges Contoso Bay")),
        *_looping("Please search for 'Contoso Bay gauges survey' and report any count."),
        said("WebSurfer", _results("Contoso Bay gauges survey")),
        orchestrator("termination condition", "Max time (1800s) reached."),
    ]


def _named(tmp_path: Path, second: str, typed: str) -> tuple[object, object, object]:
    return blamed(tmp_path, "m1-searches", TASK, _run(second, typed))


def test_a_stall_that_began_with_a_search_the_orchestrator_quoted(tmp_path: Path) -> None:
    # The ledger at step 5 quotes the query; the surfer types it word for word (step 7) and the next
    # ledger finds the team in a loop it never leaves: the search was the orchestrator's choice, so the
    # ledger that wrote it is blamed (as for a scroll it asked for). HEAD blamed the surfer at step 7.
    second = "Please search for 'Contoso Bay tide gauge records' and report the number of gauges."
    got = _named(tmp_path, second, "Contoso Bay tide gauge records")
    assert got == ("Orchestrator", 5, "orchestrator_stall")


def test_a_stall_that_began_with_a_query_the_surfer_chose(tmp_path: Path) -> None:
    # Near miss: the instruction asks for the gauges without a query; the surfer's own search began
    # the stall and it stays the surfer's. (A dictated search whose results page the surfer went on
    # acting on stays the surfer's too: tests/data/ag2_history/magentic_one_error_recovered.json.)
    second = "Please find how many tide gauges the survey lists for the bay."
    got = _named(tmp_path, second, "Contoso Bay tide gauge records")
    assert got == ("WebSurfer", 7, "orchestrator_stall")
