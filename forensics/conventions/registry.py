"""The conventions registry: what each framework's signals MEAN, as columns detectors read.

A :class:`Convention` is one family of signals (attempt groups, pauses, fallbacks, ...). It works in
up to three steps, each over whole columns (no per-row Python):

* ``prefilter()`` (optional): row masks over the raw columns that several ``extract`` expressions
  share (a literal scan deciding which spans a regex reads), computed once just before them.
* ``extract()``: expressions over the raw span columns (``attributes``, ``input``, ``output``,
  ``name``, ``error_type``, ``error_message``, ``kind``, ``status``, ``source_format``) that pull out
  the raw signal into narrow private columns (named ``_cv_*``). They run in ``prepare``'s first
  pass, before the wide text columns are dropped.
* ``status(df)``: on the prepared frame once ``failed`` is known, before ``succeeded``,
  ``is_escalation``, ``is_review`` and ``is_ack`` are derived from it: conventions that change what
  counts as a failure (a pause is not an error) or as an escalation work here.
* ``structure(df)``: once every base column exists (``seq``, ``succeeded``, ``parent_k``, ...):
  conventions that relate spans to each other (attempts of one request, fallbacks).
* ``runs(df, runs)``: per-run facts (the run's own verdict, what its final output says).

Conventions run in registration order (the import order in ``forensics.conventions``). Each one
documents its sources in ``signals``: the table in docs/DETECTORS.md is checked against them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Final, Protocol

import polars as pl

from forensics.registry import Registry

# JSON inside JSON (a chat message whose content is a JSON string) escapes its quotes; every
# pattern accepts a key written "key" or \"key\".
Q: Final = r'\\?"'
#: A quote as JSON writes it (escaped or not) or as a Python dict's repr does (the OpenAI Agents SDK
#: exports a function tool's result as ``str(output)``: src/agents/tracing/span_data.py).
QP: Final = rf"(?:{Q}|')"


@dataclass(frozen=True)
class Signal:
    """One row of the conventions table: what a framework writes and what it becomes."""

    convention: str
    framework: str
    source: str
    becomes: str


def _no_exprs() -> list[pl.Expr]:
    return []


@dataclass(frozen=True)
class Convention:
    name: str
    signals: tuple[Signal, ...]
    extract: Callable[[], list[pl.Expr]] = _no_exprs
    status: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    structure: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    runs: Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame] | None = None
    #: Row masks (named ``_cv_*``) computed in a pass of their own just before ``extract``: a
    #: prefilter several of its expressions share is then read as ``pl.col(name)``, once, instead
    #: of each expression scanning the text columns again.
    prefilter: Callable[[], list[pl.Expr]] = _no_exprs
    #: Meaning columns this convention adds to ``ctx.spans`` (name -> one-line doc).
    columns: dict[str, str] = field(default_factory=dict)
    #: Facts it adds to ``ctx.runs``.
    run_columns: dict[str, str] = field(default_factory=dict)


CONVENTIONS: list[Convention] = []


#: Conventions by name (the one Registry type: a duplicate name fails naming both modules).
#: ``CONVENTIONS`` keeps them in the order they run.
REGISTRY: Registry[Convention] = Registry("convention", None, order="registration")


def register(c: Convention) -> Convention:
    REGISTRY.register(c, origin=sys._getframe(1).f_globals.get("__name__", "?"))
    CONVENTIONS.append(c)
    return c


#: Needles ``where_contains`` looks for in ``attributes`` (directly or through ``json_scalar`` /
#: ``json_bool``) that few spans hold: one regex over the column (the engine's multi-literal
#: search) keeps the spans holding any of them in ``_cv_attrs_rare`` (the others blank), and each
#: needle's own scan reads that column: ~20 scans of every span's attributes at ~0.02 s each (600k
#: spans) became one. A needle not listed (common ones: "url" is in every OTel resource's
#: schema_url, "count") scans ``attributes`` itself; listing a common one costs time, never a
#: result (a span holding the needle holds a listed needle, so its text is kept).
RARE_ATTRIBUTE_NEEDLES: Final = (
    "retry:attempt:",
    "db.",
    "etries",
    "etry-",
    "exception.escaped",
    "agent.step_recovery",
    "smolagents.max_steps",
    "smolagents.managed_agents.",
    "@outcome",
    "triggered",
    "pproval",
    "tool-approved",
    "agent_state",
    "uthenticated",
    "erified",
    "ogged",
    "igned",
    "attempted_fallbacks",
    # preparation: an HTTP status, a confidence, a person's id, a clock the loader synthesised
    "status_code",
    "onfidence",
    "enduser.id",
    "time_synthesized",
    # outcome: the tool definitions handed to the model
    "tools",
    "functions",
    "gen_ai.tool.definitions",
    # attempts: an HTTP request's method and URL (http.request.method, url.full; the older
    # http.method, http.url)
    "method",
    "url.full",
    "http.url",
)
#: The column ``where_contains`` reads the rare needles in (prepare drops it with ``attributes``).
RARE_ATTRIBUTES: Final = "_cv_attrs_rare"


#: How many needles one regex of the rare-needle scan holds. The regex crate's multi-literal
#: search slows past a handful of literals: at 584k spans (189 MB of attributes, single thread)
#: one alternation of the first 17 needles took 0.134 s, two of 9 and 8 together 0.088 s, three
#: of 6/6/5 0.100 s, five of 4 0.147 s; the 24 as three of 8 0.107 s, as 9/9/6 0.119 s, as two
#: of 12 0.226 s; the 27 as three of 9 0.122 s, as 8/8/8/3 0.138 s (issue 15 item 4).
_RARE_PER_SCAN: Final = 9


def _rare_attributes() -> pl.Expr:
    attrs = pl.col("attributes")
    needles = RARE_ATTRIBUTE_NEEDLES
    groups = [needles[i : i + _RARE_PER_SCAN] for i in range(0, len(needles), _RARE_PER_SCAN)]
    held = pl.any_horizontal([attrs.str.contains("|".join(re.escape(n) for n in g)) for g in groups])
    return pl.when(held).then(attrs).otherwise(pl.lit("")).alias(RARE_ATTRIBUTES)


def prefilter_exprs() -> list[pl.Expr]:
    return [_rare_attributes(), *[e for c in CONVENTIONS for e in c.prefilter()]]


def extract_exprs() -> list[pl.Expr]:
    return [e for c in CONVENTIONS for e in c.extract()]


class _Timer(Protocol):
    """What records a stage's time (forensics.detectors.base.Stages)."""

    def stage(self, name: str) -> AbstractContextManager[None]: ...


