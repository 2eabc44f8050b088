"""Finalisation of a freshly loaded span table (:func:`forensics.load.finalize`), columnar and small.

The same for every format, after every file is read: spans that end before they start and
duplicate span ids move to the quarantine; ``transfer_to_<agent>`` tool calls become handoffs;
a smolagents managed agent's run span is named by the name its manager gave it (its task's
``managed_agent.task`` template), not its class; OpenLLMetry's LangGraph node spans are read for
agents (graph_node_agents.py); a span another service entered through a remote call (a SERVER or
CONSUMER span whose resource ``service.name`` is not its parent's) is that service's
(service_owner.py); ``agent`` is inherited from the nearest agent ancestor; a run's ``session_id`` is
filled on all its spans.

Only integer codes of the ids (numpy arrays, 8 bytes a row) and boolean masks are made for the
whole table; no text column is copied into another frame, and a column is rewritten only where a
row changes (issue 15 items 4 and 5: the polars frame of the narrow text columns, its joins and the
four rewritten columns raised the load's peak by ~1.1 GB at 3M spans, above the read's own peak).
"""

from __future__ import annotations

import binascii
import ctypes
import functools
from collections.abc import Callable
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import graph_node_agents, invoked_tools, service_owner, tool_node_owner
from .arrow_rows import arrow_mask as _arrow_mask
from .arrow_rows import gather as _gather
from .arrow_rows import indices as _indices
from .arrow_rows import mask as _mask
from .arrow_rows import nullable as _nullable
from .arrow_rows import numbers as _numbers
from .arrow_rows import patch as _patch
from .arrow_rows import repeated_text as _repeated_text
from .arrow_rows import texts as _texts
from .arrow_rows import valid_bits as _valid
from .arrow_rows import whole as _array
from .schema import QUARANTINE_SCHEMA, SPAN_COLUMNS, SPAN_SCHEMA
from .semconv_agents import (
    AGENT_NAMED_BY_PARENT,
    AGENT_NAMED_BY_PARENT_KEY,
    HAYSTACK_AGENT_COMPONENT,
    HAYSTACK_AGENT_TYPE,
    MANAGED_AGENT_TASK,
)

#: Pointer-jumping rounds for agent inheritance: resolves ancestries up to 2**16 levels deep.
_MAX_JUMPS = 16
#: Row numbers and id codes: 4 bytes a row, not numpy's 8 (the arrays of codes, orders and ancestors
#: are finalize's peak at 3M spans; a table has far fewer than 2**31 rows, whose string columns'
#: 32-bit offsets would overflow at a few bytes a row first).
_ROW = np.int32
#: The columns finalisation may rewrite.
_REWRITTEN = ("kind", "handoff_to", "agent", "session_id", "tool")


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def _release() -> None:
    """Freed memory goes back to the system before the next step allocates: Arrow's pool keeps what
    it freed (``MemoryPool.release_unused``), and glibc's heap keeps numpy's freed temporaries of
    12-24 MB at 3M spans (above its mmap threshold at start, but that threshold rises to the size
    of the largest mmapped block freed, mallopt(3) M_MMAP_THRESHOLD; ``malloc_trim(0)`` returns the
    free pages of every arena, malloc_trim(3))."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def empty(schema: pa.Schema) -> pa.Table:
    """A table of no rows (``Schema.empty_table`` imports pandas)."""
    return pa.Table.from_batches([], schema=schema)


def _dictionary_codes(column: pa.ChunkedArray) -> np.ndarray:
    """Codes of one dictionary over the column's chunks (equal texts, equal codes), ``-1`` for null."""
    indices = pc.dictionary_encode(column).combine_chunks().indices
    codes = _numbers(indices, np.int32).copy()
    valid = _valid(indices)
    if valid is not None:
        codes[~valid] = -1
    return codes


