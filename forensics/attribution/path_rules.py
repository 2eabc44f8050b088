"""Attribution rule for a worker that opened another path than the one it was given:
``miscopied_path`` (see :mod:`forensics.attribution`).

Magentic-One's FileSurfer opens a local file by the path its model writes into the ``open_local_file``
tool call (autogen-magentic-one ``agents/file_surfer/file_surfer.py``; agentchat
``autogen_ext/agents/file_surfer/_file_surfer.py``); a path that does not exist comes back as the
markdown browser's not-found page: "Address: file:///p" ... "File not found: /p"
(``stall_rules._MISSING_FILE``). When the request or an instruction before it named the file by another
path (the same file name under other folders: "/workspace/gaia/attachments/deck.pptx" given,
"/workspace/gaia/deck.pptx" opened) and no message before it named the path it opened, the path was
mis-copied by the worker: its view is the decisive step. A path the instruction named word for word
and that does not exist is the orchestrator's (``orchestrator_stall``, ``_scrolled_as_told``); a file
of another name is no copy of the given one and is not read here.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _no_rows, _pick
from forensics.attribution.stall_rules import _MISSING_FILE

#: A path's last component (the file name) after its last "/".
_FILE_NAME = r"/([^/\s]+)$"


def _miscopied_paths(s: pl.DataFrame) -> pl.DataFrame:
    """The first worker view of a missing local file whose file name an earlier message gave under
    another path, while no earlier message named the opened path: the worker is blamed there."""
    text = pl.col("output").fill_null("")
    views = (
        s.filter(pl.col("worker") & text.str.contains("File not found: ", literal=True))
        .select("run_id", "step", "agent", text.str.extract(_MISSING_FILE, 1).alias("_path"))
        .drop_nulls("_path")
        .with_columns(_name=pl.concat_str(pl.lit("/"), pl.col("_path").str.extract(_FILE_NAME, 1)))
        .drop_nulls("_name")
    )
    if views.height == 0:
        return _pick(_no_rows(s), "miscopied_path", 2)
    said = s.filter(~pl.col("worker") | (pl.col("step") == 0)).select(
        "run_id", pl.col("step").alias("_k"), pl.col("agent").alias("_ka"), text.alias("_said")
    )
    before = views.join(said, on="run_id").filter(pl.col("_k") < pl.col("step"))
    # Any earlier message (a worker's too) that named the opened path: the worker was given it.
    given = pl.concat(
        [
            before.select("run_id", "step", "_path", "_said"),
            views.join(
                s.filter(pl.col("worker")).select("run_id", pl.col("step").alias("_k"), text.alias("_said")),
                on="run_id",
            )
            .filter(pl.col("_k") < pl.col("step"))
            .select("run_id", "step", "_path", "_said"),
        ],
        how="vertical",
    ).filter(pl.col("_said").str.contains(pl.col("_path"), literal=True))
    named = (
        before.join(given.select("run_id", "step").unique(), on=["run_id", "step"], how="anti")
        .filter(pl.col("_said").str.contains(pl.col("_name"), literal=True))
        .with_columns(
            _given=pl.col("_said").str.extract(
                pl.concat_str(pl.lit(r"(/[^\s'\"`]*"), pl.col("_name").str.escape_regex(), pl.lit(")")), 1
            )
        )
        .drop_nulls("_given")
        .filter(pl.col("_given") != pl.col("_path"))
        .sort("run_id", "step", "_k")
        .unique(["run_id", "step"], keep="last")
    )
    first = named.sort("run_id", "step").unique("run_id", keep="first")
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} opened {}, which does not exist, where step {} ({}) gave the file as {}: "
                "the path was mis-copied",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_path"),
                pl.col("_k"),
                pl.col("_ka"),
                pl.col("_given"),
            ),
        ),
        "miscopied_path",
        2,
    )
