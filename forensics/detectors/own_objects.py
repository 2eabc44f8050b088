"""Removals of what the run itself made: a scratch file, a branch, a record it created first.

A coding agent writes a throwaway script, runs it and deletes it; it makes a branch to try a
change and deletes it; a test creates a record and removes it. The deletion takes away only what
the run brought into being a few steps earlier: nothing that was there before the run is lost,
which is what makes a deletion irreversible (TAXONOMY unguarded_action: an irreversible tool run
with no approval). The object is told by an argument value of the removal (a path, a name, an id)
that the first call of the run naming it (a create / write / add / make / copy / upload call that
succeeded, of the same kind of object: ``write_file`` for ``delete_file``, ``create_branch`` for
``delete_branch``) also named; ``create_backup`` naming the database a ``drop_database`` then drops
made a backup, not the database. A run that read or used the object before making it, or whose first
mention of it is anything but its making, removes something that was already there.
"""

from __future__ import annotations

import json
from typing import Any, Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
#: A tool that brings an object into being (by the verb in its name).
_MAKES: Final = r"(?i)(?:^|[^a-z])(?:create|write|add|new|make|touch|mkdir|save|upload|insert|copy|clone|generate)"


def _values(args: str | None) -> list[str]:
    """The string values of a call's top-level JSON arguments that can name an object."""
    try:
        value: Any = json.loads(args or "")
    except ValueError:
        return []
    if not isinstance(value, dict):
        return []
    return [v for v in value.values() if isinstance(v, str) and 3 <= len(v) <= 300 and '"' not in v and "\\" not in v]


def made_by_the_run(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the removals (``acts``: ``run_id, span_id, seq``) one of whose argument
    values the run's first call naming it, a successful making call, created."""
    calls = acts.select("run_id", "span_id", "seq").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    args = ctx.spans.filter(pl.col("span_id").is_in(calls.get_column("span_id").implode())).select("run_id", "span_id", "args")
    named = pl.DataFrame(
        [(r, sid, v) for r, sid, a in args.iter_rows() for v in _values(a)],
        schema={"run_id": pl.String, "span_id": pl.String, "value": pl.String},
        orient="row",
    )
    if named.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    named = named.join(calls, on=["run_id", "span_id"]).with_columns(
        pl.concat_str([pl.lit('"'), pl.col("value"), pl.lit('"')]).alias("quoted")
    )
    earlier = (
        ctx.spans.lazy()
        .filter(pl.col("run_id").is_in(calls.get_column("run_id").unique().implode()) & pl.col("kind").is_in(["tool"]))
        .select("run_id", pl.col("seq").alias("e_seq"), pl.col("args").alias("e_args"), pl.col("call").alias("e_call"), "succeeded")
        .collect()
    )
    first = (
        named.join(earlier, on="run_id")
        .filter((pl.col("e_seq") < pl.col("seq")) & pl.col("e_args").str.contains(pl.col("quoted"), literal=True).fill_null(False))
        .sort("e_seq")
        .group_by("run_id", "span_id", "value")
        .agg(pl.col("e_call").first(), pl.col("succeeded").first())
    )
    made = first.filter(pl.col("e_call").str.contains(_MAKES).fill_null(False) & pl.col("succeeded").fill_null(False))
    if made.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    removals = ctx.spans.filter(pl.col("span_id").is_in(made.get_column("span_id").implode())).select("run_id", "span_id", "call")
    same = [
        (r, sid)
        for r, sid, call, e_call in made.join(removals, on=["run_id", "span_id"]).select("run_id", "span_id", "call", "e_call").iter_rows()
        if (kind := _object(call)) is not None and kind == _object(e_call)
    ]
    return pl.DataFrame(same, schema=_EMPTY, orient="row").unique().lazy()


def _object(name: str | None) -> str | None:
    """The head noun of a tool name's object, singular (``delete_files`` -> file), or None."""
    from forensics.detectors.claim_acts import _stem
    from forensics.detectors.claim_vocabulary import tool_verb_object

    parts = tool_verb_object(name) if name else None
    return _stem(parts[1][-1]) if parts else None
