"""langfuse: an observation whose parent span was never exported hangs under the trace's root.

Langfuse stores an observation's OpenTelemetry parent span id as it came, and the v3 SDK's span
processor exports only some spans (langfuse-python langfuse/_client/span_filter.py
is_default_export_span: the SDK's own spans, ``gen_ai.*`` ones and known LLM instrumentation
scopes). An ``@observe`` function called inside a FastAPI request names the HTTP server span as its
parent, and that span never reaches Langfuse: read as written, the run had two roots, the trace and
the orphaned observation, and the trace's status ignored the observation's ERROR. The expectations
are read from the real export tests/data/langfuse/langfuse_autogen-2025-06-06.trace.json (root
observation 95f4f51edeb603d9 "autogen-chat-trace", its GENERATION 83517f9062f5ada4 under it), with
the root observation's parent set to the unexported server span.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from realdata import DATA

import forensics

REAL = DATA / "langfuse" / "langfuse_autogen-2025-06-06.trace.json"
TRACE = "1b72c51fabed12ae7df83bfd4a09f545"
SERVER_SPAN = "5d2f0e1c9a8b7766"  # the FastAPI server span the SDK did not export


def _load(tmp_path: Path, parent: str | None, level: str = "DEFAULT") -> pl.DataFrame:
    export = json.loads(REAL.read_text())
    root = export["observations"][0]
    assert root["id"] == "95f4f51edeb603d9" and root["parentObservationId"] is None
    root["parentObservationId"] = parent
    root["level"], root["statusMessage"] = level, ("TimeoutError: upstream" if level == "ERROR" else None)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(export))
    return forensics.load(path).to_polars()


def _roots(df: pl.DataFrame) -> list[str]:
    ids = set(df["span_id"])
    return [r["span_id"] for r in df.iter_rows(named=True) if r["parent_id"] is None or r["parent_id"] not in ids]


def test_an_observation_under_an_unexported_span_hangs_under_the_trace(tmp_path: Path) -> None:
    df = _load(tmp_path, SERVER_SPAN, "ERROR")
    assert _roots(df) == [TRACE]  # was [trace, 95f4f51edeb603d9]
    top = df.filter(pl.col("span_id") == "95f4f51edeb603d9").row(0, named=True)
    assert top["parent_id"] == TRACE
    assert json.loads(top["attributes"])["@parent_not_exported"] == SERVER_SPAN
    # The trace's status reads its top-level observations: this one failed, so the run did.
    assert df.filter(pl.col("span_id") == TRACE)["status"].item() == "error"


def test_near_miss_a_parent_in_the_export_stays_the_parent(tmp_path: Path) -> None:
    df = _load(tmp_path, None)
    assert _roots(df) == [TRACE]
    generation = df.filter(pl.col("span_id") == "83517f9062f5ada4").row(0, named=True)
    assert generation["parent_id"] == "95f4f51edeb603d9"
    assert "@parent_not_exported" not in json.loads(generation["attributes"])
    assert df.filter(pl.col("span_id") == TRACE)["status"].item() == "ok"
