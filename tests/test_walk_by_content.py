"""A directory walk reads a file of another suffix when a sniffer recognises its content.

The OpenTelemetry SDK's ConsoleSpanExporter writes each span's ``to_json()`` (pretty-printed,
indent 4) followed by a newline (opentelemetry-sdk, ``opentelemetry/sdk/trace/export/__init__.py``,
``ConsoleSpanExporter(formatter=lambda span: span.to_json() + linesep)``); such a capture is usually
saved from stdout as ``.txt``. The capture here is written by the SDK itself, three spans of one
trace. Plain-text notes and a SQLite database (read through its URL, never by content) are still
passed over, each with its reason; every visible file is either read or reported.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import forensics
from forensics import walk as W


def _console_capture() -> str:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    out = io.StringIO()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out)))
    tracer = provider.get_tracer("triage")
    with tracer.start_as_current_span("invoke_agent triage") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        agent.set_attribute("gen_ai.agent.name", "triage")
        for tool in ("crm_lookup", "send_reply"):
            with tracer.start_as_current_span(f"execute_tool {tool}") as call:
                call.set_attribute("gen_ai.operation.name", "execute_tool")
                call.set_attribute("gen_ai.tool.name", tool)
    provider.shutdown()
    return out.getvalue()


def _night(root: Path) -> Path:
    night = root / "night"
    night.mkdir()
    (night / "console_capture.txt").write_text(_console_capture())
    (night / "notes.txt").write_text("02:00 restarted the CRM connector\n02:05 nothing else to report\n")
    (night / "spans.jsonl").write_text((Path(__file__).parents[1] / "sample_logs" / "02_crm_lookup_loop.otel.jsonl").read_text())
    (night / "labels.jsonl").write_text("")
    (night / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    with sqlite3.connect(night / "store.db") as db:
        db.execute("CREATE TABLE spans (trace_id TEXT, span_id TEXT, name TEXT)")
    return night


def test_a_console_exporter_capture_saved_as_txt_is_read(tmp_path: Path) -> None:
    night = _night(tmp_path)
    walked = W.walk(str(night))
    assert [Path(p).name for p in walked.files] == ["console_capture.txt", "spans.jsonl"]
    assert {Path(p).name: f for p, f in walked.by_content.items()} == {"console_capture.txt": "otel-sdk-json"}
    loaded = forensics.load(night / "console_capture.txt")
    assert loaded.report.files[0].rows == 3  # the three spans the SDK wrote
    assert sorted(loaded.spans.column("name").to_pylist()) == [
        "execute_tool crm_lookup", "execute_tool send_reply", "invoke_agent triage"]
    whole = forensics.load(night)
    assert [Path(f.path).name for f in whole.report.files] == ["console_capture.txt", "spans.jsonl"]


def test_near_miss_text_and_a_database_are_still_skipped_with_the_reason(tmp_path: Path) -> None:
    night = _night(tmp_path)
    walked = W.walk(str(night))
    assert walked.skipped == [("labels.jsonl", "ground-truth labels"), ("notes.txt", W.UNRECOGNISED),
                              ("store.db", W.DATABASE)]
    # Counts add up: every visible file is read or reported (.DS_Store is hidden, unmentioned).
    visible = [n for n in os.listdir(night) if not n.startswith(".")]
    assert len(walked.files) + len(walked.skipped) == len(visible) == 5


def test_the_cli_reads_the_capture_and_reports_the_rest(tmp_path: Path) -> None:
    night = _night(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", str(night), "--db",
                           str(tmp_path / "n.db")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "FORENSICS_REDACT_KEY": "test-key"}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "inputs: 2 stored, 0 already stored" in proc.stdout
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("Skipped ")]
    assert skipped == [f"Skipped 3 files in {night} that are not logs: labels.jsonl (ground-truth labels); "
                       f"notes.txt ({W.UNRECOGNISED}); store.db ({W.DATABASE})"]
