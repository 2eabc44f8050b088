"""agent_run_of: which agent run a span belongs to (its nearest agent ancestor within a few levels),
on the walk by row numbers and, where span ids repeat within a run, on the walk by joins."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
from span_builder import concat, span, spans

from forensics.classify import _as_spans
from forensics.detectors.agent_runs import _owners, _walk_joins, agent_run_of
from forensics.detectors.base import Context
from forensics.detectors.preparation import prepare
from forensics.policy import load_policy


def _ctx(table: pa.Table) -> Context:
    return prepare(_as_spans(table), load_policy())


def _owner_ids(ctx: Context, hops: int = 4) -> dict[tuple[str, str], str | None]:
    """(run, span) -> the span id of its agent run, read back through the span keys."""
    rows = ctx.spans.lazy().select("run_id", "span_id", "span_k")
    owned = agent_run_of(ctx, rows, hops=hops).collect()
    ids = ctx.spans.select(pl.col("span_k").alias("owner"), pl.col("span_id").alias("owner_id"))
    out = owned.join(ids, on="owner", how="left", maintain_order="left")
    return {(r["run_id"], r["span_id"]): r["owner_id"] for r in out.iter_rows(named=True)}


def _tree() -> list[dict[str, object]]:
    # manager (agent) -> step (chain) -> tool; step -> researcher (agent) -> step -> llm; and a
    # chain five levels below the manager with no agent between.
    return [
        span("mgr", 0, 20, kind="agent", name="manager"),
        span("s1", 1, 10, parent_id="mgr", kind="chain", name="Step 1"),
        span("t1", 2, 3, parent_id="s1", kind="tool", name="search"),
        span("sub", 3, 9, parent_id="s1", kind="agent", name="researcher"),
        span("s2", 4, 8, parent_id="sub", kind="chain", name="Step 1"),
        span("l1", 5, 6, parent_id="s2", kind="llm", name="gpt"),
        span("c1", 11, 19, parent_id="mgr", kind="chain", name="a"),
        span("c2", 12, 18, parent_id="c1", kind="chain", name="b"),
        span("c3", 13, 17, parent_id="c2", kind="chain", name="c"),
        span("c4", 14, 16, parent_id="c3", kind="chain", name="d"),
        span("c5", 15, 15.5, parent_id="c4", kind="chain", name="e"),
    ]


def test_each_span_belongs_to_its_nearest_agent_run_within_the_hops() -> None:
    got = _owner_ids(_ctx(spans(*_tree())))
    assert got[("r1", "mgr")] == "mgr"  # an agent span is its own run
    assert got[("r1", "t1")] == "mgr"  # two levels up
    assert got[("r1", "sub")] == "sub"  # a sub-agent starts a run of its own
    assert got[("r1", "l1")] == "sub"
    assert got[("r1", "c4")] == "mgr"  # four levels up: within the hops
    assert got[("r1", "c5")] is None  # five levels up: past them


def test_fewer_hops_stop_sooner() -> None:
    got = _owner_ids(_ctx(spans(*_tree())), hops=1)
    assert got[("r1", "s1")] == "mgr"
    assert got[("r1", "t1")] is None


def test_no_rows_asked_reads_no_owners() -> None:
    ctx = _ctx(spans(*_tree()))
    out = agent_run_of(ctx, ctx.spans.lazy().filter(pl.lit(False)).select("span_k")).collect()
    assert out.height == 0 and out.schema["owner"] == pl.UInt64
    assert "agent_run_owners" not in ctx._cache


def test_the_walk_by_row_numbers_agrees_with_the_walk_by_joins() -> None:
    # Two runs reusing the same span ids: keys are per run, so each run's tree is its own.
    ctx = _ctx(concat(spans(*_tree()), spans(*_tree(), run_id="r2")))
    by_rows = _owners(ctx).sort("span_k")
    assert by_rows.equals(_walk_joins(ctx).sort("span_k"))
    got = _owner_ids(ctx)
    assert got[("r2", "l1")] == "sub" and got[("r1", "l1")] == "sub"


def test_a_span_id_repeated_within_a_run_walks_by_joins() -> None:
    # A table built by hand that reuses the id "s1" for a second step (a load quarantines such a
    # row; classify takes any table): the children of "s1" still find the manager.
    again = spans(span("s1", 10.5, 10.8, parent_id="mgr", kind="chain", name="Step 2"))
    ctx = _ctx(concat(spans(*_tree()), again))
    assert ctx.spans.get_column("span_k").n_unique() < ctx.spans.height
    got = _owner_ids(ctx)
    assert got[("r1", "t1")] == "mgr"
    assert got[("r1", "l1")] == "sub"
