"""unread_pages on a smolagents ToolCallingAgent: a Google-style list result with a nextPageToken.

huggingface/smolagents ``src/smolagents/agents.py`` (``ToolCallingAgent._step_stream``): each step's
model call names a tool, ``execute_tool_call`` runs it and its return becomes the observation.
Arize-ai/openinference ``openinference-instrumentation-smolagents`` ``_wrappers.py``:
``_StepWrapper`` opens ``Step N`` (CHAIN), ``_ToolCallWrapper`` a TOOL span with ``tool.name``,
``input.value`` (``{"args", "sanitize_inputs_outputs", "kwargs"}``) and ``output.value`` (the
return), ``_RunWrapper`` the AGENT span whose ``output.value`` is the final answer. The tool returns
a Google Drive ``files.list`` page: ``{"files": [...], "nextPageToken": ...}`` (Google AIP-158: a
non-empty ``next_page_token`` means more results follow; Drive API v3 ``files.list`` response).

Fires: the answer counts the page's files as the folder's. Near misses: the token passed back to a
second call that read the last page; an answer that says it has only read the first page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import smol_span

from forensics.classify import classify
from forensics.load import load

_TRACE = "6d2a00bb11cc22dd33ee44ff55aa6677"
_ROOT = "a200000000000001"


def _span(
    span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]
) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="contracts-bot")


def _files(first: int, n: int) -> list[dict[str, str]]:
    return [
        {"id": f"1Ab{first + i}", "name": f"contract-{first + i}.pdf", "mimeType": "application/pdf"}
        for i in range(n)
    ]


def _step(n: int, kwargs: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    step = f"a20000000000001{n}"
    tool = _span(f"c20000000000001{n}", step, "list_drive_files", 10 * n + 2, {
        "openinference.span.kind": "TOOL", "tool.name": "list_drive_files",
        "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": kwargs}),
        "output.value": json.dumps(result), "output.mime_type": "application/json",
    }, [])  # fmt: skip
    return _span(step, _ROOT, f"Step {n}", 10 * n, {"openinference.span.kind": "CHAIN"}, [tool])


def _findings(tmp_path: Path, steps: list[dict[str, Any]], answer: str) -> pl.DataFrame:
    root = _span(_ROOT, "", "ToolCallingAgent.run", 0, {
        "openinference.span.kind": "AGENT", "smolagents.task": "How many PDF contracts are in the Vendors folder?",
        "smolagents.tools_names": ["list_drive_files", "final_answer"], "output.value": answer,
    }, steps)  # fmt: skip
    root["duration"] = "PT59.000000S"
    path = tmp_path / "smol_contracts.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    findings, _ = classify(load(path).to_polars(), detectors=["unread_pages"]).to_polars()
    return findings


_ARGS = {"folder": "Vendors", "mime_type": "application/pdf", "page_token": None}
_PAGE1 = {"kind": "drive#fileList", "files": _files(0, 4), "nextPageToken": "~!!~AI9FV7Q"}


def test_a_page_of_files_counted_as_the_folder_fires(tmp_path: Path) -> None:
    f = _findings(tmp_path, [_step(1, _ARGS, _PAGE1)], "The Vendors folder holds 4 PDF contracts.")
    assert f["decisive_span_id"].to_list() == ["c200000000000011"]
    assert "tool list_drive_files returned 4 record(s) at" in f["explanation"].item()


def test_near_miss_the_token_passed_back_to_the_last_page(tmp_path: Path) -> None:
    last = {"kind": "drive#fileList", "files": _files(4, 2)}
    steps = [_step(1, _ARGS, _PAGE1), _step(2, {**_ARGS, "page_token": "~!!~AI9FV7Q"}, last)]
    assert _findings(tmp_path, steps, "The Vendors folder holds 6 PDF contracts.").height == 0


def test_near_miss_the_answer_says_only_the_first_page_was_read(tmp_path: Path) -> None:
    f = _findings(tmp_path, [_step(1, _ARGS, _PAGE1)], "I only read the first page: 4 PDF contracts so far.")
    assert f.height == 0
