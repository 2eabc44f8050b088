"""The SQL of the vectorised OTLP/JSON read (:mod:`forensics.loaders.vectorised_otlp`).

One regular expression (:func:`layout`, matched whole by the caller with polars) proves a line is an
``ExportTraceServiceRequest`` laid out as the OTLP/JSON encoding writes one (opentelemetry-proto
``docs/specification.md``, "JSON Protobuf Encoding": lowerCamelCase keys, ids as hex, 64-bit
integers as decimal strings, enums as integers) and as our generator and the collector's file
exporter write it: the proto's field order in every object (any optional field may be missing), so
no object can repeat a key; ids as 32 and 16 hex digits; times as 19-digit nanosecond strings
(2001..2033, inside the loader's 1970..2200); kinds and status codes as integers or their
``SPAN_KIND_``/``STATUS_CODE_`` names; ``AnyValue`` as exactly one of ``stringValue``,
``intValue`` (at most 15 digits), ``doubleValue`` (plain decimal, at most 15 integer digits, not below
1e-5, no exponent, NaN or Infinity), ``boolValue`` or an ``arrayValue`` of those; strings without control
characters, their ``\\u00XX`` escapes or lone surrogates; no tab or carriage return between tokens.
``kvlistValue``, ``bytesValue``, scope attributes, base64 ids and every other
shape go to the per-record loader, which reads them as it always did.

Then the line is parsed once (``json_transform`` into the typed struct), its spans unnested with
their resource and scope, and each span's attribute list written as the JSON object the per-record
loader's ``key_values`` makes of it (yyjson's minified text of each value, which is what orjson
writes for the decoded value under the layout's constraints). From there the column mapping is the
OTel SDK path's own SQL (:func:`forensics.loaders.vectorised_sql.build_query`, its CTEs from
``described`` on), fed the same columns, so the semantic conventions are mapped by one SQL text; the
times, the id of a span and its attribute text (``@events``, ``@span_kind``, ``@resource``,
``@scope``, the proto's counts as ``@dropped...``/``@flags``) are this module's.
"""

from __future__ import annotations

import re

from ..errors import InternalError
from .vectorised_sql import build_query as sdk_query

FORMAT = "otlp-json"

_WS = " *"
_ESCAPE = (r"\\(?:[\"\\/bfnrt]|u(?:00[2-9a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-cA-CeEfF][0-9a-fA-F]{3}"
           r"|[dD][0-7][0-9a-fA-F]{2}|[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))")
_CHAR = r'(?:[^"\\\x00-\x1f]|' + _ESCAPE + ")"
_STRING = '"' + _CHAR + '*"'
#: An attribute key: not empty, not one of the loader's own ``@`` keys, no escape (its JSON text is
#: quotes around it).
_KEY = r'"[^"\\@\x00-\x1f][^"\\\x00-\x1f]*"'
#: A string the SQL writes back between quotes as it is (an event's name).
_PLAIN = r'"[^"\\\x00-\x1f]*"'
_INT = r"(?:0|-?[1-9][0-9]{0,14})"
#: A double as yyjson and orjson write alike: no exponent, at most 15 integer digits, and not below
#: 1e-5 (orjson writes 0.0000012 as 1.2e-6, yyjson as it is: a fraction of five zeros is handed over).
_NUMBER = r"(?:-?[1-9][0-9]{0,14}(?:\.[0-9]+)?|0(?:\.(?:[1-9]|0[1-9]|00[1-9]|000[1-9]|0000[1-9])[0-9]*|\.0+)?)"
_COUNT = r"(?:0|[1-9][0-9]{0,9})"
_NANOS = r'"1[0-9]{18}"'
_KINDS = ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")


