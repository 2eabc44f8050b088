"""Notebooks are stored with outputs stripped: no outputs, no execution counts, no widget state.

Outputs of a notebook run on real logs are exactly what redaction exists to keep out of review
documents; a committed output cell would carry log content (and, in HTML outputs, scripts) into
the repository. Strip with ``jupyter nbconvert --clear-output --inplace notebooks/*.ipynb``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("**/*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
FIX = "Hint: jupyter nbconvert --clear-output --inplace notebooks/*.ipynb"


def problems(nb: dict[str, Any]) -> list[str]:
    """Everything in a notebook's JSON that a stripped notebook does not have."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            if cell.get("attachments"):
                found.append(f"cell {i}: attachments")
            continue
        if cell.get("outputs"):
            found.append(f"cell {i}: {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i}: execution_count {cell['execution_count']}")
        if cell.get("metadata", {}).get("execution"):
            found.append(f"cell {i}: execution timing metadata")
    if nb.get("metadata", {}).get("widgets"):
        found.append("notebook metadata: saved widget state")
    return found


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks/*.ipynb in the repository yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb.get("nbformat") == 4, f"{path.name}: expected nbformat 4, found {nb.get('nbformat')}"
    found = problems(nb)
    assert not found, f"{path.name} is not stripped:\n  " + "\n  ".join(found) + f"\n{FIX}"


def test_the_check_finds_outputs_and_counts() -> None:
    """The check can fail: a notebook with an output, a count and widget state is reported."""
    dirty = {
        "nbformat": 4,
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
        "cells": [
            {"cell_type": "markdown", "source": "# x", "metadata": {}},
            {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "1",
             "outputs": [{"output_type": "execute_result", "data": {"text/plain": "1"}}]},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "source": "2", "outputs": []},
        ],
    }
    assert problems(dirty) == ["cell 1: 1 output(s)", "cell 1: execution_count 3", "notebook metadata: saved widget state"]
    clean = {"nbformat": 4, "metadata": {}, "cells": [dirty["cells"][0], dirty["cells"][2]]}  # type: ignore[index]
    assert problems(clean) == []
