"""A value restated in another notation is the value it restates (forensics.attribution.value_forms):
the answer rules read a restated value as held, not as one the answer composed. The histories are
written from Magentic-One's emitting code (microsoft/autogen
``python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/``: ``orchestrator.py``'s
``LedgerOrchestrator`` ledger and ``_prepare_final_answer`` with ``ORCHESTRATOR_GET_FINAL_ANSWER``
from ``orchestrator_prompts.py``; ``multimodal_web_surfer.py``'s "I clicked '...'." / "Here is a
screenshot of [title](url)." / "Automatic OCR of the page screenshot has detected the following
text:"), described in tests/data/ag2_history/README_magentic_one.md."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from m1_history import M1, attributed, verdict, write_doc

from forensics.attribution.value_forms import month_numbers

DATE = M1 / "magentic_one_date_restated.json"


def test_a_date_restated_from_a_months_name_is_where_the_surfer_read_it() -> None:
    # The article the surfer chose (step 9) is dated "June 20, 2025" and says the galleries open on
    # June 28; the surfer calls June 20 the reopening date, the ledger (step 10) accepts it and the
    # final answer (step 12) writes it as the request asks, 2025-06-20. Its 06 is June: held, not
    # composed in the answer; the surfer's reading is blamed.
    doc = json.loads(DATE.read_text())
    assert (doc["mistake_agent"], int(doc["mistake_step"])) == ("WebSurfer", 9)
    row = attributed(DATE)
    assert (row["decisive_agent"], row["decisive_step"]) == ("WebSurfer", 9)
    assert row["attribution_rule"] != "final_answer_composed"


def test_a_month_no_step_named_is_still_composed_in_the_answer(tmp_path: Path) -> None:
    # Near miss: the answer writes 2025-07-20; July was named nowhere before it: the answer composed it.
    doc = json.loads(DATE.read_text())
    doc["history"][12]["content"] = doc["history"][12]["content"].replace("2025-06-20", "2025-07-20")
    row = attributed(write_doc(tmp_path, doc, DATE.name))
    assert verdict(row) == (
        "Orchestrator",
        12,
        "final_answer_composed",
    )
    assert "07" in row["attribution_evidence"]


def test_month_numbers_only_for_a_month_named_next_to_a_day() -> None:
    texts = pl.DataFrame(
        {"t": ["Culture | June 20, 2025", "on 4 March 2021", "in May the team met", "Sept. 3rd and 12 Dec", "we may 5"]}
    )
    got = texts.select(month_numbers(pl.col("t")).alias("m")).get_column("m").to_list()
    assert got == [["6"], ["3"], [], ["9", "12"], []]
