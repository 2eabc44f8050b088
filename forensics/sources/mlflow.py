"""``mlflow://HOST:PORT/EXPERIMENT``: traces from an MLflow tracking server's REST API.

* The experiment is found by name (``GET /api/2.0/mlflow/experiments/get-by-name``), or taken
  as an id when the name is all digits and no experiment has that name.
* Traces of the window are searched page by page (``POST /api/3.0/mlflow/traces/search``,
  ``filter: trace.timestamp_ms >= START AND trace.timestamp_ms < END``, oldest first, 100 a
  page, ``next_page_token``), then each trace's spans are read
  (``GET /ajax-api/2.0/mlflow/get-trace-artifact?request_id=...``: the trace data in the shape
  ``Trace.to_json()`` writes, whether the server keeps spans in its database or as artifacts).
* Each record is ``{"info": <TraceInfoV3 as the server sent it>, "data": {"spans": [...]}}``:
  what ``mlflow traces get`` exports, read by the ``mlflow`` loader.

Credentials: ``MLFLOW_TRACKING_TOKEN`` (a bearer token), or ``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD`` (basic auth): the MLflow client's own variables.
``MLFLOW_TRACKING_INSECURE_TLS`` is not read; ``FORENSICS_MLFLOW_HTTPS=1`` speaks https.
Checked against a real ``mlflow server`` 3.17.2 (tests/test_source_mlflow.py).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from forensics.sources import SourceError, TraceSource, register

PAGE_SIZE = 100
TIMEOUT_SECONDS = 60


@register
class MlflowSource(TraceSource):
    scheme: ClassVar[str] = "mlflow"
    format: ClassVar[str] = "mlflow"
    credentials: ClassVar[tuple[str, ...]] = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
                                              "MLFLOW_TRACKING_PASSWORD")

    @property
    def base(self) -> str:
        scheme = "https" if os.environ.get("FORENSICS_MLFLOW_HTTPS") == "1" else "http"
        return f"{scheme}://{self.host}{f':{self.port}' if self.port else ''}"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user and password:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return headers

    def _call(self, method: str, path: str, *, query: dict[str, str] | None = None,
              body: dict[str, Any] | None = None) -> Any:
        url = self.base + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers() | ({"Content-Type": "application/json"} if data is not None else {})
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            if exc.code == 404 and path.endswith("get-by-name"):
                return None
            hint = ("set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
                    if exc.code in (401, 403) else "check the server's version (MLflow 3 trace APIs) and its log.")
            raise SourceError(f"{method} {path}: HTTP {exc.code}: {detail}", where=self.identity(), hint=hint) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise SourceError(f"cannot reach the MLflow server at {self.base}: {exc}", where=self.identity(),
                              hint="check HOST:PORT and that `mlflow server` is running.") from None

    def experiment_id(self) -> str:
        found = self._call("GET", "/api/2.0/mlflow/experiments/get-by-name", query={"experiment_name": self.name})
        if found and found.get("experiment"):
            return str(found["experiment"]["experiment_id"])
        if self.name.isdigit():
            return self.name
        raise SourceError(f"no experiment named `{self.name}` on the server", where=self.identity(),
                          hint="pass the experiment's name (or its numeric id) as the URL's path.")

    def fetch(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        experiment = self.experiment_id()
        start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        body: dict[str, Any] = {
            "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment}}],
            "filter": f"trace.timestamp_ms >= {start_ms} AND trace.timestamp_ms < {end_ms}",
            "max_results": PAGE_SIZE,
            "order_by": ["timestamp_ms ASC"],
        }
        while True:
            page = self._call("POST", "/api/3.0/mlflow/traces/search", body=body)
            for info in page.get("traces", []):
                data = self._call("GET", "/ajax-api/2.0/mlflow/get-trace-artifact",
                                  query={"request_id": info["trace_id"]})
                yield {"info": info, "data": data}
            token = page.get("next_page_token")
            if not token:
                return
            body["page_token"] = token
