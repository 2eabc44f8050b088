"""``forensics serve --otlp``: an OTLP/HTTP trace receiver that appends to a span dataset.

A team points its OpenTelemetry exporter at it (``OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318``)
and the nightly job classifies the dataset it fills (``forensics classify --dataset DIR``).

What one ``POST /v1/traces`` goes through:

1. **Size**: ``Content-Length`` over ``max_request_bytes`` is refused with 413 before the body is
   read (counted in :class:`ReceiverStats`); a body that inflates past the same limit too (a gzip
   bomb is never inflated whole). No ``Content-Length`` (chunked): 411.
2. **Decode**: ``application/x-protobuf`` is parsed by the OpenTelemetry project's own generated
   ``ExportTraceServiceRequest`` (``opentelemetry-proto``), then turned into the OTLP/JSON shape
   (``MessageToDict`` with enum numbers, ids rewritten as lowercase hex as the OTLP/JSON encoding
   requires rather than protobuf JSON's base64); ``application/json`` is that shape already.
   ``Content-Encoding: gzip`` (or ``deflate``) is inflated first. A body that does not decode: 400.
3. **Load**: the ``otlp-json`` loader reads the request as it reads a file, then the same
   finalisation as :func:`forensics.load.load` (duplicate span ids, spans ending before they
   start): every span received is a row or a quarantined record with its reason.
4. **Commit**: one writer thread appends each request's spans and quarantine to the dataset in
   one atomic commit (:func:`forensics.dataset.append_load`: part files fsynced and renamed, then
   the commit record). The handler answers 200 **only after that commit returned**, so a crash
   (even SIGKILL) never loses a span the client was told was stored: an unacknowledged request
   is retried by the exporter, and what a killed commit left half-written is never read and is
   removed by :func:`forensics.dataset.repair`.
5. **Back-pressure**: the writer's queue is bounded; when it is full the request is answered 503
   with ``Retry-After`` (the OTLP/HTTP spec's retryable "server overloaded"), which the SDK
   exporters retry with backoff.
6. **Answer**: ``ExportTraceServiceResponse`` in the request's content type; when spans were
   quarantined, ``partial_success.rejected_spans`` says how many and ``error_message`` why.
   Errors carry a ``google.rpc.Status`` body, as the spec asks.

Delivery is at-least-once, as OTLP's is: a request committed whose answer was lost (the client
timed out first) is sent again by the exporter and stored twice, in two commits, each whole.
Each request is finalised on its own, so a trace the exporter's batches split is keyed and dated
per request (the dataset keeps a run whole within one append, not across appends).
"""

from __future__ import annotations

import json
import queue
import signal
import sys
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final, TextIO

import orjson
import pyarrow as pa

from forensics.errors import InputError, InternalError, MissingDependencyError

DEFAULT_PORT: Final = 4318  # the OTLP/HTTP port the SDKs default to
#: The OpenTelemetry Collector's own default for an OTLP/HTTP body (confighttp
#: ``max_request_body_size``: 20 MiB). Applies to the body as sent and as inflated.
DEFAULT_MAX_REQUEST_BYTES: Final = 20 * 1024 * 1024
#: Requests decoded and waiting for the disk writer; beyond this the receiver answers 503.
DEFAULT_QUEUE_SIZE: Final = 16
#: Seconds a client is asked to wait after a 503.
RETRY_AFTER_SECONDS: Final = 1
TRACES_PATH: Final = "/v1/traces"
PROTOBUF: Final = "application/x-protobuf"
JSON: Final = "application/json"
#: The name a request's records carry in ``source_file`` (``otlp-http/<request id>``).
SOURCE_PREFIX: Final = "otlp-http/"
FORMAT: Final = "otlp-json"


