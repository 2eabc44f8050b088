"""Turning the toolkit's Arrow tables into the small inline rows a chart carries.

Every chart embeds its data as values (the spec's ``datasets``) so an exported spec stands alone,
and keeps only the columns it draws; these helpers accept a
``pa.Table`` or a ``pl.DataFrame``, check the columns a chart needs, and keep only those.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
import pyarrow as pa

from forensics.errors import InputError

TableLike = pa.Table | pl.DataFrame


def as_frame(table: Any, what: str, needs: Iterable[str] = ()) -> pl.DataFrame:
    """``table`` as a polars frame, checking that the columns ``needs`` are there."""
    if isinstance(table, pl.DataFrame):
        frame = table
    elif isinstance(table, pa.Table):
        frame = pl.from_arrow(table)  # type: ignore[assignment]
    elif isinstance(table, pl.LazyFrame):
        frame = table.collect()
    else:
        raise InputError(
            f"`{what}` must be a pyarrow Table or a polars DataFrame, found {type(table).__name__}",
            hint=f"pass the `{what}` table the toolkit returned (e.g. `forensics.load(...).spans`, "
            "`forensics.classify(...).findings`), or `pl.DataFrame(...)` in the schema of forensics.schema.",
        )
    missing = [c for c in needs if c not in frame.columns]
    if missing:
        raise InputError(
            f"`{what}` lacks the column(s) {', '.join(f'`{c}`' for c in missing)}; "
            f"found {', '.join(f'`{c}`' for c in frame.columns) or 'no columns'}",
            hint=f"build `{what}` in the schema of forensics.schema (e.g. SPAN_SCHEMA, FINDING_SCHEMA, RUN_SCHEMA).",
        )
    return frame


def inline(frame: pl.DataFrame) -> pl.DataFrame:
    """Chart data: times as ISO text (UTC, ms). Handing altair the polars frame (not a list of
    dicts) lets its default data transformer inline the values into the spec's ``datasets``
    directly, which is ~20x faster than validating ``alt.Data(values=...)`` row by row."""
    casts = [
        pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").alias(name)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    ]
    return frame.with_columns(casts) if casts else frame


def short(expr: pl.Expr, limit: int = 160) -> pl.Expr:
    """Cut long log text for tooltips: the chart is not the place for a full stack trace."""
    return (
        pl.when(expr.str.len_chars() > limit)
        .then(expr.str.slice(0, limit) + pl.lit("…"))
        .otherwise(expr)
    )


def human_duration(seconds: float) -> str:
    """``3m 05s`` style, for labels on stalls and restarts."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 lane``, ``2 lanes``, ``1,204 spans``: a count with its noun agreeing."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


#: The keys under which chat logs and frameworks put the user's request in a JSON input.
_TASK_KEY = r'"(?:content|input|task|query|question|prompt|text)"\s*:\s*"((?:[^"\\]|\\.)+)"'


def task_text(expr: pl.Expr, limit: int = 90) -> pl.Expr:
    """What a run was asked to do, from its root span's ``input``: the first request-like string
    of a JSON input (``[{"role": "user", "content": "..."}]``, ``{"input": "..."}``), else the
    text itself, whitespace folded and cut to ``limit`` characters; null when there is none."""
    raw = expr.str.strip_chars()
    looks_json = raw.str.starts_with("{") | raw.str.starts_with("[")
    text = pl.when(looks_json).then(raw.str.extract(_TASK_KEY, 1)).otherwise(raw).str.replace_all(r"\s+", " ")
    return short(pl.when(text.str.len_chars() > 0).then(text), limit)


def text_px(expr: pl.Expr, font_px: float = 10.0) -> pl.Expr:
    """Estimated width in pixels of ``expr`` drawn in the renderers' sans-serif (Helvetica/Arial
    metrics, in em: most glyphs 0.56, i/j/l 0.22, f/t/./,/:/space 0.28, r/-/(/)/slash 0.33,
    capitals 0.68, m/w/M/W 0.85), 5% over, so a label said to fit does fit."""
    em = (
        expr.str.len_chars() * 0.56
        - expr.str.count_matches(r"[ijl]") * (0.56 - 0.22)
        - expr.str.count_matches(r"[ft.,:; '|!]") * (0.56 - 0.28)
        - expr.str.count_matches(r"[r\-()/\[\]]") * (0.56 - 0.33)
        + expr.str.count_matches(r"[A-LN-VX-Z]") * (0.68 - 0.56)
        + expr.str.count_matches(r"[mwMW]") * (0.85 - 0.56)
    )
    return em * font_px * 1.05


def what_the_run_was(run: pl.DataFrame) -> tuple[str | None, str | None, str | None]:
    """(root span name, task, source file name) of one run: the root is the earliest span whose
    parent is not in the run (the earliest span when parents are not known); the task is read
    from its ``input`` (see :func:`task_text`)."""
    if "parent_id" in run.columns:
        is_root = pl.col("parent_id").is_null() | ~pl.col("parent_id").is_in(run.get_column("span_id").implode())
        roots = run.filter(is_root)
        run = roots if roots.height else run
    first = run.sort("start_time", nulls_last=True).head(1)
    root = first.select(
        name=short(pl.col("name"), 60),
        task=task_text(pl.col("input")) if "input" in first.columns else pl.lit(None, pl.String),
        source=pl.col("source_file").str.split("/").list.last() if "source_file" in first.columns else pl.lit(None, pl.String),
    ).row(0)
    return root[0], root[1], root[2]
