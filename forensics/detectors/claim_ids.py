"""A claim that names the identifier a successful call returned reports that call's act.

A policy claim names a kind of act ("updating a record": "I've saved your details") and the tools
that back it by name (``save``, ``update``, ``write`` ...). An application's tool may do that act
under another verb: a BeeAI ``RequirementAgent`` coordinator's ``create_intake`` tool saves an
intake and returns ``{"intake_id": "LI-26-3391", "status": "saved"}``, and the agent answers "I've
saved your details as intake LI-26-3391" (i-am-bee/beeai-framework ``python/beeai_framework/tools/
types.py``: a tool returns a ``JSONToolOutput`` whose text, ``to_json(result)``, is what the model
reads and what openinference-instrumentation-beeai records as the tool span's output). The
identifier in the claim's sentence is the one that call created: the claim reports a call that
succeeded, whatever the tool is called.

Only a call that acts can back a claim so: a lookup (a tool whose verb is a read, policy
``tools.read_only``: ``get_ticket``, ``search_orders``) returns the ids of things that already
were, and the final-answer tool returns the answer itself. Only a policy claim is read this way: a
claim in a tool's own words ("sent the email" for ``send_email``) names the tool that had to act.
An identifier is a token of letters, digits and ``- _ / #`` of at least five characters, with a
digit and a letter or separator in it: ``LI-26-3391``, ``ZD-48121``, ``INC0012345``; a bare number
or amount ("12.0", "2400") is no identifier.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: A token an identifier can be: letters and digits, joined by ``- _ / #``.
_TOKEN: Final = r"[A-Za-z0-9]+(?:[-_/#][A-Za-z0-9]+)*"
_MIN_LEN: Final = 5


def claims_naming_returned_ids(ctx: Context, hits: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, _c`` of the claims among ``hits`` (``run_key, _c, said, action, tool_name``)
    that are policy claims and whose sentence names an identifier a successful, acting call of the
    same run returned."""
    from forensics.detectors.claims import _read_tools, is_final_answer_tool

    policy_actions = [c.action for c in ctx.policy.claims]
    ids = (
        hits.filter(pl.col("tool_name").is_null() & pl.col("action").is_in(policy_actions))
        .select("run_key", "_c", pl.col("said").str.extract_all(_TOKEN).alias("ident"))
        .explode("ident")
        .filter(
            (pl.col("ident").str.len_chars() >= _MIN_LEN)
            & pl.col("ident").str.contains(r"\d")
            & pl.col("ident").str.contains(r"[A-Za-z_/#-]")
        )
        .collect()
    )
    if ids.height == 0:
        return pl.LazyFrame(schema={"run_key": pl.UInt32, "_c": pl.UInt32})
    calls = (
        ctx.spans.lazy()
        .filter(
            (pl.col("kind") == "tool")
            & pl.col("succeeded")
            & pl.col("output").is_not_null()
            & ~is_final_answer_tool()
            & pl.col("run_key").is_in(ids.get_column("run_key").unique().implode())
        )
        .select("run_key", "call_tool", "output")
        .collect()
    )
    reads = _read_tools(calls.lazy(), ctx.policy.read_only)
    acting = calls.filter(~pl.col("call_tool").is_in(reads).fill_null(False))
    return (
        ids.join(acting, on="run_key")
        .filter(pl.col("output").str.contains(pl.col("ident"), literal=True))
        .select("run_key", pl.col("_c").cast(pl.UInt32))
        .unique()
        .lazy()
    )


def claims_naming_given_values(ctx: Context, hits: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, _c`` of the policy claims among ``hits`` whose sentence says the act was done *as* a
    value another tool's call of the run was given ("I sent the date as 2025-03-1, which the API
    refused"): the verb tells how that call's request carried the value (a query's variable), not
    that a message went out. The call is one the claim's own tools (its policy ``tool`` pattern) do
    not name: a value a matching tool was given is its own act's, judged as a claim of it."""
    tool_of = {c.action: c.tool for c in ctx.policy.claims}
    if not tool_of:
        return pl.LazyFrame(schema={"run_key": pl.UInt32, "_c": pl.UInt32})
    given = (
        hits.filter(pl.col("tool_name").is_null() & pl.col("action").is_in(list(tool_of)))
        .select("run_key", "_c", "action", pl.col("said").str.extract_all(rf"(?i)\bas\s+{_TOKEN}").alias("value"))
        .explode("value")
        .with_columns(pl.col("value").str.replace(r"(?i)^as\s+", ""))
        .filter((pl.col("value").str.len_chars() >= _MIN_LEN) & pl.col("value").str.contains(r"\d"))
        .collect()
    )
    if given.height == 0:
        return pl.LazyFrame(schema={"run_key": pl.UInt32, "_c": pl.UInt32})
    calls = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("args").is_not_null()
                & pl.col("run_key").is_in(given.get_column("run_key").unique().implode()))
        .select("run_key", "call_tool", "args")
        .collect()
    )  # fmt: skip
    own_tool = pl.col("action").replace_strict(tool_of, return_dtype=pl.String)
    return (
        given.join(calls, on="run_key")
        .filter(
            pl.col("args").str.contains(pl.col("value"), literal=True)
            & ~pl.col("call_tool").str.contains(own_tool).fill_null(False)
        )
        .select("run_key", pl.col("_c").cast(pl.UInt32))
        .unique()
        .lazy()
    )
