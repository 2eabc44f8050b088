"""What sniffing sees of a file: a :class:`Sample` made by a bounded streaming parse of its head
(records, top-level keys, wrappers), never the whole file in memory."""

from __future__ import annotations

import itertools
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from .limits import DEFAULT_LIMITS, SNIFF_BYTES, LimitExceeded, Limits, MiB, open_binary

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