def _hex_ids(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Every id as its 64-bit value, when every id is null or 16 lowercase hex digits (an OTel span
    id as the loaders write it: one value per text and one text per value); None otherwise."""
    if column.type != pa.string():
        return None
    values, valids = [], []
    for chunk in column.chunks:
        n = len(chunk)
        if n == 0:
            continue
        buffers = chunk.buffers()
        if buffers[1] is None:
            return None
        offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=4 * chunk.offset)
        lengths = np.diff(offsets)
        valid = _valid(chunk)
        if not ((lengths == 16).all() if valid is None else ((lengths == 16) | (~valid & (lengths == 0))).all()):
            return None
        size = int(offsets[-1] - offsets[0])
        text = buffers[2][int(offsets[0]):int(offsets[0]) + size].to_pybytes() if size else b""
        # Lowercase hex digits only (unhexlify takes A-F too), then 8 bytes an id, in the digits'
        # order: bytes.translate and binascii.unhexlify run in C, ~3x faster than a lookup table
        # and shifts in numpy (26 -> 8 ms CPU for 600k ids).
        if text.translate(None, b"0123456789abcdef"):
            return None
        packed = np.frombuffer(binascii.unhexlify(text), dtype=np.uint64)
        del text
        if valid is None:
            values.append(packed)
        else:
            full = np.zeros(n, dtype=np.uint64)
            full[valid] = packed
            values.append(full)
        valids.append(valid if valid is not None else np.ones(n, bool))
    if not values:
        return np.zeros(0, np.uint64), None
    mask = np.concatenate(valids)
    return np.concatenate(values), (None if mask.all() else mask)


def _id_codes(spans: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The span and parent ids as codes (equal ids, equal codes; ``-1`` for null, and for a parent
    id no span has). When every id is an OTel span id in hex, from their 64-bit values sorted (no
    hash table of the texts); else from one dictionary of both columns (~400 MB of hash table and
    dictionary at 3M spans, issue 15 item 5)."""
    span, parent = _hex_ids(spans.column("span_id")), _hex_ids(spans.column("parent_id"))
    if span is None or parent is None:
        n = spans.num_rows
        both = _dictionary_codes(pa.chunked_array([*spans.column("span_id").chunks, *spans.column("parent_id").chunks], pa.string()))
        return both[:n], both[n:]
    (values, valid), (parents, parent_valid) = span, parent
    # Each value's rank among the distinct values (a null's 0 ranks too; it is made -1 after).
    order = np.argsort(values)
    ranked = values[order]
    new = np.ones(len(ranked), bool)
    new[1:] = ranked[1:] != ranked[:-1]
    codes = np.empty(len(values), _ROW)
    codes[order] = np.cumsum(new) - 1
    known = ranked[new]
    del order, ranked, new
    if valid is not None:
        codes[~valid] = -1
    found = _find(known, parents)
    if parent_valid is not None:
        found[~parent_valid] = -1
    return codes, found


def _find(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Where each query is in the sorted ``keys`` (``-1`` where absent). The queries are searched in
    their sorted order: binary searches in random order miss the cache (~1.2 s at 3M against 0.1)."""
    out = np.full(len(queries), -1, dtype=_ROW)
    if not len(keys) or not len(queries):
        return out
    order = np.argsort(queries).astype(_ROW)
    wanted = queries[order]
    at = np.searchsorted(keys, wanted).astype(_ROW)
    np.minimum(at, len(keys) - 1, out=at)
    hit = keys[at] == wanted
    del wanted
    out[order[hit]] = at[hit]
    return out


def _keys(run: np.ndarray, code: np.ndarray) -> np.ndarray:
    """One 64-bit key per (run, id); a null is its own value (code 0), as a null was its own group."""
    # In place, one temporary: each ``+ 1``, ``astype`` and ``<<`` of the expression was an array
    # of its own (uint64 wraps -1 + 1 to 0, as the int64 sum was).
    key = np.add(run, 1, dtype=np.uint64, casting="unsafe")
    key <<= np.uint64(32)
    key |= np.add(code, 1, dtype=np.uint64, casting="unsafe")
    return key


def _repeated(key: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Which rows repeat the key of a row before them (``order`` sorts the keys)."""
    ranked = key[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    first = np.minimum.reduceat(order, starts) if len(order) else order
    repeated = np.ones(len(key), bool)
    repeated[first] = False
    return repeated


def finalize(spans: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Vectorised clean-up of a freshly loaded table; returns ``(spans, quarantined)``.

    Reads the ids as integer codes and the narrow columns as masks, and patches the Arrow table: a
    night of spans is never copied whole (the wide text columns dominate its size)."""
    spans, quarantined, _, _ = finalize_rows(spans)
    return spans, quarantined


def finalize_rows(spans: pa.Table) -> tuple[pa.Table, pa.Table, np.ndarray, np.ndarray]:
    """:func:`finalize`, the row of ``spans`` each quarantined record was (in the quarantine's
    order), and the rows of ``spans`` kept whose parent id names no span of their run: the caller
    that concatenated several files' tables accounts each to the file it was read from. Its ``source_file`` need not name that file: a saved span table keeps where each
    span was first read (loaders/span_table.py)."""
    if spans.num_rows == 0:
        return spans, empty(QUARANTINE_SCHEMA), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # What the allocators keep of the read goes back to the system before more is allocated.
    _release()
    span, parent = _id_codes(spans)
    run = _dictionary_codes(spans.column("run_id"))
    _release()  # the dictionaries' hash tables, the sorts' temporaries
    # A (run, span id) seen before is a duplicate.
    key = _keys(run, span)
    order = np.argsort(key).astype(_ROW)
    dup = _repeated(key, order)
    back = _mask(pc.less(spans.column("end_time"), spans.column("start_time")))
    rejected = dup | back
    quarantined = empty(QUARANTINE_SCHEMA)
    rows = np.flatnonzero(rejected)  # _quarantine_rows keeps this order
    kept = np.arange(len(rejected), dtype=np.int64)  # each kept row's row in the table given
    if rejected.any():
        quarantined = _quarantine_rows(spans, run, span, dup, back)
        keep = ~rejected
        kept = np.flatnonzero(keep)
        spans = spans.filter(_arrow_mask(keep))
        run, span, parent, key = run[keep], span[keep], parent[keep], key[keep]
        order = np.argsort(key).astype(_ROW)
    del dup, back, rejected, span

    columns = {name: spans.column(name) for name in _REWRITTEN}
    _release()
    # A Haystack ToolInvoker's run named by the one tool it ran (its output's tool message: invoked_tools).
    columns["tool"] = invoked_tools.haystack_invoked_tools(spans, columns["kind"], columns["tool"])
    columns["kind"], columns["handoff_to"] = _handoffs_from_transfer_tools(spans, columns["kind"], columns["handoff_to"])
    _release()
    ranked = key[order]
    del key  # only its sorted copy is searched: one 64-bit array less at finalize's peak
    columns["agent"] = _managed_agent_names(spans, columns["kind"], columns["agent"])
    columns["agent"] = _haystack_agent_components(spans, columns["agent"])
    columns["agent"] = _agents_named_by_parent(spans, columns["kind"], columns["agent"], run, parent, ranked, order)
    steps = graph_node_agents.node_agents(spans, columns, _parent_rows(run, parent, ranked, order))
    # Another service's span entered from this one (a consumer, a server) is that service's: service_owner.
    columns["agent"] = service_owner.service_entry_owners(spans, columns["agent"], _parent_rows(run, parent, ranked, order))
    columns["agent"] = _inherit_agents(spans, columns["kind"], run, parent, ranked, order, columns["agent"])
    if steps is not None and graph_node_agents.lone_steps(columns, steps):
        columns["agent"] = _inherit_agents(spans, columns["kind"], run, parent, ranked, order, columns["agent"])
    parents = _parent_rows(run, parent, ranked, order)()
    columns["agent"] = tool_node_owner.tools_to_caller(spans, columns["kind"], columns["agent"], parents)
    # Kept, but said: a span naming a parent the table does not hold (its parent never exported:
    # smolagents' run span of an agent whose run() raised is never ended, so its steps name it).
    # (A parent id no span has is coded -1 like a null one: the column says which it was.)
    named_parent = _mask(pc.is_valid(spans.column("parent_id")))
    unparented = kept[np.flatnonzero(named_parent & (run >= 0) & (parents < 0))]
    del ranked, order, parent, parents
    _release()  # the jumps' and the gathers' temporaries, before the last rewrite
    columns["session_id"] = _fill_sessions(columns["session_id"], run)
    for name, column in columns.items():
        index = SPAN_SCHEMA.get_field_index(name)
        spans = spans.set_column(index, SPAN_SCHEMA.field(index), column.cast(pa.string()))
    return spans, quarantined, rows, unparented


#: The quarantine reason of a span that repeats an earlier one field for field: an OTLP exporter
#: sends a batch again when it could not confirm the export (a retryable status, a timeout: the
#: retry behaviour of open-telemetry/opentelemetry-specification specification/protocol/exporter.md),
#: though the first send may have arrived; the copy is the same record again, dropping it loses nothing.
#: A repeated span id with other contents stays ``duplicate-span-id``: two spans collided.
RESENT_REASON = "resent-span-copy"
#: What the copies are compared on: everything but where each was read, and the columns finalize
#: rewrites (a night's files are finalised once each and again together: the copy kept from an
#: earlier file has its agent inherited and its session filled, the new copy not yet).
_CONTENT = [c for c in SPAN_COLUMNS if c not in ("source_file", "source_line", *_REWRITTEN)]


def _same_as_first(spans: pa.Table, where: pl.DataFrame) -> pl.Series:
    """For each rejected row of ``where`` (``_i``, ``_first_i``), whether it equals its first copy
    in every content column (false for rows that are not duplicates: ``_first_i`` null)."""
    first_i = where.get_column("_first_i")
    mine = pl.from_arrow(spans.select(_CONTENT).take(where.get_column("_i").to_arrow()))
    # A row with no first copy (not a duplicate) is compared with itself and masked below.
    theirs = pl.from_arrow(spans.select(_CONTENT).take(first_i.fill_null(where.get_column("_i")).to_arrow()))
    assert isinstance(mine, pl.DataFrame) and isinstance(theirs, pl.DataFrame)
    same = pl.DataFrame([mine.get_column(c).eq_missing(theirs.get_column(c)).alias(c) for c in _CONTENT])
    return same.select(pl.all_horizontal(pl.all()) & first_i.is_not_null()).to_series().alias("_same")


def _quarantine_rows(spans: pa.Table, run: np.ndarray, span: np.ndarray, dup: np.ndarray, back: np.ndarray) -> pa.Table:
    """Duplicates (saying where the first copy is) and spans ending before they start."""
    df = pl.DataFrame({"run_k": _nullable(run), "span_k": _nullable(span), "_dup": dup, "_back": back}).with_row_index("_i")
    rejected = df.filter(pl.col("_dup") | pl.col("_back"))
    firsts = df.filter(~pl.col("_dup")).select("run_k", "span_k", pl.col("_i").alias("_first_i"))
    where = rejected.select("_i", "run_k", "span_k", "_dup", "_back").join(
        firsts, on=["run_k", "span_k"], how="left", maintain_order="left")
    at = pl.from_arrow(spans.select(["source_file", "source_line"]).take(where.get_column("_first_i").to_arrow()))
    assert isinstance(at, pl.DataFrame)
    full = pl.from_arrow(spans.take(where.get_column("_i").to_arrow()))
    assert isinstance(full, pl.DataFrame)
    full = full.with_columns(
        where.select("_dup", "_back"),
        _first_at=at.get_column("source_file") + ":" + at.get_column("source_line").cast(pl.String),
        _same=_same_as_first(spans, where),
    )
    full = full.with_columns(
        reason=pl.when(pl.col("_dup") & pl.col("_same")).then(pl.lit(RESENT_REASON))
        .when(pl.col("_dup")).then(pl.lit("duplicate-span-id")).otherwise(pl.lit("end-before-start")),
        detail=pl.when(pl.col("_dup") & pl.col("_same")).then(
            pl.format("span id {} in run {} is an identical copy of the span at {} (every field the same): "
                      "the same record sent again, nothing lost. The first one is kept. "
                      "Hint: harmless; an exporter re-sends a batch it was not sure was received",
                      "span_id", "run_id", "_first_at")
        ).when(pl.col("_dup")).then(
            pl.format("span id {} appears again in run {}, with other contents; first seen at {}. The first one "
                      "is kept. Hint: two spans share an id: check the exporter's id generation",
                      "span_id", "run_id", "_first_at")
        ).otherwise(
            pl.format("span {} ends at {} before it starts at {}; expected end >= start. "
                      "Hint: check the exporter's clock or time units",
                      "span_id", pl.col("end_time").cast(pl.String), pl.col("start_time").cast(pl.String))
        ),
    )
    raw = pl.struct([pl.col(c).cast(pl.String) if c in ("start_time", "end_time") else pl.col(c)
                     for c in SPAN_COLUMNS]).struct.json_encode()
    return full.select(
        pl.col("source_file"), pl.col("source_line"), pl.col("source_format"),
        pl.col("reason"), pl.col("detail"), raw.alias("raw"),
    ).to_arrow().cast(QUARANTINE_SCHEMA)


#: CrewAI's delegation tools, given to an agent with allow_delegation: DelegateWorkTool
#: ("Delegate work to coworker": task, context, coworker) and AskQuestionTool ("Ask question to
#: coworker": question, context, coworker), crewAIInc/crewAI src/crewai/tools/agent_tools/
#: delegate_work_tool.py and ask_question_tool.py; ``coworker`` is "the role/name of the coworker to
#: delegate to". For a role not in the crew the tool returns "Error executing tool. coworker
#: mentioned not found, it must be one of the following options: ..." and nobody runs.
_CREW_DELEGATION = "Delegate work to coworker|Ask question to coworker"


#: Strands' tool that hands control to the person at the keyboard (strands-agents/tools
#: src/strands_tools/handoff_to_user.py: "Hand off control from agent to user for confirmation, input,
#: or complete task handoff"; it shows the agent's message and returns what the user types, or stops
#: the event loop with breakout_of_loop; the Swarm's own handoff_to_user, strands multiagent swarm.py,
#: saves the question for the person the same way). Its suffix names nobody's agent: the call is a
#: person's step (kind human), whatever ``handoff_to_<alias>`` means for agents.
HANDOFF_TO_PERSON: Final = "handoff_to_user"

#: The one handoff tool of a framework whose ``agent_name`` argument names the target (Google ADK's
#: ``transfer_to_agent``, a Strands Swarm's ``handoff_to_agent``): its suffix names nobody.
_BY_AGENT_NAME: Final = ("transfer_to_agent", "handoff_to_agent")


def _handoffs_from_transfer_tools(spans: pa.Table, kind: pa.ChunkedArray,
                                  handoff_to: pa.ChunkedArray) -> tuple[pa.ChunkedArray | pa.Array, pa.ChunkedArray | pa.Array]:
    """``transfer_to_<agent>`` tool calls are handoffs in every framework that uses them, and so is
    LlamaIndex AgentWorkflow's ``handoff`` tool, whose ``to_agent`` argument names the target
    (llama_index/core/agent/workflow/multi_agent_workflow.py ``handoff(ctx, to_agent, reason)``; for
    an unknown agent it returns "Agent X not found. Please select a valid agent ..." and nobody runs).
    Google ADK's one ``transfer_to_agent`` tool names the target in its ``agent_name`` argument
    (google/adk-python src/google/adk/tools/transfer_to_agent_tool.py, ``transfer_to_agent(agent_name,
    tool_context)``), and so does a Strands Swarm node's ``handoff_to_agent`` (strands-agents/sdk-python
    src/strands/multiagent/swarm.py ``_create_handoff_tool``: ``handoff_to_agent(agent_name, message,
    context)`` makes the named node the swarm's current node, or answers "Agent 'x' not found in
    swarm"); without that argument (content not captured, or an OpenAI Agents SDK agent named
    "agent") the suffix is the target as for any ``transfer_to_<agent>``.
    Microsoft Agent Framework's handoff workflow gives each agent a synthetic ``handoff_to_<alias>``
    tool whose call its middleware answers with ``{"handoff_to": <target executor id>}``
    (microsoft/agent-framework python/packages/core/agent_framework/_workflows/_handoff.py
    ``_create_handoff_tool``, ``_AutoHandoffMiddleware``; its ``_HANDOFF_TOOL_PATTERN`` reads
    ``handoff_to``/``transfer_to`` names): the result names the target, else the alias does.

    The rows whose tool (or, without a tool, name) starts with ``transfer_to_`` or ``handoff_to_`` or is ``handoff`` are
    found as a mask; the target is extracted on those few rows and put back in new kind and
    handoff_to columns."""
    tool, name = spans.column("tool"), spans.column("name")
    # The test on the tool where there is one, else on the name, as masks: no coalesced copy of the texts.
    starts = np.where(_mask(pc.is_null(tool)), _calls_handoff(name), _calls_handoff(tool))
    rows = np.flatnonzero(_mask(pc.is_in(kind, value_set=_texts(["tool", "unknown"]))) & starts)
    if len(rows) == 0:
        return kind, handoff_to
    found = pl.DataFrame({"tool": pl.Series(_gather(tool, rows)), "name": pl.Series(_gather(name, rows)),
                          "handoff_to": pl.Series(_gather(handoff_to, rows)), "input": pl.Series(_gather(spans.column("input"), rows)),
                          "output": pl.Series(_gather(spans.column("output"), rows))},
                         schema={"tool": pl.String, "name": pl.String, "handoff_to": pl.String, "input": pl.String,
                                 "output": pl.String})
    to_agent = pl.col("input").str.json_path_match("$.to_agent")
    called_as = pl.coalesce("tool", "name")
    found = found.select(
        pl.col("handoff_to"),
        pl.coalesce(
            pl.when(called_as.is_in(_BY_AGENT_NAME)).then(pl.col("input").str.json_path_match("$.agent_name")),
            called_as.str.extract(r"^transfer_to_(.+)$"),
            pl.when(called_as.str.starts_with("handoff_to_")).then(pl.col("output").str.json_path_match("$.handoff_to")),
            called_as.str.extract(r"^handoff_to_(.+)$"),
            pl.when(called_as == "handoff").then(to_agent),
            pl.when(called_as.str.contains("^(?:" + _CREW_DELEGATION + ")$")).then(
                pl.col("input").str.json_path_match("$.coworker")
            ),
        ).alias("_target"),
    )
    # The mask stays a polars column for the filter: pl.Series of a numpy array imports numpy.ma
    # (~0.14 s, at the end of a load where nothing runs beside it).
    person = _mask(pc.is_in(pc.coalesce(_gather(tool, rows), _gather(name, rows)), value_set=_texts([HANDOFF_TO_PERSON])))
    if person.any():
        # Control handed to the person, not to an agent named "user": their step (HANDOFF_TO_PERSON).
        kind = _patch(kind, rows[person], lambda lo, hi: _repeated_text("human", hi - lo))
    found_target = found.get_column("_target").is_not_null() & pl.Series(~person)
    hit = found_target.to_numpy()
    if not hit.any():
        return kind, handoff_to
    rows, targets = rows[hit], found.filter(found_target).select(pl.coalesce("handoff_to", "_target")).to_series()
    to = _array(targets.to_arrow().cast(pa.string()))
    return (_patch(kind, rows, lambda lo, hi: _repeated_text("handoff", hi - lo)),
            _patch(handoff_to, rows, lambda lo, hi: to.slice(lo, hi - lo)))


def _calls_handoff(called: pa.ChunkedArray) -> np.ndarray:
    """Which names are a handoff tool's (null is not). The whole names by a hash lookup (``is_in``),
    not a regex anchored at both ends: the same rows, ~4x less CPU over every span's tool and name."""
    return _mask(pc.or_kleene(
        pc.or_kleene(pc.starts_with(called, "transfer_to_"), pc.starts_with(called, "handoff_to_")),
        pc.is_in(called, value_set=_texts(["handoff", *_CREW_DELEGATION.split("|")])),
    ))


def _managed_agent_names(spans: pa.Table, kind: pa.ChunkedArray | pa.Array,
                         agent: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A smolagents managed agent's run span is that agent, by the name its manager gave it in the
    task (semconv_agents.MANAGED_AGENT_TASK), not its class's ``<Class>.run`` (which manager and sub-agent
    share): where the loader named no agent, or named it by the span's name. Only agent spans' inputs
    (a handful) are read."""
    rows = np.flatnonzero(_mask(pc.is_in(kind, value_set=_texts(["agent"]))))
    if not len(rows):
        return agent
    found = pc.extract_regex(_gather(spans.column("input"), rows), MANAGED_AGENT_TASK)
    names = pc.struct_field(found, [0])
    own = _gather(agent, rows)
    unnamed = pc.or_kleene(pc.is_null(own), pc.equal(own, _gather(spans.column("name"), rows)))
    take = _mask(pc.and_(pc.is_valid(names), unnamed))
    if not take.any():
        return agent
    values = names.filter(_arrow_mask(take))
    return _patch(agent, rows[take], lambda lo, hi: values.slice(lo, hi - lo))


def _haystack_agent_components(spans: pa.Table, agent: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A Haystack Agent component's span (semconv_agents.HAYSTACK_AGENT_COMPONENT, type Agent) is owned
    by that agent, its component name, where the loader named none: what runs under it inherits it.
    Only the component spans' attributes (a handful) are read. (The name is matched through a value
    set built from buffers: pc.equal with a Python str makes a pyarrow scalar, which imports pandas.)"""
    rows = np.flatnonzero(_mask(pc.and_(pc.is_null(agent), pc.is_in(spans.column("name"), value_set=_texts([HAYSTACK_AGENT_COMPONENT])))))
    if not len(rows):
        return agent
    attributes = _gather(spans.column("attributes"), rows)
    names = pc.struct_field(pc.extract_regex(attributes, AGENT_NAMED_BY_PARENT_KEY), [0])
    take = _mask(pc.and_(pc.match_substring_regex(attributes, HAYSTACK_AGENT_TYPE), pc.is_valid(names)))
    if not take.any():
        return agent
    values = names.filter(_arrow_mask(take))
    return _patch(agent, rows[take], lambda lo, hi: values.slice(lo, hi - lo))


def _agents_named_by_parent(spans: pa.Table, kind: pa.ChunkedArray | pa.Array, agent: pa.ChunkedArray | pa.Array,
                            run: np.ndarray, parent: np.ndarray, ranked: np.ndarray,
                            order: np.ndarray) -> pa.ChunkedArray | pa.Array:
    """An agent span its framework names only by the operation (Haystack's ``haystack.agent.run``,
    semconv_agents.AGENT_NAMED_BY_PARENT) is the agent its parent span names: where the loader named no
    agent, or named it by the span's name. Only those agent spans' parents (a handful) are read."""
    rows = np.flatnonzero(_mask(pc.and_(pc.is_in(kind, value_set=_texts(["agent"])),
                                        pc.is_in(spans.column("name"), value_set=_texts(list(AGENT_NAMED_BY_PARENT))))))
    if not len(rows):
        return agent
    own = _gather(agent, rows)
    rows = rows[_mask(pc.or_kleene(pc.is_null(own), pc.equal(own, _gather(spans.column("name"), rows))))]
    at = _find(ranked, _keys(run[rows], parent[rows]))
    found = (at >= 0) & (parent[rows] >= 0) & (run[rows] >= 0)
    rows, up = rows[found], order[at[found]]
    if not len(rows):
        return agent
    names = pc.struct_field(pc.extract_regex(_gather(spans.column("attributes"), up), AGENT_NAMED_BY_PARENT_KEY), [0])
    take = _mask(pc.is_valid(names))
    if not take.any():
        return agent
    values = names.filter(_arrow_mask(take))
    return _patch(agent, rows[take], lambda lo, hi: values.slice(lo, hi - lo))


def _parent_rows(run: np.ndarray, parent: np.ndarray, ranked: np.ndarray, order: np.ndarray) -> Callable[[], np.ndarray]:
    """Each row's parent row, when called: the row of the same run whose span id is this row's parent
    id (keys are unique after the duplicates left), found in the sorted keys; none (``-1``) without a
    run or a parent id (a row with a null span id or run has 0 in that half of its key, which no
    parent key has)."""
    def rows() -> np.ndarray:
        at = _find(ranked, _keys(run, parent))
        return np.where((at >= 0) & (run >= 0) & (parent >= 0), order[np.maximum(at, 0)], -1)
    return rows


def _inherit_agents(spans: pa.Table, kind: pa.ChunkedArray | pa.Array, run: np.ndarray, parent: np.ndarray,
                    ranked: np.ndarray, order: np.ndarray, agent: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """``agent`` from the nearest agent ancestor, by pointer jumping over row numbers: an agent span
    is its own agent (its agent, else its name)."""
    name = spans.column("name")
    is_agent = pc.is_in(kind, value_set=_texts(["agent"]))  # null is not in it
    named = _mask(pc.and_(is_agent, pc.and_(pc.is_null(agent), pc.is_valid(name))))
    has = _mask(pc.is_valid(agent)) | named
    if has.all():
        return _own_agents(agent, name, named, np.arange(len(has), dtype=_ROW))
    anc_rows = _parent_rows(run, parent, ranked, order)()
    # The jumps move row numbers (which row's agent a row takes), not the agent strings: one gather
    # of the strings at the end.
    src = np.where(has, np.arange(len(has), dtype=_ROW), -1)
    for _ in range(_MAX_JUMPS):
        up = anc_rows >= 0
        if not ((src < 0) & up).any():
            break
        safe = np.where(up, anc_rows, 0)
        parent_src = np.where(up, src[safe], -1)
        parent_anc = np.where(up, anc_rows[safe], -1)
        src = np.where(src >= 0, src, parent_src)
        anc_rows = np.where(src < 0, parent_anc, -1)
    return _own_agents(agent, name, named, src)


def _own_agents(agent: pa.ChunkedArray, name: pa.ChunkedArray, named: np.ndarray, src: np.ndarray) -> pa.ChunkedArray:
    """Each row's agent is row ``src``'s own (its name where ``named``, else its agent; null for
    ``-1``), written only on the rows where that differs from the row's agent."""
    rows = np.flatnonzero((src >= 0) & ((src != np.arange(len(src))) | named))
    taken = src[rows]

    def values(lo: int, hi: int) -> pa.Array:
        at = taken[lo:hi]
        by_name = named[at]
        both = pa.concat_arrays([_gather(name, at[by_name]).cast(pa.string()), _gather(agent, at[~by_name]).cast(pa.string())])
        order = np.concatenate([np.flatnonzero(by_name), np.flatnonzero(~by_name)])
        inverse = np.empty(len(order), np.int64)
        inverse[order] = np.arange(len(order))
        return both.take(_indices(inverse))

    return _patch(agent, rows, values)


def _fill_sessions(session: pa.ChunkedArray, run: np.ndarray) -> pa.ChunkedArray | pa.Array:
    """A span without a session id takes its run's first one (in row order); runs without one stay null."""
    missing = _mask(pc.is_null(session))
    if not missing.any() or missing.all():
        return session
    group = run + 1  # a null run id is a group of its own, as in polars' over()
    # Row numbers in 4 bytes (flatnonzero gives 8): this runs last, with the other rewritten
    # columns already held beside the read's, so its temporaries are on top of finalize's peak.
    present = np.flatnonzero(~missing).astype(_ROW)
    first_of = np.full(int(group.max()) + 1, len(group), dtype=_ROW)
    np.minimum.at(first_of, group[present], present)  # each run's first row holding a session id
    del present
    rows = np.flatnonzero(missing).astype(_ROW)
    del missing
    fill = first_of[group[rows]]
    del group, first_of
    taken = fill < len(run)
    if not taken.any():
        return session
    rows, fill = rows[taken], fill[taken]
    return _patch(session, rows, lambda lo, hi: _gather(session, fill[lo:hi]))
