"""Every notebook runs top to bottom in a fresh kernel, and says what a reader should see.

Each runs in a scratch copy of the layout (``<tmp>/notebooks/`` beside a link to ``sample_logs/``)
so the exports a notebook writes never land in the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LAB_MIME = "application/vnd.vegalite.v5+json"


def execute(name: str, tmp_path: Path) -> tuple[Any, Path]:
    import nbclient
    import nbformat

    work = tmp_path / "notebooks"
    work.mkdir()
    (tmp_path / "sample_logs").symlink_to(REPO / "sample_logs")
    book = nbformat.read(REPO / "notebooks" / name, as_version=4)
    client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    client.execute()
    return book, work


def outputs(book: Any) -> list[Any]:
    return [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]


def text_of(book: Any) -> str:
    parts = []
    for o in outputs(book):
        if o.output_type == "stream":
            parts.append(o.text)
        elif "data" in o and "text/plain" in o.data:
            parts.append(o.data["text/plain"])
    return "\n".join(parts)


def charts(book: Any) -> list[dict[str, Any]]:
    return [o.data[LAB_MIME] for o in outputs(book) if "data" in o and LAB_MIME in o.data]


def assert_no_errors(book: Any) -> None:
    errors = [o for o in outputs(book) if o.output_type == "error"]
    assert not errors, "\n".join(f"{e.ename}: {e.evalue}" for e in errors)
    stderr = [o.text for o in outputs(book) if o.output_type == "stream" and o.name == "stderr"]
    assert not any("Traceback" in s for s in stderr), stderr


def test_every_notebook_is_tested() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_postmortem.ipynb", "02_nightly_triage.ipynb", "03_custom_detector.ipynb", "04_bring_your_format.ipynb"]  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped_in_the_repository(path: Path) -> None:
    book = json.loads(path.read_text())
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: outputs not stripped"


def test_postmortem(tmp_path: Path) -> None:
    book, work = execute("01_postmortem.ipynb", tmp_path)
    assert_no_errors(book)
    text = text_of(book)
    # sample_logs/labels.jsonl: 09_travel_booker_limbo expects ownership_gap (dangling_handoff, limbo) and a stall
    assert "run 0a138a07e4d3bfb4b186e5f14e2a125f primary class: ownership_gap" in text
    assert "dangling_handoff" in text and "hotel_agent" in text
    (timeline,) = [c for c in charts(book) if c.get("usermeta", {}).get("forensics", {}).get("chart") == "timeline"]
    # named by its root span (the travel_planner chain), the id beside it
    assert timeline["title"]["text"] == "travel_planner (run 0a138a07e4d3bfb4b186e5f14e2a125f)"
    lanes = next(layer for layer in timeline["layer"] if layer["mark"]["type"] == "bar")["encoding"]["y"]["scale"]["domain"]
    assert {"travel_planner", "flight_agent", "hotel_agent"} <= set(lanes)
    for suffix in ("png", "svg", "html"):
        assert (work / "exports" / f"timeline.{suffix}").stat().st_size > 1000
    widgets = [o for o in outputs(book) if "data" in o and "application/vnd.jupyter.widget-view+json" in o.data]
    assert widgets, "the explorer widget was not displayed"


def test_nightly_triage(tmp_path: Path) -> None:
    book, _ = execute("02_nightly_triage.ipynb", tmp_path)
    assert_no_errors(book)
    text = text_of(book)
    assert "2000 runs" in text
    assert "worst class: " in text
    titles = [c.get("title") for c in charts(book)]
    assert any(isinstance(t, str) and t.startswith("Runs per failure class (2000 runs)") for t in titles)
    assert any(isinstance(t, str) and t.startswith("Top ") for t in titles)
    assert "Failure class by agent (runs)" in titles and "Failure class by tool (runs)" in titles
    assert any(isinstance(t, dict) and "(run " in t["text"] for t in titles)  # a timeline


def test_custom_detector(tmp_path: Path) -> None:
    book, _ = execute("03_custom_detector.ipynb", tmp_path)
    assert_no_errors(book)
    text = text_of(book)
    assert "registered: True" in text
    # sample 11: web.fetch ran 0.300 -> 2.500 s, the one tool call over 2 s
    assert "slow_tool_call: web.fetch took over 2 s" in text
    assert "stall threshold 300.0 -> 1.0" in text
    assert "policy versions differ: True" in text


def test_bring_your_format(tmp_path: Path) -> None:
    book, _ = execute("04_bring_your_format.ipynb", tmp_path)
    assert_no_errors(book)
    text = text_of(book)
    assert "payments.charge" in text
    # the charge failed with HTTP 503 and the reply claims it was paid
    assert "HTTP 503" in text
    (timeline,) = charts(book)
    assert timeline["title"]["text"] == "order_bot (run order-7)"  # its root span s1