def _timed(stages: _Timer | None, name: str) -> AbstractContextManager[None]:
    return stages.stage(name) if stages is not None else nullcontext()


def apply_status(df: pl.DataFrame, stages: _Timer | None = None) -> pl.DataFrame:
    for c in CONVENTIONS:
        if c.status is not None:
            with _timed(stages, f"  convention {c.name} (status)"):
                df = c.status(df)
    return df


def apply_structure(df: pl.DataFrame, stages: _Timer | None = None) -> pl.DataFrame:
    for c in CONVENTIONS:
        if c.structure is not None:
            with _timed(stages, f"  convention {c.name} (structure)"):
                df = c.structure(df)
    return df


def apply_runs(df: pl.DataFrame, runs: pl.DataFrame, stages: _Timer | None = None) -> pl.DataFrame:
    for c in CONVENTIONS:
        if c.runs is not None:
            with _timed(stages, f"  convention {c.name} (runs)"):
                runs = c.runs(df, runs)
    # Joins need not keep the row order; the runs table is sorted by run id.
    return runs.sort("run_id")


def table_markdown() -> str:
    """The conventions table of docs/DETECTORS.md, from the registered signals."""
    rows = [
        "| convention | framework | source it comes from | what it becomes |",
        "| --- | --- | --- | --- |",
    ]
    for c in CONVENTIONS:
        for s in c.signals:
            cells = [s.convention, s.framework, s.source, s.becomes]
            rows.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(rows)


def private_columns(df: pl.DataFrame) -> list[str]:
    """The raw ``_cv_*`` columns, dropped once the meanings are derived."""
    return [c for c in df.columns if c.startswith("_cv_")]


# --- helpers shared by the convention modules ------------------------------------------------


