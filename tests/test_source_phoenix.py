"""`forensics classify phoenix://HOST:PORT/PROJECT --since 24h` against a real `phoenix serve`
(arize-phoenix 20.26.1, in its own virtualenv: it pins many packages; .ci/run makes it and points
FORENSICS_PHOENIX_PYTHON at it), with spans sent by OpenInference's own tracer (`phoenix.otel`
register + `@tracer.agent` / `@tracer.tool`). Span counts are compared with what the sender made,
the failed tool call is found at the span the tracer gave it, a window ends a lag before now, and a
rerun fetches only the traces sent since (the store's watermark)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from forensics.sources import SourceError, get, spool
from forensics.sources import phoenix as phoenix_source

ROOT = Path(__file__).resolve().parents[1]
PHOENIX_VERSION = "20.26.1"
PROJECT = "support-bot"

# Run in Phoenix's virtualenv: an agent span with a tool span under it, per run, sent over OTLP/HTTP
# as each span ends; the first run's tool raises and the agent swallows it. Waits until Phoenix's
# REST API holds every span it made (Phoenix inserts in the background), prints the runs, then
# waits for a line on stdin and sends the second lot.
SENDER = r'''
import json, sys, time, urllib.error, urllib.parse, urllib.request
from opentelemetry import trace as otel_trace
from phoenix.otel import register

url, project = sys.argv[1], sys.argv[2]
provider = register(project_name=project, endpoint=url + "/v1/traces", batch=False, protocol="http/protobuf",
                    set_global_tracer_provider=False, verbose=False)
tracer = provider.get_tracer("support-bot")
made = []

def current():
    ctx = otel_trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")

@tracer.tool(name="lookup_order")
def lookup_order(order, fail):
    made.append(current()[1])
    if fail:
        raise TimeoutError("orders service timed out")
    return {"order": order, "status": "shipped"}

@tracer.agent(name="support")
def agent(question, fail):
    trace_id, span_id = current()
    made.append(span_id)
    try:
        lookup_order("A-17", fail)
    except TimeoutError:
        pass  # swallowed: the agent answers as if all went well
    return trace_id

def stored(trace_ids):
    query = urllib.parse.urlencode([("trace_id", t) for t in trace_ids] + [("limit", "1000")])
    try:
        with urllib.request.urlopen(f"{url}/v1/projects/{project}/spans?{query}") as r:
            return len(json.load(r)["data"])
    except urllib.error.HTTPError as e:
        if e.code == 404:  # Phoenix creates the project when it inserts the first span, in the background
            return 0
        raise

def send(n, first_fails):
    start = len(made)
    runs = []
    for i in range(n):
        fail = first_fails and i == 0
        trace_id = agent("where is my order?", fail)
        runs.append({"trace_id": trace_id, "tool_span": made[-1], "failed": fail})
    provider.force_flush()
    spans = len(made) - start
    deadline = time.monotonic() + 60
    while stored([r["trace_id"] for r in runs]) < spans and time.monotonic() < deadline:
        time.sleep(0.2)
    print(json.dumps({"runs": runs, "spans": spans, "stored": stored([r["trace_id"] for r in runs])}), flush=True)

send(3, True)
sys.stdin.readline()
send(2, False)
'''


def _phoenix_python() -> str:
    python = os.environ.get("FORENSICS_PHOENIX_PYTHON")
    if python and Path(python).exists():
        return python
    message = (f"no Phoenix {PHOENIX_VERSION} virtualenv: set FORENSICS_PHOENIX_PYTHON to its python "
               f"(python3 -m venv V && V/bin/pip install arize-phoenix=={PHOENIX_VERSION} openinference-instrumentation)")
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must make it (.ci/run)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def phoenix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    python = _phoenix_python()
    where = tmp_path_factory.mktemp("phoenix")
    port = _free_port()
    env = {**os.environ, "PHOENIX_WORKING_DIR": str(where), "PHOENIX_HOST": "127.0.0.1", "PHOENIX_PORT": str(port),
           "PHOENIX_GRPC_PORT": str(_free_port()), "PHOENIX_TELEMETRY_ENABLED": "false"}
    log = open(where / "server.log", "w")
    proc = subprocess.Popen([python, "-m", "phoenix.server.main", "serve"], env=env, cwd=where,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # first start migrates its SQLite database (~50 s on a busy 2-core box)
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail("phoenix serve did not start: " + (where / "server.log").read_text()[-2000:])
            time.sleep(0.5)
    try:
        yield python, url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _classify(cwd: Path, port_url: str, *extra: str, lag: str | None = "0s") -> subprocess.CompletedProcess[str]:
    source = "phoenix://" + port_url.removeprefix("http://") + "/" + PROJECT
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORENSICS_SPOOL": str(cwd / "spool")}
    env.pop("FORENSICS_PHOENIX_LAG", None)
    if lag is not None:
        env["FORENSICS_PHOENIX_LAG"] = lag
    return subprocess.run([sys.executable, "-m", "forensics.cli", "classify", source, "--since", "24h",
                           "--db", str(cwd / "forensics.db"), "--no-redact", "--json", *extra],
                          capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def test_classify_reads_phoenix_spans_then_only_the_new_ones(phoenix_server: tuple[str, str], tmp_path: Path) -> None:
    python, url = phoenix_server
    sender = subprocess.Popen([python, "-c", SENDER, url, PROJECT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    assert sender.stdin is not None and sender.stdout is not None
    first: dict[str, Any] = json.loads(sender.stdout.readline())
    assert first["spans"] == 6 and first["stored"] == 6  # agent + tool, three runs, all in Phoenix

    # The default lag (15 minutes): traces that started just now may still be running, so they wait.
    early = _classify(tmp_path, url, lag=None)
    assert early.returncode == 0, early.stderr
    assert json.loads(early.stdout)["status"] == "nothing-new" and "no new traces" in early.stderr

    proc = _classify(tmp_path, url, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "succeeded" and summary["runs"] == 3
    [spooled] = summary["files"]
    # Every span the sender made is a row (none quarantined), in a file named for the source and window.
    assert (spooled["format"], spooled["rows"], spooled["quarantined"]) == ("openinference", first["spans"], 0)
    assert f"phoenix__127.0.0.1_{url.rsplit(':', 1)[1]}__{PROJECT}/window-" in spooled["path"]
    assert "3 traces from" in proc.stderr
    findings = pq.read_table(tmp_path / "out" / "findings.parquet").to_pylist()
    # Hand-checked: the first run's lookup_order raised TimeoutError; OpenInference's tracer set the
    # TOOL span's status to ERROR (with an exception event) under an OK AGENT span whose output says
    # "Your order has shipped.": the failure was swallowed (silent_failure), decided at that tool
    # span, and told once (not again as unhandled_error). The other two runs: nothing.
    failed = next(r for r in first["runs"] if r["failed"])
    got = {(f["run_id"], f["failure_class"], f["detector"], f["decisive_span_id"]) for f in findings}
    assert got == {(failed["trace_id"], "silent_failure", "swallowed_error", failed["tool_span"])}

    # Nothing new: no fetch beyond the watermark, no batch.
    again = _classify(tmp_path, url)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "nothing-new" and "no new traces" in again.stderr

    # Two more runs: only they are fetched (the window starts where the stored batch's ended).
    sender.stdin.write("go\n")
    sender.stdin.flush()
    second: dict[str, Any] = json.loads(sender.stdout.readline())
    sender.wait(60)
    assert second["spans"] == second["stored"] == 4
    third = _classify(tmp_path, url)
    assert third.returncode == 0, third.stderr
    later = json.loads(third.stdout)
    assert later["runs"] == 2 and later["findings"] == 0 and "2 traces from" in third.stderr
    assert later["files"][0]["rows"] == second["spans"]
    first_end = spooled["path"].rsplit("--", 1)[1].removesuffix(".jsonl")
    assert f"window-{first_end}--" in later["files"][0]["path"]


def test_fetch_follows_the_cursors_of_both_listings(phoenix_server: tuple[str, str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 2 traces and 3 spans: every trace the server holds comes back once, whole, oldest first."""
    python, url = phoenix_server
    sender = subprocess.run([python, "-c", SENDER, url, "paging"], input="go\n", capture_output=True, text=True, timeout=120)
    assert sender.returncode == 0, sender.stderr[-2000:]
    lots = [json.loads(line) for line in sender.stdout.splitlines()]
    sent = [r["trace_id"] for lot in lots for r in lot["runs"]]
    assert len(sent) == 5 and sum(lot["stored"] for lot in lots) == 10
    monkeypatch.setattr(phoenix_source, "TRACE_PAGE", 2)
    monkeypatch.setattr(phoenix_source, "SPAN_PAGE", 3)
    source = get("phoenix://" + url.removeprefix("http://") + "/paging")
    now = datetime.now(UTC)
    records = list(source.fetch(now - timedelta(hours=1), now))
    assert [r["data"][0]["context"]["trace_id"] for r in records] == sent
    assert all(len(r["data"]) == 2 and r["data"][0]["parent_id"] is None for r in records)
    # And spooled: one line a trace.
    got = spool(source.url, timedelta(hours=1), tmp_path, db=str(tmp_path / "f.db"), now=now + source.lag)
    assert got.traces == 5 and got.path is not None and len(got.path.read_text().splitlines()) == 5


