"""The SQL of the vectorised OTel SDK span-JSON read (:mod:`forensics.loaders.vectorised`).

One regular expression (:func:`layout`, matched whole by the caller with polars' regex engine; the
SQL reads its verdict as the ``fits`` column) proves a line's layout and its JSON types in one
pass of a DFA over the raw text (no parse): the SDK's keys in the SDK's order (any may be missing), ids, times, kind and
status in the SDK's shapes, attribute and resource-attribute objects holding only scalars and
lists of scalars, numbers that orjson and DuckDB read and write alike (at most 15 integer digits,
no exponent, no NaN), strings without control characters, ``\\u0000``-``\\u001f`` escapes or lone
surrogates, and no tab or carriage return. Then the line is parsed ONCE (``json_transform`` into the
typed struct; every JSON function re-parses its argument, so no other one runs on the whole line),
the attributes once more for the mapped keys, and ``json_keys`` proves their keys distinct (yyjson
keeps a repeated key; the layout proves every other object's keys distinct). A line the layout
refuses is absent from the result: the caller hands it to the per-record path. The pattern is a
subset of the JSON grammar (every line it accepts is valid JSON), so no ``json_valid`` runs.

Measured on one 16.8 MB chunk of the bench night (18,666 lines, 2 threads): the layout regex 94 ms
CPU in DuckDB's RE2 (~60 in polars), ``json_valid`` 19 ms; the old query that proved the same with ~25 JSON function calls a line
(each a parse) took ~370 ms a chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..errors import InternalError
from ..semconv import (
    _COLUMN_KEYS,
    ADK_SYSTEM,
    CONDITIONAL_COLUMNS,
    KIND_BEFORE_VALUE,
    KIND_BY_EVIDENCE,
    KIND_BY_NAME,
    KIND_BY_VALUE,
    ROOT_KIND_BY_NAME,
    TOOL_FAILED_BY_VALUE,
    Condition,
)
from ..semconv_agents import AGENT_RUN_NAME
from ..semconv_values import HAYSTACK_OUTPUT, HAYSTACK_TOOL_INVOKER, HAYSTACK_TYPE, PYDANTIC_AI_COST
from .otel_common import COLUMN_EVENTS

STATUS_CODES = {"UNSET": "unset", "OK": "ok", "ERROR": "error", "STATUS_CODE_UNSET": "unset",
                "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error", "StatusCode.UNSET": "unset",
                "StatusCode.OK": "ok", "StatusCode.ERROR": "error", "unset": "unset", "ok": "ok", "error": "error"}

#: Attribute keys that make the per-record loader do more than map columns (split costs, Monocle's
#: span.type, the HTTP status, autogen-core's runtime spans: semconv_agents.autogen_message): a line holding
#: one (not null) is handed over.
FIXED_KEYS = ("gen_ai.usage.input_cost", "gen_ai.usage.output_cost", PYDANTIC_AI_COST, "span.type",
              "http.status_code", "messaging.operation")


def layout() -> str:
    """The pattern a line must match whole (see the module docstring); RE2 and Rust regex syntax alike."""
    ws = " *"  # json.dumps writes ", " and ": "; orjson nothing. Tabs and CRs are handed over.
    escape = (r"\\(?:[\"\\/bfnrt]|u(?:00[2-9a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-cA-CeEfF][0-9a-fA-F]{3}"
              r"|[dD][0-7][0-9a-fA-F]{2}|[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))")
    char = r'(?:[^"\\\x00-\x1f]|' + escape + ")"
    string = '"' + char + '*"'
    key = r'"(?:[^"\\@\x00-\x1f]|' + escape + ")" + char + '*"'  # no "@..." key (the loader's own) nor ""
    # No exponent, at most 15 integer digits, and no fraction of five zeros or more then a digit: orjson
    # writes a double in [1e-6, 1e-5) in exponent form (1.2e-06), yyjson as a plain fraction.
    number = r"-?(?:[1-9][0-9]{0,14}(?:\.[0-9]+)?|0(?:\.(?:[1-9]|0[1-9]|00[1-9]|000[1-9]|0000[1-9])[0-9]*|\.0+)?)"
    scalar = f"(?:{string}|{number}|true|false|null)"
    value = rf"(?:{scalar}|\[{ws}(?:{scalar}(?:{ws},{ws}{scalar})*)?{ws}\])"
    flat = rf"\{{{ws}(?:{key}{ws}:{ws}{value}(?:{ws},{ws}{key}{ws}:{ws}{value})*)?{ws}\}}"
    stamp = r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z"'
    codes = "|".join(c.replace(".", r"\.") for c in STATUS_CODES)

    def field(name: str, pattern: str) -> str:
        return f'"{name}"{ws}:{ws}(?:{pattern})'

    def fields(*parts: tuple[str, str, bool]) -> str:
        """Keys in this order, each optional unless required, commas only between those present.
        ``some`` matches a non-empty run of them; each key adds one copy of it (the pattern stays linear)."""
        some, may_be_empty = "", True
        for name, pattern, required in parts:
            item = field(name, pattern)
            if not some:
                some = item
            elif required:
                some = f"(?:{some}{ws},{ws})?{item}" if may_be_empty else f"{some}{ws},{ws}{item}"
            else:
                some = f"(?:{some}(?:{ws},{ws}{item})?|{item})" if may_be_empty else f"{some}(?:{ws},{ws}{item})?"
            may_be_empty = may_be_empty and not required
        return f"(?:{some})?" if may_be_empty else some

    # Ids in lowercase hex, as the SDK writes them ("0x" + format(id, "032x")): the SQL takes them as
    # they are (an uppercase id, which the loaders lower, goes to the per-record path; lower() on the
    # three ids of every line cost ~15% of the query's CPU).
    context = r"\{" + ws + fields(("trace_id", r'"(?:0x)?[0-9a-f]{32}"', True),
                                  ("span_id", r'"(?:0x)?[0-9a-f]{16}"', True),
                                  ("trace_state", r'""|"\[\]"|null', False)) + ws + r"\}"
    status = r"\{" + ws + fields(("status_code", f'"(?:{codes})?"|null', False),
                                 ("description", f"{string}|null", False)) + ws + r"\}"
    resource = r"\{" + ws + fields(("attributes", flat, False), ("schema_url", f"{string}|null", False)) + ws + r"\}"
    # An event as the SDK writes it (ReadableSpan._format_events: name, timestamp, attributes), its
    # name a plain string (no escape: its JSON text is quotes around it).
    event = (r"\{" + ws + field("name", r'"[^"\\\x00-\x1f]*"') + f"{ws},{ws}" + field("timestamp", stamp)
             + f"{ws},{ws}" + field("attributes", flat) + ws + r"\}")
    events = rf"\[{ws}(?:{event}(?:{ws},{ws}{event})*)?{ws}\]|null"
    top = fields(
        ("name", f"{string}|null", False),
        ("context", context, True),
        ("kind", r'"[A-Za-z_.]+"|null', False),
        ("parent_id", r'""|"(?:0x)?[0-9a-f]{16}"|null', False),
        ("start_time", f"{stamp}|null", False),
        ("end_time", f"{stamp}|null", False),
        ("status", f"{status}|null", False),
        ("attributes", f"{flat}|null", False),
        ("events", events, False),
        ("links", r"\[ *\]|null", False),
        ("resource", f"{resource}|null", False),
    )
    return r"\{" + ws + top + ws + r"\}\n?"


def _q(text: str) -> str:
    """``text`` as a SQL string. A text holding a character outside ASCII is spelt with ``chr()`` for it
    (folded to a constant when the query is planned): DuckDB's Python layer maps the tokens of a
    non-ASCII query back to string indexes in a Python loop over every character, ~0.25 s CPU a file
    for the one arrow of Logfire's handoff template in this ~52k-character query."""
    if text.isascii():
        return "'" + text.replace("'", "''") + "'"
    parts = re.split(r"([^\x00-\x7f])", text)
    return "concat(" + ", ".join(f"chr({ord(p)})" if i % 2 else "'" + p.replace("'", "''") + "'"
                                 for i, p in enumerate(parts) if p) + ")"


