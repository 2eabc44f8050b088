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


@dataclass
class Sample:
    """What a loader's ``sniff`` sees: the head of the file and its first record, parsed if possible."""

    path: str
    head: bytes
    #: The head decoded as UTF-8 (errors replaced), for substring checks.
    text: str
    #: The first JSON record (first line of JSON-lines, the document if it fits, the first element
    #: of a top-level array); ``None`` when the head does not parse.
    first: Any = None
    #: True when the whole file is one JSON document (object or array) rather than JSON-lines.
    is_document: bool = False
    #: Parquet files: their column names (else empty).
    parquet_columns: tuple[str, ...] = ()
    #: Why the head could not be read (a corrupt gzip stream, an I/O error), else None.
    unreadable: str | None = None

    @property
    def is_parquet(self) -> bool:
        return bool(self.parquet_columns)

    @property
    def keys(self) -> frozenset[str]:
        """Top-level keys of the first record (empty when it is not an object)."""
        return frozenset(self.first) if isinstance(self.first, dict) else frozenset()


def read_sample(path: str, limits: Limits = DEFAULT_LIMITS) -> Sample:
    """Read what sniffing needs from ``path`` (never the whole file)."""
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
    except (OSError, EOFError, zlib.error, LimitExceeded) as exc:
        return Sample(path=path, head=b"", text="", unreadable=f"it cannot be read: {type(exc).__name__}: {exc}")
    text = head.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    sample = Sample(path=path, head=head, text=text)
    if not stripped:
        return sample
    first_line = stripped.split("\n", 1)[0].strip()
    try:
        sample.first = orjson.loads(first_line)
        if isinstance(sample.first, list):
            sample.is_document = True
            sample.first = sample.first[0] if sample.first else None
        return sample
    except orjson.JSONDecodeError:
        pass
    sample.is_document = stripped[0] in "[{"
    try:
        doc = orjson.loads(stripped)
        sample.first = doc[0] if isinstance(doc, list) and doc else doc
        return sample
    except orjson.JSONDecodeError:
        pass
    # A document larger than the head: decode the first element (or object) we can see.
    decoder = json.JSONDecoder()
    body = stripped[1:].lstrip() if stripped[0] == "[" else stripped
    try:
        sample.first, _ = decoder.raw_decode(body)
    except ValueError:
        sample.first = _partial_keys(stripped)
    return sample


def _partial_keys(text: str) -> dict[str, Any] | None:
    """For a head cut inside its first object: the top-level keys seen so far, values unknown."""
    decoder = json.JSONDecoder()
    pos = text.find("{")
    if pos < 0:
        return None
    keys: dict[str, Any] = {}
    pos += 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] != '"':
            return keys or None
        try:
            key, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return keys or None
        while pos < len(text) and text[pos] in " \t\r\n:":
            pos += 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            keys[str(key)] = ...
            return keys
        keys[str(key)] = value


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

    def merged(self, line: int) -> None:
        """Record one record folded into another record's row (a patch, the end of a start/end pair)."""
        self.merged_count += 1

    def _flush(self) -> None:
        if not self._pending:
            return
        columns = list(zip(*self._pending, strict=True))
        arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SPAN_SCHEMA, strict=True)]
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=SPAN_SCHEMA))
        self._pending = []

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

    def open(self) -> IO[bytes]:
        return open_binary(self.path, self.limits)

    # -- JSON framing ------------------------------------------------------------------------

    def records(self, flatten_arrays: bool = True) -> Iterator[tuple[int, Any]]:
        """Yield ``(line, value)`` for each record; bad records go to the quarantine."""
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
