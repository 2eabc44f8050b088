"""`forensics serve --otlp`: the OpenTelemetry SDK's own OTLP/HTTP exporters (protobuf and JSON)
send GenAI spans to the receiver running in a subprocess, `forensics classify --dataset` finds
the injected failure; partial success, 413, 503 back-pressure, and SIGKILL while requests are in
flight (no acknowledged span lost)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.proto", reason="the receiver needs opentelemetry-proto (extra `serve`)")
pytest.importorskip("opentelemetry.sdk", reason="the tests send spans with opentelemetry-sdk (extra `dev`)")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from forensics import dataset as D

ROOT = Path(__file__).resolve().parents[1]


class Receiver:
    """`forensics serve --otlp` in a subprocess, on a free port it prints at start."""

    def __init__(self, dataset: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "forensics.cli", "serve", "--otlp", "--dataset", str(dataset), "--port", "0",
             "--no-redact", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("listening: http://127.0.0.1:"), (line, self.proc.stderr.read() if self.proc.stderr else "")
        self.endpoint = line.split()[1].removesuffix("/v1/traces")
        self.url = self.endpoint + "/v1/traces"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.endpoint + "/stats", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        return out + err


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    r = Receiver(tmp_path / "ds")
    yield r
    r.stop()


def post(url: str, body: bytes, content_type: str, encoding: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": content_type}
    if encoding:
        headers["Content-Encoding"] = encoding
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --------------------------------------------------------------------------------------------
# GenAI spans from the SDK's own exporters
# --------------------------------------------------------------------------------------------


def send_agent_runs(exporter: Any) -> dict[str, Any]:
    """Two agent runs through ``exporter`` (BatchSpanProcessor, as an application sets it up):
    one whose order lookup tool fails (ERROR) while the agent's root span reports OK, one clean.
    Returns the span ids and counts as the SDK finished them."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    finished = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    provider.add_span_processor(SimpleSpanProcessor(finished))
    tracer = provider.get_tracer("support-bot")
    ids: dict[str, Any] = {}
    for name, tool_fails in (("failing", True), ("clean", False)):
        # GenAI semantic conventions: invoke_agent / chat / execute_tool spans.
        with tracer.start_as_current_span("invoke_agent support", attributes={
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"}) as root:
            with tracer.start_as_current_span("chat gpt-4o", attributes={
                    "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30}):
                pass
            with tracer.start_as_current_span("execute_tool lookup_order", attributes={
                    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
                    "gen_ai.tool.call.arguments": '{"order": "A-17"}'}) as tool:
                if tool_fails:
                    tool.set_status(Status(StatusCode.ERROR, "orders service timed out"))
                else:
                    tool.set_attribute("gen_ai.tool.call.result", '{"order": "A-17", "status": "shipped"}')
            with tracer.start_as_current_span("chat gpt-4o", attributes={
                    "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}):
                pass
            root.set_status(Status(StatusCode.OK))  # the agent says all went well either way
        ids[name] = {"trace": format(root.get_span_context().trace_id, "032x"),
                     "tool": format(tool.get_span_context().span_id, "016x"),
                     "tool_start_ns": tool.start_time}  # type: ignore[attr-defined]
    assert provider.force_flush(30_000)
    provider.shutdown()
    ids["spans"] = len(finished.get_finished_spans())
    return ids


def test_sdk_exporters_protobuf_and_json_then_classify_finds_the_swallowed_error(receiver: Receiver,
                                                                                   tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter as JsonExporter
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as ProtoExporter

    proto = send_agent_runs(ProtoExporter(endpoint=receiver.url, compression=Compression.Gzip))
    as_json = send_agent_runs(JsonExporter(endpoint=receiver.url))
    assert proto["spans"] == as_json["spans"] == 8
    stats = receiver.stats()
    assert stats["spans_received"] == stats["spans_stored"] == 16 and stats["spans_rejected"] == 0
    assert stats["acknowledged"] == stats["commits"] >= 2 and stats["failed"] == 0

    ds = tmp_path / "ds"
    spans = D.read(ds, columns=["run_id", "span_id", "name", "kind", "status", "tool", "source_file", "model",
                                "input_tokens", "output_tokens", "start_time"]).to_pylist()
    assert len(spans) == 16
    by_run: dict[str, list[dict[str, Any]]] = {}
    for s in spans:
        by_run.setdefault(s["run_id"], []).append(s)
    assert set(by_run) == {proto["failing"]["trace"], proto["clean"]["trace"], as_json["failing"]["trace"],
                           as_json["clean"]["trace"]}
    tool = next(s for s in spans if s["span_id"] == proto["failing"]["tool"])
    assert (tool["kind"], tool["status"], tool["tool"]) == ("tool", "error", "lookup_order")
    assert all(s["source_file"].startswith("otlp-http/") for s in spans)
    # int64 fields (protobuf JSON writes them as strings) arrive exact: nanosecond times, token counts.
    for sent in (proto, as_json):
        tool = next(s for s in spans if s["span_id"] == sent["failing"]["tool"])
        assert tool["start_time"].value == sent["failing"]["tool_start_ns"]
    chats = [s for s in spans if s["name"] == "chat gpt-4o" and s["input_tokens"] is not None]
    assert len(chats) == 4 and {(s["model"], s["input_tokens"], s["output_tokens"]) for s in chats} == {("gpt-4o", 120, 30)}

    proc = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", "--dataset", str(ds), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["spans"] == 16 and result["runs"] == 4
    swallowed = {(f["run_id"], f["decisive_span_id"]) for f in result["findings"]
                 if (f["failure_class"], f["detector"]) == ("silent_failure", "swallowed_error")}
    # Hand-checked: the root says OK, the lookup tool span under it ended in ERROR and nothing
    # retried it: silent_failure/swallowed_error at that tool span, in both encodings.
    assert swallowed == {(proto["failing"]["trace"], proto["failing"]["tool"]),
                         (as_json["failing"]["trace"], as_json["failing"]["tool"])}
    # The near miss: the same run whose tool succeeded has no finding at all.
    flagged = {f["run_id"] for f in result["findings"]}
    assert proto["clean"]["trace"] not in flagged and as_json["clean"]["trace"] not in flagged
    # The results went into the dataset once; a rerun on the same spans writes nothing new.
    again = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", "--dataset", str(ds), "--json"],
                           capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert json.loads(again.stdout)["already_written"] is True
    assert D.read(ds, "runs").num_rows == 4


# --------------------------------------------------------------------------------------------
# Partial success: every span is a row or quarantined, and the answer says how many were not rows
# --------------------------------------------------------------------------------------------


def _json_span(trace: str, span: str, name: str, parent: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"traceId": trace, "spanId": span, "name": name, "kind": 1,
                           "startTimeUnixNano": "1764633600000000000", "endTimeUnixNano": "1764633601000000000",
                           "status": {"code": 1}}
    if parent:
        out["parentSpanId"] = parent
    return out


def _request(spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}


def test_partial_success_in_json_and_protobuf(receiver: Receiver, tmp_path: Path) -> None:
    from google.protobuf.json_format import ParseDict

    trace = "5b8efff798038103d269b633813fc60c"
    spans = [_json_span(trace, "eee19b7ec3c1b174", "root"),
             _json_span(trace, "eee19b7ec3c1b175", "child", "eee19b7ec3c1b174"),
             {**_json_span(trace, "x", "bad id"), "spanId": 1.5},  # an id is a string (or an integer)
             _json_span(trace, "eee19b7ec3c1b175", "child again")]  # the same span id twice
    status, headers, body = post(receiver.url, json.dumps(_request(spans)).encode(), "application/json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    answer = json.loads(body)["partialSuccess"]
    assert answer["rejectedSpans"] == "2"
    assert "2 of 4 spans quarantined" in answer["errorMessage"] and "invalid-id=1" in answer["errorMessage"]

    # protobuf, gzip: a span ending before it starts is quarantined, the other kept.
    trace2 = "0af7651916cd43dd8448eb211c80319c"
    good, backwards = _json_span(trace2, "b7ad6b7169203331", "ok"), _json_span(trace2, "b7ad6b7169203332", "backwards")
    backwards["endTimeUnixNano"] = "1764633500000000000"
    message = ExportTraceServiceRequest()
    ParseDict(_request([]), message)
    scope = message.resource_spans[0].scope_spans[0]
    for s in (good, backwards):
        span = scope.spans.add(trace_id=bytes.fromhex(s["traceId"]), span_id=bytes.fromhex(s["spanId"]), name=s["name"],
                               start_time_unix_nano=int(s["startTimeUnixNano"]),
                               end_time_unix_nano=int(s["endTimeUnixNano"]))
        span.status.code = 1
    status, headers, body = post(receiver.url, gzip.compress(message.SerializeToString()), "application/x-protobuf",
                                 "gzip")
    assert status == 200 and headers["Content-Type"] == "application/x-protobuf"
    response = ExportTraceServiceResponse.FromString(body)
    assert response.partial_success.rejected_spans == 1
    assert "1 of 2 spans quarantined" in response.partial_success.error_message

    # Fully accepted: partial_success left unset.
    status, _, body = post(receiver.url, json.dumps(_request([_json_span(trace2, "b7ad6b7169203339", "x")])).encode(),
                           "application/json")
    assert status == 200 and json.loads(body) == {}

    ds = tmp_path / "ds"
    kept = D.read(ds, columns=["run_id", "span_id", "name"]).to_pylist()
    assert sorted(s["name"] for s in kept) == ["child", "ok", "root", "x"]
    quarantine = D.read(ds, "quarantine").to_pylist()
    assert len(quarantine) == 3  # 2 + 1 rejected, each with its reason
    assert all(q["reason"] and q["source_file"].startswith("otlp-http/") for q in quarantine)
    stats = receiver.stats()
    assert (stats["spans_received"], stats["spans_stored"], stats["spans_rejected"]) == (7, 4, 3)


def test_bad_requests_get_4xx_with_a_status_body(receiver: Receiver) -> None:
    status, _, body = post(receiver.url, b"{not json", "application/json")
    assert status == 400 and "not JSON" in json.loads(body)["message"]
    status, _, body = post(receiver.url, b"\x0a\xff\xff", "application/x-protobuf")
    assert status == 400
    status, _, body = post(receiver.url, b"{}", "text/plain")
    assert status == 415 and "application/x-protobuf" in json.loads(body)["message"]
    status, _, _ = post(receiver.endpoint + "/v1/logs", b"{}", "application/json")
    assert status == 404
    stats = receiver.stats()
    assert stats["bad_request"] == 3 and stats["unsupported"] == 1 and stats["commits"] == 0


# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------


def test_a_request_over_the_limit_gets_413_and_is_counted(tmp_path: Path) -> None:
    r = Receiver(tmp_path / "ds", "--max-request-size", "4KiB")
    try:
        spans = [_json_span("5b8efff798038103d269b633813fc60c", f"{i:016x}", "s" * 50) for i in range(1, 60)]
        big = json.dumps(_request(spans)).encode()
        assert len(big) > 4096
        status, headers, body = post(r.url, big, "application/json")
        assert status == 413 and "over the limit of 4,096" in json.loads(body)["message"]
        # Small on the wire, over the limit once inflated: refused without inflating it all.
        bomb = gzip.compress(b" " * 3_000_000 + big)
        assert len(bomb) < 4096
        status, _, body = post(r.url, bomb, "application/json", "gzip")
        assert status == 413 and "inflates past the limit" in json.loads(body)["message"]
        # Under the limit: stored.
        small = json.dumps(_request(spans[:3])).encode()
        assert post(r.url, small, "application/json")[0] == 200
        stats = r.stats()
        assert stats["too_large"] == 2 and stats["acknowledged"] == 1 and stats["spans_stored"] == 3
    finally:
        output = r.stop()
    assert "2 too large" in output
    assert D.read(tmp_path / "ds").num_rows == 3


def test_back_pressure_503_with_retry_after_when_the_writer_queue_is_full(tmp_path: Path, monkeypatch) -> None:
    """In process, with the disk writer held: the first request is being committed, the second
    waits in the queue (size 1), the third is told to come back later; both held ones commit."""
    import forensics.dataset
    from forensics.receiver import OtlpReceiver

    writing, release = threading.Event(), threading.Event()
    real = forensics.dataset.append_load

    def slow_append(*args: Any, **kwargs: Any) -> Any:
        writing.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(forensics.dataset, "append_load", slow_append)
    receiver = OtlpReceiver(tmp_path / "ds", port=0, queue_size=1, redact=False)
    server = threading.Thread(target=receiver.serve_forever, daemon=True)
    server.start()
    url = receiver.endpoint + "/v1/traces"
    answers: dict[int, int] = {}

    def send(i: int) -> None:
        body = json.dumps(_request([_json_span(f"{i:032x}", f"{i:016x}", f"s{i}")])).encode()
        answers[i] = post(url, body, "application/json")[0]

    try:
        first = threading.Thread(target=send, args=(1,))
        first.start()
        assert writing.wait(30)
        second = threading.Thread(target=send, args=(2,))
        second.start()
        deadline = time.monotonic() + 30
        while not receiver.appender.queue.full() and time.monotonic() < deadline:
            time.sleep(0.01)
        status, headers, body = post(url, json.dumps(_request([_json_span(f"{3:032x}", f"{3:016x}", "s3")])).encode(),
                                     "application/json")
        assert status == 503 and headers["Retry-After"] == "1"
        assert json.loads(body)["code"] == 14  # google.rpc UNAVAILABLE
        release.set()
        first.join(30)
        second.join(30)
        assert answers == {1: 200, 2: 200}
        assert receiver.stats.as_json()["busy"] == 1
    finally:
        release.set()
        receiver.shutdown()
        server.join(30)
    assert sorted(D.read(tmp_path / "ds", columns=["name"]).column("name").to_pylist()) == ["s1", "s2"]


# --------------------------------------------------------------------------------------------
# Crash: SIGKILL while requests are in flight
# --------------------------------------------------------------------------------------------


def test_sigkill_in_flight_loses_no_acknowledged_span(tmp_path: Path) -> None:
    r = Receiver(tmp_path / "ds")
    acked: list[int] = []
    sent: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    per_request = 40

    def client(k: int) -> None:
        for n in range(10_000):
            if stop.is_set():
                return
            i = k * 100_000 + n
            trace = f"{i:032x}"
            body = json.dumps(_request([_json_span(trace, f"{i:08x}{j:08x}", f"s{j}") for j in range(1, per_request + 1)]))
            with lock:
                sent.append(i)
            try:
                status = post(r.url, body.encode(), "application/json")[0]
            except OSError:  # the receiver died under this request: not acknowledged
                return
            if status == 200:
                with lock:
                    acked.append(i)

    clients = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + 20
    while len(acked) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    r.proc.send_signal(signal.SIGKILL)  # mid-stream: requests are being read, loaded and committed
    stop.set()
    for c in clients:
        c.join(60)
    r.proc.wait(30)
    assert r.proc.returncode == -signal.SIGKILL
    assert len(acked) >= 12, "the receiver acknowledged too few requests before the kill to test anything"
    assert len(sent) > len(acked), "no request was in flight when the receiver was killed"

    ds = tmp_path / "ds"
    D.repair(ds, older_than_seconds=0)  # drop what the killed commit left half-written
    spans = D.read(ds, columns=["run_id", "span_id"]).to_pylist()
    stored: dict[str, set[str]] = {}
    for s in spans:
        stored.setdefault(s["run_id"], set()).add(s["span_id"])
    for i in acked:  # every span of every acknowledged request
        assert len(stored.get(f"{i:032x}", set())) == per_request, i
    # Each request is all or nothing, and nothing stored was never sent.
    assert all(len(v) == per_request for v in stored.values())
    assert set(stored) <= {f"{i:032x}" for i in sent}
    # After repair every file on disk is named by a commit (readers never saw the rest anyway).
    named = {f.path for f in D.committed_files(ds)}
    on_disk = {p.relative_to(ds).as_posix() for t in D.TABLE_NAMES for p in (ds / t).rglob("*") if p.is_file()}
    assert on_disk == named


def test_serve_help_and_refusals(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    text = subprocess.run([sys.executable, "-m", "forensics.cli", "serve", "--help"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60).stdout
    for shown in ("--otlp", "--dataset DIR", "--port N", "--max-request-size SIZE", "--queue N"):
        assert shown in text, shown
    proc = subprocess.run([sys.executable, "-m", "forensics.cli", "serve", "--dataset", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "--otlp" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", "--dataset", str(tmp_path / "d"),
                           "--db", "x.db"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "--db apply to PATHS" in proc.stderr
