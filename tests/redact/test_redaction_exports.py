"""Every export is redacted by default and says so on its face; ``--no-redact`` / ``redact=False``
is the only way to get the values in clear, and then the export says NOT REDACTED.

One incident carries four values a review must never leak: an e-mail address, a Luhn-valid card
number, an OpenAI project key and a bearer token in a tool's arguments. The expected placeholders
are computed here from the documented definition (``<kind:`` + first 6 hex of
HMAC-SHA256(key, value) + ``>``, e-mail case-folded, card on its digits), not by calling the
redactor, and must be the same in every format: report HTML and Markdown, chart HTML, the
Parquet files the CLI writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forensics import store as st
from forensics.charts import save_chart, timeline_chart
from forensics.redact import METADATA_KEY, redact_frame, redaction_banner
from forensics.report import write_report

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for chart_tables
from chart_tables import finding, findings_table, run, runs_table, span, spans_table

KEY = "test-exports-key-9c1f"
EMAIL = "Jane.Doe@example.com"
CARD = "4111 1111 1111 1111"  # the Visa test number: Luhn-valid
OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f"
TOKEN = "tok9f8e7d6c5b4a39281706fedcbaQx"  # no Markdown-escaped characters: a leak shows verbatim
RAW = (EMAIL, CARD, OPENAI, TOKEN)


def _ph(kind: str, value: str) -> str:
    return f"<{kind}:{hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:6]}>"


PLACEHOLDERS = {
    "email": _ph("email", EMAIL.lower()),
    "card": _ph("card", CARD.replace(" ", "")),
    "openai-key": _ph("openai-key", OPENAI),
    "bearer": _ph("bearer", TOKEN),
}
NOT_REDACTED = "NOT REDACTED (explicit opt-out)"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORENSICS_REDACT_KEY", KEY)


def _incident() -> tuple[pa.Table, pa.Table, pa.Table]:
    r = "run-1"
    args = json.dumps({"to": EMAIL, "headers": {"Authorization": f"Bearer {TOKEN}"}})
    spans = [
        span(r, "a1", 0, 40, kind="agent", agent="billing", name="billing", input=f"refund card {CARD}"),
        span(r, "t1", 5, 8, kind="tool", agent="billing", tool="charge", name="charge", input=args,
             output=f"used key {OPENAI}", attributes=json.dumps({"tool.arguments": args}),
             status="error", error_type="HTTP 402", error_message=f"{CARD} declined for {EMAIL}"),
    ]
    findings = [finding(r, "missing_fallback", "unhandled_error", ["t1"],
                        f"charge of {CARD} for {EMAIL} failed with key {OPENAI} (Bearer {TOKEN}); nothing retried it")]
    runs = [run(r, 0, 40, ["billing"], ["missing_fallback"], error_count=1, decisive_span_id="t1")]
    return spans_table(spans), findings_table(findings), runs_table(runs)


def _svg_text(path: Path) -> str:
    return " ".join(ET.parse(path).getroot().itertext())


def _assert_clean(text: str, where: str) -> None:
    for value in RAW:
        assert value not in text, f"{value!r} leaked into {where}"


# --- the report (HTML, Markdown, SVG and PNG charts) -------------------------------------------


def test_report_is_redacted_by_default_and_says_so(tmp_path: Path) -> None:
    spans, findings, runs = _incident()
    written = write_report({"runs": runs, "findings": findings, "spans": spans}, tmp_path / "rep")
    page, md = written["html"].read_text(), written["markdown"].read_text()
    banner = redaction_banner(True)
    assert banner.startswith("Redacted: secrets, e-mail, phone, card, ip (policy ")
    assert "default key" not in banner  # the test's key is set
    for text, where in ((page, "report.html"), (md, "report.md")):
        _assert_clean(text, where)
        assert banner in text, where
        # The explanation's four values, each as its placeholder (HTML-escaped in both files).
        for ph in PLACEHOLDERS.values():
            assert ph.replace("<", "&lt;").replace(">", "&gt;") in text, (ph, where)
    assert md.splitlines()[2] == f"> **{banner}**"  # right under the title
    svgs = sorted((tmp_path / "rep" / "charts").glob("*.svg"))
    assert {p.name for p in svgs} == {"class_trend.svg", "top_detectors.svg", "timeline_1.svg"}
    for svg in svgs:
        text = _svg_text(svg)
        assert banner in text, svg.name
        _assert_clean(svg.read_text(), svg.name)
    # The PNGs are drawn from the same spec as the SVGs (banner checked through the SVG text).
    for png in ("class_trend.png", "top_detectors.png"):
        assert (tmp_path / "rep" / "charts" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_redaction_is_in_clear_and_says_not_redacted(tmp_path: Path) -> None:
    spans, findings, runs = _incident()
    written = write_report({"runs": runs, "findings": findings, "spans": spans}, tmp_path / "rep", redact=False)
    page, md = written["html"].read_text(), written["markdown"].read_text()
    for text in (page, md):
        assert NOT_REDACTED in text
        for value in (EMAIL, CARD, OPENAI, TOKEN):
            assert value in text
        assert not any(ph.replace("<", "&lt;").replace(">", "&gt;") in text for ph in PLACEHOLDERS.values())
    assert 'class="not-redacted"' in page
    for svg in sorted((tmp_path / "rep" / "charts").glob("*.svg")):
        assert NOT_REDACTED in _svg_text(svg), svg.name


# --- charts a notebook user exports --------------------------------------------------------------


def test_chart_html_of_redacted_tables_holds_placeholders_and_the_banner(tmp_path: Path) -> None:
    import polars as pl

    spans, findings, _ = _incident()
    red_spans = redact_frame(pl.DataFrame(spans))
    red_findings = redact_frame(pl.DataFrame(findings), columns=["explanation"])
    chart = timeline_chart(red_spans, "run-1", red_findings)
    page = save_chart(chart, tmp_path / "t.html", redacted=True).read_text()
    _assert_clean(page, "chart HTML")
    # The spec is script-safe JSON in the page: < and > are \u003c / \u003e there.
    for ph in PLACEHOLDERS.values():
        assert ph.replace("<", "\\u003c").replace(">", "\\u003e") in page, ph
    assert redaction_banner(True) in page
    svg = save_chart(chart, tmp_path / "t.svg", redacted=True)
    assert redaction_banner(True) in _svg_text(svg)
    _assert_clean(svg.read_text(), "chart SVG")


def test_chart_export_says_not_redacted_or_nothing(tmp_path: Path) -> None:
    spans, findings, _ = _incident()
    chart = timeline_chart(spans, "run-1", findings)
    page = save_chart(chart, tmp_path / "raw.html", redacted=False).read_text()
    assert NOT_REDACTED in page and EMAIL in page and OPENAI in page
    silent = save_chart(chart, tmp_path / "silent.svg")  # redacted=None: a notebook user's own chart
    text = _svg_text(silent)
    assert "REDACTED" not in text and "Redacted" not in text


# --- the CLI: Parquet from classify, the report from the store -------------------------------


def _log_file(path: Path, error_type: str = "HTTPError") -> Path:
    """A JSON-lines agent log (the shape of sample_logs/*.log.jsonl) with the four values in a
    prompt, a tool's arguments, its output and its error, plus one line that is not JSON."""
    base = {"run_id": "5e0c3a1b9d7f4e2a8c6b0d1f3e5a7c9b", "session_id": "billing-1", "agent": "billing",
            "level": "INFO", "logger": "billing-agent"}
    args = json.dumps({"to": EMAIL, "headers": {"Authorization": f"Bearer {TOKEN}"}})
    lines = [
        {**base, "ts": "2026-11-19T10:00:00.000Z", "span_id": "a0160cd44dc8da49", "parent_id": None,
         "event": "agent.run", "kind": "agent", "msg": "agent billing started", "duration_ms": 9000.0,
         "status": "ok", "input": f"refund card {CARD} for {EMAIL}"},
        {**base, "ts": "2026-11-19T10:00:01.000Z", "span_id": "e4f9c15f06a4a5d5", "parent_id": "a0160cd44dc8da49",
         "event": "tool.call", "kind": "tool", "tool": "payments.charge", "msg": "tool payments.charge failed",
         "duration_ms": 300.0, "status": "error", "input": args, "output": f"used key {OPENAI}",
         "error_type": error_type, "error": f"402 card {CARD} declined for {EMAIL}"},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + f'\n{{"broken": "{EMAIL} {OPENAI}" \n'
    path.write_text(text)
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forensics.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "FORENSICS_REDACT_KEY": KEY}, timeout=300)


def _parquets(out: Path) -> dict[str, pa.Table]:
    return {p.stem: pq.read_table(p) for p in sorted(out.glob("*.parquet"))}


def _classify_and_report(tmp_path: Path, *extra: str) -> tuple[dict[str, pa.Table], str, str, str]:
    log = _log_file(tmp_path / "night.log.jsonl")
    db = f"sqlite:///{tmp_path / 'f.db'}"
    proc = _cli("classify", str(log), "--db", db, "--out", str(tmp_path / "out"), *extra, cwd=tmp_path)
    # The broken line is quarantined (a warning: the rest of the file was stored), so exit 0.
    assert proc.returncode == 0, proc.stderr
    rep = _cli("report", "--db", db, "--out", str(tmp_path / "rep"), *extra, cwd=tmp_path)
    assert rep.returncode == 0, rep.stderr
    tables = _parquets(tmp_path / "out")
    assert set(tables) == {"spans", "findings", "runs", "quarantine"}
    assert tables["spans"].num_rows == 2 and tables["quarantine"].num_rows == 1
    return tables, proc.stdout, rep.stdout, (tmp_path / "rep" / "report.html").read_text()


def test_cli_parquet_and_report_are_redacted_by_default(tmp_path: Path) -> None:
    tables, summary, rep_out, page = _classify_and_report(tmp_path)
    banner = redaction_banner(True)
    assert f"outputs: redacted ({banner})" in summary
    assert f"outputs: redacted ({banner})" in rep_out
    for name, table in tables.items():
        assert table.schema.metadata[METADATA_KEY].decode() == banner, name
        _assert_clean(str(table.to_pylist()), f"{name}.parquet")
    spans = str(tables["spans"].to_pylist())
    for ph in PLACEHOLDERS.values():
        assert ph in spans, ph
    quarantine = str(tables["quarantine"].to_pylist())
    assert PLACEHOLDERS["email"] in quarantine and PLACEHOLDERS["openai-key"] in quarantine
    _assert_clean(page, "report.html from the store")
    assert banner in page


def test_cli_no_redact_writes_in_clear_and_says_not_redacted(tmp_path: Path) -> None:
    tables, summary, rep_out, page = _classify_and_report(tmp_path, "--no-redact")
    for said in (summary, rep_out):
        assert "outputs: NOT redacted (--no-redact: personal data and secrets written in clear)" in said
    for name, table in tables.items():
        assert table.schema.metadata[METADATA_KEY].decode() == NOT_REDACTED, name
    spans = str(tables["spans"].to_pylist())
    for value in RAW:
        assert value in spans
    assert EMAIL in str(tables["quarantine"].to_pylist())
    assert NOT_REDACTED in page


def test_load_out_is_redacted_unless_opted_out(tmp_path: Path) -> None:
    log = _log_file(tmp_path / "night.log.jsonl")
    for flags, banner in (((), redaction_banner(True)), (("--no-redact",), NOT_REDACTED)):
        target = tmp_path / f"spans{len(flags)}.parquet"
        proc = _cli("load", str(log), "--out", str(target), *flags, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        table = pq.read_table(target)
        assert table.schema.metadata[METADATA_KEY].decode() == banner
        text = str(table.to_pylist())
        if flags:
            assert all(value in text for value in RAW)
        else:
            _assert_clean(text, "load --out")
            assert all(ph in text for ph in PLACEHOLDERS.values())


def test_no_redact_help_warns_and_contradiction_is_exit_2(tmp_path: Path) -> None:
    for command in ("classify", "report", "load"):
        help_text = " ".join(_cli(command, "--help", cwd=tmp_path).stdout.split())
        assert "personal data and secrets from the logs" in help_text and "in clear" in help_text
        assert "--redact-policy" in help_text
    policy = tmp_path / "r.toml"
    policy.write_text("[redact]\nphone = false\n")
    proc = _cli("report", "--out", str(tmp_path / "r"), "--no-redact", "--redact-policy", str(policy), cwd=tmp_path)
    assert proc.returncode == 2
    assert "--no-redact and --redact-policy contradict each other" in proc.stderr


# --- what the findings quote: stored and written redacted ----------------------------------------

#: Exception text as some SDKs write it into the error type; the findings' explanations quote it.
QUOTED_TYPE = f"Declined for {EMAIL}"


def _classify(tmp_path: Path, redact: bool) -> tuple[list[str], list[str], pa.Table]:
    from forensics.batch import classify_paths

    log = _log_file(tmp_path / "night.log.jsonl", error_type=QUOTED_TYPE)
    db = f"sqlite:///{tmp_path / 'f.db'}"
    classify_paths([str(log)], db=db, out=tmp_path / "out", redact=redact)
    written = pq.read_table(tmp_path / "out" / "findings.parquet").column("explanation").to_pylist()
    store = st.open_store(db)
    try:
        stored = st.read_findings(store)["explanation"].to_list()
    finally:
        store.close()
    return written, stored, pq.read_table(tmp_path / "out" / "spans.parquet")


def test_stored_and_written_explanations_are_redacted(tmp_path: Path) -> None:
    written, stored, _ = _classify(tmp_path, redact=True)
    # swallowed_error fires on the failed tool call under the run's success report (told once, not
    # again as unhandled_error) and quotes its error type.
    assert len(written) == 1
    assert all(f"failed with Declined for {PLACEHOLDERS['email']}" in e for e in written)
    assert sorted(stored) == sorted(written)  # the store keeps them redacted: it feeds the report


def test_explanations_in_clear_only_with_the_opt_out(tmp_path: Path) -> None:
    written, stored, _ = _classify(tmp_path, redact=False)
    assert len(written) == 1 and all(f"failed with {QUOTED_TYPE}" in e for e in written)
    assert sorted(stored) == sorted(written)


def test_error_type_column_is_redacted_in_spans_parquet(tmp_path: Path) -> None:
    _, _, spans = _classify(tmp_path, redact=True)
    _assert_clean(str(spans.column("error_type").to_pylist()), "spans.parquet error_type")