def _obj(*parts: tuple[str, str, bool]) -> str:
    """An object of these keys in this order, each optional unless required, commas only between
    those present (linear: each key adds one copy of the run before it)."""
    some, may_be_empty = "", True
    for name, pattern, required in parts:
        item = f'"{name}"{_WS}:{_WS}(?:{pattern})'
        if not some:
            some = item
        elif required:
            some = f"(?:{some}{_WS},{_WS})?{item}" if may_be_empty else f"{some}{_WS},{_WS}{item}"
        else:
            some = f"(?:{some}(?:{_WS},{_WS}{item})?|{item})" if may_be_empty else f"{some}(?:{_WS},{_WS}{item})?"
        may_be_empty = may_be_empty and not required
    inner = f"(?:{some})?" if may_be_empty else some
    return r"\{" + _WS + inner + _WS + r"\}"


def _list(item: str) -> str:
    return rf"\[{_WS}(?:{item}(?:{_WS},{_WS}{item})*)?{_WS}\]"


def layout() -> str:
    """The pattern a line must match whole (see the module docstring); Rust regex syntax."""
    scalar = "|".join(_obj((name, pattern, True)) for name, pattern in (
        ("stringValue", _STRING), ("intValue", f'"{_INT}"|{_INT}'), ("doubleValue", _NUMBER),
        ("boolValue", "true|false")))
    array = _obj(("arrayValue", _obj(("values", _list(f"(?:{scalar})"), True)), True))
    kvs = _list(_obj(("key", _KEY, True), ("value", f"{scalar}|{array}", True)))
    event = _obj(("timeUnixNano", _NANOS, True), ("name", _PLAIN, True), ("attributes", kvs, False),
                 ("droppedAttributesCount", _COUNT, False))
    status = "|".join((_obj(("message", _STRING, False), ("code", "[0-2]|" + _CODE_NAMES, False)),
                       _obj(("code", "[0-2]|" + _CODE_NAMES, True), ("message", _STRING, True))))
    # A link is kept as written (the loader's ``@links`` is the raw list): its text is yyjson's. One
    # with attributes goes record by record: their pattern here made the whole one's lazy DFA thrash
    # (the regex's CPU 0.13 -> 1.17 s on 52 MB).
    link = _obj(("traceId", '"[0-9a-fA-F]{32}"', True), ("spanId", '"[0-9a-fA-F]{16}"', True),
                ("traceState", _STRING, False), ("droppedAttributesCount", _COUNT, False), ("flags", _COUNT, False))
    span = _obj(
        ("traceId", '"[0-9a-fA-F]{32}"', True),
        ("spanId", '"[0-9a-fA-F]{16}"', True),
        ("traceState", _STRING, False),
        ("parentSpanId", '""|"[0-9a-fA-F]{16}"', False),
        ("flags", _COUNT, False),
        ("name", _STRING, False),
        ("kind", "[0-5]|" + '"SPAN_KIND_(?:' + "|".join(_KINDS) + ')"', False),
        ("startTimeUnixNano", _NANOS, False),
        ("endTimeUnixNano", _NANOS, False),
        ("attributes", kvs, False),
        ("droppedAttributesCount", _COUNT, False),
        ("events", _list(event), False),
        ("droppedEventsCount", _COUNT, False),
        ("links", _list(link), False),
        ("droppedLinksCount", _COUNT, False),
        ("status", status, False),
    )
    scope = _obj(("name", _STRING, False), ("version", _STRING, False))
    scope_spans = _obj(("scope", scope, False), ("spans", _list(span), True), ("schemaUrl", _STRING, False))
    resource = _obj(("attributes", kvs, False), ("droppedAttributesCount", _COUNT, False))
    resource_spans = _obj(("resource", resource, False), ("scopeSpans", _list(scope_spans), True),
                          ("schemaUrl", _STRING, False))
    return _obj(("resourceSpans", _list(resource_spans), True)) + r"\n?"


_CODE_NAMES = '"STATUS_CODE_(?:UNSET|OK|ERROR)"'

_ANY = '{"stringValue":"JSON","intValue":"JSON","doubleValue":"JSON","boolValue":"JSON"}'
_KVS = '[{"key":"VARCHAR","value":{"stringValue":"JSON","intValue":"JSON","doubleValue":"JSON","boolValue":"JSON",' \
       '"arrayValue":{"values":[' + _ANY + ']}}}]'
