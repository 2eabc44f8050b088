"""A vectorised read of the OpenTelemetry SDK span JSON, one span per line (``otel-sdk-json``).

The per-record loader (:mod:`forensics.loaders.otel_sdk_json`) parses each line with orjson and
maps it in Python, ~20 us a span. Here DuckDB parses whole chunks of the file and maps the columns
in SQL on its own threads (issue 15): no Python per record, no process pool.

What the per-record path guarantees, this path keeps by accepting a line only when whole-column
expressions prove the per-record path would make exactly the same row from it; every other line
(and every line of a file this path cannot frame the same way) goes to the per-record path with its
own line number, so its row or its quarantine reason is the one it always was. A line is handed
over when, among others:

* it is not valid JSON to DuckDB, or not valid UTF-8, or longer than ``_MAX_VECTOR_LINE`` (the
  per-record reader streams a long line past within ``max_line_bytes``);
* it may hold a duplicate key: the keys outside strings (colons once strings are cut out) must
  equal the distinct keys DuckDB parsed in each object the line has (and it may have no other);
* it holds a NaN or Infinity, an integer of 16 digits or more (orjson would round one wider than
  64 bits, and writes a float that big in exponent form), a float in exponent form or a control
  character (a lone surrogate escape is invalid JSON to DuckDB as to orjson);
* an id, a time, the kind or the status is in any shape other than the SDK's own (``0x`` hex, ISO
  with ``Z``, ``SpanKind.X``, ``UNSET``/``OK``/``ERROR``), or a time is outside 1970..2200;
* it has events, links, a trace state, nested children, keys the loader keeps as ``@extras``, an
  attribute key starting with ``@``, Monocle's ``span.type``, split costs, ``http.status_code``, or
  a mapped attribute whose value is not of the column's plain type.

The attribute text is DuckDB's minified JSON of the attributes with the consumed keys removed
(``json_merge_patch`` keeps the order), then ``@span_kind`` and ``@resource`` appended, which is
byte for byte what orjson writes for the same dict; ``tests/test_load_vectorised.py`` checks the
two paths give identical tables on every real and generated file of the format.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..schema import QUARANTINE_SCHEMA, SPAN_SCHEMA
from ..semconv import _COLUMN_KEYS, GENAI_OPERATION_KINDS, OPENINFERENCE_KINDS
from .base import Limits, Source, SpanSink, choose_wrapper, read_sample, skip_line, wrapper_keys

#: Bytes of the file parsed per DuckDB query (whole lines).
CHUNK_BYTES = 16 * 1024 * 1024
#: A line longer than this is read by the per-record path (which streams past one over the limit).
_MAX_VECTOR_LINE = 8 * 1024 * 1024

FORMAT = "otel-sdk-json"

_TOP_KEYS = ("name", "context", "kind", "parent_id", "start_time", "end_time", "status", "attributes",
             "events", "links", "resource")
_STATUS_CODES = {"UNSET": "unset", "OK": "ok", "ERROR": "error", "STATUS_CODE_UNSET": "unset",
                 "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error", "StatusCode.UNSET": "unset",
                 "StatusCode.OK": "ok", "StatusCode.ERROR": "error", "unset": "unset", "ok": "ok", "error": "error"}


#: Files smaller than this are read record by record unless asked (DuckDB's start-up costs more
#: than its threads save on them).
MIN_BYTES = 16 * 1024 * 1024


def wanted(path: str) -> bool:
    """``$FORENSICS_VECTORISED``: ``0`` reads every line with the per-record loader, ``1`` uses this
    path whatever the size; unset, files of ``MIN_BYTES`` or more use it."""
    value = os.environ.get("FORENSICS_VECTORISED", "").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    return os.path.getsize(path) >= MIN_BYTES


def eligible(path: str, limits: Limits) -> bool:
    """True when the per-record path would read ``path`` as plain JSON-lines, record by record with
    no wrapper: not gzip, not a document, the first line one complete JSON value, the first record
    an object with no wrapper key."""
    sample = read_sample(path, limits)
    if sample.is_document or sample.head[:2] == b"\x1f\x8b" or not isinstance(sample.first, dict):
        return False
    if wrapper_keys(sample.first):  # a first span with events: is it read through them? (never, today)
        from .otel_sdk_json import OtelSdkJsonLoader

        if choose_wrapper(OtelSdkJsonLoader(), sample)[1] is not None:
            return False
    with open(path, "rb") as fh:
        probe = Source(path, SpanSink(FORMAT, path, limits), limits)
        first = fh.read(4096).lstrip(b" \t\r\n")
        if not first or first[:1] == b"[" or first.startswith(b"\xef\xbb\xbf"):
            return False
        fh.seek(0)
        return probe._looks_like_json_lines(fh)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _build_query() -> str:
    """The SQL that maps the lines of one chunk (table ``lines``: line_no, line) to span columns and
    an ``ok`` flag; rows with ``ok`` false go to the per-record path. Each line is parsed once into
    its top-level values (``json_transform``), and the attributes once into the keys that feed a
    column: JSON text is re-parsed by every JSON function, so no function runs on the whole line twice
    but ``json_valid`` and ``json_keys`` (the duplicate-key proof)."""
    q = _sql_string

    def attr(key: str) -> str:
        return f"struct_extract(a, {q(key)})"

    wanted = [k for _, keys, _ in _COLUMN_KEYS for k in keys]
    fixed = ["gen_ai.usage.input_cost", "gen_ai.usage.output_cost", "span.type", "http.status_code"]
    extra = ["openinference.span.kind", "gen_ai.operation.name"]
    attr_shape = "{" + ",".join(f'"{k}":"JSON"' for k in [*wanted, *fixed, *extra]) + "}"
    top_shape = "{" + ",".join(f'"{k}":"JSON"' for k in _TOP_KEYS) + "}"
    picks, values, keys_taken, checks = [], [], [], []
    for column, keys, convert in _COLUMN_KEYS:
        # The best-ranked key holding a non-null value wins (semconv._take_columns); null and absent
        # are alike here (json_transform gives SQL NULL for both).
        picks.append("CASE " + " ".join(f"WHEN {attr(k)} IS NOT NULL THEN {i}" for i, k in enumerate(keys))
                     + f" END AS _pick_{column}")
        chosen = "CASE " + " ".join(f"WHEN _pick_{column} = {i} THEN {attr(k)}" for i, k in enumerate(keys)) + " END"
        picks.append(f"{chosen} AS _raw_{column}")
        name = convert.__name__
        if name == "as_text":
            type_ok, value = "= 'VARCHAR'", f"_raw_{column} ->> '$'"
        elif name == "as_int":
            type_ok, value = "IN ('BIGINT', 'UBIGINT')", f"TRY_CAST(_raw_{column}::VARCHAR AS BIGINT)"
        else:
            type_ok, value = "IN ('BIGINT', 'UBIGINT', 'DOUBLE')", f"TRY_CAST(_raw_{column}::VARCHAR AS DOUBLE)"
        key_of = "CASE " + " ".join(f"WHEN _pick_{column} = {i} THEN '\"{k}\":null'" for i, k in enumerate(keys)) + " END"
        if column == "error_message":
            # The status description sets error_message first; the attribute then stays a leftover.
            taken = f"(_pick_{column} IS NOT NULL AND _desc IS NULL)"
            values.append(f"CASE WHEN _desc IS NOT NULL THEN _desc WHEN {taken} THEN {value} END AS {column}")
            keys_taken.append(f"CASE WHEN {taken} THEN {key_of} END")
            checks.append(f"(NOT {taken} OR json_type(_raw_{column}) {type_ok})")
        else:
            values.append(f"{value} AS {column}")
            keys_taken.append(key_of)
            checks.append(f"(_pick_{column} IS NULL OR (json_type(_raw_{column}) {type_ok} AND {value} IS NOT NULL))")
    patch = "'{' || concat_ws(',', " + ", ".join(keys_taken) + ") || '}'"
    oi_kinds = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in OPENINFERENCE_KINDS.items())
    op_kinds = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in GENAI_OPERATION_KINDS.items())
    statuses = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in _STATUS_CODES.items())
    known_top = "[" + ", ".join(q(k) for k in _TOP_KEYS) + "]"
    no_fixed = " AND ".join(f"{attr(k)} IS NULL" for k in fixed)
    # Hours 0-23, seconds 0-59 (DuckDB reads 24:00 as the next day; Python refuses it).
    ts_re = r"'[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z'"

    def time_ok(raw: str) -> str:
        return (f"({raw}_raw IS NULL OR (regexp_full_match({raw}_raw, {ts_re}) AND {raw}_ts IS NOT NULL "
                f"AND {raw}_raw >= '1970-01-01' AND {raw}_raw <= '2200-01-01T00:00:00.000000Z'))")

    def time_ns(raw: str) -> str:
        # Only in 1970..2200 (else the line is handed over, and ns would overflow past 2262).
        return (f"CASE WHEN {raw}_raw >= '1970-01-01' AND {raw}_raw <= '2200-01-01T00:00:00.000000Z' "
                f"THEN nullif(epoch_us({raw}_ts) * 1000, 0) END")

    # An object, or an array that may hold one, among the values (no json_structure: it fails past 128 levels).
    nested = "starts_with(v::VARCHAR, '{') OR (starts_with(v::VARCHAR, '[') AND contains(v::VARCHAR, '{'))"

    # A value that is an object or an array follows a key's closing quote and colon (whitespace
    # allowed): text with no such place has none, and the values are extracted (a parse and a copy
    # of every value) only for the rows that may.
    maybe_nested = q(r'"[ \t\r\n]*:[ \t\r\n]*[\[{]')

    def obj(j: str) -> str:
        return f"(CASE WHEN json_type({j}) = 'OBJECT' THEN {j} END)"

    return f"""
