"""What every loader is made of: what sniffing sees, how records stream out of a file, and the
sink that turns rows into Arrow batches while keeping the accounting.

A loader only maps one format's record to span-table rows; reading bytes, JSON framing, gzip,
limits, quarantine and accounting live here once.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import IO, Any, ClassVar

import orjson
import pyarrow as pa

from ..schema import KINDS, QUARANTINE_SCHEMA, SPAN_COLUMNS, SPAN_SCHEMA, STATUSES

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile or broken input from exhausting memory or time.

    Every limit is overridable (``forensics.load(..., limits=Limits(max_line_bytes=...))``); a
    record over a limit is quarantined with a reason naming the limit, and the file goes on.
    """

    #: Longest JSON-lines record read into memory.
    max_line_bytes: int = 256 * MiB
    #: Largest single JSON document (not JSON-lines) parsed whole.
    max_document_bytes: int = 1024 * MiB
    #: Most bytes a gzip file may inflate to (a gzip bomb stops here).
    max_decompressed_bytes: int = 16 * 1024 * MiB
    #: Most a gzip file may inflate relative to its compressed size (JSON logs inflate 5-30x; a
    #: bomb 1000x), checked once 64 MiB have come out.
    max_inflation_ratio: int = 200
    #: Most characters of a quarantined record's raw text kept in the quarantine table.
    max_raw_chars: int = 64 * 1024
    #: Most attributes one record may carry.
    max_attributes: int = 100_000
    #: Rows per Arrow record batch.
    batch_rows: int = 65_536

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults with ``$FORENSICS_LIMITS`` applied: ``name=value`` pairs separated by commas,
        sizes with an optional K/M/G suffix (powers of 1024), e.g. ``max_line_bytes=1G,max_attributes=500000``.
        The one way to change a limit from the command line."""
        text = (os.environ if environ is None else environ).get("FORENSICS_LIMITS", "").strip()
        if not text:
            return cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, int] = {}
        for item in text.split(","):
            name, sep, raw = (part.strip() for part in item.partition("="))
            number = _size(raw) if sep else None
            if name not in known or number is None or number < 1:
                from ..errors import InputError

                raise InputError(f"FORENSICS_LIMITS: expected name=number with name one of {', '.join(sorted(known))}, "
                                 f"found {item.strip()!r}",
                                 hint="e.g. FORENSICS_LIMITS=max_line_bytes=1G,max_attributes=500000; docs/LIMITS.md")
            values[name] = number
        return cls(**values)


def _size(text: str) -> int | None:
    match = re.fullmatch(r"(\d+)\s*([KMG]?)(?:i?B)?", text.strip(), re.IGNORECASE)
    if match is None:
        return None
    return int(match.group(1)) * 1024 ** " KMG".index(match.group(2).upper() or " ")


DEFAULT_LIMITS = Limits.from_env()

#: Bytes of a file that sniffing looks at.
SNIFF_BYTES = 64 * 1024


class LimitExceeded(Exception):
    """Raised by the bounded readers; carries the quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def open_binary(path: str, limits: Limits = DEFAULT_LIMITS) -> IO[bytes]:
    """Open a file for reading bytes, inflating ``.gz`` (by magic bytes, not name) within limits."""
    raw = open(path, "rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        compressed = os.fstat(raw.fileno()).st_size
        limit = limits.max_decompressed_bytes
        if compressed * limits.max_inflation_ratio < limit:
            limit = max(64 * MiB, compressed * limits.max_inflation_ratio)
        bounded = _BoundedReader(gzip.GzipFile(fileobj=raw, mode="rb"), limit, raw)
        return io.BufferedReader(bounded, buffer_size=MiB)
    return raw


class _BoundedReader(io.RawIOBase):
    """A reader that stops with :class:`LimitExceeded` past ``limit`` bytes (gzip bombs)."""

    def __init__(self, inner: gzip.GzipFile, limit: int, owner: IO[bytes]) -> None:
        self._inner = inner
        self._limit = limit
        self._owner = owner
        self._count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._count = self._inner.seek(offset, whence)
        return self._count

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        self._count += len(data)
        if self._count > self._limit:
            raise LimitExceeded(
                "decompressed-too-large",
                f"the gzip stream inflates past {self._limit:,} bytes (the smaller of max_decompressed_bytes and "
                "max_inflation_ratio x the compressed size: a gzip bomb?); the records before that point are kept. "
                "Hint: raise Limits.max_decompressed_bytes / max_inflation_ratio if the file is genuine",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        self._owner.close()
        super().close()


#: Most bytes the streaming sniff reads looking for a document's top-level keys and first records:
#: a 5 MB file and a 50 KB file of one format get the same answer; past this, a document's later
#: keys are not seen (``Sample.cut`` says so).
SNIFF_SCAN_BYTES = 64 * MiB
#: Records sniffing keeps: JSON-lines lines, array elements, and elements of any list inside them.
SNIFF_RECORDS = 8
#: Longest string sniffing keeps (a longer one is cut to this: sniffing never needs all of it).
SNIFF_STRING_CHARS = 16 * 1024
#: Deepest nesting sniffing builds (deeper values are skipped, shown as ``...``).
SNIFF_DEPTH = 32
#: Keys sniffing keeps per object.
SNIFF_KEYS = 4096
#: A value whose JSON text is at most this long is parsed whole; a longer one is walked.
_SNIFF_SMALL = 64 * 1024
#: Most characters of JSON text sniffing keeps parsed in all (later values are seen as ``...``): a
#: hostile file of 4,096 keys of 64 KiB each must not make the sniff hold it all.
SNIFF_KEEP_CHARS = 8 * MiB
_SNIFF_CHUNK = 256 * 1024

#: Keys under which a document may hold a loader's records (a wrapper): ``{"trace_id": ..., "spans": [rows]}``.
#: Compared without case. The wrapper's own scalar fields are passed down to the records that lack them.
WRAPPER_KEYS = ("spans", "data", "rows", "items", "records", "results", "traces", "observations", "runs",
                "events", "entries", "logs", "hits")
_WRAPPER_KEYS = frozenset(WRAPPER_KEYS)


@dataclass
class Sample:
    """What a loader's ``sniff`` sees: the head of the file and its first records, parsed if possible.

    Read by a bounded, streaming parse (:func:`read_sample`): the top-level keys of a document are
    all seen whatever its size or key order (within ``SNIFF_SCAN_BYTES``), large values are kept
    as a head (lists: their first ``SNIFF_RECORDS`` elements; strings: their first
    ``SNIFF_STRING_CHARS`` characters).
    """

    path: str
    head: bytes
    #: The head decoded as UTF-8 (errors replaced), for substring checks.
    text: str
    #: The first JSON record (first line of JSON-lines, the document, the first element of a
    #: top-level array); ``None`` when the file does not start with JSON.
    first: Any = None
    #: True when the whole file is one JSON document (object or array) rather than JSON-lines.
    is_document: bool = False
    #: Parquet files: their column names (else empty).
    parquet_columns: tuple[str, ...] = ()
    #: Why the head could not be read (a corrupt gzip stream, an I/O error), else None.
    unreadable: str | None = None
    #: The first records (up to ``SNIFF_RECORDS``): JSON-lines values, array elements, or the document.
    records: list[Any] = field(default_factory=list)
    #: Why the JSON stopped parsing within what sniffing read (text, a cut-short file), else None.
    broken: str | None = None
    #: True when sniffing stopped at ``SNIFF_SCAN_BYTES`` inside the first record.
    cut: bool = False
    #: For a view through a wrapper (:meth:`through_wrappers`): the key holding the records, and the
    #: wrapper's scalar fields passed down to them.
    wrapper: str | None = None
    wrapper_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def is_parquet(self) -> bool:
        return bool(self.parquet_columns)

    @property
    def keys(self) -> frozenset[str]:
        """Top-level keys of the first record (empty when it is not an object)."""
        return frozenset(self.first) if isinstance(self.first, dict) else frozenset()

    def through_wrappers(self) -> list[Sample]:
        """The views of this sample through each wrapper of its first record: one per key of
        ``WRAPPER_KEYS`` holding a non-empty list of objects, its first element (with the wrapper's
        scalar fields it lacks) as ``first``."""
        if self.wrapper is not None or not isinstance(self.first, dict):
            return []
        views = []
        for key in wrapper_keys(self.first):
            passed = passed_down(self.first)
            inner = [with_fields(r, passed) for r in self.first[key][:SNIFF_RECORDS]]
            views.append(Sample(path=self.path, head=self.head, text=self.text, first=inner[0], is_document=False,
                                records=inner, broken=self.broken, cut=self.cut, wrapper=key, wrapper_fields=passed))
        return views


def wrapper_keys(record: Any) -> list[str]:
    """Keys of ``record`` (an object) that are wrapper keys holding a non-empty list whose first
    element is an object, in the record's own order."""
    if not isinstance(record, dict):
        return []
    return [k for k, v in record.items()
            if isinstance(k, str) and k.lower() in _WRAPPER_KEYS and isinstance(v, list) and v and isinstance(v[0], dict)]


def _norm_key(key: str) -> str:
    return key.replace("_", "").replace("-", "").replace(".", "").lower()


#: Wrapper fields passed down besides ids (compared as :func:`_norm_key` spells them).
_CONTEXT_KEYS = frozenset({"servicename", "sessionname", "environment", "env", "release", "project", "projectname"})


def passed_down(wrapper: dict[str, Any]) -> dict[str, Any]:
    """The wrapper's own identifying scalar fields, which its records inherit: every id (a key
    ending in ``id``: ``trace_id``, ``session_id``, ``TraceId``, ``question_ID``) and the
    service/session/environment it ran in. Other scalars describe the wrapper, not each record (a
    ``rows`` count, the wrapper's own ``start_time``) and are not copied into them."""
    return {k: v for k, v in wrapper.items()
            if isinstance(k, str) and isinstance(v, str | int | float) and not isinstance(v, bool) and v != ""
            and (_norm_key(k).endswith("id") or _norm_key(k) in _CONTEXT_KEYS)}


def with_fields(record: Any, fields_: dict[str, Any]) -> Any:
    """``record`` with the wrapper fields it lacks (compared without case, ``_``, ``-`` or ``.``, so a
    row's own ``TraceId`` is never overridden by the wrapper's ``trace_id``); non-objects unchanged."""
    if not fields_ or not isinstance(record, dict):
        return record
    own = {_norm_key(k) for k in record if isinstance(k, str)}
    extra = {k: v for k, v in fields_.items() if _norm_key(k) not in own}
    return {**record, **extra} if extra else record


class _SniffStop(Exception):
    """The streaming sniff ran out of budget (``cut``) or met text that is not JSON (``broken``)."""

    def __init__(self, why: str, cut: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.cut = cut


_WS = " \t\r\n\ufeff"
_STRUCT = re.compile(r'["\[\]{}]')
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*')
_SCALAR = re.compile(r'[^\s,\]}:]*')
_DECODER = json.JSONDecoder()


class _Scanner:
    """A bounded, incremental JSON reader over a byte stream: builds the head of each value and
    skips the rest with regular expressions, holding at most a few chunks in memory."""

    def __init__(self, fh: IO[bytes], budget: int) -> None:
        import codecs

        self.fh = fh
        self.budget = budget
        self.consumed = 0
        self.eof = False
        self.buf = ""
        self.pos = 0
        #: Where the kept part of the buffer must start (a value being measured), else None.
        self.pin: int | None = None
        #: Absolute offset of buf[0].
        self.base = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        #: Characters of JSON text parsed and kept so far (see SNIFF_KEEP_CHARS).
        self.kept = 0
        #: Absolute offset from which the first newline is looked for, and where it was found.
        self.watch: int | None = None
        self.first_newline: int | None = None

    def fill(self) -> bool:
        if self.eof:
            return False
        keep = self.pos if self.pin is None else min(self.pos, self.pin)
        self._look_for_newline(keep)
        if keep:
            self.buf = self.buf[keep:]
            self.base += keep
            self.pos -= keep
            if self.pin is not None:
                self.pin -= keep
        if self.consumed >= self.budget:
            raise _SniffStop(f"sniffing reads at most {self.budget:,} bytes", cut=True)
        chunk = self.fh.read(_SNIFF_CHUNK)
        self.consumed += len(chunk)
        if not chunk:
            self.eof = True
            self.buf += self.decoder.decode(b"", final=True)
            return False
        self.buf += self.decoder.decode(chunk)
        return True

    def _look_for_newline(self, upto: int) -> None:
        if self.watch is not None and self.first_newline is None:
            found = self.buf.find("\n", max(0, self.watch - self.base), upto)
            if found >= 0:
                self.first_newline = self.base + found

    def newline_before(self, end: int) -> bool:
        """Whether a newline lies between the watched offset and the absolute offset ``end``."""
        self._look_for_newline(max(0, end - self.base))
        return self.first_newline is not None and self.first_newline < end

    def peek(self, skip: str = _WS) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in skip:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def where(self) -> int:
        return self.base + self.pos

    # -- skipping ---------------------------------------------------------------------------

    def skip_string(self, bound: int | None = None, opening: bool = True) -> bool:
        """Move past a string (from its opening quote, or from inside it); False when it runs past
        the buffer offset ``bound`` first (the position is then inside it: a pinned buffer never
        grows past the bound)."""
        if opening:
            self.pos += 1
        while True:
            end = _STRING_BODY.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if end < len(self.buf) and self.buf[end] == '"':
                self.pos = end + 1
                return True
            self.pos = end  # at the end of the buffer, or before a lone trailing backslash
            if bound is not None and self.pin is not None and self.pos - self.pin > bound:
                return False
            if not self.fill():
                raise _SniffStop("the file ends inside a string")

    def skip_value(self) -> None:
        c = self.peek()
        if c == '"':
            self.skip_string()
            return
        if c not in "[{":
            while True:
                end = _SCALAR.match(self.buf, self.pos).end()  # type: ignore[union-attr]
                if end < len(self.buf) or self.eof:
                    self.pos = end
                    return
                self.pos = end
                if self.pin is not None and self.pos - self.pin > _SNIFF_SMALL:
                    raise _SniffStop(f"not JSON at byte {self.where():,}: a bare word longer than {_SNIFF_SMALL:,} bytes")
                if not self.fill():
                    return
        depth = 0
        while True:
            found = _STRUCT.search(self.buf, self.pos)
            if found is None:
                self.pos = len(self.buf)
                if not self.fill():
                    raise _SniffStop("the file ends inside a JSON value")
                continue
            self.pos = found.start()
            ch = found.group()
            if ch == '"':
                self.skip_string()
                continue
            self.pos += 1
            depth += 1 if ch in "[{" else -1
            if depth == 0:
                return

    # -- building ---------------------------------------------------------------------------

    def value(self, depth: int, put: Any) -> None:
        """Read one value and hand its (bounded) form to ``put`` (a container is handed over before
        it is filled, so a stop part-way leaves what was read in place)."""
        c = self.peek()
        if not c:
            raise _SniffStop("the file ends where a JSON value was expected")
        # Fast path: a value whole in the buffer, parsed by the standard library's C scanner.
        large = False
        try:
            quick, end = _DECODER.raw_decode(self.buf, self.pos)
        except json.JSONDecodeError as exc:
            # Cut by the buffer's end past the small size: large. Else the measured path says what it is.
            large = exc.pos >= len(self.buf) - 1 and len(self.buf) - self.pos > _SNIFF_SMALL
        except (ValueError, RecursionError):
            pass
        else:
            if end - self.pos <= _SNIFF_SMALL:
                self.kept += end - self.pos
                self.pos = end
                put(_bounded(quick, depth) if self.kept <= SNIFF_KEEP_CHARS else ...)
                return
            large = True
        outer_pin, self.pin = self.pin, self.pos
        try:
            small = None if large else self._measure()
        except _SniffStop as stop:
            if stop.cut:
                raise
            small = None  # cut short or broken inside: walk it, keeping what is complete
        finally:
            start = self.pin
            self.pin = outer_pin
        if small is not None:
            self.kept += len(small)
            if self.kept > SNIFF_KEEP_CHARS:
                put(...)  # seen, not kept: sniffing has kept all it may
                return
            try:
                parsed = orjson.loads(small)
            except orjson.JSONDecodeError as exc:
                raise _SniffStop(f"not JSON at byte {self.base + start:,}: {exc}") from None
            put(_bounded(parsed, depth))
            return
        self.pos = start  # the buffer still holds it: nothing was read since the pin was lifted
        if depth >= SNIFF_DEPTH:
            self.skip_value()
            put(...)
        elif c == "{":
            self._object(depth, put)
        elif c == "[":
            self._array(depth, put)
        elif c == '"':
            put(self._long_string())
        else:
            raise _SniffStop(f"not JSON at byte {self.base + start:,}: a value cannot start with {c!r}")

    def _measure(self) -> str | None:
        """The text of the value starting at ``self.pin`` when it is at most ``_SNIFF_SMALL``
        characters long, else None (the position is then somewhere inside it)."""
        assert self.pin is not None
        if self.buf[self.pos] not in '[{"':
            self.skip_value()
            return self.buf[self.pin:self.pos]
        depth = 0
        while True:
            limit = self.pin + _SNIFF_SMALL + 1
            if self.pos >= limit:
                return None
            found = _STRUCT.search(self.buf, self.pos, limit)
            if found is None:
                self.pos = min(len(self.buf), limit)
                if self.pos >= limit:
                    return None
                if not self.fill():
                    raise _SniffStop("the file ends inside a JSON value")
                continue
            self.pos = found.start()
            ch = found.group()
            if ch == '"':
                if not self.skip_string(_SNIFF_SMALL):
                    return None
                if depth == 0:
                    return self.buf[self.pin:self.pos] if self.pos - self.pin <= _SNIFF_SMALL else None
                continue
            self.pos += 1
            depth += 1 if ch in "[{" else -1
            if depth == 0:
                return self.buf[self.pin:self.pos]

    def _long_string(self) -> str:
        """A string longer than ``_SNIFF_SMALL``: its first ``SNIFF_STRING_CHARS`` characters."""
        self.pin = self.pos
        try:
            while len(self.buf) - self.pos < SNIFF_STRING_CHARS + 16 and self.fill():
                pass
            piece = self.buf[self.pos + 1: self.pos + 1 + SNIFF_STRING_CHARS]
        finally:
            self.pin = None
        self.skip_string()
        cut = piece.rsplit("\\", 1)[0] if "\\" in piece[-6:] else piece  # never end inside an escape
        try:
            return str(json.loads('"' + cut + '"'))
        except ValueError:
            return cut

    def _object(self, depth: int, put: Any) -> None:
        obj: dict[str, Any] = {}
        put(obj)
        self.pos += 1
        while True:
            c = self.peek()
            if c == "}":
                self.pos += 1
                return
            if c != '"':
                raise _SniffStop(f"not JSON at byte {self.where():,}: expected a key, found {c!r}"
                                 if c else "the file ends inside a JSON object")
            key = self._key()
            if self.peek() != ":":
                raise _SniffStop(f"not JSON at byte {self.where():,}: expected ':' after key {key[:40]!r}")
            self.pos += 1
            if len(obj) >= SNIFF_KEYS:
                self.skip_value()
            else:
                self.value(depth + 1, lambda v, k=key: obj.__setitem__(k, v))
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c != "}":
                raise _SniffStop(f"not JSON at byte {self.where():,}: expected ',' or '}}', found {c!r}"
                                 if c else "the file ends inside a JSON object")

    def _key(self) -> str:
        self.pin = self.pos
        try:
            whole = self.skip_string(_SNIFF_SMALL)
            text = self.buf[self.pin:self.pos]
        finally:
            self.pin = None
        if not whole:  # a key longer than any real one: its head, the rest skipped
            self.skip_string(opening=False)
            return text[1:SNIFF_STRING_CHARS]
        try:
            return str(orjson.loads(text))
        except orjson.JSONDecodeError:
            raise _SniffStop(f"not JSON at byte {self.where():,}: a key is not a valid string") from None

    def _array(self, depth: int, put: Any) -> None:
        items: list[Any] = []
        put(items)
        self.pos += 1
        while True:
            c = self.peek()
            if c == "]":
                self.pos += 1
                return
            if len(items) >= SNIFF_RECORDS:
                self.skip_value()
            else:
                self.value(depth + 1, items.append)
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c != "]":
                raise _SniffStop(f"not JSON at byte {self.where():,}: expected ',' or ']', found {c!r}"
                                 if c else "the file ends inside a JSON array")


def _bounded(value: Any, depth: int) -> Any:
    """A parsed small value cut to the sniffing bounds (list heads, string heads, depth)."""
    if depth >= SNIFF_DEPTH and isinstance(value, dict | list):
        return ...
    if isinstance(value, list):
        return [_bounded(v, depth + 1) for v in value[:SNIFF_RECORDS]]
    if isinstance(value, dict):
        return {k: _bounded(v, depth + 1) for k, v in itertools.islice(value.items(), SNIFF_KEYS)}
    if isinstance(value, str) and len(value) > SNIFF_STRING_CHARS:
        return value[:SNIFF_STRING_CHARS]
    return value


def read_sample(path: str, limits: Limits = DEFAULT_LIMITS) -> Sample:
    """Read what sniffing needs from ``path`` (never the whole file, never more than a few chunks
    in memory): the head's bytes and text, and by a bounded streaming parse the first records."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1":
        import pyarrow.parquet as pq

        try:
            names = tuple(pq.ParquetFile(path).schema_arrow.names)
        except Exception as exc:  # pyarrow raises several types for a broken footer
            names = ()
            return Sample(path=path, head=magic, text="", unreadable=f"a Parquet file whose footer cannot be read: {exc}")
        return Sample(path=path, head=magic, text="", parquet_columns=names)
    try:
        with open_binary(path, limits) as fh:
            head = fh.read(SNIFF_BYTES)
            fh.seek(0)
            sample = Sample(path=path, head=head, text=head.decode("utf-8", errors="replace"))
            if head.lstrip(b"\xef\xbb\xbf \t\r\n"):
                _scan(_Scanner(fh, SNIFF_SCAN_BYTES), sample)
    except (OSError, EOFError, zlib.error, LimitExceeded) as exc:
        return Sample(path=path, head=b"", text="", unreadable=f"it cannot be read: {type(exc).__name__}: {exc}")
    return sample


def _scan(scanner: _Scanner, sample: Sample) -> None:
    """Fill ``sample.first``/``records``/``is_document`` from the stream, the same way for any size."""
    holder: list[Any] = []
    c = scanner.peek()
    scanner.watch = scanner.where()
    try:
        scanner.value(0, holder.append)
    except _SniffStop as stop:
        sample.broken, sample.cut = stop.why, stop.cut
        sample.is_document = c in "[{"
        _keep_first(sample, holder)
        return
    end = scanner.where()
    top = holder[0]
    if isinstance(top, list):  # a top-level array: its elements are the records
        sample.is_document = True
        _keep_first(sample, holder)
        return
    after = scanner.peek(" \t")  # the rest of the first value's line
    if after not in ("", "\n", "\r") and not isinstance(top, dict):
        sample.broken = f"text follows the first value ({after!r} at byte {scanner.where():,}): not JSON"
        return
    # JSON-lines unless the first value spans several lines (a pretty-printed document).
    sample.is_document = scanner.newline_before(end)
    sample.first = top
    sample.records = [top]
    if sample.is_document:
        return
    try:
        while len(sample.records) < SNIFF_RECORDS and scanner.peek():
            scanner.value(0, sample.records.append)
    except _SniffStop:
        pass  # a later line that does not parse is the loader's to quarantine


def _keep_first(sample: Sample, holder: list[Any]) -> None:
    top = holder[0] if holder else None
    if isinstance(top, list):
        sample.records = [r for r in top if r is not ...]
        sample.first = sample.records[0] if sample.records else None
    elif isinstance(top, dict):
        sample.first = top
        sample.records = [top]


class SpanSink:
    """Collects one file's rows into Arrow batches and its bad records into the quarantine.

    Accounting: every record a loader reads ends in exactly one of :meth:`add`,
    :meth:`quarantine` or :meth:`merged`, so ``records_read == rows + quarantined + merged``.
    """

    def __init__(self, source_format: str, source_file: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.source_format = source_format
        self.source_file = source_file
        self.limits = limits
        self.rows = 0
        self.quarantined = 0
        self.merged_count = 0
        self.reasons: Counter[str] = Counter()
        #: What the loader wants the reader of the accounting to know (auto-json's guessed mapping).
        self.notes: list[str] = []
        self._pending: list[tuple[Any, ...]] = []
        self._batches: list[pa.RecordBatch] = []
        self._quarantine: list[dict[str, Any]] = []

    @property
    def records_read(self) -> int:
        return self.rows + self.quarantined + self.merged_count

    def add(self, row: dict[str, Any], line: int) -> None:
        """Add one span. Required: run_id, span_id; kind/status default to unknown/unset."""
        if not row.get("run_id"):
            self.quarantine(line, "missing-run-id", "expected a run/trace id, found none; "
                            "Hint: every span must say which run it belongs to", row)
            return
        if not row.get("span_id"):
            self.quarantine(line, "missing-span-id", "expected a span id, found none", row)
            return
        kind = row.get("kind") or "unknown"
        if kind not in KINDS:
            extra = dict(row.get("attributes") or {}) if isinstance(row.get("attributes"), dict) else None
            if extra is not None:
                extra["@kind"] = kind
                row["attributes"] = extra
            kind = "unknown"
        row["kind"] = kind
        status = row.get("status") or "unset"
        if status not in STATUSES:
            raise ValueError(f"loader {self.source_format} produced status {status!r}; expected one of {STATUSES}")
        row["status"] = status
        attrs = row.get("attributes")
        if isinstance(attrs, dict):
            if len(attrs) > self.limits.max_attributes:
                own = sum(1 for key in attrs if not str(key).startswith("@"))  # not our structural extras
                self.quarantine(line, "too-many-attributes",
                                f"the record has {own:,} attributes, over max_attributes={self.limits.max_attributes:,}; "
                                "Hint: raise Limits.max_attributes if the record is genuine", None)
                return
            text = _dumps(attrs) if attrs else None
            # Nested objects count too (a LangSmith `extra`, a Langfuse `metadata`): every key takes at
            # least 4 characters of the JSON text, so only a large blob is counted, and only exactly
            # when the quick count of `":` says it may be over the limit.
            if text is not None and len(text) > 4 * self.limits.max_attributes \
                    and text.count('":') > self.limits.max_attributes:
                nested = _count_keys(attrs)
                if nested > self.limits.max_attributes:
                    self.quarantine(line, "too-many-attributes",
                                    f"the record's attributes hold {nested:,} keys, nested objects included, over "
                                    f"max_attributes={self.limits.max_attributes:,}; "
                                    "Hint: raise Limits.max_attributes if the record is genuine", None)
                    return
            row["attributes"] = text
        row["source_format"] = self.source_format
        row["source_file"] = self.source_file
        row["source_line"] = line
        self._pending.append(tuple(map(row.get, SPAN_COLUMNS)))
        self.rows += 1
        if len(self._pending) >= self.limits.batch_rows:
            self._flush()

    def quarantine(self, line: int, reason: str, detail: str, raw: Any) -> None:
        """Record one record that could not become a row, with a stable reason code."""
        if isinstance(raw, dict) and len(raw) > _RAW_KEYS_KEPT:  # a million keys: keep a head, not all
            raw = {**dict(itertools.islice(raw.items(), _RAW_KEYS_KEPT)), "…": f"[cut: {len(raw):,} keys in all]"}
        text = raw if isinstance(raw, str) else (raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes | bytearray) else _dumps(raw))
        if text is not None and len(text) > self.limits.max_raw_chars:
            text = text[: self.limits.max_raw_chars] + f"…[cut: {len(text):,} chars in all]"
        self._quarantine.append(
            {"source_file": self.source_file, "source_line": line, "source_format": self.source_format,
             "reason": reason, "detail": detail, "raw": text}
        )
        self.quarantined += 1
        self.reasons[reason] += 1

    def note(self, text: str) -> None:
        """Say something about the whole file in its accounting (one line)."""
        self.notes.append(text)

    def merged(self, line: int) -> None:
        """Record one record folded into another record's row (a patch, the end of a start/end pair)."""
        self.merged_count += 1

    def _flush(self) -> None:
        if not self._pending:
            return
        columns = list(zip(*self._pending, strict=True))
        try:
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SPAN_SCHEMA, strict=True)]
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            # A value the column cannot hold (a number as a span name, a token count wider than 64
            # bits): find the rows, quarantine them with the column named, keep the rest.
            self._quarantine_unfit_rows(columns)
            if not self._pending:
                return
            columns = list(zip(*self._pending, strict=True))
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SPAN_SCHEMA, strict=True)]
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=SPAN_SCHEMA))
        self._pending = []

    def _quarantine_unfit_rows(self, columns: list[tuple[Any, ...]]) -> None:
        """Move every pending row holding a value its column's type cannot take to the quarantine
        (reason ``invalid-value``), checking value by value only the columns that failed whole."""
        unfit: dict[int, str] = {}
        for index, (col, column) in enumerate(zip(columns, SPAN_SCHEMA, strict=True)):
            try:
                pa.array(col, type=column.type)
                continue
            except (pa.ArrowException, OverflowError, TypeError, ValueError):
                pass
            for i, value in enumerate(col):
                if i in unfit:
                    continue
                try:
                    pa.array([value], type=column.type)
                except (pa.ArrowException, OverflowError, TypeError, ValueError):
                    shown = repr(value)
                    shown = shown if len(shown) <= 80 else shown[:80] + "…"
                    unfit[i] = (f"the value of `{SPAN_COLUMNS[index]}` cannot be held as {column.type}: found "
                                f"{type(value).__name__} {shown}; Hint: the exporter wrote a value of the "
                                "wrong type or range for this field")
        line_at = SPAN_COLUMNS.index("source_line")
        kept = []
        for i, row in enumerate(self._pending):
            if i not in unfit:
                kept.append(row)
                continue
            raw = json.dumps(dict(zip(SPAN_COLUMNS, row, strict=True)), default=str)
            self.rows -= 1
            self.quarantine(row[line_at], "invalid-value", unfit[i], raw)
        self._pending = kept

    def table(self) -> pa.Table:
        self._flush()
        return pa.Table.from_batches(self._batches, schema=SPAN_SCHEMA)

    def quarantine_table(self) -> pa.Table:
        return pa.Table.from_pylist(self._quarantine, schema=QUARANTINE_SCHEMA)