_COUNTS = ("droppedAttributesCount", "droppedEventsCount", "droppedLinksCount", "flags")
LINE_SHAPE = (
    '{"resourceSpans":[{"resource":{"attributes":' + _KVS + '},"scopeSpans":[{"scope":"JSON","spans":[{'
    '"traceId":"VARCHAR","spanId":"VARCHAR","parentSpanId":"VARCHAR","name":"VARCHAR","kind":"VARCHAR",'
    '"startTimeUnixNano":"VARCHAR","endTimeUnixNano":"VARCHAR","attributes":' + _KVS + ','
    '"events":[{"timeUnixNano":"VARCHAR","name":"VARCHAR","attributes":' + _KVS + '}],'
    + "".join(f'"{k}":"VARCHAR",' for k in _COUNTS) + '"traceState":"JSON","links":"JSON",'
    + '"status":{"code":"VARCHAR","message":"VARCHAR"}}]}]}]}'
)


def _scalar_text(v: str) -> str:
    """An AnyValue's JSON text as orjson writes its decoded value (an intValue string as its number)."""
    return (f"coalesce({v}.stringValue::VARCHAR, trim({v}.intValue::VARCHAR, '\"'), {v}.doubleValue::VARCHAR, "
            f"{v}.boolValue::VARCHAR")


def _joined(items: str) -> str:
    """The texts of a list joined by commas ('' for none). Not array_to_string: DuckDB expands it to a
    CASE that evaluates its argument (here a list_transform) twice."""
    return f"coalesce(list_aggr({items}, 'string_agg', ','), '')"


def _kv_text(items: str) -> str:
    """An attribute list ``[{key, value}]`` as the JSON object key_values makes of it."""
    array = "'[' || " + _joined(f"list_transform(kv.value.arrayValue.\"values\", lambda x: {_scalar_text('x')}))") + " || ']'"
    pair = f"'\"' || kv.key || '\":' || {_scalar_text('kv.value')}, {array})"
    return "('{' || " + _joined(f"list_transform({items}, lambda kv: {pair})") + " || '}')"


def _kind_text() -> str:
    names = " ".join(f"WHEN '{i}' THEN '\"{n}\"'" for i, n in enumerate(_KINDS))
    return f"CASE WHEN s.kind IS NULL THEN 'null' WHEN starts_with(s.kind, 'SPAN_KIND_') THEN '\"' || substr(s.kind, 11) || '\"' " \
           f"ELSE CASE s.kind {names} END END"


