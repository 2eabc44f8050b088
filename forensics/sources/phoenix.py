"""``phoenix://HOST:PORT/PROJECT``: spans from an Arize Phoenix server's REST API
(``phoenixs://`` for the same over https; the port defaults to Phoenix's 6006).

* The window's traces are listed by their start time (``GET /v1/projects/{project}/traces``,
  ``start_time`` inclusive, ``end_time`` exclusive, oldest first, 100 a page, ``cursor`` /
  ``next_cursor``): a trace belongs to the window its first span started in, so a span that
  started after the window's end is still read with its trace, and no trace is read twice.
* Their spans are read page by page (``GET /v1/projects/{project}/spans?trace_id=...``, 1000 a
  page, ``cursor`` / ``next_cursor``; the trace list's own ``include_spans`` leaves out the
  attributes and events the detectors read). Each record is one span as the REST API returns it
  (``context.trace_id``/``span_id``, ``parent_id``, ``span_kind``, ``status_code``, flat dotted
  OpenInference ``attributes``, ``events``), unchanged; a spooled line is one trace's spans as
  ``{"data": [...], "next_cursor": null}``, the REST API's own page shape, which the
  ``openinference`` loader reads span by span.
* **Lag**: a window ends ``FORENSICS_PHOENIX_LAG`` before now (default ``15m``, any ``--since``
  duration): an exporter sends a span when it ends, so a trace that started later may still be
  running and waits for the next run. A trace is read whole if its last span reaches Phoenix
  within the lag of its first span's start; a longer one is read as far as it had got.

Credentials: ``PHOENIX_API_KEY``, sent as ``Authorization: Bearer <key>`` as Phoenix's own
client does (``phoenix.client.utils.config``). Checked against a real ``phoenix serve``
(arize-phoenix 20.26.1, tests/test_source_phoenix.py).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from forensics.sources import SourceError, TraceSource, parse_since, register

DEFAULT_PORT = 6006
DEFAULT_LAG = "15m"
TRACE_PAGE = 100
SPAN_PAGE = 1000
TIMEOUT_SECONDS = 60


@register
class PhoenixSource(TraceSource):
    scheme: ClassVar[str] = "phoenix"
    format: ClassVar[str] = "openinference"
    credentials: ClassVar[tuple[str, ...]] = ("PHOENIX_API_KEY",)
    http: ClassVar[str] = "http"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.port = self.port or DEFAULT_PORT
        lag = os.environ.get("FORENSICS_PHOENIX_LAG") or DEFAULT_LAG
        try:
            self.lag = parse_since(lag)
        except SourceError:
            raise SourceError(f"FORENSICS_PHOENIX_LAG={lag!r} is not a duration", where=self.identity(),
                              hint="use a number and a unit: 0s, 15m, 1h.") from None

    @property
    def base(self) -> str:
        return f"{self.http}://{self.host}:{self.port}"

    def _get(self, path: str, query: list[tuple[str, str]]) -> Any:
        url = f"{self.base}/v1/projects/{urllib.parse.quote(self.name, safe='')}/{path}?{urllib.parse.urlencode(query)}"
        headers = {"Accept": "application/json"}
        if key := os.environ.get("PHOENIX_API_KEY"):
            headers["Authorization"] = f"Bearer {key}"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            hint = {401: "set PHOENIX_API_KEY (a Phoenix system or user API key).",
                    403: "the PHOENIX_API_KEY set has no access to this project.",
                    404: f"check the project name `{self.name}` (the URL's path) on the server."}.get(
                exc.code, "check the server's version (Phoenix 8+ REST API: /v1/projects/.../spans) and its log.")
            raise SourceError(f"GET /v1/projects/{self.name}/{path}: HTTP {exc.code}: {detail}",
                              where=self.identity(), hint=hint) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise SourceError(f"cannot reach the Phoenix server at {self.base}: {exc}", where=self.identity(),
                              hint="check HOST:PORT (phoenixs:// for https) and that `phoenix serve` is running.") from None

    def _pages(self, path: str, query: list[tuple[str, str]]) -> Iterator[list[dict[str, Any]]]:
        cursor: str | None = None
        while True:
            page = self._get(path, query + ([("cursor", cursor)] if cursor else []))
            yield page.get("data") or []
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def fetch(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        window = [("start_time", start.isoformat()), ("end_time", end.isoformat()),
                  ("sort", "start_time"), ("order", "asc"), ("limit", str(TRACE_PAGE))]
        for traces in self._pages("traces", window):
            ids = [("trace_id", str(t["trace_id"])) for t in traces]
            if not ids:
                continue
            spans = [s for page in self._pages("spans", [*ids, ("sort", "start_time"), ("order", "asc"),
                                                           ("limit", str(SPAN_PAGE))]) for s in page]
            # One record a trace, oldest first, its spans in the order they started, in the shape
            # the REST API answers for `spans?trace_id=...` (so a spool line is one trace).
            by_trace: dict[str, list[dict[str, Any]]] = {trace_id: [] for _, trace_id in ids}
            for span in spans:
                by_trace.setdefault(str((span.get("context") or {}).get("trace_id")), []).append(span)
            yield from ({"data": group, "next_cursor": None} for group in by_trace.values() if group)


@register
class PhoenixTlsSource(PhoenixSource):
    """``phoenixs://HOST:PORT/PROJECT``: a Phoenix server behind https."""

    scheme: ClassVar[str] = "phoenixs"
    http: ClassVar[str] = "https"
