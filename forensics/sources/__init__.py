"""Trace stores read as sources: ``forensics classify mlflow://HOST:PORT/EXPERIMENT --since 24h``.

A source is registered by URL scheme, as a loader is by name (:func:`register`, :func:`get`);
it fetches the traces of a time window over the store's own REST API, as the records its loader
(``format``) reads from an export file. :func:`spool` writes one window to a JSON-lines file named
for the source and the window (the batch record's input path says which source and which window),
and the nightly batch classifies it like any file: every span a row or quarantined with its
reason, idempotent by content hash.

Incremental: the **watermark** of a source is the end of the latest window a succeeded batch in
the store read for it (read back from the batch records' input paths), so a rerun fetches only
what is new. Credentials come from the environment only (each source says which variables); a
URL with a user or password in it is refused, so none reaches the command line or a batch record.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from forensics.errors import InputError
from forensics.urls import display_url


class SourceError(InputError):
    """A source URL that cannot be read as asked."""


class TraceSource:
    """A trace store reachable by URL. Subclasses set ``scheme`` and ``format`` and fetch."""

    scheme: ClassVar[str]
    #: The registered loader that maps the records :meth:`fetch` yields.
    format: ClassVar[str]
    #: The environment variables the source reads credentials from (said in errors and docs).
    credentials: ClassVar[tuple[str, ...]] = ()
    #: How long before now a window ends: traces that started later may still be sending spans,
    #: so they wait for the next run (a source may set it per instance, e.g. from the environment).
    lag: timedelta = timedelta(0)

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise SourceError("credentials in a source URL are refused", where=display_url(url),
                              hint="put them in the environment ("
                                   + (", ".join(self.credentials) or "see the source's docs")
                                   + "): a URL ends up in shell history and batch records.")
        if not parts.hostname or not parts.path.strip("/"):
            raise SourceError(f"expected {self.scheme}://HOST:PORT/NAME", where=url,
                              hint=f"e.g. {self.scheme}://localhost:5000/my-experiment")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port
        self.name = parts.path.strip("/")

    def identity(self) -> str:
        """The source without credentials or options: what the batch record names."""
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{self.host}{port}/{self.name}"

    def fetch(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """The records of traces that started in ``[start, end)``, oldest first."""
        raise NotImplementedError


_SOURCES: dict[str, type[TraceSource]] = {}


def register(cls: type[TraceSource]) -> type[TraceSource]:
    """Register a source class under its ``scheme`` (a duplicate scheme is an error)."""
    owner = _SOURCES.get(cls.scheme)
    if owner is not None and owner is not cls:
        raise SourceError(f"source scheme `{cls.scheme}` registered twice: {owner.__module__}.{owner.__name__} "
                          f"and {cls.__module__}.{cls.__name__}", hint="give one of them another scheme.")
    _SOURCES[cls.scheme] = cls
    return cls


def _builtins() -> None:
    from forensics.sources import mlflow, phoenix  # noqa: F401  (register themselves)


def schemes() -> list[str]:
    _builtins()
    return sorted(_SOURCES)


def is_source_url(text: str) -> bool:
    scheme, sep, _ = str(text).partition("://")
    return bool(sep) and scheme in schemes()


def get(url: str) -> TraceSource:
    """The source a URL names."""
    scheme = url.partition("://")[0]
    _builtins()
    if scheme not in _SOURCES:
        raise SourceError(f"no source registered for `{scheme}://`", where=url,
                          hint=f"sources: {', '.join(f'{s}://' for s in sorted(_SOURCES))}.")
    return _SOURCES[scheme](url)




# --------------------------------------------------------------------------------------------
# Windows, spool files and the watermark
# --------------------------------------------------------------------------------------------

_SINCE: Final = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_STAMP: Final = "%Y%m%dT%H%M%S.%fZ"
_WINDOW: Final = re.compile(r"window-(?P<start>\d{8}T\d{6}\.\d{6}Z)--(?P<end>\d{8}T\d{6}\.\d{6}Z)\.jsonl$")


def parse_since(text: str) -> timedelta:
    """``24h``, ``90m``, ``7d``: how far back a first fetch goes."""
    m = _SINCE.fullmatch(text)
    if m is None:
        raise SourceError(f"--since {text!r} is not a duration", hint="use a number and a unit: 90m, 24h, 7d.")
    return timedelta(**{_UNITS[m[2]]: int(m[1])})


def slug(identity: str) -> str:
    """A source's identity as one path component (``mlflow__127.0.0.1_5000__support-bot``)."""
    scheme, _, rest = identity.partition("://")
    return "__".join([scheme, *(re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in rest.split("/", 1))])


def watermark(source: TraceSource, db: str | None) -> datetime | None:
    """The end of the latest window of ``source`` a succeeded batch in the store read."""
    from forensics.store import read_batches

    batches = read_batches(db, status="succeeded")
    if batches.is_empty():
        return None
    mark = f"{slug(source.identity())}/window-"
    ends = []
    for text in batches.get_column("inputs").drop_nulls().to_list():
        for item in json.loads(text) if isinstance(text, str) else text:
            path = str(item.get("path", "")).replace(os.sep, "/")
            m = _WINDOW.search(path)
            if m and mark in path and item.get("status") != "failed":
                ends.append(datetime.strptime(m["end"], _STAMP).replace(tzinfo=UTC))
    return max(ends) if ends else None


@dataclass(frozen=True)
class Spooled:
    """One window of a source, written for the batch."""

    source: str
    start: datetime
    end: datetime
    path: Path | None  # None: nothing new in the window
    traces: int


def spool(url: str, since: timedelta, directory: Path, *, db: str | None,
          now: datetime | None = None) -> Spooled:
    """Fetch ``url``'s traces from after its watermark (at most ``since`` back) to now into a
    JSON-lines file under ``directory``."""
    source = get(url)
    moment = (now or datetime.now(UTC)) - source.lag
    end = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # MLflow filters in milliseconds
    start = end - since
    mark = watermark(source, db)
    if mark is not None and mark > start:
        start = mark
    if start >= end:
        return Spooled(source.identity(), start, end, None, 0)
    records = list(source.fetch(start, end))
    if not records:
        return Spooled(source.identity(), start, end, None, 0)
    folder = directory / slug(source.identity())
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"window-{start.strftime(_STAMP)}--{end.strftime(_STAMP)}.jsonl"
    tmp = folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
    os.replace(tmp, target)
    return Spooled(source.identity(), start, end, target, len(records))