def _is_word(text: str) -> bool:
    """A text whose JSON string is the text between quotes (nothing to escape) and that no other JSON
    value's text spells (not a number, true, false or null)."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_. ]*", text) is not None and text not in ("true", "false", "null")


def _as_text(value: str, words: Iterable[str], upper: bool = False) -> tuple[str, Callable[[str], str]]:
    """How to compare the attribute value ``value`` (yyjson's minified text of it, from
    json_transform) with strings: the SQL of the value's text and the SQL literal a string is compared
    as. For words (:func:`_is_word`), the value's own text against the string's JSON text (the word
    between quotes): yyjson writes a string unescaped where it can, so a string holding a word is
    written as the word between quotes and no other value is, and upper-casing the JSON text
    upper-cases the string's characters and turns no escape into a word's letters. This saves
    ``value ->> '$'``, a parse a row and key. Any other string: the value parsed."""
    if all(_is_word(w) for w in words):
        return f"{'upper' if upper else ''}({value}::VARCHAR)", lambda w: _q(f'"{w}"')
    return f"{'upper' if upper else ''}({value} ->> '$')", _q


def build_query() -> str:
    """The SQL mapping the lines of one chunk (table ``lines``: line_no, line) to span columns and an
    ``ok`` flag; lines absent from the result or with ``ok`` false go to the per-record path."""
    q = _q

    def attr(key: str) -> str:
        return f"struct_extract(a, {q(key)})"

    def equals(key: str, value: str) -> str:
        text, literal = _as_text(attr(key), (value,))
        return f"coalesce({text} = {literal(value)}, false)"

    def ends_with(key: str, value: str) -> str:
        # A string value (its text starts with a quote), parsed, ends with the text.
        return f"coalesce(starts_with({attr(key)}::VARCHAR, '\"') AND ends_with({attr(key)} ->> '$', {q(value)}), false)"

    def holds(conditions: tuple[Condition, ...]) -> str:
        """semconv.holds in SQL: "has" a key listed (null too), "equals" a text value, "endswith" a text."""
        tests = {"has": lambda key, _: f"coalesce(list_contains(attrs_keys, {q(key)}), false)", "equals": equals,
                 "endswith": ends_with}
        return " AND ".join(tests[test](key, value[0] if value else "") for test, key, *value in conditions)

    def text_of(raw: str) -> str:
        # A string without a backslash is its text between the quotes, and holds no other quote (one
        # in it would be escaped): its quotes replaced by nothing, a byte search (substr and length
        # count characters: each walked the whole text, ~4% of the query's CPU). One with a
        # backslash, unescaped by DuckDB.
        return f"CASE WHEN contains({raw}, '\\') THEN ({raw}::JSON) ->> '$' ELSE replace({raw}, '\"', '') END"

    mapped_keys = [k for _, keys, _ in _COLUMN_KEYS for k in keys]
    conditional_keys = [k for _, key, conditions in CONDITIONAL_COLUMNS for k in (key, *(c[1] for c in conditions))]
    extra = [*(k for k, _, _ in KIND_BY_VALUE), *(c[1] for _, conditions in KIND_BY_EVIDENCE for c in conditions), *conditional_keys,
             *(k for k, _ in TOOL_FAILED_BY_VALUE), *(c[1] for _, conditions in KIND_BEFORE_VALUE for c in conditions)]
    shape_keys = dict.fromkeys([*mapped_keys, *FIXED_KEYS, *extra])  # each once, in a stable order
    attr_shape = "{" + ",".join(f'"{k}":"JSON"' for k in shape_keys) + "}"
    line_shape = ('{"name":"VARCHAR","context":{"trace_id":"VARCHAR","span_id":"VARCHAR"},"kind":"VARCHAR",'
                  '"parent_id":"VARCHAR","start_time":"VARCHAR","end_time":"VARCHAR",'
                  '"status":{"status_code":"VARCHAR","description":"VARCHAR"},"attributes":"JSON","resource":"JSON",'
                  '"events":[{"name":"VARCHAR","timestamp":"VARCHAR","attributes":"JSON"}]}')
    picks, values, keys_taken, checks = [], [], [], []
    for column, keys, convert in _COLUMN_KEYS:
        # The best-ranked key holding a non-null value wins (semconv._take_columns); null and absent
        # are alike here (json_transform gives SQL NULL for both).
        picks.append("CASE " + " ".join(f"WHEN {attr(k)} IS NOT NULL THEN {i}" for i, k in enumerate(keys))
                     + f" END AS _pick_{column}")
        # The value of that key: the first non-null one (a coalesce, not a CASE on the pick's number:
        # ~4% less of the query's CPU, tests/test_load_vectorised.py proves the same table).
        chosen = f"coalesce({', '.join(attr(k) for k in keys)})" if len(keys) > 1 else attr(keys[0])
        picks.append(f"({chosen})::VARCHAR AS _raw_{column}")
        raw = f"_raw_{column}"
        # The layout proved every attribute value a scalar or a list of scalars, its numbers plain:
        # the first character of yyjson's text tells the JSON type.
        name = convert.__name__
        if name in ("as_text", "as_captured"):
            type_ok = f"starts_with({raw}, '\"')"
            value = text_of(raw)
            if name == "as_captured":
                # Google ADK's '{}' placeholder (semconv.as_captured) is no content: a text that may be
                # it, padded with anything but braces, goes to the per-record path, which reads it.
                type_ok = (f"({type_ok} AND NOT CASE WHEN contains({column}, '{{}}') "
                           f"THEN regexp_full_match({column}, '[^{{}}]*[{{][}}][^{{}}]*') ELSE false END)")
        elif name == "as_int":
            type_ok = f"regexp_full_match({raw}, '-?[0-9]+')"
            value = f"TRY_CAST({raw} AS BIGINT)"
        elif name == "as_float":
            type_ok = f"regexp_full_match({raw}, '-?[0-9]+(\\.[0-9]+)?')"
            value = f"TRY_CAST({raw} AS DOUBLE)"
        else:  # a converter this SQL does not mirror would send every line to the per-record path
            raise InternalError(f"semconv column {column!r} converts with {name}, which the vectorised SQL does not mirror",
                                hint="map the converter in forensics/loaders/vectorised_sql.py build_query")
        # What the taken key adds to the attribute text: `,"key":value` (see _LEFT below).
        key_of = ("CASE " + " ".join(f"WHEN _pick_{column} = {i} THEN ',\"{k}\":'" for i, k in enumerate(keys))
                  + f" END || {raw}")
        if column == "error_message":
            # The status description sets error_message first; the attribute then stays a leftover.
            taken = f"(_pick_{column} IS NOT NULL AND _desc IS NULL)"
            values.append(f"CASE WHEN _desc IS NOT NULL THEN _desc WHEN {taken} THEN {value} END AS {column}")
            keys_taken.append(f"CASE WHEN {taken} THEN {key_of} END")
            checks.append(f"(NOT {taken} OR {type_ok})")
        else:
            values.append(f"CASE WHEN _pick_{column} IS NOT NULL THEN {value} END AS {column}")
            keys_taken.append(f"CASE WHEN _pick_{column} IS NOT NULL THEN {key_of} END")
            # The column itself, not its expression again (an escaped text would be unescaped twice)
            checks.append(f"(_pick_{column} IS NULL OR ({type_ok} AND {column} IS NOT NULL))")
    # CONDITIONAL_COLUMNS (semconv._take_conditional): the key fills its column when the column is
    # still empty after the mapped keys and an earlier entry for the column, the key holds a value and
    # the conditions hold; the key is then taken like a mapped one. A value that is not a string (as_text
    # would write it as JSON) sends the line to the per-record path.
    cond_flags: list[str] = []
    cond_values: dict[str, list[str]] = {}
    for i, (column, key, conditions) in enumerate(CONDITIONAL_COLUMNS):
        earlier = [f"NOT _ctaken_{j}" for j, (c, _, _) in enumerate(CONDITIONAL_COLUMNS[:i]) if c == column]
        raw = f"_craw_{i}"
        cond_flags.append(f"{attr(key)}::VARCHAR AS {raw}")
        taken = " AND ".join([f"{column} IS NULL", f"{attr(key)} IS NOT NULL", holds(conditions), *earlier])
        cond_flags.append(f"({taken}) AS _ctaken_{i}")
        cond_values.setdefault(column, []).append(f"CASE WHEN _ctaken_{i} THEN {text_of(raw)} END")
        keys_taken.append(f"CASE WHEN _ctaken_{i} THEN ',\"{key}\":' || {raw} END")
        checks.append(f"(NOT _ctaken_{i} OR starts_with({raw}, '\"'))")
    # An ADK agent_run [<agent>] span names its agent (semconv_agents.agent_run_name), after the keys did not.
    cond_values.setdefault("agent", []).append(
        f"CASE WHEN regexp_full_match(name, {q(AGENT_RUN_NAME)}) THEN regexp_extract(name, {q('^' + AGENT_RUN_NAME + '$')}, 1) END")
    cond_replace = ", ".join(f"coalesce({column}, {', '.join(values)}) AS {column}" for column, values in cond_values.items())
    # The leftover attribute text: the taken pairs cut out of yyjson's minified text of the attributes,
    # which is what orjson writes for the dict without them (json_merge_patch did the same with one
    # more parse and write a line: 65 -> 21 ms CPU a 32 MB chunk). With the text's `{` made a `,` and
    # its `}` a `,` (`_left` is `,"k":v,...,"k":v,`, or '' for no attribute), a pair is `,"key":value`
    # wherever it stands; that byte string occurs once: keys are distinct (checked below), `,"` never
    # occurs inside a string (a quote in one is escaped), a value is followed by `,` and the taken
    # value is the key's whole text. The attribute text is then `{` and `_left` without its first
    # comma. Both ends are cut by byte searches (ltrim stops at the second byte; the `}` is found with
    # the chr(1) appended, a byte no line the layout accepts holds): substr and length count
    # characters, so `substr(_left, 2, length(_left) - 2)` walked every text three times. Each cut is a projection of
    # its own that runs replace only on the rows whose column took a key: one nested replace a column
    # (a column not taken cutting chr(1)) copied the whole text ~20 times a line, taken or not.
    assert all('"' not in k and "\\" not in k for k in mapped_keys)
    left = ("(CASE WHEN attrs_j IS NULL OR attrs_j::VARCHAR = '{}' THEN '' "
            "ELSE replace(concat(',', ltrim(attrs_j::VARCHAR, '{'), chr(1)), concat('}', chr(1)), ',') END)")
    # Each cut's needle is made once, as a column of `leftover` (not twice in its CASE).
    needles = ", ".join(f"{cut} AS _cut{i}" for i, cut in enumerate(keys_taken))
    cuts = "".join(f"\n), cut{i} AS (\n  SELECT * REPLACE (CASE WHEN _cut{i} IS NULL THEN _left ELSE replace(_left, _cut{i}, '') END AS _left) "
                   f"FROM {'leftover' if i == 0 else f'cut{i - 1}'}" for i in range(len(keys_taken)))
    # semconv.infer_kind: a framework's keys that come first (KIND_BEFORE_VALUE), a value naming a kind (KIND_BY_VALUE), then a framework's keys
    # (KIND_BY_EVIDENCE), then the span's name (KIND_BY_NAME). Monocle's span.type lines are handed over.
    kind_rules = [f"CASE WHEN {holds(conditions)} THEN {q(kind)} END" for kind, conditions in KIND_BEFORE_VALUE]
    for key, kinds, upper in KIND_BY_VALUE:
        text, literal = _as_text(attr(key), kinds, upper)
        kind_rules.append(f"CASE {text} " + " ".join(f"WHEN {literal(k)} THEN {q(v)}" for k, v in kinds.items()) + " END")
    kind_rules += [f"CASE WHEN {holds(conditions)} THEN {q(kind)} END" for kind, conditions in KIND_BY_EVIDENCE]
    # A string value: its text starts with a quote (the layout proved every value a scalar or a list).
    said = " OR ".join(f"coalesce(starts_with({attr(key)}, '\"'), false)" for key, _, _ in KIND_BY_VALUE)
    kind_rules.append(f"CASE WHEN NOT ({said}) THEN CASE name "
                      + " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in KIND_BY_NAME.items()) + " END END")
    kind_rules.append("CASE WHEN parent_raw IS NULL OR parent_raw = '' THEN CASE name "
                      + " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in ROOT_KIND_BY_NAME.items()) + " END END")
    kind_rules.append(f"CASE WHEN regexp_full_match(name, {q(AGENT_RUN_NAME)}) THEN 'agent' END")
    statuses = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in STATUS_CODES.items())
    # semconv.tool_said_failed: a tool's own status key saying it failed makes the span failed (the
    # status description still fills error_message only where the span's own status was an error).
    tool_failed = " OR ".join(holds((("equals", key, value),)) for key, value in TOOL_FAILED_BY_VALUE)
    no_fixed = " AND ".join(f"{attr(k)} IS NULL" for k in FIXED_KEYS)
    # ADK's call_llm output tokens read against its response's usage_metadata (semconv._adk_output_tokens):
    # such a line is handed over rather than mirrored.
    no_fixed += (f" AND NOT ({equals('gen_ai.system', ADK_SYSTEM)} "
                 "AND output_tokens IS NOT NULL AND coalesce(contains(output, 'usage_metadata'), false))")
    # Haystack's usage and model inside a component's traced output (semconv_values.haystack_output) on a
    # span whose attributes gave neither, and a ToolInvoker's tool named in its traced input
    # (haystack_tool): handed over too.
    no_fixed += (f" AND NOT (input_tokens IS NULL AND output_tokens IS NULL "
                 f"AND coalesce(contains({attr(HAYSTACK_OUTPUT)}::VARCHAR, 'usage'), false))"
                 f" AND NOT (model IS NULL AND coalesce(contains({attr(HAYSTACK_OUTPUT)}::VARCHAR, 'model'), false))"
                 f" AND NOT (tool IS NULL AND {equals(HAYSTACK_TYPE, HAYSTACK_TOOL_INVOKER)})")

    def time_ok(raw: str) -> str:
        return (f"({raw}_raw IS NULL OR ({raw}_ts IS NOT NULL "
                f"AND {raw}_raw >= '1970-01-01' AND {raw}_raw <= '2200-01-01T00:00:00.000000Z'))")

    def time_ns(raw: str) -> str:
        # Only in 1970..2200 (else the line is handed over, and ns would overflow past 2262).
        return (f"CASE WHEN {raw}_raw >= '1970-01-01' AND {raw}_raw <= '2200-01-01T00:00:00.000000Z' "
                f"THEN nullif(epoch_us({raw}_ts) * 1000, 0) END")

    # Events (apply_events): every one is kept under `@events` as {name, time (ns), attributes}; the
    # first exception event's exception.type/.message fill error_type/error_message when unset.
    # Monocle's data.input/data.output/metadata events and the GenAI content events fill more
    # (otel_common.COLUMN_EVENTS): a line holding one is handed over,
    # and so is one whose event time is out of range, whose exception text is not a string (as_text
    # would write it as JSON), or whose event attributes may repeat a key.
    ev_ts = "TRY_CAST(substr(e.timestamp, 1, 26) AS TIMESTAMP)"
    ev_in_range = "e.timestamp >= '1970-01-01' AND e.timestamp <= '2200-01-01T00:00:00.000000Z'"
    ev_ns = f"CASE WHEN {ev_in_range} THEN nullif(epoch_us({ev_ts}) * 1000, 0) END"

    def exception_text(key: str) -> str:
        picked = "json_extract_string(e.attributes, " + q('$."' + key + '"') + ")"
        return f"list_filter(list_transform(_exc, lambda e: {picked}), lambda x: x IS NOT NULL)[1]"

    def exception_type_ok(key: str) -> str:
        return "coalesce(json_type(e.attributes, " + q('$."' + key + '"') + "), 'NULL') IN ('VARCHAR', 'NULL')"

    events_ok = ("coalesce(list_bool_and(list_transform(events, lambda e: "
                 f"e.name NOT IN ({', '.join(q(n) for n in COLUMN_EVENTS)}) AND {ev_ts} IS NOT NULL AND {ev_in_range} "
                 f"AND (e.name <> 'exception' OR ({exception_type_ok('exception.type')} AND {exception_type_ok('exception.message')})) "
                 "AND (e.attributes IS NULL OR list_unique(json_keys(e.attributes)) = len(json_keys(e.attributes))))), true)")
    events_text = ("CASE WHEN len(events) > 0 THEN '\"@events\":[' || array_to_string(list_transform(events, lambda e: "
                   f"'{{\"name\":\"' || e.name || '\",\"time\":' || coalesce(({ev_ns})::VARCHAR, 'null') "
                   "|| ',\"attributes\":' || coalesce(e.attributes::VARCHAR, '{}') || '}'), ',') || '],' ELSE '' END")

    def distinct(keys: str) -> str:
        # Keys whose hashes are distinct are distinct: the hashes are counted first (~30% less CPU
        # than list_unique's table of the texts), the texts only when two hashes are equal.
        return (f"CASE WHEN {keys} IS NULL OR len({keys}) < 2 THEN true "
                f"WHEN list_unique(list_transform({keys}, lambda k: hash(k))) = len({keys}) THEN true "
                f"ELSE list_unique({keys}) = len({keys}) END")

    def hex_id(raw: str) -> str:
        # The layout proved the digits lowercase: only the "0x" is cut.
        return f"CASE WHEN starts_with({raw}, '0x') THEN substr({raw}, 3) ELSE {raw} END"

    return f"""
