"""Attribution rules on a Magentic-One orchestrator's instructions (``Orchestrator (-> X)``):
``unanswered_instruction`` and ``repeated_instruction`` (see :mod:`forensics.attribution`).

In autogen-magentic-one's ``LedgerOrchestrator`` (``agents/orchestrator.py``, ``_select_next_agent``)
every round writes a progress ledger, broadcasts its ``instruction_or_question`` as the message logged
``Orchestrator (-> X)`` and asks ``next_speaker`` X to reply; the ledger prompt
(``orchestrator_prompts.py``, ``ORCHESTRATOR_LEDGER_PROMPT``) asks "Are we in a loop where we are
repeating the same requests and / or getting the same responses as before?". An instruction is the
orchestrator's act, not the worker's.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _no_rows, _pick


def _instructions(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step, agent, handoff_to, output``: the orchestrator's instructions (handoffs) in runs
    that keep a progress ledger (Magentic-One), after the run's last replan."""
    ledgered = s.filter(pl.col("ledger_progress").is_not_null()).select("run_id").unique()
    return (
        s.join(ledgered, on="run_id", how="semi")
        .filter((pl.col("kind") == "handoff") & pl.col("handoff_to").is_not_null())
        .select("run_id", "step", "agent", "handoff_to", pl.col("output").fill_null(""), "last_replan")
    )


def _unanswered(s: pl.DataFrame) -> pl.DataFrame:
    """An instruction the named worker never answered (it never speaks after it): the orchestrator
    went on (answered, guessed or stopped) without what it asked for. Its first such instruction."""
    ins = _instructions(s)
    if ins.height == 0:
        return _pick(_no_rows(s), "unanswered_instruction", 1)
    spoke = s.select("run_id", pl.col("agent").alias("handoff_to"), pl.col("step").alias("_said"))
    answered = (
        ins.join(spoke, on=["run_id", "handoff_to"])
        .filter(pl.col("_said") > pl.col("step"))
        .select("run_id", "step")
        .unique()
    )
    open_ = (
        ins.join(answered, on=["run_id", "step"], how="anti")
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        open_.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} instructed {}, which never answered; the run went on without its reply",
                pl.col("step"),
                pl.col("agent"),
                pl.col("handoff_to"),
            ),
        ),
        "unanswered_instruction",
        1,
    )


def _replies(s: pl.DataFrame, ins: pl.DataFrame) -> pl.DataFrame:
    """``run_id, step, _reply``: the named worker's first output after each instruction (before the
    orchestrator's next instruction)."""
    nxt = ins.sort("run_id", "step").with_columns(_next=pl.col("step").shift(-1).over("run_id"))
    said = s.select(
        "run_id",
        pl.col("agent").alias("handoff_to"),
        pl.col("step").alias("_s"),
        pl.col("output").fill_null("").alias("_reply"),
    )
    return (
        nxt.join(said, on=["run_id", "handoff_to"])
        .filter(
            (pl.col("_s") > pl.col("step")) & ((pl.col("_s") < pl.col("_next")) | pl.col("_next").is_null())
        )
        .sort("run_id", "step", "_s")
        .unique(["run_id", "step"], keep="first")
        .select("run_id", "step", "_reply")
    )


def _repeated_instructions(s: pl.DataFrame) -> pl.DataFrame:
    """The orchestrator re-sending, word for word, an instruction to the same worker after that worker
    had already answered it twice with the same reply: one retry is fair (a page may load late); the
    third send, once the retry came back unchanged, is the loop the ledger prompt describes ("repeating
    the same requests and / or getting the same responses"), whatever the ledger said. A repeat of an
    instruction whose replies differ is not (the worker moved on), nor a second send under a ledger
    that says ``is_in_loop`` (the orchestrator's stall counter, ``max_stalls_before_replan``, allows
    it), nor a scroll repeated. Its first such instruction; ``_worker`` is the instructed worker."""
    ins = _instructions(s).filter(pl.col("step") > pl.col("last_replan"))
    if ins.height == 0:
        return _pick(_no_rows(s), "repeated_instruction", 1).with_columns(
            _worker=pl.lit(None, dtype=pl.String)
        )
    ins = ins.sort("run_id", "step").with_columns(
        _nth=pl.int_range(pl.len()).over("run_id", "handoff_to", "output"),
        _orig=pl.col("step").min().over("run_id", "handoff_to", "output"),
    )
    ins = ins.join(_replies(s, ins), on=["run_id", "step"], how="left")
    ins = ins.with_columns(
        _r1=pl.col("_reply").shift(1).over("run_id", "handoff_to", "output"),
        _r2=pl.col("_reply").shift(2).over("run_id", "handoff_to", "output"),
    )
    # A scroll repeats by nature and is the surfer's own way of looking (orchestrator_stall reads
    # whether it was told to scroll): the same scroll twice is no evidence the instruction looped.
    knew = (
        (pl.col("_nth") >= 2)
        & (pl.col("_r1") == pl.col("_r2")).fill_null(False)
        & ~pl.col("_r1").str.starts_with("I scrolled ").fill_null(False)
    )
    first = ins.filter(knew).sort("run_id", "step").unique("run_id", keep="first")
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} sent {} its step {} instruction a third time word for word, after the "
                "same reply came back twice",
                pl.col("step"),
                pl.col("agent"),
                pl.col("handoff_to"),
                pl.col("_orig"),
            ),
        ),
        "repeated_instruction",
        1,
    ).join(first.select("run_id", pl.col("handoff_to").alias("_worker")), on="run_id", how="left")
