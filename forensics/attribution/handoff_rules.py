"""Attribution rules on a Magentic-One orchestrator's instructions (``Orchestrator (-> X)``):
``unanswered_instruction``, ``repeated_instruction`` and ``replan_repeated_instruction`` (see :mod:`forensics.attribution`).

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


#: An address an instruction sends a worker to (a page or a file).
_URL = r"[a-z]+://[^\s'\")]+"


def _replan_repeats(s: pl.DataFrame) -> pl.DataFrame:
    """A replan whose first instruction is word for word one the orchestrator sent the same worker
    before it (or sends it to the same addresses, in other words), in the stall that led to it (every ledger from that instruction to the replan answered
    ``is_progress_being_made: false`` or ``is_in_loop: true``). Magentic-One replans when the stall
    counter runs out (``_select_next_agent``: "Stalled.... Replanning...", then "New plan:"), and its
    replan prompt (``ORCHESTRATOR_UPDATE_PLAN_PROMPT``, ``orchestrator_prompts.py``) asks for a plan that
    overcomes the prior challenges and avoids repeating the same mistakes: a new plan that hands out
    the instruction that stalled, unchanged, repeats the stall. The replan message is blamed (the
    first place the decision appears). The first such replan per run; a worker that got the team
    stuck by its own doing before the replan is earlier and stays decisive."""
    replans = s.filter(pl.col("replan")).select(
        "run_id", pl.col("step").alias("_r"), pl.col("agent").alias("_who")
    )
    ins = _instructions(s)
    if replans.height == 0 or ins.height == 0:
        return _pick(_no_rows(s), "replan_repeated_instruction", 1)
    # The same instruction: word for word, or sending the worker to the same addresses in other words
    # ("Open https://x/t4 and read ..." / "Please visit https://x/t4 to find ...").
    urls = pl.col("output").str.extract_all(_URL).list.sort().list.join(" ")
    ins = ins.with_columns(_key=pl.when(urls != "").then(urls).otherwise(pl.col("output")))
    nxt = replans.sort("run_id", "_r").with_columns(_next=pl.col("_r").shift(-1).over("run_id"))
    after = (
        nxt.join(ins, on="run_id")
        .filter(
            (pl.col("step") > pl.col("_r")) & ((pl.col("step") < pl.col("_next")) | pl.col("_next").is_null())
        )
        .sort("run_id", "_r", "step")
        .unique(["run_id", "_r"], keep="first")
        .select("run_id", "_r", "_who", "handoff_to", "_key")
    )
    before = after.join(
        ins.select("run_id", "handoff_to", "_key", pl.col("step").alias("_e")),
        on=["run_id", "handoff_to", "_key"],
    ).filter(pl.col("_e") < pl.col("_r"))
    # The ledgers between the earlier instruction and the replan: none may report progress out of a loop.
    ledgers = s.filter(pl.col("ledger_progress").is_not_null()).select(
        "run_id",
        pl.col("step").alias("_l"),
        (pl.col("ledger_progress").fill_null(False) & ~pl.col("ledger_in_loop").fill_null(False)).alias(
            "_moved"
        ),
    )
    moved = (
        before.join(ledgers, on="run_id")
        .filter((pl.col("_l") > pl.col("_e")) & (pl.col("_l") < pl.col("_r")))
        .group_by("run_id", "_r", "_e")
        .agg(pl.col("_moved").any(), pl.len().alias("_n"))
    )
    stalled = (
        before.join(moved, on=["run_id", "_r", "_e"])
        .filter(~pl.col("_moved") & (pl.col("_n") > 0))
        .sort("run_id", "_r", "_e")
        .unique("run_id", keep="first")
    )
    return _pick(
        stalled.with_columns(
            decisive_agent=pl.col("_who"),
            decisive_step=pl.col("_r"),
            attribution_evidence=pl.format(
                "step {}: {}'s new plan sent {} its step {} instruction again word for word, the one the team "
                "had stalled on",
                pl.col("_r"),
                pl.col("_who"),
                pl.col("handoff_to"),
                pl.col("_e"),
            ),
        ),
        "replan_repeated_instruction",
        1,
    )