#: Keys of a quarantined object kept in its raw text (the text is cut at max_raw_chars anyway).
_RAW_KEYS_KEPT = 10_000


def _count_keys(value: Any) -> int:
    """Keys in ``value``, nested objects and objects inside lists included."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return count


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, default=str, ensure_ascii=False)


#: :attr:`Source.wrapper` before it is decided.
AUTO = "<auto>"
#: A loader scoring the wrapping object at least this reads it itself (its own format's document, e.g.
#: a LangSmith webhook's ``{rule_id, runs}`` at 0.95); a lower score is a guess from the head's text,
#: which a better score for the records inside the wrapper overrules.
WRAPPER_MIN = 0.9


def choose_wrapper(loader: Loader, sample: Sample) -> tuple[float, str | None]:
    """How well ``loader`` recognises ``sample``, and through which wrapper key (None: the records
    as framed). A wrapper is looked through only when the loader does not claim the wrapping
    object as its own (scores it under ``WRAPPER_MIN``) and scores the records inside strictly higher,
    so a format whose own documents hold lists (a Langfuse ``{trace, observations}``, a LangSmith
    ``{runs: [...]}`` webhook) is read by its loader as it always was."""
    best, key = _safe_sniff(loader, sample), None
    if best >= WRAPPER_MIN:
        return best, key
    for view in sample.through_wrappers():
        score = _safe_sniff(loader, view)
        if score > best:
            best, key = score, view.wrapper
    return best, key


def _safe_sniff(loader: Loader, sample: Sample) -> float:
    try:
        return float(loader.sniff(sample))
    except Exception:  # a loader's sniff must never decide for another by crashing
        return 0.0


class Source:
    """One input file, streamed as JSON records with their line numbers.

    ``records()`` handles the framings agent tools really write: JSON-lines (one value per line),
    one JSON document, a top-level array (each element a record), and concatenated or
    pretty-printed objects one after another (OpenTelemetry's ConsoleSpanExporter). What does not
    parse is quarantined with a specific reason; a truncated array keeps its complete elements.
    """

    def __init__(self, path: str, sink: SpanSink, limits: Limits = DEFAULT_LIMITS, display: str | None = None,
                 byte_range: tuple[int, int, int] | None = None) -> None:
        self.path = path
        self.display = display or path
        self.sink = sink
        self.limits = limits
        #: ``(start, end, first_line)``: read only the JSON-lines records starting in [start, end),
        #: numbering lines from ``first_line`` (parallel loading of one big file).
        self.byte_range = byte_range
        #: The wrapper key whose records :meth:`records` yields instead of the wrapping object:
        #: ``AUTO`` decides from the loader's own sniff (see :func:`choose_wrapper`), None never unwraps.
        self.wrapper: str | None = AUTO

    def open(self) -> IO[bytes]:
        return open_binary(self.path, self.limits)

    # -- JSON framing ------------------------------------------------------------------------

    def records(self, flatten_arrays: bool = True) -> Iterator[tuple[int, Any]]:
        """Yield ``(line, value)`` for each record; bad records go to the quarantine.

        Records wrapped in a document (``{"trace_id": ..., "spans": [rows]}``, one per file or one
        per line) are yielded one by one, each with the wrapper's scalar fields it lacks, when the
        loader recognises them better than the wrapper (the same judgement sniffing makes); their
        ``line`` is then their 1-based ordinal among the file's records (wrappers in JSON-lines
        too: two records of one line must not share a number a loader may derive an id from)."""
        ordinal = wrappers = 0
        kept: set[str] = set()
        left: set[str] = set()
        framed = self._framed(flatten_arrays)
        for line, value in framed:
            if self.wrapper == AUTO:  # decided on the first record, as sniffing is
                self.wrapper = self._choose_wrapper() if wrapper_keys(value) else None
            if self.wrapper is None:
                yield line, value
                yield from framed  # no wrapper: the framing's own records, at its own speed
                return
            if not isinstance(value, dict) or not isinstance(value.get(self.wrapper), list):
                ordinal += 1
                yield line, value
                continue
            passed = passed_down(value)
            keys = [self.wrapper, *(k for k in wrapper_keys(value) if k != self.wrapper)]
            wrappers += 1
            kept.update(passed)
            left.update(k for k in value if k not in passed and k not in keys)
            for key in keys:
                for item in value[key]:
                    ordinal += 1
                    yield ordinal, with_fields(item, passed)
        if wrappers:  # said, not silent: what was read through the wrapper, what was passed down, what not
            self.sink.note(f"records read through the wrapper key `{self.wrapper}` ({wrappers:,} wrapper"
                           f"{'s' if wrappers != 1 else ''}); passed down to them: {', '.join(sorted(kept)) or 'nothing'}; "
                           f"wrapper fields not read: {', '.join(sorted(left)) or 'none'}")

    def _choose_wrapper(self) -> str | None:
        from .registry import get  # the registry imports this module

        try:
            loader = get(self.sink.source_format)()
        except Exception:  # a sink named after no registered loader (a test, a notebook): read as framed
            return None
        return choose_wrapper(loader, read_sample(self.path, self.limits))[1]

    def _framed(self, flatten_arrays: bool) -> Iterator[tuple[int, Any]]:
        if self.byte_range is not None:
            with self.open() as fh:
                yield from self._line_records(fh, *self.byte_range)
            return
        try:
            with self.open() as fh:
                first = _first_nonblank(fh)
                if first is None:
                    return
                fh.seek(0)
                if first == ord("[") or not self._looks_like_json_lines(fh):
                    fh.seek(0)
                    yield from self._document_records(fh, flatten_arrays)
                else:
                    fh.seek(0)
                    yield from self._line_records(fh)
        except LimitExceeded as exc:
            self.sink.quarantine(0, exc.reason, exc.detail, None)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            self.sink.quarantine(0, "unreadable-file",
                                 f"the file could not be read past this point: {type(exc).__name__}: {exc}; "
                                 "the records before it are kept. Hint: a corrupt or cut-short .gz; re-export it", None)

    def _looks_like_json_lines(self, fh: IO[bytes]) -> bool:
        line = fh.readline(self.limits.max_line_bytes)
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            return False
        # One complete value on the first line: JSON-lines (a one-line document is the same thing).
        return True

    def _line_records(self, fh: IO[bytes], start: int = 0, end: int | None = None,
                      first_line: int = 1) -> Iterator[tuple[int, Any]]:
        limit = self.limits.max_line_bytes
        lineno = first_line - 1
        if start:
            fh.seek(start)
        position = start
        while True:
            if end is not None and position >= end:
                return
            line = _read_line(fh, limit)
            if not line:
                return
            position += len(line)
            lineno += 1
            if len(line) > limit and not line.endswith(b"\n"):
                rest = _skip_to_newline(fh)
                position += rest
                skipped = len(line) + rest - (1 if rest else 0)  # the line's length without its newline
                self.sink.quarantine(
                    lineno, "line-too-long",
                    f"line is {skipped:,} bytes, over max_line_bytes={limit:,}; it was skipped without being parsed. "
                    "Hint: raise Limits.max_line_bytes if the record is genuine",
                    line[:256],
                )
                continue
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                self.sink.quarantine(lineno, *_json_error(line, exc, is_last=not _has_more(fh)), line)
                continue
            # Duplicate keys: a line as orjson itself writes it is proven clean by one byte comparison.
            # (may_have_duplicate_keys, spelled out: this runs once per line of every big file.)
            try:
                compact: bytes | None = orjson.dumps(value)
            except TypeError:  # nested past the 255 levels orjson writes (it reads 1024): check strictly
                compact = None
            if compact is None or not line.startswith(compact):
                if (compact is None or _colons_differ(line, compact.count(b":"))) \
                        and self._quarantine_duplicate(line, lineno, f"line {lineno}"):
                    continue
                # A line orjson wrote itself holds no integer it would round; any other line may.
                value = exact_numbers(line, value)
            yield lineno, value

    def _document_records(self, fh: IO[bytes], flatten_arrays: bool) -> Iterator[tuple[int, Any]]:
        data = fh.read(self.limits.max_document_bytes + 1)
        if len(data) > self.limits.max_document_bytes:
            self.sink.quarantine(
                1, "document-too-large",
                f"the JSON document is over max_document_bytes={self.limits.max_document_bytes:,}; "
                "Hint: write it as JSON-lines (one record per line) or raise Limits.max_document_bytes",
                data[:256],
            )
            return
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield from self._salvage(data, exc)
            return
        doc = exact_numbers(data, doc)
        # Counted element by element: re-serialising a 1 GiB document whole would hold a second copy of it.
        try:
            suspect = isinstance(doc, (dict, list)) and _colons_differ(data, _kept_colons(doc))
        except TypeError:  # an element nested past the 255 levels orjson writes: check strictly
            suspect = True
        if isinstance(doc, list) and flatten_arrays:
            if suspect:
                yield from self._array_without_duplicates(data, doc)
            else:
                yield from enumerate(doc, start=1)
        elif not (suspect and self._quarantine_duplicate(data, 1, "the document")):
            yield 1, doc

    def _quarantine_duplicate(self, raw: bytes | bytearray | str, line: int, where: str) -> bool:
        """Confirm a suspected duplicate key in ``raw`` (one record) and quarantine it; True if it was."""
        try:
            found = find_duplicate_key(raw)
        except RecursionError:
            self.sink.quarantine(line, "too-deep",
                                 f"{where} nests too deep to check it for duplicate keys. "
                                 "Hint: such nesting is not a real log record", raw[:4096])
            return True
        if found is None:
            return False
        key, path = found
        self.sink.quarantine(line, "duplicate-key", duplicate_detail(key, path, where), raw)
        return True

    def _array_without_duplicates(self, data: bytes, doc: list[Any]) -> Iterator[tuple[int, Any]]:
        """A top-level array with a duplicate key somewhere: quarantine the elements that have one."""
        try:
            tree = json.loads(data, object_pairs_hook=_Pairs)
        except (ValueError, RecursionError):
            tree = None  # cannot check element by element: judge the elements one at a time below
        for ordinal, value in enumerate(doc, start=1):
            element = tree[ordinal - 1] if isinstance(tree, list) and len(tree) == len(doc) else None
            found = _first_duplicate(element) if element is not None else None
            if found is not None:
                key, path = found
                self.sink.quarantine(ordinal, "duplicate-key",
                                     duplicate_detail(key, f"$[{ordinal - 1}]" + path[1:], f"array element {ordinal}"),
                                     value)
                continue
            yield ordinal, value

    def _salvage(self, data: bytes, exc: orjson.JSONDecodeError) -> Iterator[tuple[int, Any]]:
        """A document that does not parse whole: concatenated objects, or a truncated array."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            self.sink.quarantine(line, "invalid-utf8",
                                 f"byte {err.start:,} is not valid UTF-8 ({err.reason}); the document cannot be parsed. "
                                 "Hint: re-export the file as UTF-8", data[max(0, err.start - 100): err.start + 100])
            return
        decoder = json.JSONDecoder(parse_constant=_reject_constant)
        stripped = text.lstrip("\ufeff \t\r\n")
        offset = len(text) - len(stripped)
        in_array = stripped.startswith("[")
        pos = offset + 1 if in_array else offset
        ordinal = 0
        while True:
            pos = _skip_ws(text, pos, ",\n\r\t " if in_array else "\n\r\t ")
            if pos >= len(text) or (in_array and text[pos] == "]"):
                if in_array and pos >= len(text):
                    # The array never closed: everything complete before the cut was kept.
                    self.sink.quarantine(text.count("\n", 0, pos) + 1, "truncated",
                                         f"the file ends inside a JSON array after {ordinal} complete record(s); "
                                         "the incomplete tail is lost. Hint: the export was cut short; re-export it",
                                         text[-256:])
                return
            ordinal += 1
            line = text.count("\n", 0, pos) + 1
            try:
                value, end = decoder.raw_decode(text, pos)
            except RecursionError:
                self.sink.quarantine(line, "too-deep",
                                     f"the record at line {line} nests deeper than the parser's recursion limit; "
                                     "nothing after it can be framed. Hint: such nesting is not a real log record",
                                     text[pos:pos + 4096])
                return
            except ValueError as err:
                tail = text[pos:]
                reason = "truncated" if _is_truncation(tail) else "invalid-json"
                self.sink.quarantine(line, reason,
                                     f"expected a JSON value at line {line}: {err}. "
                                     + ("The file ends inside this record: the export was cut short."
                                        if reason == "truncated" else
                                        "Hint: check the file is JSON, JSON-lines, or concatenated JSON objects"),
                                     tail[:4096])
                return
            where = (ordinal if in_array else line)
            chunk = text[pos:end]
            if may_have_duplicate_keys(chunk, value) and self._quarantine_duplicate(
                    chunk, where, f"array element {ordinal}" if in_array else f"the object at line {line}"):
                pos = end
                continue
            yield where, value
            pos = end

    # -- Parquet ------------------------------------------------------------------------------

    def parquet_batches(self, batch_rows: int | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
        """Yield ``(first_row_number, batch)``; row numbers are 1-based. A Parquet file that cannot be
        read (a broken footer, a corrupt page) ends in the quarantine as ``unreadable-file``, the rows
        before the damage kept."""
        import pyarrow.parquet as pq

        row = 1
        try:
            batches = pq.ParquetFile(self.path).iter_batches(batch_size=batch_rows or self.limits.batch_rows)
            for batch in batches:
                try:
                    batch.validate(full=True)  # Parquet does not promise UTF-8 strings; Arrow needs them
                except pa.ArrowInvalid:
                    yield from self._valid_rows(row, batch)
                else:
                    yield row, batch
                row += batch.num_rows
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # pyarrow's error types for a damaged file
            self.sink.quarantine(row, "unreadable-file",
                                 f"the Parquet file cannot be read past row {row - 1:,}: {type(exc).__name__}: {exc}; "
                                 "the rows before it are kept. Hint: a damaged or cut-short Parquet file; re-export it",
                                 None)

    def _valid_rows(self, first_row: int, batch: pa.RecordBatch) -> Iterator[tuple[int, pa.RecordBatch]]:
        """A batch that fails Arrow's full validation (invalid UTF-8 in a string column): its rows one
        by one, the invalid ones quarantined."""
        for offset in range(batch.num_rows):
            one = batch.slice(offset, 1)
            try:
                one.validate(full=True)
            except pa.ArrowInvalid as exc:
                self.sink.quarantine(first_row + offset, "invalid-utf8",
                                     f"row {first_row + offset:,} holds a value Arrow rejects ({exc}); "
                                     "Hint: re-export the file with UTF-8 strings", None)
                continue
            yield first_row + offset, one


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (NaN and Infinity are not numbers in JSON)")


def _first_nonblank(fh: IO[bytes]) -> int | None:
    while True:
        chunk = fh.read(4096)
        if not chunk:
            return None
        stripped = chunk.lstrip(b" \t\r\n")
        if stripped.startswith(b"\xef\xbb\xbf"):
            stripped = stripped[3:].lstrip(b" \t\r\n")
        if stripped:
            return stripped[0]


#: A line is first read in one piece up to this size; a longer one grows in a buffer within the limit.
_LINE_PIECE = MiB


def _read_line(fh: IO[bytes], limit: int) -> bytes | bytearray:
    """The next line, at most ``limit + 1`` bytes of it, holding no more than that plus one piece
    (``readline(limit + 1)`` would hold up to twice the limit while it joins its chunks)."""
    line = fh.readline(min(limit + 1, _LINE_PIECE))
    if len(line) < _LINE_PIECE or line.endswith(b"\n"):
        return line
    grown = bytearray(line)
    while len(grown) <= limit and not grown.endswith(b"\n"):
        piece = fh.readline(min(_LINE_PIECE, limit + 1 - len(grown)))
        if not piece:
            break
        grown += piece
    return grown


def skip_line(fh: IO[bytes]) -> tuple[int, bool]:
    """Read past the rest of the current line in 1 MiB pieces, holding none of it: ``(bytes
    consumed, whether a newline ended it)`` (False at the end of the file)."""
    skipped = 0
    while True:
        chunk = fh.readline(MiB)
        skipped += len(chunk)
        if not chunk:
            return skipped, False
        if chunk.endswith(b"\n"):
            return skipped, True


def _skip_to_newline(fh: IO[bytes]) -> int:
    return skip_line(fh)[0]


def _has_more(fh: IO[bytes]) -> bool:
    pos = fh.tell()
    more = bool(fh.read(1))
    fh.seek(pos)
    return more


def _skip_ws(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _is_truncation(tail: str) -> bool:
    """True when the text is a prefix of a JSON value: it opens more brackets than it closes."""
    depth = 0
    in_string = False
    escaped = False
    for ch in tail:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth > 0 or in_string


def _json_error(line: bytes | bytearray, exc: orjson.JSONDecodeError, is_last: bool) -> tuple[str, str]:
    """A specific reason and detail for a line that does not parse."""
    stripped = line.rstrip(b"\r\n")
    if stripped != line:
        # A line cut inside a string reports its newline as a control character; judge it without.
        try:
            orjson.loads(stripped)
        except orjson.JSONDecodeError as bare:
            exc = bare
        line = stripped
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as err:
        return ("invalid-utf8",
                f"byte {err.start} of the line is not valid UTF-8 ({err.reason}). Hint: re-export the file as UTF-8")
    msg = str(exc.msg)
    if "depth" in msg or "recursion" in msg.lower():
        return ("too-deep", f"the record nests deeper than the JSON parser's limit of 1024 levels ({msg})")
    if "end of data" in msg and is_last:
        return ("truncated", f"the last line ends inside a JSON value ({msg} at column {exc.colno}): "
                             "the file was cut short. Hint: the writer was interrupted; the records before it are kept")
    text = line.decode("utf-8", "replace")
    if "NaN" in text or "Infinity" in text:
        return ("invalid-json", f"{msg} at column {exc.colno}; NaN and Infinity are not valid JSON numbers. "
                                "Hint: have the writer emit null or a string")
    return ("invalid-json", f"expected one JSON value per line, {msg} at column {exc.colno}")


# -- duplicate keys ---------------------------------------------------------------------------
#
# orjson (like most parsers) keeps the last of two equal keys without a word, while other tools
# keep the first: a record with a duplicate key means different things to different readers (a
# way to smuggle a value past a reviewer), so it is quarantined. The check must cost next to
# nothing on clean input, so it compares two colon counts and parses again only when they differ:
#
# * outside strings, JSON has exactly one colon per key, and whitespace never matters;
# * inside strings, a colon is spelled `:` or `\u003a`. orjson's compact re-serialisation of the
#   parsed value spells it `:` always, and the parsed strings are a subset of the raw ones (a
#   dropped duplicate's key and value are gone).
#
# So when the raw text has no `\u003a`, colons(raw) >= colons(compact), with equality only if no
# key was dropped: equal counts prove there is no duplicate. A line exactly as orjson writes it is
# proven clean by one byte comparison before that. When the counts differ (a duplicate, or a colon
# spelled `\u003a`) a strict parse decides and names the key and its path. `"a"` and `"\u0061"`
# are one key: the strict parse compares the decoded keys.

_ESCAPED_COLON_S = ("\\u003a", "\\u003A")
_ESCAPED_COLON_B = tuple(e.encode() for e in _ESCAPED_COLON_S)


def may_have_duplicate_keys(raw: bytes | bytearray | str, value: Any, compact: bytes | None = None) -> bool:
    """False when ``raw`` (the JSON text ``value`` was parsed from) certainly has no duplicate key.

    Cheap (one compact re-serialisation, passed in as ``compact`` when the caller has it, and two
    byte counts); True only means "check strictly" with :func:`find_duplicate_key`.
    """
    if not isinstance(value, (dict, list)):  # the tuple is faster than `dict | list` on this hot path
        return False
    if compact is None:
        try:
            compact = orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):
            return True
    if not isinstance(raw, str) and raw.startswith(compact):
        # The text is what the parser kept, then (the parse took it all) whitespace: nothing was dropped.
        return False
    return _colons_differ(raw, compact.count(b":"))


def _colons_differ(raw: bytes | bytearray | str, kept: int) -> bool:
    """True unless ``raw`` has exactly ``kept`` colons and spells none as ``\\u003a``."""
    if isinstance(raw, str):
        return raw.count(":") != kept or ("\\u003" in raw and any(e in raw for e in _ESCAPED_COLON_S))
    # One scan for the common prefix; Go's encoder writes `<` and `>` as `\u003c` and `\u003e`.
    return raw.count(b":") != kept or (b"\\u003" in raw and any(e in raw for e in _ESCAPED_COLON_B))


#: An integer literal of 20 digits or more: orjson reads one wider than 64 bits as a float, rounded
#: (a 128-bit decimal trace id would lose its low digits). A match inside a string only costs a
#: second parse.
_WIDE_INT_B = re.compile(rb"(?<![0-9.])-?[0-9]{20,}(?![0-9.eE])")
_WIDE_INT_S = re.compile(r"(?<![0-9.])-?[0-9]{20,}(?![0-9.eE])")


def exact_numbers(raw: bytes | bytearray | str, value: Any) -> Any:
    """``value`` (parsed from ``raw`` by orjson) re-read by the standard parser when ``raw`` may
    hold an integer wider than 64 bits, so that it stays an exact ``int``; else ``value`` itself."""
    if not isinstance(value, (dict, list)):
        return value
    found = _WIDE_INT_S.search(raw) if isinstance(raw, str) else _WIDE_INT_B.search(raw)
    return value if found is None else json.loads(raw)


def _kept_colons(value: Any) -> int:
    """Colons in orjson's compact form of ``value``, serialising no more than one list element at a time."""
    if isinstance(value, list):
        return sum(orjson.dumps(item).count(b":") for item in value)
    if isinstance(value, dict):
        return len(value) + sum(key.count(":") + _kept_colons(item) for key, item in value.items())
    return orjson.dumps(value).count(b":")


class _Pairs(list[Any]):
    """A JSON object as the strict parse sees it: its (key, value) pairs in order, repeats kept."""


def find_duplicate_key(raw: bytes | bytearray | str) -> tuple[str, str] | None:
    """The first duplicate key in the JSON text ``raw`` and the path of its object (``$.a[2].b``).

    Keys compare after unescaping, so ``"a"`` and ``"\\u0061"`` are one key. ``None`` when there is
    none (or the text is not JSON the standard parser reads). Raises ``RecursionError`` for text
    nested deeper than the standard parser's recursion limit.
    """
    try:
        tree = json.loads(raw, object_pairs_hook=_Pairs)
    except ValueError:
        return None
    return _first_duplicate(tree)


def _first_duplicate(tree: Any) -> tuple[str, str] | None:
    stack: list[tuple[str, Any]] = [("$", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Pairs):
            seen: set[str] = set()
            children: list[tuple[str, Any]] = []
            for key, value in node:
                if key in seen:
                    return key, path
                seen.add(key)
                if isinstance(value, list):
                    children.append((f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{path}[{json.dumps(key)}]", value))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(node))) if isinstance(item, list))
    return None


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def duplicate_detail(key: str, path: str, where: str) -> str:
    """The quarantine detail for a duplicate key: which key, the path of its object, where."""
    shown = key if len(key) <= 80 else key[:80] + "…"
    return (f"key {json.dumps(shown)} appears more than once in the object at {path} ({where}); parsers disagree on "
            "which value wins (orjson and Python keep the last, others the first), so the record is ambiguous and "
            "was not loaded. Hint: fix the writer so every key appears once in an object")



class Loader:
    """Base class of every format loader: identity as class attributes, two methods."""

    #: Stable kebab-case registry key.
    name: ClassVar[str] = ""
    #: One line for ``forensics formats``.
    description: ClassVar[str] = ""
    #: What sniffing looks for, one line.
    sniffs: ClassVar[str] = ""
    #: File suffixes this format usually has (a hint for sniffing, never a requirement).
    suffixes: ClassVar[tuple[str, ...]] = (".json", ".jsonl")
    #: True when each JSON-lines record maps to rows on its own (no state across lines), so a big
    #: file can be split at line boundaries and read by several processes at once.
    splittable: ClassVar[bool] = False
    #: True for a loader of a text format that is not JSON: sniffing otherwise refuses text
    #: (Markdown, CSV, prose) before any loader's score counts.
    reads_text: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    def sniff(self, sample: Sample) -> float:
        """0.0 = not this format; 1.0 = certainly this format."""
        raise NotImplementedError

    def read(self, source: Source, sink: SpanSink) -> None:
        """Stream ``source``'s records into ``sink``: each one a row, a quarantine entry or merged."""
        raise NotImplementedError


@dataclass
class FileAccount:
    """One file's accounting, as the report shows it."""

    path: str
    format: str | None
    chosen_by: str  # "given", "sniffed", or "skipped"
    confidence: float = 0.0
    records_read: int = 0
    rows: int = 0
    quarantined: int = 0
    merged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    problem: str | None = None
    #: The loader's notes on the file (auto-json's guessed mapping), one line each.
    notes: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.records_read == self.rows + self.quarantined + self.merged


def display_path(path: str) -> str:
    """Paths as the user gave them when relative to the cwd, absolute otherwise."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else os.path.abspath(path)
