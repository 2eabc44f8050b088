"""A span whose parent was never exported is kept and said in the load report, not silently.

OpenInference's smolagents instrumentation ends an agent's ``<Agent>.run`` span only when ``run()``
returns (openinference-instrumentation-smolagents ``_wrappers.py`` ``_RunWrapper``): a managed agent
whose run raised leaves its run span unexported, while its steps, ended, name it as their parent.
The steps are real work: kept as rows, each file's count of them in ``FileAccount.unparented`` and
a note.
"""

from __future__ import annotations

import json
from pathlib import Path

from otlp_trace import otlp_span

import forensics


def _write(path: Path, spans: list[dict]) -> None:
    doc = {"resourceSpans": [{"resource": {"attributes": []},
                              "scopeSpans": [{"scope": {"name": "openinference.instrumentation.smolagents"}, "spans": spans}]}]}  # fmt: skip
    path.write_text(json.dumps(doc))


def test_steps_of_a_run_span_never_exported_are_kept_and_counted(tmp_path: Path) -> None:
    _write(tmp_path / "t.json", [
        otlp_span("a0", "", "CodeAgent.run", 0, 9000, {"openinference.span.kind": "AGENT"}),
        otlp_span("s1", "a0", "Step 1", 10, 900, {"openinference.span.kind": "CHAIN"}),
        # The managed agent's run span "b0" raised and was never exported; its step was.
        otlp_span("s2", "b0", "Step 1", 1000, 2000, {"openinference.span.kind": "CHAIN"}),
        otlp_span("l2", "s2", "LiteLLMModel.generate", 1100, 1900, {"openinference.span.kind": "LLM"}),
    ])  # fmt: skip
    result = forensics.load(tmp_path / "t.json")
    account = result.report.files[0]
    assert account.rows == 4 and account.quarantined == 0
    # Only s2 names a parent nobody holds; l2's parent s2 is loaded.
    assert account.unparented == 1
    assert any(note.startswith("1 span(s) kept whose parent span is in no file loaded") for note in account.notes)
    assert "1 span(s) kept whose parent" in str(result.report)


def test_near_miss_a_parent_in_another_file_read_together_is_no_hole(tmp_path: Path) -> None:
    _write(tmp_path / "a.json", [otlp_span("a0", "", "CodeAgent.run", 0, 9000, {"openinference.span.kind": "AGENT"})])
    _write(tmp_path / "b.json", [otlp_span("s1", "a0", "Step 1", 10, 900, {"openinference.span.kind": "CHAIN"})])
    result = forensics.load(tmp_path)
    assert [f.unparented for f in result.report.files] == [0, 0]
    assert not any("parent span" in note for f in result.report.files for note in f.notes)
