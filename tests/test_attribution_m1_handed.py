"""A Magentic-One answer computed by plain code from figures the orchestrator handed the Coder
(``computed_from_given``), and an answer written with the trailing zeros the request's decimals ask
for. Histories from Magentic-One's emitting code (tests/m1_history.py: microsoft/autogen
``autogen-magentic-one`` ``agents/orchestrator.py``: the ledger's ``instruction_or_question`` as
``Orchestrator (-> X)``, ``_prepare_final_answer`` with ``ORCHESTRATOR_GET_FINAL_ANSWER``, which
writes the answer in the form the request asks; ``agents/coder.py``: the Coder's fenced script, the
ComputerTerminal's stdout, where Python's ``print(round(x, 2))`` shows 1.1, not 1.10)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from m1_history import accept, blamed, orchestrator, plan, said, tell

from forensics.attribution.value_forms import zero_padded

TASK = (
    "Using the figures in their English Wikipedia articles, what is the ratio of the length of the "
    "Danube to the length of the Rhine? Round to two decimal places."
)
RHINE_PAGE = (
    "I clicked 'Rhine - Wikipedia'.\n\nHere is a screenshot of [Rhine - Wikipedia]"
    "(https://en.wikipedia.org/wiki/Rhine). The viewport shows 4% of the webpage, and is positioned at "
    "the top of the page.\nAutomatic OCR of the page screenshot has detected the following text:\n\n"
    "Rhine\nCountries Switzerland, Liechtenstein, Austria, Germany, France, Netherlands\n"
    "Length 1,233 km (766 mi)\n"
)
DANUBE_PAGE = (
    "I clicked 'Danube - Wikipedia'.\n\nHere is a screenshot of [Danube - Wikipedia]"
    "(https://en.wikipedia.org/wiki/Danube). The viewport shows 3% of the webpage, and is positioned at "
    "the top of the page.\nAutomatic OCR of the page screenshot has detected the following text:\n\n"
    "Danube\nCountries Germany, Austria, Slovakia, Hungary, Croatia, Serbia, Romania, Bulgaria\n"
    "{extra}"
)
SCRIPT = "```python\ndanube = {d}\nrhine = 1233\nprint(round(danube / rhine, 2))\n```"


def _history(
    danube: str, *, on_page: bool = False, printed: str = "2.3", answer: str = "2.30"
) -> list[dict[str, str]]:
    return [
        plan(
            TASK,
            "- Rivers: Danube and Rhine.",
            "- WebSurfer: read both lengths.\n- Coder: compute the ratio.",
        ),
        *tell("WebSurfer", "Please open the English Wikipedia article for the Rhine and report its length."),
        said("WebSurfer", RHINE_PAGE),
        *tell("WebSurfer", "Please open the English Wikipedia article for the Danube and report its length."),
        said("WebSurfer", DANUBE_PAGE.format(extra="")),
        *tell("WebSurfer", "Please report the Danube's length from the page you have open."),
        said(
            "WebSurfer",
            DANUBE_PAGE.replace(
                "I clicked 'Danube - Wikipedia'.", "I scrolled down one page in the browser."
            ).format(extra=f"Length {danube} km\n")
            if on_page
            else f"According to the Danube infobox, its length is {danube} km.",
        ),
        *tell(
            "Coder",
            f"Danube: {danube} km. Rhine: 1,233 km. Please write a script that prints the ratio rounded to two decimals.",
        ),
        said("Coder", SCRIPT.format(d=danube.replace(",", ""))),
        *tell("ComputerTerminal", "Please run the script."),
        said("ComputerTerminal", f"{printed}\n"),
        *accept(
            f"The ratio was computed as {answer}.", f"The ratio of the Danube to the Rhine is **{answer}**."
        ),
    ]


def _named(tmp_path: Path, history: list[dict[str, str]]) -> tuple[str, int, str]:
    return blamed(tmp_path, "m1-handed", TASK, history)


def test_a_handed_figure_the_surfer_reported_in_its_own_words_is_the_suspect(tmp_path: Path) -> None:
    # The Rhine's 1,233 is only shown on the page the surfer opened as told (step 4); the Danube's
    # 2,830 is the surfer's own report (step 10: its reading, which may be a misreading). The plain
    # script computed what it was handed, and the answer writes its printed 2.3 as 2.30, as the
    # request's two decimals ask: the reported figure is blamed, not the first figure handed.
    assert _named(tmp_path, _history("2,830")) == ("WebSurfer", 10, "computed_from_given")


def test_figures_views_only_showed_keep_the_earliest(tmp_path: Path) -> None:
    # Near miss: the surfer's step 10 is a scroll of the Danube page that shows 2,830, and no worker
    # restates either figure: both were only shown, so the first figure handed is traced, as before
    # (the Rhine page, step 4).
    assert _named(tmp_path, _history("2,830", on_page=True)) == ("WebSurfer", 4, "computed_from_given")


def test_an_answer_that_is_not_the_printed_figure_padded_is_composed(tmp_path: Path) -> None:
    # Near miss: the answer's 2.40 is no padding of the printed 2.3: no step held it, so the
    # orchestrator composed it in the accepting ledger (step 17).
    assert _named(tmp_path, _history("2,830", answer="2.40")) == ("Orchestrator", 17, "accepted_wrong_answer")


def test_zero_padded_matches_only_the_same_value_with_fewer_decimals() -> None:
    stated = pl.DataFrame({"run_id": ["r"] * 4, "_n": ["1.10", "12.0", "2.5", "120"]})
    held = pl.DataFrame({"run_id": ["r"] * 4, "step": [1, 2, 3, 4], "_n": ["1.1", "12", "2.5", "12"]})
    got = sorted(zero_padded(stated, held).select("_n", "step").iter_rows())
    # 2.5 is held as it is stated (an exact match, not a padding); 120 has no decimals to pad.
    assert got == [("1.10", 1), ("12.0", 2), ("12.0", 4)]


def test_a_handed_figure_no_worker_gave_is_the_orchestrators(tmp_path: Path) -> None:
    # The surfer cannot find the Danube's length (step 10); the replan's fact sheet (step 12,
    # ORCHESTRATOR_UPDATE_FACTS_PROMPT's GIVEN OR VERIFIED FACTS) states 2,850 km itself, and the
    # instruction hands it on with the Rhine page's 1,233. The plain script computed over the plan's own
    # figure: the Rhine page is no suspect (HEAD traced the answer there, computed_from_given at step 4).
    history = _history("2,850")
    history[9] = said("WebSurfer", "The Danube article's infobox is not in the part of the page I can see.")
    replan = plan(TASK, "- Rhine: 1,233 km.\n- Danube: 2,850 km.", "- Coder: compute the ratio.")
    replan["content"] = replan["content"].replace("Initial plan:", "New plan:", 1)
    history[10:10] = [orchestrator("thought", "Stalled.... Replanning..."), replan]
    assert _named(tmp_path, history) == ("Orchestrator", 12, "plan_unbacked_fact")


def test_handed_figures_workers_gave_stay_traced_after_a_replan(tmp_path: Path) -> None:
    # Near miss: the surfer reported 2,830 itself (step 10) and the replan's fact sheet restates it:
    # both figures were workers', so the answer is traced to that report, as before.
    history = _history("2,830")
    replan = plan(TASK, "- Rhine: 1,233 km.\n- Danube: 2,830 km.", "- Coder: compute the ratio.")
    replan["content"] = replan["content"].replace("Initial plan:", "New plan:", 1)
    history[10:10] = [orchestrator("thought", "Stalled.... Replanning..."), replan]
    assert _named(tmp_path, history) == ("WebSurfer", 10, "computed_from_given")