def published(
    private: str, column: str, *, flag: bool = False, dtype: type[pl.DataType] | None = None
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """A ``status`` step that publishes the raw ``private`` column (``_cv_*``, from ``extract``) as
    the meaning column ``column``, for a convention whose meaning is its raw signal: ``flag``, a
    yes/no whose missing rows read no; ``dtype``, the type the column is cast to."""
    value = pl.col(private)
    if flag:
        value = value.fill_null(False)
    if dtype is not None:
        value = value.cast(dtype)

    def status(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(value.alias(column))

    return status


def on_rows(mask: pl.Expr, source: pl.Expr, derive: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``derive(source)`` on the rows where ``mask`` holds, null elsewhere: the rows are taken out,
    derived and put back in place. For a regex ``contains`` or ``replace_all`` over a column that is
    mostly masked out: those pay for every row, null or not (``extract`` skips nulls itself)."""
    mask = mask.fill_null(False)
    return derive(source.filter(mask)).gather(pl.when(mask).then(mask.cast(pl.UInt32).cum_sum() - 1))


def error_says(type_rx: str, message_rx: str | None = None) -> pl.Expr:
    """Whether the span's ``error_type`` matches ``type_rx`` or its ``error_message`` matches
    ``message_rx`` (default: the same pattern); false on a span with neither. Read on the spans
    that carry one only (on_rows): a regex ``contains`` over the column paid for every span's
    null (~0.023 CPU s per pattern pair at 584k spans with 1% errors; this ~0.010)."""
    et, em = pl.col("error_type"), pl.col("error_message")

    def says(s: pl.Expr) -> pl.Expr:
        return s.struct.field("error_type").str.contains(type_rx).fill_null(False) | s.struct.field(
            "error_message"
        ).str.contains(type_rx if message_rx is None else message_rx).fill_null(False)

    return on_rows(et.is_not_null() | em.is_not_null(), pl.struct(et, em), says).fill_null(False)


def where_contains(col: str, needle: str | tuple[str, ...]) -> pl.Expr:
    """``col`` where it contains ``needle`` (a cheap literal scan; a tuple: any of them), else
    null: the regex that follows only runs on the few rows that can match. A rare needle in
    ``attributes`` is looked for in the spans that hold one (``RARE_ATTRIBUTES``, from the
    prefilter pass): the same rows."""
    needles = (needle,) if isinstance(needle, str) else needle
    rare = col == "attributes" and all(n in RARE_ATTRIBUTE_NEEDLES for n in needles)
    return pl.when(contains_literal(pl.col(RARE_ATTRIBUTES if rare else col), needles)).then(pl.col(col))


def contains_literal(text: pl.Expr, needles: tuple[str, ...] | list[str]) -> pl.Expr:
    """Whether ``text`` holds any of ``needles`` (literals, case-sensitive), null where it is null.
    One scan per _RARE_PER_SCAN needles, as an escaped alternation (the regex crate's multi-literal
    search): a literal ``contains`` per needle read the whole column once each (five needles over
    the 189 MB of attributes at 584k spans: 0.097 CPU s; as one alternation 0.047 s)."""
    if len(needles) == 1:
        return text.str.contains(needles[0], literal=True)
    groups = [needles[i : i + _RARE_PER_SCAN] for i in range(0, len(needles), _RARE_PER_SCAN)]
    held = [text.str.contains("|".join(re.escape(n) for n in g)) for g in groups]
    return held[0] if len(held) == 1 else pl.any_horizontal(held)


def json_scalar(col: str, keys: str, needle: str | tuple[str, ...]) -> pl.Expr:
    """The scalar value of the first of ``keys`` (a regex alternation of JSON key names) in the
    JSON text ``col``; a one-element array (OTel header attributes) counts as its element."""
    return (
        where_contains(col, needle)
        .str.extract(rf"{Q}(?:{keys}){Q}\s*:\s*\[?\s*(?:{Q})?([^\"\\,\]\}}]+)", 1)
        .str.strip_chars()
    )


def json_bool(col: str, keys: str, needle: str | tuple[str, ...]) -> pl.Expr:
    """True/false where ``col`` holds one of ``keys`` with a JSON boolean (or "true"/"false"), else null."""
    v = where_contains(col, needle).str.extract(rf"(?i){Q}(?:{keys}){Q}\s*:\s*(?:{Q})?(true|false)\b", 1)
    return pl.when(v.is_not_null()).then(v.str.to_lowercase() == "true")


def parent_in(df: pl.DataFrame, mask: pl.Expr) -> pl.Expr:
    """True for spans that are the parent of a span matching ``mask`` (a set lookup on keys)."""
    parents = df.filter(mask).get_column("parent_k").implode()
    return pl.col("span_k").is_in(parents)