def _fields() -> str:
    """The columns the SDK query's CTEs read (vectorised_sql.build_query's ``fields``), one row a span,
    plus this format's own: ``_start``/``_end`` (ns), ``_own`` (the attribute text's tail)."""
    fake_time = "'2000-01-01T00:00:00.000000Z'"  # the SDK's event checks pass; the times are ours
    events = (f"list_transform(s.events, lambda e: {{'name': e.name, 'timestamp': {fake_time}, "
              f"'attributes': ({_kv_text('e.attributes')})::JSON}})")
    each = ("list_transform(s.events, lambda e: '{\"name\":\"' || e.name || '\",\"time\":' || e.timeUnixNano "
            f"|| ',\"attributes\":' || {_kv_text('e.attributes')} || '}}')")
    events_text = f"CASE WHEN len(s.events) > 0 THEN ',\"@events\":[' || {_joined(each)} || ']' ELSE '' END"
    # The proto's extras the loader keeps when truthy, in its order (otlp_json._EXTRA_KEYS_ORDER).
    extras = ("CASE WHEN s.links::VARCHAR <> '[]' THEN ',\"@links\":' || s.links::VARCHAR ELSE '' END "
              "|| CASE WHEN s.traceState::VARCHAR <> '\"\"' THEN ',\"@traceState\":' || s.traceState::VARCHAR ELSE '' END")
    counts = " || ".join(f"CASE WHEN s.{k} IS NOT NULL AND s.{k} <> '0' THEN ',\"@{k}\":' || s.{k} ELSE '' END"
                         for k in ("droppedAttributesCount", "droppedEventsCount", "droppedLinksCount", "flags"))
    own = (f"{events_text} || ',\"@span_kind\":' || {_kind_text()} "
           "|| CASE WHEN _res <> '{}' THEN ',\"@resource\":' || _res ELSE '' END "
           "|| CASE WHEN _scope IS NOT NULL AND _scope <> '{}' THEN ',\"@scope\":' || _scope ELSE '' END "
           f"|| {extras} || {counts}")
    code = "CASE s.status.code WHEN '0' THEN 'UNSET' WHEN '1' THEN 'OK' WHEN '2' THEN 'ERROR' ELSE s.status.code END"
    return f"""
  SELECT line_no, s.name AS name, lower(s.traceId) AS trace_raw, lower(s.spanId) AS span_raw, NULL::VARCHAR AS kind_raw,
    lower(s.parentSpanId) AS parent_raw, NULL::VARCHAR AS start_raw, NULL::VARCHAR AS end_raw,
    {code} AS code_raw, s.status.message AS desc_raw,
    _attrs AS attrs_j, NULL::JSON AS resource_j, NULL::TIMESTAMP AS start_ts, NULL::TIMESTAMP AS end_ts,
    json_transform(_attrs, {{attr_shape}}) AS a,
    list_transform(s.attributes, lambda kv: kv.key) AS attrs_keys, _rkeys AS rattrs_keys,
    {events} AS events, list_filter(events, lambda e: e.name = 'exception') AS _exc,
    TRY_CAST(s.startTimeUnixNano AS BIGINT) AS _start, TRY_CAST(s.endTimeUnixNano AS BIGINT) AS _end,
    {own} AS _own
  FROM (SELECT *, {_kv_text('s.attributes')} AS _attrs FROM (
    SELECT line_no, _res, _rkeys, ss.scope::VARCHAR AS _scope, unnest(ss.spans) AS s FROM (
      SELECT line_no, list_transform(rs.resource.attributes, lambda kv: kv.key) AS _rkeys, {_kv_text('rs.resource.attributes')} AS _res,
        unnest(rs.scopeSpans) AS ss FROM (
        SELECT line_no, unnest(r.resourceSpans) AS rs FROM (
          SELECT line_no, json_transform(line, '{LINE_SHAPE}') AS r FROM lines WHERE fits)))))"""


def _cut(text: str, start: str, end: str | None = None) -> str:
    """The part of the SDK query from ``start`` up to ``end``; an InternalError when it changed shape."""
    i = text.find(start)
    j = len(text) if end is None else text.find(end, i + 1)
    if i < 0 or j < 0 or text.count(start) != 1:
        raise InternalError("the OTel SDK span SQL changed shape: the vectorised OTLP/JSON read cannot reuse it",
                            hint="update forensics/loaders/vectorised_otlp_sql.py; FORENSICS_VECTORISED_OTLP=0 reads record by record")
    return text[i:j]


def build_query() -> str:
    """The SQL mapping table ``lines`` (line_no, line, fits) to one row a span of the fitting lines:
    line_no, the span columns and ``ok``. A line with any span not ``ok`` goes to the per-record path."""
    sdk = sdk_query()
    found = re.search(r"json_transform\(r\.attributes, ('(?:[^']|'')*')\) AS a,", sdk)
    if found is None:
        _cut(sdk, "\0")  # raises
        raise AssertionError  # unreachable
    middle = _cut(sdk, "), described AS (", "\n)\nSELECT\n  line_no,")
    final = _cut(sdk, "\nSELECT\n  line_no,").replace("\nSELECT\n  line_no,", "\nSELECT\n  line_no, _start, _end, _left, _own,", 1)
    return f"""
WITH fields AS ({_fields().replace("{attr_shape}", found.group(1))}
{middle}
), sdk AS ({final}
)
SELECT * EXCLUDE (start_time, end_time, attributes, _start, _end, _left, _own),
  _start AS start_time, _end AS end_time,
  concat('{{', ltrim(_left, ','), ltrim(_own, ','), '}}') AS attributes  -- each cut of its first comma (the SDK query's `left`)
FROM sdk
"""