class RequestRejected(Exception):
    """A request answered with an HTTP error (never stored)."""

    def __init__(self, status: HTTPStatus, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        #: Close the connection after answering (the body was not read).
        self.close = close


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


def _proto() -> Any:
    try:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    except ImportError:
        raise MissingDependencyError("opentelemetry-proto", "serve", "the OTLP receiver (forensics serve --otlp)") from None
    return trace_service_pb2


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` undone of its ``Content-Encoding``; never more than ``limit`` bytes are inflated."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise RequestRejected(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                              f"Content-Encoding `{encoding}` is not supported; send gzip, deflate or none")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise RequestRejected(HTTPStatus.BAD_REQUEST, f"the body is not valid {encoding}: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise RequestRejected(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                              f"the body inflates past the limit of {limit:,} bytes; send smaller batches")
    if not inflater.eof:
        raise RequestRejected(HTTPStatus.BAD_REQUEST, f"the {encoding} body is truncated")
    return out


def protobuf_to_otlp_json(body: bytes) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` in protobuf as the OTLP/JSON object the ``otlp-json``
    loader reads: lowerCamelCase names, enums as numbers, 64-bit integers as decimal strings
    (OTLP/JSON allows both; the loader reads both) and trace/span ids as hex, not base64."""
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError

    request = _proto().ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise RequestRejected(HTTPStatus.BAD_REQUEST, f"the body is not a protobuf ExportTraceServiceRequest: {exc}") from None
    doc: dict[str, Any] = MessageToDict(request, use_integers_for_enums=True)
    # protobuf's JSON mapping writes bytes as base64; OTLP/JSON says hex for these ids.
    for rs_msg, rs in zip(request.resource_spans, doc.get("resourceSpans", []), strict=True):
        for ss_msg, ss in zip(rs_msg.scope_spans, rs.get("scopeSpans", []), strict=True):
            for span_msg, span in zip(ss_msg.spans, ss.get("spans", []), strict=True):
                _hex_ids(span_msg, span)
                for link_msg, link in zip(span_msg.links, span.get("links", []), strict=True):
                    _hex_ids(link_msg, link)
    return doc


def _hex_ids(message: Any, obj: dict[str, Any]) -> None:
    for proto_name, json_name in (("trace_id", "traceId"), ("span_id", "spanId"), ("parent_span_id", "parentSpanId")):
        if json_name in obj:
            obj[json_name] = getattr(message, proto_name).hex()


def json_request(body: bytes) -> dict[str, Any]:
    """An OTLP/JSON ``ExportTraceServiceRequest`` body, parsed (the loader checks the rest)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise RequestRejected(HTTPStatus.BAD_REQUEST,
                              f"expected an ExportTraceServiceRequest object, found a JSON {type(doc).__name__}")
    return doc


def count_spans(doc: dict[str, Any]) -> int:
    """How many spans the request holds (what ``rejected_spans`` is counted against)."""
    total = 0
    for rs in _items(doc.get("resourceSpans", doc.get("resource_spans"))):
        for ss in _items(rs.get("scopeSpans", rs.get("scope_spans"))) if isinstance(rs, dict) else ():
            spans = ss.get("spans") if isinstance(ss, dict) else None
            total += len(spans) if isinstance(spans, list) else 0
    return total


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------------------------
# Loading: the otlp-json loader and load()'s finalisation, on one request
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One request, loaded: what is committed and what is answered."""

    source: str
    spans_received: int
    spans: pa.Table
    quarantine: pa.Table
    reasons: dict[str, int]

    @property
    def rejected(self) -> int:
        """Spans the request held that are not rows (each is in a quarantined record)."""
        return max(self.spans_received - self.spans.num_rows, 0)


def load_request(doc: dict[str, Any], source: str) -> Received:
    """Read one decoded request with the ``otlp-json`` loader and finalise it as :func:`load` does."""
    from forensics.load import finalize
    from forensics.loaders import registry
    from forensics.loaders.base import DEFAULT_LIMITS, Source, SpanSink

    class _RequestSource(Source):
        """The request as the loader's only record (no file, no framing, no wrappers)."""

        def records(self, flatten_arrays: bool = True) -> Iterator[tuple[int, Any]]:
            yield 1, doc

    sink = SpanSink(FORMAT, source, DEFAULT_LIMITS)
    registry.get(FORMAT)().read(_RequestSource(source, sink, DEFAULT_LIMITS, display=source), sink)
    spans, late = finalize(sink.table())
    quarantine = pa.concat_tables([sink.quarantine_table(), late])
    reasons = Counter(quarantine.column("reason").to_pylist()) if quarantine.num_rows else Counter()
    return Received(source, count_spans(doc), spans, quarantine, dict(reasons))


# --------------------------------------------------------------------------------------------
# Counters
# --------------------------------------------------------------------------------------------


@dataclass
class ReceiverStats:
    """What the receiver did since it started (``GET /stats`` answers it as JSON)."""

    requests: int = 0
    acknowledged: int = 0
    commits: int = 0
    spans_received: int = 0
    spans_stored: int = 0
    spans_rejected: int = 0
    too_large: int = 0
    busy: int = 0
    bad_request: int = 0
    unsupported: int = 0
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {f.name: (dict(v) if isinstance(v := getattr(self, f.name), dict) else v)
                    for f in fields(self) if not f.name.startswith("_")}

    def count_reasons(self, reasons: dict[str, int]) -> None:
        with self._lock:
            for reason, n in reasons.items():
                self.reasons[reason] = self.reasons.get(reason, 0) + n


_STATUS_COUNTER: Final = {
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "too_large",
    HTTPStatus.SERVICE_UNAVAILABLE: "busy",
    HTTPStatus.BAD_REQUEST: "bad_request",
    HTTPStatus.LENGTH_REQUIRED: "bad_request",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "unsupported",
    HTTPStatus.NOT_FOUND: "bad_request",
}


# --------------------------------------------------------------------------------------------
# The disk writer
# --------------------------------------------------------------------------------------------


@dataclass
class _Job:
    received: Received
    done: threading.Event = field(default_factory=threading.Event)
    append_id: str | None = None
    error: BaseException | None = None


class DatasetAppender:
    """One thread that commits requests to the dataset, one commit each, in arrival order."""

    def __init__(self, root: Path, *, queue_size: int, redact: bool, redaction_policy: Any) -> None:
        self.root = root
        self.redact = redact
        self.redaction_policy = redaction_policy
        self.queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="forensics-otlp-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, received: Received) -> _Job:
        """Queue a request for its commit; :class:`RequestRejected` (503) when the queue is full."""
        job = _Job(received)
        try:
            self.queue.put_nowait(job)
        except queue.Full:
            raise RequestRejected(HTTPStatus.SERVICE_UNAVAILABLE,
                                  f"the dataset writer is behind ({self.queue.maxsize} requests waiting); "
                                  f"retry after {RETRY_AFTER_SECONDS} s") from None
        return job

    def full(self) -> bool:
        return self.queue.full()

    def _run(self) -> None:
        from forensics.dataset import append_load
        from forensics.load import LoadReport, LoadResult

        while True:
            job = self.queue.get()
            if job is None:
                return
            try:
                r = job.received
                result = LoadResult(spans=r.spans, quarantine=r.quarantine, report=LoadReport())
                appended = append_load(result, self.root, redact=self.redact, redaction_policy=self.redaction_policy)
                job.append_id = appended.append_id
            except BaseException as exc:  # answered as 500; the writer goes on with the next request
                job.error = exc
            finally:
                job.done.set()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        self.queue.put(None)
        self._thread.join()


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class OtlpReceiver:
    """The receiver: an HTTP server whose handler threads decode and load, and one writer thread
    that commits. ``start()`` binds (``port=0``: a free port, see :attr:`port`)."""

    def __init__(self, dataset: str | Path, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, queue_size: int = DEFAULT_QUEUE_SIZE,
                 redact: bool = True, redaction_policy: Any = None, log: TextIO | None = None) -> None:
        from forensics.dataset import check_append

        _proto()  # fail at start-up, not on the first request, when the extra is not installed
        if max_request_bytes < 1 or queue_size < 1:
            raise InputError(f"max_request_bytes={max_request_bytes}, queue_size={queue_size}",
                             hint="both must be positive (defaults: 20 MiB, 16 requests).")
        self.root = Path(dataset)
        check_append(self.root, redact=redact)
        self.max_request_bytes = max_request_bytes
        self.stats = ReceiverStats()
        self.log = log
        self.appender = DatasetAppender(self.root, queue_size=queue_size, redact=redact,
                                        redaction_policy=redaction_policy)
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True

    @property
    def host(self) -> str:
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.appender.start()
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.server.server_close()
            self.appender.stop()

    def shutdown(self) -> None:
        """Stop accepting (from another thread); ``serve_forever`` then commits what is queued."""
        self.server.shutdown()

    def say(self, text: str) -> None:
        if self.log is not None:
            print(text, file=self.log, flush=True)

    # -- one request --------------------------------------------------------------------------

    def export(self, body: bytes, content_type: str, encoding: str) -> tuple[Received, str]:
        """Decode, load and commit one request; returns what was received and its append id."""
        raw = inflate(body, encoding, self.max_request_bytes)
        doc = protobuf_to_otlp_json(raw) if content_type == PROTOBUF else json_request(raw)
        source = f"{SOURCE_PREFIX}{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:12]}"
        received = load_request(doc, source)
        if received.spans_received == 0 and received.quarantine.num_rows == 0:
            return received, ""  # nothing to store: acknowledged without a commit
        job = self.appender.submit(received)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.append_id is not None
        return received, job.append_id


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def response_body(content_type: str, rejected: int, message: str) -> bytes:
    """An ``ExportTraceServiceResponse`` (partial success only when something was rejected)."""
    if content_type == PROTOBUF:
        response = _proto().ExportTraceServiceResponse()
        if rejected or message:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = message
        return bytes(response.SerializeToString())
    doc: dict[str, Any] = {}
    if rejected or message:
        # protobuf JSON mapping: int64 as a decimal string.
        doc["partialSuccess"] = {"rejectedSpans": str(rejected), "errorMessage": message}
    return json.dumps(doc).encode()


def status_body(content_type: str, status: HTTPStatus, message: str) -> bytes:
    """A ``google.rpc.Status`` describing an error, in the request's encoding (OTLP/HTTP asks for
    it on every 4xx and 5xx)."""
    code = _GRPC_CODES.get(status, 2)  # 2: UNKNOWN
    if content_type == PROTOBUF:
        try:
            from google.rpc import status_pb2
        except ImportError:
            return message.encode()
        return bytes(status_pb2.Status(code=code, message=message).SerializeToString())
    return json.dumps({"code": code, "message": message}).encode()


#: HTTP status → google.rpc.Code of the Status body.
_GRPC_CODES: Final = {
    HTTPStatus.BAD_REQUEST: 3,  # INVALID_ARGUMENT
    HTTPStatus.NOT_FOUND: 12,  # UNIMPLEMENTED
    HTTPStatus.LENGTH_REQUIRED: 3,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: 8,  # RESOURCE_EXHAUSTED
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: 3,
    HTTPStatus.SERVICE_UNAVAILABLE: 14,  # UNAVAILABLE
    HTTPStatus.INTERNAL_SERVER_ERROR: 13,  # INTERNAL
}


def rejection_message(received: Received) -> str:
    if not received.rejected:
        return ""
    reasons = ", ".join(f"{k}={v}" for k, v in sorted(received.reasons.items()))
    return (f"{received.rejected} of {received.spans_received} spans quarantined ({reasons}); "
            f"kept with their reasons in the dataset's quarantine table ({received.source})")


def _handler_for(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the exporters reuse their connection
        server_version = "forensics-otlp"

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request of our own (below), not http.server's access log

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == "/stats":
                self._send(HTTPStatus.OK, JSON, json.dumps(receiver.stats.as_json()).encode())
            else:
                self._error(JSON, RequestRejected(HTTPStatus.NOT_FOUND, f"no GET {self.path}; POST {TRACES_PATH}"))

        def do_POST(self) -> None:
            ctype = media_type(self.headers.get("Content-Type"))
            answer = ctype if ctype in (PROTOBUF, JSON) else JSON
            receiver.stats.add(requests=1)
            try:
                body = self._read_body(ctype)
                received, append_id = receiver.export(body, ctype, self.headers.get("Content-Encoding", ""))
            except RequestRejected as exc:
                self._error(answer, exc)
                return
            except Exception as exc:
                receiver.stats.add(failed=1)
                receiver.say(f"error: {type(exc).__name__}: {exc}")
                self._error(answer, RequestRejected(HTTPStatus.INTERNAL_SERVER_ERROR,
                                                    f"the request was not stored: {type(exc).__name__}: {exc}"))
                return
            message = rejection_message(received)
            receiver.stats.add(acknowledged=1, commits=1 if append_id else 0,
                               spans_received=received.spans_received, spans_stored=received.spans.num_rows,
                               spans_rejected=received.rejected)
            receiver.stats.count_reasons(received.reasons)
            self._send(HTTPStatus.OK, answer, response_body(answer, received.rejected, message))

        def _read_body(self, ctype: str) -> bytes:
            if self.path.split("?", 1)[0] != TRACES_PATH:
                raise RequestRejected(HTTPStatus.NOT_FOUND, f"no POST {self.path}: this receiver takes traces at "
                                      f"{TRACES_PATH}", close=True)
            if ctype not in (PROTOBUF, JSON):
                raise RequestRejected(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                                      f"Content-Type `{ctype}`: send {PROTOBUF} or {JSON}", close=True)
            length = self.headers.get("Content-Length")
            if length is None or not length.strip().isdigit():
                raise RequestRejected(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length", close=True)
            size = int(length)
            if size > receiver.max_request_bytes:
                raise RequestRejected(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                      f"the body is {size:,} bytes, over the limit of {receiver.max_request_bytes:,}; "
                                      "send smaller batches (BatchSpanProcessor max_export_batch_size)", close=True)
            if receiver.appender.full():  # answer before reading a body that could not be queued
                raise RequestRejected(HTTPStatus.SERVICE_UNAVAILABLE,
                                      f"the dataset writer is behind; retry after {RETRY_AFTER_SECONDS} s", close=True)
            body = self.rfile.read(size)
            if len(body) != size:
                raise RequestRejected(HTTPStatus.BAD_REQUEST, f"the body ended after {len(body):,} of {size:,} bytes",
                                      close=True)
            return body

        def _error(self, content_type: str, exc: RequestRejected) -> None:
            counter = _STATUS_COUNTER.get(exc.status)
            if counter:
                receiver.stats.add(**{counter: 1})
            if exc.status >= 500 or exc.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
                receiver.say(f"{int(exc.status)} {exc.message}")
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status == HTTPStatus.SERVICE_UNAVAILABLE else {}
            if exc.close:
                self.close_connection = True
                headers["Connection"] = "close"
            self._send(exc.status, content_type, status_body(content_type, exc.status, exc.message), headers)

        def _send(self, status: HTTPStatus, content_type: str, body: bytes,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def serve(dataset: str | Path, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, queue_size: int = DEFAULT_QUEUE_SIZE,
          redact: bool = True, redaction_policy: Any = None, out: TextIO | None = None) -> ReceiverStats:
    """Run the receiver until SIGINT or SIGTERM; what is queued is committed before it returns."""
    out = out or sys.stdout
    receiver = OtlpReceiver(dataset, host=host, port=port, max_request_bytes=max_request_bytes,
                            queue_size=queue_size, redact=redact, redaction_policy=redaction_policy, log=sys.stderr)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=receiver.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"listening: {receiver.endpoint}{TRACES_PATH} (OTLP/HTTP protobuf and JSON) -> dataset {receiver.root}",
              file=out, flush=True)
        receiver.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stats = receiver.stats.as_json()
    print(f"stopped: {stats['acknowledged']:,} requests acknowledged, {stats['spans_stored']:,} spans stored, "
          f"{stats['spans_rejected']:,} quarantined, {stats['too_large']:,} too large, {stats['busy']:,} busy",
          file=out, flush=True)
    if stats["failed"]:
        raise InternalError(f"{stats['failed']} request(s) failed to commit (answered 500, not stored)",
                            hint="see the errors above; the exporters retried them.")
    return receiver.stats
