"""Framing: how records stream out of a file (:class:`Source`): JSON-lines, one document, a
top-level array, concatenated objects, Parquet; through a wrapper key when the loader's records
sit inside one; long lines streamed past within the limits; what does not parse quarantined with
its reason and line."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from .limits import DEFAULT_LIMITS, LimitExceeded, Limits, MiB, open_binary
from .sampling import Sample, passed_down, read_sample, with_fields, wrapper_keys
from .sink import SpanSink
from .strict_json import (
    _colons_differ,
    _first_duplicate,
    _kept_colons,
    _Pairs,
    duplicate_detail,
    exact_numbers,
    find_duplicate_key,
    may_have_duplicate_keys,
)

if TYPE_CHECKING:
    from .base import Loader


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
