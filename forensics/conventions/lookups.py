"""Lookups by key: a read tool named for the thing it finds and the key it finds it by.

tau-bench's retail tools find a customer by one of two keys, each its own tool:
``find_user_id_by_email`` and ``find_user_id_by_name_zip`` (``tau_bench/envs/retail/tools/
find_user_id_by_email.py``, ``find_user_id_by_name_zip.py``); the first answers a miss with the text
``"Error: user not found"`` as its result, and the retail policy (``tau_bench/envs/retail/wiki.md``)
has the agent authenticate the user by email, or else by name and zip code. The ``<verb>_<thing>_by_<key>``
naming is the common one for such APIs (``get_user_by_email``, ``get_order_by_id``). ``lookup_of`` is
the tool's name without its key (``find_user_id``): two tools with the same ``lookup_of`` look up the
same thing, so a miss followed by a hit of the other is the same step done another way (a fallback),
not an error read as data.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, published, register

#: A read verb, the thing, then ``_by_`` and the key (snake case, or dotted/camel names lower-cased).
_LOOKUP: Final = r"^((?:find|get|lookup|look_up|fetch|read|retrieve|search)[_.].+?)[_.]by[_.][a-z0-9_]+$"


def _extract() -> list[pl.Expr]:
    name = pl.coalesce("tool", "name")
    # The tool spans' names are taken out first and read there (the "_by_" scan and on_rows' mask,
    # evaluated twice, read every span's name before); only the few names holding "_by_" are
    # lower-cased and matched (the others are null to to_lowercase and extract).
    return [
        on_rows(
            pl.col("kind") == "tool",
            name,
            lambda e: pl.when(e.str.contains("_by_", literal=True)).then(e).str.to_lowercase().str.extract(_LOOKUP, 1),
        ).alias("_cv_lookup_of")
    ]


register(
    Convention(
        name="lookups",
        signals=(
            Signal(
                "a read tool named <verb>_<thing>_by_<key>, one per key (find_user_id_by_email, "
                "find_user_id_by_name_zip); a miss answered as text (\"Error: user not found\")",
                "tau-bench (retail); any tool API named so",
                "tau_bench/envs/retail/tools/find_user_id_by_email.py, find_user_id_by_name_zip.py; "
                "tau_bench/envs/retail/wiki.md (authenticate via email, or via name + zip code)",
                "lookup_of (the thing looked up: error_as_data takes a later hit by another key as the fallback)",
            ),
        ),
        extract=_extract,
        status=published("_cv_lookup_of", "lookup_of"),
        columns={"lookup_of": "what a <verb>_<thing>_by_<key> read tool looks up (its name without the key), else null"},
    )
)