WITH parsed AS (
  SELECT line_no, json_transform(line, {q(line_shape)}) AS r
  FROM lines WHERE fits  -- the line matches layout() whole (matched by the caller)
), fields AS (
  SELECT line_no,
    r.name AS name, r.context.trace_id AS trace_raw, r.context.span_id AS span_raw, r.kind AS kind_raw,
    r.parent_id AS parent_raw, r.start_time AS start_raw, r.end_time AS end_raw,
    r.status.status_code AS code_raw, r.status.description AS desc_raw,
    r.attributes AS attrs_j, r.resource AS resource_j,
    TRY_CAST(substr(r.start_time, 1, 26) AS TIMESTAMP) AS start_ts, TRY_CAST(substr(r.end_time, 1, 26) AS TIMESTAMP) AS end_ts,
    json_transform(r.attributes, {q(attr_shape)}) AS a,
    json_keys(r.attributes) AS attrs_keys, json_keys(r.resource, '$.attributes') AS rattrs_keys,
    r.events AS events, list_filter(r.events, lambda e: e.name = 'exception') AS _exc
  FROM parsed
), described AS (
  SELECT *, CASE code_raw {statuses} END AS status_known,
    CASE WHEN (CASE code_raw {statuses} END) = 'error' AND desc_raw <> '' THEN desc_raw END AS _desc
  FROM fields
), picked AS (
  SELECT *, {", ".join(picks)} FROM described
), mapped AS (
  SELECT *, {", ".join(values)} FROM picked
), flagged AS (
  SELECT *, {", ".join(cond_flags)} FROM mapped
), conditional AS (
  SELECT * REPLACE ({cond_replace}) FROM flagged
), leftover AS (
  SELECT *, {left} AS _left, {needles} FROM conditional{cuts}
)
SELECT
  line_no,
  {hex_id("trace_raw")} AS run_id,
  {hex_id("span_raw")} AS span_id,
  CASE WHEN parent_raw IS NULL OR parent_raw = '' THEN NULL ELSE {hex_id("parent_raw")} END AS parent_id,
  session_id, name,
  coalesce({", ".join(kind_rules)}, 'unknown') AS kind,
  agent, tool, handoff_to,
  {time_ns("start")} AS start_time, {time_ns("end")} AS end_time,
  CASE WHEN {tool_failed} THEN 'error' ELSE coalesce(status_known, 'unset') END AS status,
  coalesce(error_type, {exception_text("exception.type")}) AS error_type,
  coalesce(error_message, {exception_text("exception.message")}) AS error_message, model, input_tokens, output_tokens, cost_usd,
  input, output,
  concat(  -- one concatenation (a chain of || copies the growing text at each step)
    '{{', ltrim(_left, ','),  -- the leftover pairs and their comma (see `left`)
    {events_text}, '"@span_kind":', CASE WHEN kind_raw IS NULL THEN 'null'
         ELSE '"' || CASE WHEN starts_with(kind_raw, 'SPAN_KIND_') THEN substr(kind_raw, 11)
                          WHEN starts_with(kind_raw, 'SpanKind.') THEN substr(kind_raw, 10)
                          ELSE upper(kind_raw) END || '"' END,
    CASE WHEN resource_j IS NOT NULL AND resource_j::VARCHAR <> '{{}}' THEN ',"@resource":' END,
    CASE WHEN resource_j IS NOT NULL AND resource_j::VARCHAR <> '{{}}' THEN resource_j::VARCHAR END,
    '}}') AS attributes,
  coalesce((
    {time_ok("start")} AND {time_ok("end")}
    AND (code_raw IS NULL OR code_raw = '' OR status_known IS NOT NULL)
    AND {no_fixed}
    AND {events_ok}
    AND {" AND ".join(checks)}
    -- duplicate keys: the layout proved every object but the two attribute maps in its own key order
    AND {distinct("attrs_keys")}
    AND {distinct("rattrs_keys")}
  ), false) AS ok
FROM cut{len(keys_taken) - 1}
"""