WITH top AS (
  SELECT line_no, line, json_keys(line) AS top_keys, json_transform(line, {q(top_shape)}) AS r
  FROM lines WHERE json_valid(line) AND starts_with(line, '{{')
), parts AS (
  SELECT line_no, line, top_keys,
    r.name AS name_j, r.kind AS kind_j, r.parent_id AS parent_j, r.start_time AS start_j, r.end_time AS end_j,
    r.context AS context_j, r.status AS status_j, r.attributes AS attrs_j, r.events AS events_j,
    r.links AS links_j, r.resource AS resource_j
  FROM top
), objects AS (
  SELECT *,
    json_type(context_j) AS context_type, json_type(status_j) AS status_type, json_type(attrs_j) AS attrs_type,
    json_type(resource_j) AS resource_type, json_type(name_j) AS name_type, json_type(kind_j) AS kind_type,
    json_type(parent_j) AS parent_type, json_type(start_j) AS start_type, json_type(end_j) AS end_type
  FROM parts
), fields AS (
  SELECT *,
    json_transform({obj("context_j")}, '{{"trace_id":"JSON","span_id":"JSON","trace_state":"JSON"}}') AS c,
    json_transform({obj("status_j")}, '{{"status_code":"JSON","description":"JSON"}}') AS s,
    {obj("resource_j")} -> '$.attributes' AS rattrs_j,
    json_transform({obj("attrs_j")}, {q(attr_shape)}) AS a,
    name_j ->> '$' AS name, kind_j ->> '$' AS kind_raw, parent_j ->> '$' AS parent_raw,
    start_j ->> '$' AS start_raw, end_j ->> '$' AS end_raw,
    TRY_CAST(substr(start_j ->> '$', 1, 26) AS TIMESTAMP) AS start_ts, TRY_CAST(substr(end_j ->> '$', 1, 26) AS TIMESTAMP) AS end_ts,
    json_keys(context_j) AS context_keys, json_keys(status_j) AS status_keys, json_keys(attrs_j) AS attrs_keys,
    json_keys(resource_j) AS resource_keys, json_keys({obj("resource_j")} -> '$.attributes') AS rattrs_keys,
    json_type({obj("resource_j")}, '$.schema_url') AS schema_url_type
  FROM objects
), status AS (
  SELECT *,
    c.trace_id ->> '$' AS trace_raw, c.span_id ->> '$' AS span_raw, c.trace_state AS trace_state_j,
    json_type(c.trace_id) AS trace_type, json_type(c.span_id) AS span_type,
    json_type(s.status_code) AS code_type, s.status_code ->> '$' AS code_raw,
    json_type(s.description) AS desc_type, s.description ->> '$' AS desc_raw,
    CASE s.status_code ->> '$' {statuses} END AS status_known
  FROM fields
), described AS (
  SELECT *, CASE WHEN status_known = 'error' AND desc_type = 'VARCHAR' AND desc_raw <> '' THEN desc_raw END AS _desc
  FROM status
), picked AS (
  SELECT *, {", ".join(picks)} FROM described
), mapped AS (
  SELECT *, {", ".join(values)}, {patch} AS _patch FROM picked
), leftover AS (
  SELECT *, CASE WHEN _patch = '{{}}' THEN coalesce(attrs_j, '{{}}')::VARCHAR
                 ELSE json_merge_patch(attrs_j, _patch)::VARCHAR END AS _left
  FROM mapped
)
SELECT
  line_no,
  lower(CASE WHEN length(trace_raw) = 34 THEN substr(trace_raw, 3) ELSE trace_raw END) AS run_id,
  lower(CASE WHEN length(span_raw) = 18 THEN substr(span_raw, 3) ELSE span_raw END) AS span_id,
  lower(CASE WHEN parent_raw IS NULL OR parent_raw = '' THEN NULL WHEN length(parent_raw) = 18 THEN substr(parent_raw, 3)
             ELSE parent_raw END) AS parent_id,
  session_id, name,
  coalesce(CASE upper({attr("openinference.span.kind")} ->> '$') {oi_kinds} END,
           CASE {attr("gen_ai.operation.name")} ->> '$' {op_kinds} END, 'unknown') AS kind,
  agent, tool, handoff_to,
  {time_ns("start")} AS start_time, {time_ns("end")} AS end_time,
  coalesce(status_known, 'unset') AS status, error_type, error_message, model, input_tokens, output_tokens, cost_usd,
  input, output,
  CASE WHEN _left = '{{}}' THEN '{{' ELSE substr(_left, 1, length(_left) - 1) || ',' END
    || '"@span_kind":' || CASE WHEN kind_raw IS NULL THEN 'null'
         ELSE '"' || CASE WHEN starts_with(kind_raw, 'SPAN_KIND_') THEN substr(kind_raw, 11)
                          WHEN starts_with(kind_raw, 'SpanKind.') THEN substr(kind_raw, 10)
                          ELSE upper(kind_raw) END || '"' END
    || CASE WHEN resource_type = 'OBJECT' AND resource_j::VARCHAR <> '{{}}' THEN ',"@resource":' || resource_j::VARCHAR ELSE '' END
    || '}}' AS attributes,
  (
    -- ids, times, kind and status as the SDK writes them
    (name_type IS NULL OR name_type = 'VARCHAR')
    AND context_type = 'OBJECT' AND trace_type = 'VARCHAR' AND span_type = 'VARCHAR'
    AND regexp_full_match(trace_raw, '(0x)?[0-9a-fA-F]{{32}}')
    AND regexp_full_match(span_raw, '(0x)?[0-9a-fA-F]{{16}}')
    AND (parent_type IS NULL OR (parent_type = 'VARCHAR' AND (parent_raw = '' OR regexp_full_match(parent_raw, '(0x)?[0-9a-fA-F]{{16}}'))))
    AND (trace_state_j IS NULL OR trace_state_j::VARCHAR IN ('""', '"[]"'))
    AND (start_type IS NULL OR start_type = 'VARCHAR') AND {time_ok("start")}
    AND (end_type IS NULL OR end_type = 'VARCHAR') AND {time_ok("end")}
    AND (kind_type IS NULL OR (kind_type = 'VARCHAR' AND regexp_full_match(kind_raw, '[A-Za-z_.]+')))
    AND (status_type IS NULL OR (status_type = 'OBJECT'
         AND (code_type IS NULL OR (code_type = 'VARCHAR' AND (code_raw = '' OR status_known IS NOT NULL)))
         AND (desc_type IS NULL OR desc_type = 'VARCHAR')
         AND list_has_all(['status_code', 'description'], status_keys)))
    AND (attrs_type IS NULL OR attrs_type = 'OBJECT')
    AND (events_j IS NULL OR events_j::VARCHAR = '[]')
    AND (links_j IS NULL OR links_j::VARCHAR = '[]')
    AND (resource_type IS NULL OR resource_type = 'OBJECT')
    AND (top_keys = {known_top} OR list_has_all({known_top}, top_keys))
    AND (context_keys = ['trace_id', 'span_id', 'trace_state'] OR list_has_all(['trace_id', 'span_id', 'trace_state'], context_keys))
    AND (attrs_type IS NULL OR len(list_filter(attrs_keys, lambda k: starts_with(k, '@'))) = 0)
    AND {no_fixed}
    AND {" AND ".join(checks)}
    -- duplicate keys: every object the line may have holds distinct keys (yyjson keeps a repeated key,
    -- json_keys lists it twice; "a" and "\\u0061" are one key), and it has no other object: no value
    -- of the attributes is or holds one, the resource has only attributes (holding none) and schema_url
    -- (list_distinct hashes each list: ~40% of the checks' time. The objects of known keys are first
    -- compared whole with the SDK's own key list, which proves them distinct; CASE computes the
    -- general check only for the rows that differ.)
    AND CASE WHEN top_keys = {known_top} THEN true ELSE len(list_distinct(top_keys)) = len(top_keys) END
    AND CASE WHEN context_keys = ['trace_id', 'span_id', 'trace_state'] THEN true
             ELSE len(list_distinct(context_keys)) = len(context_keys) END
    AND CASE WHEN status_keys IS NULL OR status_keys = ['status_code'] OR status_keys = ['status_code', 'description']
             THEN true ELSE len(list_distinct(status_keys)) = len(status_keys) END
    AND CASE WHEN attrs_keys IS NULL OR len(attrs_keys) < 2 THEN true ELSE list_unique(attrs_keys) = len(attrs_keys) END
    AND CASE WHEN resource_keys IS NULL OR resource_keys = ['attributes', 'schema_url'] THEN true
             ELSE len(list_distinct(resource_keys)) = len(resource_keys) END
    AND CASE WHEN rattrs_keys IS NULL OR len(rattrs_keys) < 2 THEN true ELSE list_unique(rattrs_keys) = len(rattrs_keys) END
    AND CASE WHEN attrs_j IS NULL OR NOT regexp_matches(attrs_j::VARCHAR, {maybe_nested}) THEN true
             ELSE coalesce(len(list_filter(json_extract({obj("attrs_j")}, '$.*'), lambda v: {nested})) = 0, true) END
    AND coalesce(list_has_all(['attributes', 'schema_url'], resource_keys), true)
    AND coalesce(schema_url_type IN ('VARCHAR', 'NULL'), true)
    AND (rattrs_j IS NULL OR json_type(rattrs_j) IN ('OBJECT', 'NULL'))
    AND CASE WHEN rattrs_j IS NULL OR NOT regexp_matches(rattrs_j::VARCHAR, {maybe_nested}) THEN true
             ELSE coalesce(len(list_filter(json_extract({obj("rattrs_j")}, '$.*'), lambda v: {nested})) = 0, true) END
    -- NaN / Infinity, wide or exponent numbers (a number token after : , or [), control characters (yyjson
    -- escapes them in capitals, orjson not). A lone surrogate escape is invalid to both parsers.
    AND NOT regexp_matches(line, '[:,\\[][ \\t\\r\\n]*-?(?:NaN|Inf|[0-9]{{16}}|[0-9.]+[eE])|\\\\u00[01]|[\\x00-\\x09\\x0B-\\x1F]|\\n.')
  ) AS ok
FROM leftover
"""


_QUERY: str | None = None


def _query() -> str:
    global _QUERY
    if _QUERY is None:
        _QUERY = _build_query()
    return _QUERY


def _chunks(path: str) -> Iterator[tuple[int, int, int, memoryview | None]]:
    """``(offset, end, first_line, body)`` of whole lines, CHUNK_BYTES at a time; ``body`` None for
    one line longer than a chunk, skipped here without being held (the per-record reader streams
    past it within ``max_line_bytes``)."""
    with open(path, "rb") as fh:
        offset = 0
        line = 1
        while True:
            fh.seek(offset)
            block = fh.read(CHUNK_BYTES)
            if not block:
                return
            cut = block.rfind(b"\n")
            if cut == -1 and len(block) == CHUNK_BYTES:  # one line longer than a chunk
                del block  # hold none of it while the per-record reader streams past it
                consumed, _ = skip_line(fh)
                end = offset + CHUNK_BYTES + consumed
                yield offset, end, line, None
                offset = end
                line += 1
                continue
            body = memoryview(block) if cut == -1 else memoryview(block)[: cut + 1]  # no copy of the chunk
            size = len(body)
            yield offset, offset + size, line, body
            offset += size
            line += block.count(b"\n", 0, size)
            del body, block  # nothing of this chunk is held while the next is read
            if cut == -1:
                return


def _lines_table(body: memoryview | bytes, first_line: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The chunk's lines (newline kept: JSON whitespace) as an Arrow table, with each line's start
    and end offset in the chunk."""
    data = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if len(ends) == 0 or ends[-1] != len(body):
        ends = np.append(ends, len(body))
    starts = np.concatenate(([0], ends[:-1]))
    offsets = pa.py_buffer(np.concatenate(([0], ends)).astype(np.int32).tobytes())
    lines = pa.Array.from_buffers(pa.binary(), len(ends), [None, offsets, pa.py_buffer(body)])
    numbers = pa.array(np.arange(first_line, first_line + len(ends), dtype=np.int64))
    try:
        text = lines.cast(pa.string())
    except pa.ArrowInvalid:  # invalid UTF-8 somewhere: those lines (null here) go to the per-record path
        valid = [_utf8(v) for v in lines.to_pylist()]
        text = pa.array([v if ok else None for v, ok in zip(lines.to_pylist(), valid, strict=True)], pa.binary()).cast(pa.string())
    table = pa.table({"line_no": numbers, "line": text})
    # Batches of a few thousand lines: DuckDB scans an Arrow table's batches on its threads.
    return pa.Table.from_batches(table.to_batches(max_chunksize=4096)), starts, ends


def _utf8(raw: bytes | None) -> bool:
    try:
        (raw or b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _RangesSource(Source):
    """A :class:`Source` that frames only the given line ranges, as the per-record path frames
    JSON-lines (same line numbers, same reasons), never through a wrapper."""

    def __init__(self, path: str, sink: SpanSink, limits: Limits, display: str,
                 ranges: list[tuple[int, int, int]]) -> None:
        super().__init__(path, sink, limits, display=display)
        self.ranges = ranges
        self.wrapper = None

    def _framed(self, flatten_arrays: bool) -> Iterator[tuple[int, Any]]:
        with self.open() as fh:
            for start, end, first_line in self.ranges:
                yield from self._line_records(fh, start, end, first_line)


@dataclass
class Read:
    """What :func:`read` made of a file: the span table in line order (the vectorised rows and the
    per-record loader's rows of the lines handed to it), its quarantine and its accounting."""

    spans: pa.Table
    quarantine: pa.Table
    rows: int
    quarantined: int
    merged: int
    reasons: Counter[str]
    notes: list[str]
    #: The lines the vectorised path mapped itself, one array per chunk (the tests check which were
    #: handed over); int64 arrays, not a list of Python ints (~36 bytes a line: 100 MB at 3M spans).
    mapped_chunks: list[np.ndarray]

    @property
    def mapped_lines(self) -> np.ndarray:
        return np.concatenate(self.mapped_chunks) if self.mapped_chunks else np.zeros(0, dtype=np.int64)


def read(path: str, shown: str, limits: Limits) -> Read:
    """Read an eligible file (see :func:`eligible`) chunk by chunk; within each chunk the lines
    handed over are read by the per-record loader and their rows put back in line order."""
    import duckdb
    import pyarrow.compute as pc

    from .otel_sdk_json import OtelSdkJsonLoader

    loader = OtelSdkJsonLoader()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    query = _query()
    parts: list[pa.Table] = []
    quarantines: list[pa.Table] = []
    done = Read(SPAN_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table(), 0, 0, 0, Counter(), [], [])
    for offset, end, first_line, body in _chunks(path):
        ranges: list[tuple[int, int, int]] = []
        mapped = SPAN_SCHEMA.empty_table()
        if body is None:
            ranges.append((offset, end, first_line))
        else:
            lines, starts, ends = _lines_table(body, first_line)
            con.register("lines", lines)
            out = con.sql(query).to_arrow_table()
            con.unregister("lines")
            too_big = pc.greater(pc.binary_length(out.column("attributes")), 4 * limits.max_attributes)
            ok = pc.and_(pc.fill_null(out.column("ok"), False), pc.invert(pc.fill_null(too_big, False)))
            if len(body) > limits.max_line_bytes:  # a line over the limit is the per-record path's to report
                length = pc.binary_length(pc.take(lines.column("line"), pc.subtract(out.column("line_no"), first_line)))
                ok = pc.and_(ok, pc.less_equal(length, limits.max_line_bytes + 1))
            mapped = _as_spans(out.filter(ok), shown)
            del out, lines, ok
            numbers = mapped.column("source_line").to_numpy()
            if len(numbers) > 1 and (np.diff(numbers) < 0).any():  # DuckDB keeps the scan's order; be sure
                mapped = mapped.sort_by("source_line")
                numbers = mapped.column("source_line").to_numpy()
            done.mapped_chunks.append(numbers.astype(np.int64, copy=True))
            taken = np.zeros(len(starts), dtype=bool)
            taken[numbers - first_line] = True
            for i in np.flatnonzero(~taken):  # only the lines handed over (none, on clean input)
                if bytes(body[starts[i]:ends[i]]).strip():  # blank lines are no records, as in the per-record path
                    ranges.append((offset + int(starts[i]), offset + int(ends[i]), first_line + int(i)))
            del body, starts, ends, taken  # the chunk's bytes are not held while its handed-over lines are read
        done.rows += mapped.num_rows
        if ranges:
            sink = SpanSink(FORMAT, shown, limits)
            loader.read(_RangesSource(path, sink, limits, shown, ranges), sink)
            done.rows += sink.rows
            done.quarantined += sink.quarantined
            done.merged += sink.merged_count
            done.reasons.update(sink.reasons)
            done.notes.extend(sink.notes)
            if sink.quarantined:
                quarantines.append(sink.quarantine_table())
            rest = sink.table()
            if rest.num_rows:  # put them back in line order, within this chunk only
                both = pa.concat_tables([mapped, rest])
                mapped = both.take(pc.sort_indices(both, sort_keys=[("source_line", "ascending")]))
        if mapped.num_rows:
            parts.append(mapped)
    con.close()
    if parts:
        done.spans = pa.concat_tables(parts)
    if quarantines:
        done.quarantine = pa.concat_tables(quarantines)
    return done


def _as_spans(table: pa.Table, shown: str) -> pa.Table:
    """DuckDB's result as span-table columns (the file's constant columns added)."""
    n = table.num_rows
    columns = []
    for field in SPAN_SCHEMA:
        if field.name == "source_format":
            columns.append(pa.array([FORMAT] * n, pa.string()) if n else pa.array([], pa.string()))
        elif field.name == "source_file":
            columns.append(pa.array([shown] * n, pa.string()) if n else pa.array([], pa.string()))
        elif field.name == "source_line":
            columns.append(table.column("line_no").cast(pa.int64()))
        elif field.name in ("start_time", "end_time"):
            columns.append(table.column(field.name).cast(pa.int64()).cast(field.type))
        else:
            columns.append(table.column(field.name).cast(field.type))
    return pa.Table.from_arrays(columns, schema=SPAN_SCHEMA)