def test_api_key_is_sent_as_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """PHOENIX_API_KEY becomes `Authorization: Bearer <key>`, as phoenix.client sends it."""
    seen: list[urllib.request.Request] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> bytes:
            return b'{"data": [], "next_cursor": null}'

    def urlopen(request: urllib.request.Request, timeout: float) -> Answer:
        seen.append(request)
        return Answer()

    monkeypatch.setenv("PHOENIX_API_KEY", "k-123")
    monkeypatch.setattr(phoenix_source.urllib.request, "urlopen", urlopen)
    source = get("phoenixs://phoenix.example.org/my project")
    now = datetime.now(UTC)
    assert list(source.fetch(now - timedelta(hours=1), now)) == []
    [request] = seen
    assert request.get_header("Authorization") == "Bearer k-123"
    assert request.full_url.startswith("https://phoenix.example.org:6006/v1/projects/my%20project/traces?")
    assert source.identity() == "phoenixs://phoenix.example.org:6006/my project"


def test_lag_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORENSICS_PHOENIX_LAG", raising=False)
    assert get("phoenix://h:1/p").lag == timedelta(minutes=15)
    monkeypatch.setenv("FORENSICS_PHOENIX_LAG", "2h")
    assert get("phoenix://h:1/p").lag == timedelta(hours=2)
    monkeypatch.setenv("FORENSICS_PHOENIX_LAG", "soon")
    with pytest.raises(SourceError, match="FORENSICS_PHOENIX_LAG"):
        get("phoenix://h:1/p")


def test_credentials_in_the_url_are_refused(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", "phoenix://me:secret@localhost:6006/x",
                           "--db", str(tmp_path / "f.db")], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "credentials in a source URL are refused" in proc.stderr and "PHOENIX_API_KEY" in proc.stderr
    assert "secret" not in proc.stderr
