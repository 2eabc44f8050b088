"""Attribution rule over a file the web surfer downloaded: ``unread_download`` (see
:mod:`forensics.attribution`).

autogen-magentic-one's MultimodalWebSurfer saves a download to its downloads folder and shows a page
of its own making, "Download Successful": "Successfully downloaded '<suggested_filename>' to local
path:<br><br><downloads_folder>/<name>" (``agents/multimodal_web_surfer/multimodal_web_surfer.py``
``_execute_tool``, "Handle downloads"). The surfer cannot read the file; the team's FileSurfer (its
markdown browser) or the Coder's code can, by that path. A document the team fetched and nobody
opened, while the orchestrator sent a worker to another source whose figure became the answer, was
set aside by that ledger (``LedgerOrchestrator.update_ledger``: ``next_speaker`` and
``instruction_or_question``), which is blamed.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.attribution.common import _blame_row, _no_rows, _pick

#: The surfer's download page (OCR of its heading, or the page text): the file name it saved.
_DOWNLOADED: Final = r"Successfully downloaded '([^'\n]+)' to local path"


def _unread_downloads(s: pl.DataFrame, origins: pl.DataFrame) -> pl.DataFrame:
    """``unread_download``: a worker step showing the surfer's download page for file ``f``; no later
    step of another agent (a FileSurfer view, the Coder's code, a terminal run) and no ``file://``
    visit names ``f``; the final answer's figure first entered at a worker step (``origins``: the
    ``final_answer_origin`` rows) after a ledger, later than the download, that does not name ``f``
    (its instruction is part of its text): that ledger sent the team to another source with the fetched document unread."""
    text = pl.col("output").fill_null("")
    downloads = s.filter(pl.col("worker") & text.str.contains(_DOWNLOADED, literal=False)).select(
        "run_id",
        pl.col("step").alias("_d"),
        pl.col("agent").alias("_da"),
        text.str.extract(_DOWNLOADED, 1).alias("_file"),
    )
    if downloads.height == 0 or origins.height == 0:
        return _pick(_no_rows(s), "unread_download", 4)
    later = s.filter(pl.col("worker")).select(
        "run_id",
        pl.col("step").alias("_at"),
        pl.col("agent").alias("_a"),
        pl.concat_str(text, pl.col("input").fill_null(""), separator="\n").alias("_t"),
    )
    opened = (
        downloads.join(later, on="run_id")
        .filter(
            (pl.col("_at") > pl.col("_d"))
            & pl.col("_t").str.contains(pl.col("_file"), literal=True)
            & ((pl.col("_a") != pl.col("_da")) | pl.col("_t").str.contains("file://", literal=True))
        )
        .select("run_id", "_d")
        .unique()
    )
    unread = downloads.join(opened, on=["run_id", "_d"], how="anti")
    ledgers = s.filter(pl.col("ledger_progress").is_not_null()).select(
        "run_id", pl.col("step").alias("_l"), "agent", text.alias("_ins")
    )
    # The ledger whose instruction the answer's origin answered: the latest before it.
    sent = (
        origins.select("run_id", pl.col("decisive_step").alias("_o"), pl.col("decisive_agent").alias("_oa"))
        .join(ledgers, on="run_id")
        .filter(pl.col("_l") < pl.col("_o"))
        .sort("run_id", "_l")
        .unique("run_id", keep="last")
    )
    hits = (
        sent.join(unread, on="run_id")
        .filter((pl.col("_d") < pl.col("_l")) & ~pl.col("_ins").str.contains(pl.col("_file"), literal=True))
        .sort("run_id", "_d")
        .unique("run_id", keep="first")
    )
    return _blame_row(
        hits,
        "unread_download",
        4,
        pl.format(
            "step {}: {}'s ledger sent {} to another source while '{}', downloaded at step {}, was never "
            "opened; the answer's figure came from there (step {})",
            pl.col("_l"),
            pl.col("agent"),
            pl.col("_oa"),
            pl.col("_file"),
            pl.col("_d"),
            pl.col("_o"),
        ),
        step="_l",
    )
