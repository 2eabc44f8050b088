"""Failure attribution beyond plumbing: for a failed run, the decisive agent and step, with evidence.

A run whose own verdict is a failure (or that a detector flagged) gets one ``(agent, step)``: the
0-based position of the step in the run's own order (the message index of a transcript; else span
order by ``start_time``, ``source_line``), the agent responsible for it, the rule that chose it and
one evidence sentence. The rules read only what the run itself says; a benchmark's answers
(``mistake_agent``, ``mistake_step``, ``mistake_reason``, ``ground_truth``) that a loader keeps as
``run.*`` attributes are never read: of ``attributes`` only the orchestrator ledger keys below
are; the run's verdict is never read (attribution answers "given that this run failed, where?";
whether a run is attributed is the caller's choice: classify attributes the runs whose ``@outcome``
is a failure, which for a Magentic-One history without a verdict is the failure its own log
declares, forensics.conventions.ledger.log_declared_failure, or that a detector flagged).

Rules, strongest evidence first. Among the *evidence* rules the earliest step wins (the decisive
step is the first one from which the failure followed); the *fallback* rules are tried in order
only when no evidence rule fires.

Evidence:

* ``orchestrator_stall``: the stall a Magentic-One run never got out of: its last progress ledger
  (``LedgerOrchestrator.update_ledger``, ``autogen_magentic_one/agents/orchestrator.py``) answers
  ``is_in_loop: true`` or ``is_progress_being_made: false``; the first ledger of that final streak
  (after the last one reporting progress and the last replan) judged the latest worker message,
  and the worker's *episode* (its unbroken outputs on one page) began with the action that put it
  where it got stuck: that step is blamed (a terminal's output is judged as the code that produced
  it: its author, at the message that held the code). A stall followed by progress or by a replan
  was recovered from and is not evidence.
* ``tool_error``: the first failed tool call (a terminal's non-zero exit code, a surfer's caught
  exception): the author of the code it ran, at the message that held the code. The evidence
  says whether the next message acknowledged the error or carried on as if it had worked.
* ``repeated_action``: the first message that repeats, word for word, an earlier message of the
  same agent (same action, same observation: a no-op loop).
* ``final_answer_origin``: where the run states ``FINAL ANSWER: x`` (a failed run: x is wrong),
  the first earlier step whose text contains x (a tool's output counts for the code's author).
* ``accepted_wrong_answer``: the first ledger answering ``is_request_satisfied: true`` accepted a
  wrong answer (attribution is asked about failed runs): a number its reason states that the task
  does not is traced to the first step that held it (its owner); without one, the worker message
  it judged.
* ``unverified_accepted``: the orchestrator turned an unestablished value into the answer: that
  ledger judged a worker message that says itself it could not find or verify the value, or
  estimates or guesses it; or an ``Orchestrator (-> X)`` instruction told a worker to assume or
  guess one. The orchestrator at that ledger is blamed.
* ``plan_unbacked_fact``: a plan ("Initial plan:" / "New plan:", ORCHESTRATOR_SYNTHESIZE_PROMPT)
  whose given-or-verified facts or plan bullets hold a number that neither the task nor any earlier
  message held: a fact sheet inventing a given, or a replan swapping a learned fact for a guess.

Magentic-One's replan resets every agent's history (``_select_next_agent``: ``self._chat_history =
[self._chat_history[0]]`` and a new plan): tool errors, repeats and stalls before the last "New
plan:" were recovered from; only the answer traces (final answer, accepted answer) cross it.

Fallback:

* ``unbacked_claim``: the first message (after the task statement) that introduces at least
  ``UNBACKED_MIN_FACTS`` new facts (numbers, capitalised names) that no earlier message, tool
  output or the task held, with no code to compute them and not being a tool observation.
* ``first_worker_output``: in a run with an orchestrator (an agent keeping a progress ledger), the first worker
  output: a PRIOR between agents, not evidence (no rule found the plan or any step wrong).
* ``first_response``: the first step after the task statement (a plan or first answer that the
  rest of the run built on).

Everything is polars expressions over the span table; nothing loops over rows in Python.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

#: Columns of ``attribute``'s result.
ATTRIBUTION_COLUMNS: Final = (
    "run_id",
    "decisive_agent",
    "decisive_step",
    "decisive_span_id",
    "attribution_rule",
    "attribution_evidence",
)
#: Evidence rules; the earliest step among those that fire wins.
EVIDENCE_RULES: Final = (
    "orchestrator_stall",
    "tool_error",
    "repeated_action",
    "final_answer_origin",
    "accepted_wrong_answer",
    "unverified_accepted",
    "plan_unbacked_fact",
)
#: Fallback rules, tried in this order.
FALLBACK_RULES: Final = ("unbacked_claim", "first_worker_output", "first_response")
#: New facts a message must introduce, without code or a tool behind it, to be an unbacked claim.
UNBACKED_MIN_FACTS: Final = 5
#: A repeated message shorter than this (``TERMINATE``, ``ok``) is not an action.
REPEAT_MIN_CHARS: Final = 20

#: The "facts" a message can introduce: numbers of two digits or more (not list markers) and
#: capitalised names inside a sentence (after a lower-case word or a comma, so not a sentence's
#: first word); the two characters before a name are cut off after matching.
_FACT_NUMBER = r"\b\d[\d,.]*\d\b"
_FACT_NAME = r"[a-z,] [A-Z][A-Za-z]{2,}"
#: A code fence: the message carries code for a terminal to run.
_CODE_FENCE = "```"
#: A browser observation (MultimodalWebSurfer's "Here is a screenshot of [title](url)", a markdown
#: browser's "Address: ... Viewport position:"): page text, not the agent's own claim.
_OBSERVATIONS = ("Here is a screenshot of [", "\nViewport position: ")
#: The next message acknowledges an error (so it was not misread).
_ACK = (
    r"(?i)\b(error|errors|fail\w*|exception|traceback|issue|problem|unable|could not|couldn't|cannot|"
    r"can't|not (?:found|defined|available|installed|exist\w*)|missing|fix\w*|retry|again|instead|"
    r"unfortunately|apolog\w*)\b"
)
_FINAL_ANSWER = r"(?im)FINAL ANSWER:\s*(.+?)\s*$"
#: Magentic-One's plan messages (``LedgerOrchestrator._select_next_agent``: "Initial plan:\n" and, after
#: "Stalled.... Replanning...", "New plan:\n" + ORCHESTRATOR_SYNTHESIZE_PROMPT).
_PLAN = "Initial plan:"
_REPLAN = "New plan:"
#: The synthesize prompt's sections a plan acts on: the facts it calls given or verified, and the plan.
_GIVEN_SECTION = r"(?s)GIVEN OR VERIFIED FACTS(.*?)(?:\n\s*2\. FACTS TO LOOK UP|$)"
_PLAN_SECTION = r"(?s)Here is the plan to follow as best as possible:(.*)$"
#: MultimodalWebSurfer's observation: "Here is a screenshot of [title](url)." (the page it is on).
_PAGE_URL = r"Here is a screenshot of \[[^\]]*\]\(([^)\s]*)\)"
#: A message that says its own value is not established: the author could not find or verify it,
#: or estimates, guesses or assumes it.
_HEDGE = (
    r"(?i)\b(?:could not|couldn't|was unable to|unable to|cannot|can't) (?:find|verify|confirm|locate|access|determine)"
    r"|\b(?:probably|approximately|roughly|presumably|an estimate|estimated|educated guess|assuming)\b"
)
#: An orchestrator instruction to take a value as given without finding it.
_ASSUME = r"(?i)\b(?:assume|assuming|guess)\b"
#: Any number (the answer a ledger accepts may be one digit); commas dropped before comparing.
_ANY_NUMBER = r"\b\d[\d,.]*\d\b|\b\d\b"
#: A number standing alone (two digits or more; not inside a date, a URL, a version or a name):
#: whitespace, a bracket or a quote before it, whitespace or punctuation after it.
_STANDALONE_NUMBER = r"(?:^|[\s(\[\"'$])\d[\d,.]*\d(?:[\s)\]\"'.,;:%]|$)"
#: A search engine's results page (a query in the URL).
_SEARCH_PAGE = r"/search\?|[?&]q="
#: The reason the ledger gives for ``is_request_satisfied`` (it usually restates the answer).
_SATISFIED_REASON = r'"is_request_satisfied"\s*:\s*\{[^{}]*?"reason"\s*:\s*"((?:[^"\\]|\\.)*)"'

_LEDGER_KEYS: Final = {
    "ledger_satisfied": "$['ledger.is_request_satisfied']",
    "ledger_in_loop": "$['ledger.is_in_loop']",
    "ledger_progress": "$['ledger.is_progress_being_made']",
    "ledger_next_speaker": "$['ledger.next_speaker']",
}


def attribute(spans: Any, runs: Any = None) -> pl.DataFrame:
    """One row per run: ``run_id, decisive_agent, decisive_step, decisive_span_id,
    attribution_rule, attribution_evidence``.

    ``spans``: the span table (Arrow, polars, or a LoadResult). ``runs``: optional run ids (a
    list, Series or a frame with ``run_id``) to attribute; by default every run in ``spans``.
    """
    from forensics.classify import _as_spans

    return _attribute(_as_spans(spans), runs)


def _attribute(df: pl.DataFrame, runs: Any = None) -> pl.DataFrame:
    """``attribute`` over a span frame already in SPAN_SCHEMA types (classify's)."""
    if runs is not None:
        wanted = _run_ids(runs)
        df = df.filter(pl.col("run_id").is_in(wanted.implode()))
    if df.height == 0:
        return _empty()
    steps = _steps(df)
    evidence = pl.concat(
        [
            _stalls(steps),
            _tool_errors(steps),
            _repeats(steps),
            _final_answer_origin(steps),
            _accepted_answers(steps),
            _plan_unbacked_facts(steps),
            _assumed_values(steps),
        ],
        how="vertical",
    )
    chosen_evidence = evidence.sort("run_id", "decisive_step", "_rank").unique("run_id", keep="first")
    # The fallback rules only for the runs no evidence rule named.
    rest = steps.join(chosen_evidence.select("run_id"), on="run_id", how="anti")
    fallback = pl.concat(
        [_unbacked_claims(rest), _first_worker_output(rest), _first_response(rest)], how="vertical"
    )
    chosen_fallback = fallback.sort("run_id", "_rank", "decisive_step").unique("run_id", keep="first")
    chosen = pl.concat([chosen_evidence, chosen_fallback], how="vertical")
    span_ids = steps.select(
        "run_id", pl.col("step").alias("decisive_step"), pl.col("span_id").alias("decisive_span_id")
    )
    return (
        chosen.join(span_ids, on=["run_id", "decisive_step"], how="left")
        .select(ATTRIBUTION_COLUMNS)
        .sort("run_id")
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "run_id": pl.String,
            "decisive_agent": pl.String,
            "decisive_step": pl.Int64,
            "decisive_span_id": pl.String,
            "attribution_rule": pl.String,
            "attribution_evidence": pl.String,
        }
    )


def _run_ids(runs: Any) -> pl.Series:
    if isinstance(runs, pl.DataFrame):
        return runs.get_column("run_id").cast(pl.String)
    return pl.Series("run_id", list(runs), dtype=pl.String)


def _steps(df: pl.DataFrame) -> pl.DataFrame:
    """The span table in each run's own order, with the per-step facts the rules read."""
    text = pl.col("output").fill_null("")
    is_tool = pl.col("kind") == "tool"
    ordered = df.sort("run_id", "start_time", "source_line", "span_id", nulls_last=True)
    # An integer key per run (the frame is sorted by run): windows over it, not over the string id.
    run_key = (pl.col("run_id") != pl.col("run_id").shift(1)).fill_null(True).cum_sum().alias("_rk")
    base = ordered.with_columns(run_key).select(
        "_rk",
        "run_id",
        "span_id",
        "kind",
        "status",
        "output",
        "input",
        pl.col("agent").fill_null(pl.col("name")).alias("agent"),
        pl.int_range(pl.len(), dtype=pl.Int64).over("_rk").alias("step"),
        "attributes",
        *(c for c in _LEDGER_KEYS if c in df.columns),
    )
    ledger = _ledger(base)
    base = base.drop([c for c in _LEDGER_KEYS if c in base.columns])
    out = base.join(ledger, on=["run_id", "span_id"], how="left").with_columns(
        is_tool=is_tool.fill_null(False),
        failed=(pl.col("status") == "error").fill_null(False),
        has_code=text.str.contains(_CODE_FENCE, literal=True) & ~is_tool.fill_null(False),
        observation=pl.any_horizontal(text.str.contains(o, literal=True) for o in _OBSERVATIONS),
        meta=(pl.col("kind") == "handoff").fill_null(False)
        | pl.col("ledger_progress").is_not_null()
        | pl.col("ledger_in_loop").is_not_null()
        | text.str.starts_with("Next speaker "),
        human=(pl.col("kind") == "human").fill_null(False),
        plan_msg=text.str.starts_with(_PLAN) | text.str.starts_with(_REPLAN),
        replan=text.str.starts_with(_REPLAN),
    )
    # The orchestrator: an agent that keeps a progress ledger in this run (Magentic-One's
    # Orchestrator); its plans, ledgers, handoffs and notes are bookkeeping, never a worker's output.
    # (Handing work over alone does not make one: OpenAI Agents SDK agents hand off and work too.)
    out = out.with_columns(
        orchestrator=pl.col("ledger_progress").is_not_null().any().over("_rk", "agent"),
        # Magentic-One's replan resets every agent's history and rebroadcasts a new plan: what
        # went wrong before the last "New plan:" was recovered from, unless that plan carried it.
        last_replan=pl.when(pl.col("replan")).then(pl.col("step")).max().over("_rk").fill_null(-1),
    )
    # The step whose code a tool ran: the latest earlier message holding code.
    code_step = pl.when(pl.col("has_code")).then(pl.col("step")).forward_fill().over("_rk")
    code_agent = pl.when(pl.col("has_code")).then(pl.col("agent")).forward_fill().over("_rk")
    code_text = pl.when(pl.col("has_code")).then(pl.col("output")).forward_fill().over("_rk")
    out = out.with_columns(
        code_step=code_step,
        code_agent=code_agent,
        _code_text=code_text,
        # A worker step: an agent's own contribution (not the orchestrator's bookkeeping, not the human).
        worker=~pl.col("meta")
        & ~pl.col("human")
        & ~pl.col("orchestrator")
        & (pl.col("kind").is_in(["agent", "tool"])).fill_null(False),
    )
    # Who is answerable for a step: a tool call that ran a message's code (its input's first line
    # is in that message), that code's author at that message; else the step itself.
    first_line = pl.col("input").str.strip_chars().str.split("\n").list.first()
    run_by_code = (
        pl.col("is_tool")
        & pl.col("code_step").is_not_null()
        & (first_line.str.len_chars() > 0).fill_null(False)
        & pl.col("_code_text").str.contains(first_line, literal=True).fill_null(False)
    )
    return out.with_columns(
        owner_step=pl.when(run_by_code).then(pl.col("code_step")).otherwise(pl.col("step")),
        owner_agent=pl.when(run_by_code).then(pl.col("code_agent")).otherwise(pl.col("agent")),
    ).drop("_code_text")


def _ledger(base: pl.DataFrame) -> pl.DataFrame:
    """``ledger_in_loop``, ``ledger_progress``, ``ledger_next_speaker`` per span: the columns
    when the frame already has them (the conventions layer's), else read from the rows that hold a
    ledger: by the conventions layer's Magentic-One ledger reader (forensics.conventions.ledger,
    any loader's text), else from the ag2-history loader's ``ledger.*`` attributes."""
    if all(c in base.columns for c in _LEDGER_KEYS):
        return base.select("run_id", "span_id", *_LEDGER_KEYS)
    rows = base.filter(pl.col("output").str.contains("is_in_loop", literal=True).fill_null(False))
    parsed = _read_with_conventions(rows)
    if parsed is None:
        parsed = rows.select(
            "run_id",
            "span_id",
            *(pl.col("attributes").str.json_path_match(p).alias(name) for name, p in _LEDGER_KEYS.items()),
        ).with_columns(
            ledger_satisfied=pl.col("ledger_satisfied").str.to_lowercase() == "true",
            ledger_in_loop=pl.col("ledger_in_loop").str.to_lowercase() == "true",
            ledger_progress=pl.col("ledger_progress").str.to_lowercase() == "true",
        )
    return parsed.select("run_id", "span_id", *_LEDGER_KEYS).filter(
        pl.col("ledger_in_loop").is_not_null() | pl.col("ledger_progress").is_not_null()
    )


def _read_with_conventions(rows: pl.DataFrame) -> pl.DataFrame | None:
    """The ledger columns by the conventions layer's Magentic-One ledger reader (one reader of the
    ledger for the whole package: its expressions, or its step over a frame with ``output``);
    None when it is not there or reads differently."""
    try:
        from forensics.conventions.registry import CONVENTIONS
    except ImportError:  # pragma: no cover - the layer ships with the package
        return None
    conv = next((c for c in CONVENTIONS if c.name == "magentic_one_ledger"), None)
    if conv is None:
        return None
    exprs = [e for e in conv.extract() if e.meta.output_name() in _LEDGER_KEYS]
    if len(exprs) == len(_LEDGER_KEYS):
        return rows.select("run_id", "span_id", *exprs)
    if conv.status is not None:
        try:
            out = conv.status(rows.select("run_id", "span_id", "output"))
        except pl.exceptions.ColumnNotFoundError:
            return None
        if all(k in out.columns for k in _LEDGER_KEYS):
            return out.select("run_id", "span_id", *_LEDGER_KEYS)
    return None


def _pick(frame: pl.DataFrame, rule: str, rank: int) -> pl.DataFrame:
    """Normalise a rule's candidate rows to (run_id, decisive_agent, decisive_step, rule, evidence)."""
    return frame.select(
        "run_id",
        pl.col("decisive_agent").cast(pl.String),
        pl.col("decisive_step").cast(pl.Int64),
        pl.lit(rule).alias("attribution_rule"),
        pl.col("attribution_evidence").cast(pl.String),
        pl.lit(rank, dtype=pl.Int64).alias("_rank"),
    )


def _judged(s: pl.DataFrame) -> pl.DataFrame:
    """The ledger rows, each with the latest worker step before it: (owner step, owner agent,
    step) of what the orchestrator was judging."""
    return s.with_columns(
        j_step=pl.when(pl.col("worker")).then(pl.col("owner_step")).shift(1).forward_fill().over("_rk"),
        j_agent=pl.when(pl.col("worker")).then(pl.col("owner_agent")).shift(1).forward_fill().over("_rk"),
        j_at=pl.when(pl.col("worker")).then(pl.col("step")).shift(1).forward_fill().over("_rk"),
    ).filter(pl.col("ledger_progress").is_not_null() | pl.col("ledger_in_loop").is_not_null())


def _hedged() -> pl.Expr:
    """The step's text says its own value is not established (read on the few rows a rule needs)."""
    return pl.col("output").fill_null("").str.contains(_HEDGE)


def _page_url() -> pl.Expr:
    """The page a web surfer's observation shows (MultimodalWebSurfer's screenshot line), else null."""
    return pl.col("output").fill_null("").str.extract(_PAGE_URL, 1)


def _episode_starts(s: pl.DataFrame) -> pl.DataFrame:
    """``run_id, j_at, ep_step, ep_agent``: for each worker step, the first step of its episode: the
    unbroken run of that worker's outputs (no other worker between) on the same page (a web
    surfer's screenshot URL; none for other workers), with that first step's owner (a terminal's
    run is its code's author at the code)."""
    w = s.filter(pl.col("worker")).select(
        "_rk", "run_id", "step", "agent", _page_url().alias("url"), "owner_step", "owner_agent"
    )
    brk = (pl.col("agent") != pl.col("agent").shift(1).over("_rk")).fill_null(True) | (
        pl.col("url").fill_null("") != pl.col("url").shift(1).over("_rk").fill_null("")
    )
    start = pl.when(brk).then(pl.col("step")).forward_fill().over("_rk")
    w = w.with_columns(_start=start)
    owners = w.select("run_id", pl.col("step").alias("_start"), "owner_step", "owner_agent")
    return (
        w.select("run_id", pl.col("step").alias("j_at"), "_start")
        .join(owners, on=["run_id", "_start"], how="left")
        .select(
            "run_id", "j_at", pl.col("owner_step").alias("ep_step"), pl.col("owner_agent").alias("ep_agent")
        )
    )


def _stalls(s: pl.DataFrame) -> pl.DataFrame:
    """The stall the run never got out of: in a run whose last ledger says it is in a loop or not
    progressing, the first ledger of that final streak (after the last ledger reporting progress and
    the last replan). A stall followed by progress or a replan was recovered from. The worker it
    judged got stuck in an episode (its unbroken outputs on one page): the episode's first step, the
    action that put it there, is blamed."""
    if s.get_column("ledger_progress").null_count() == s.height:
        return _pick(_no_rows(s), "orchestrator_stall", 0)  # no ledger at all
    judged = _judged(s).with_columns(
        _stalled=pl.col("ledger_in_loop").fill_null(False) | (pl.col("ledger_progress") == False),  # noqa: E712
    )
    last = (
        judged.sort("run_id", "step")
        .group_by("run_id", maintain_order=True)
        .agg(
            pl.col("_stalled").last().alias("_ends_stalled"),
            pl.col("ledger_satisfied").fill_null(False).last().alias("_ends_satisfied"),
            pl.when(~pl.col("_stalled")).then(pl.col("step")).max().fill_null(-1).alias("_last_ok"),
        )
    )
    streak = (
        judged.join(last, on="run_id")
        .filter(
            pl.col("_ends_stalled")
            & ~pl.col("_ends_satisfied")
            & pl.col("_stalled")
            & (pl.col("step") > pl.col("_last_ok"))
            & (pl.col("step") > pl.col("last_replan"))
            & pl.col("j_step").is_not_null()
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    streak_runs = streak.select("run_id")
    streak = streak.join(
        _episode_starts(s.join(streak_runs, on="run_id", how="semi")), on=["run_id", "j_at"], how="left"
    )
    what = (
        pl.when(pl.col("ledger_in_loop").fill_null(False))
        .then(pl.lit("in a loop"))
        .otherwise(pl.lit("not making progress"))
    )
    since = (
        pl.when(pl.col("ep_step").fill_null(pl.col("j_step")) != pl.col("j_step"))
        .then(pl.format(", stuck since its step {} on the same page", pl.col("ep_step")))
        .otherwise(pl.lit(""))
    )
    return _pick(
        streak.with_columns(
            decisive_agent=pl.coalesce("ep_agent", "j_agent"),
            decisive_step=pl.coalesce("ep_step", "j_step"),
            attribution_evidence=pl.format(
                "step {}: the orchestrator's ledger says the run is {} and it never recovered, judging {}'s step {}{}",
                pl.col("step"),
                what,
                pl.col("j_agent"),
                pl.col("j_at"),
                since,
            ),
        ),
        "orchestrator_stall",
        0,
    )


def _accepted_answers(s: pl.DataFrame) -> pl.DataFrame:
    """The first ledger that declared the request satisfied accepted a wrong answer (attribution is
    asked about failed runs; it never reads their verdict). If the worker message it judged says
    itself that its value is not established (it could not find or verify it, estimates or guesses),
    accepting it was the orchestrator's mistake, at that ledger (``unverified_accepted``). Else the
    answer is traced: a number or a name (a capitalised word inside a sentence, not an agent's) the
    ledger's reason states that the request does not, at the first step that held it (not a hedged
    one, not a plan; for a name, not a search results page, which lists names among others); without
    one, the judged worker message."""
    if s.get_column("ledger_satisfied").null_count() == s.height:
        return _pick(_no_rows(s), "accepted_wrong_answer", 4)
    judged = _judged(s)
    accepted = (
        judged.filter(pl.col("ledger_satisfied").fill_null(False) & pl.col("j_step").is_not_null())
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    # Only the runs a ledger declared satisfied: their texts are read further.
    s = s.join(accepted.select("run_id"), on="run_id", how="semi").with_columns(
        hedged=_hedged(), url=_page_url()
    )
    hedged = s.select("run_id", pl.col("step").alias("j_at"), pl.col("hedged").alias("_j_hedged"))
    accepted = accepted.join(hedged, on=["run_id", "j_at"], how="left")
    unverified = accepted.filter(pl.col("_j_hedged").fill_null(False))
    rest = accepted.filter(~pl.col("_j_hedged").fill_null(False))
    # The numbers the ledger's reason states, less those of the task statement (step 0).
    stated = (
        rest.select(
            "run_id",
            pl.col("step").alias("_ledger"),
            pl.col("output")
            .fill_null("")
            .str.extract(_SATISFIED_REASON, 1)
            .str.extract_all(_ANY_NUMBER)
            .alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(",", ""))
    )
    task_numbers = _numbers(s.filter(pl.col("step") == 0))
    stated = stated.join(task_numbers, on=["run_id", "_n"], how="anti")
    # A plan restates the task and numbers its sections ("1. GIVEN OR VERIFIED FACTS"): not where an
    # answer entered (a plan that invents a fact is plan_unbacked_fact's).
    seen = _numbers(
        s.filter((pl.col("step") > 0) & ~pl.col("human") & ~pl.col("hedged") & ~pl.col("plan_msg"))
    )
    # A name on a search engine's results page was only listed among others, not yet taken up
    # (MultimodalWebSurfer's web_search opens https://www.bing.com/search?q=...).
    steps_text = s.filter(
        (pl.col("step") > 0)
        & ~pl.col("human")
        & ~pl.col("hedged")
        & ~pl.col("plan_msg")
        & ~pl.col("url").fill_null("").str.contains(_SEARCH_PAGE)
    ).select("run_id", "step", pl.col("output").fill_null("").alias("_text"))
    task_text = s.filter(pl.col("step") == 0).select("run_id", pl.col("output").fill_null("").alias("_task"))
    agents = s.select("run_id", pl.col("agent").alias("_n")).drop_nulls().unique()
    names = (
        rest.select(
            "run_id",
            pl.col("step").alias("_ledger"),
            pl.col("output")
            .fill_null("")
            .str.extract(_SATISFIED_REASON, 1)
            .str.extract_all(_FACT_NAME)
            .list.eval(pl.element().str.slice(2))
            .alias("_n"),
        )
        .explode("_n")
        .drop_nulls("_n")
        .unique()
        .join(agents, on=["run_id", "_n"], how="anti")
        .join(task_text, on="run_id", how="left")
        .filter(~pl.col("_task").fill_null("").str.contains(pl.col("_n"), literal=True))
        .drop("_task")
    )
    name_hits = (
        names.join(steps_text, on="run_id")
        .filter(pl.col("_text").str.contains(pl.col("_n"), literal=True))
        .select("run_id", "_ledger", "_n", "step")
    )
    number_hits = stated.join(seen, on=["run_id", "_n"]).select("run_id", "_ledger", "_n", "step")
    origin = (
        pl.concat([number_hits, name_hits], how="vertical")
        .filter(pl.col("step") < pl.col("_ledger"))
        .sort("run_id", "step", "_n")
        .unique("run_id", keep="first")
        .join(s.select("run_id", "step", "owner_step", "owner_agent"), on=["run_id", "step"])
        .select(
            "run_id",
            pl.col("step").alias("_o_at"),
            "_n",
            pl.col("owner_step").alias("_o_step"),
            pl.col("owner_agent").alias("_o_agent"),
        )
    )
    rest = rest.join(origin, on="run_id", how="left")
    traced = pl.format(
        "step {}: the orchestrator's ledger took the request as satisfied, stating {}, which first appears at step {} ({})",
        pl.col("step"),
        pl.col("_n"),
        pl.col("_o_at"),
        pl.col("_o_agent"),
    )
    plain = pl.format(
        "step {}: the orchestrator's ledger took the request as satisfied by {}'s step {}",
        pl.col("step"),
        pl.col("j_agent"),
        pl.col("j_at"),
    )
    return pl.concat(
        [
            _pick(
                rest.with_columns(
                    decisive_agent=pl.coalesce("_o_agent", "j_agent"),
                    decisive_step=pl.coalesce("_o_step", "j_step"),
                    attribution_evidence=pl.when(pl.col("_o_step").is_not_null())
                    .then(traced)
                    .otherwise(plain),
                ),
                "accepted_wrong_answer",
                4,
            ),
            _pick(
                unverified.with_columns(
                    decisive_agent=pl.col("agent"),
                    decisive_step=pl.col("step"),
                    attribution_evidence=pl.format(
                        "step {}: the orchestrator's ledger took the request as satisfied by {}'s step {}, "
                        "which says itself that its value is not established",
                        pl.col("step"),
                        pl.col("j_agent"),
                        pl.col("j_at"),
                    ),
                ),
                "unverified_accepted",
                4,
            ),
        ],
        how="vertical",
    )


def _numbers(s: pl.DataFrame, text: pl.Expr | None = None) -> pl.DataFrame:
    """``run_id, step, _n``: every number a step's text (default: its output) holds, commas dropped."""
    src = pl.col("output").fill_null("") if text is None else text
    return (
        s.select("run_id", "step", src.str.extract_all(_ANY_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(",", ""))
        .unique()
    )


def _plan_unbacked_facts(s: pl.DataFrame) -> pl.DataFrame:
    """A plan that acts on a fact nobody established: an orchestrator plan (Magentic-One's "Initial
    plan:" / "New plan:") whose given-or-verified facts or plan bullets hold a number of two digits
    or more that neither the task nor any earlier message held (a fact sheet inventing a "given"
    fact, or a replan replacing a learned fact with a guess). The plan is the decisive step."""
    plans = s.filter(pl.col("plan_msg") & ~pl.col("human"))
    if plans.height == 0:
        return _pick(_no_rows(s), "plan_unbacked_fact", 5)
    text = pl.col("output").fill_null("")
    acted = pl.concat_str(
        text.str.extract(_GIVEN_SECTION, 1).fill_null(""),
        pl.lit("\n"),
        text.str.extract(_PLAN_SECTION, 1).fill_null(""),
    )
    claimed = (
        plans.select("run_id", "step", acted.str.extract_all(_STANDALONE_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(r"[^\d.]", "").str.strip_chars("."))
        .filter(pl.col("_n").str.len_chars() >= 2)
        .unique()
    )
    first_seen = _numbers(s).group_by("run_id", "_n").agg(pl.col("step").min().alias("_first"))
    novel = (
        claimed.join(first_seen, on=["run_id", "_n"])
        .filter(pl.col("_first") == pl.col("step"))
        .group_by("run_id", "step")
        .agg(pl.col("_n").sort().str.join(", ").alias("_facts"))
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .join(s.select("run_id", "step", "agent"), on=["run_id", "step"])
    )
    return _pick(
        novel.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {}'s plan acts on {} that neither the task nor any earlier message held",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_facts"),
            ),
        ),
        "plan_unbacked_fact",
        5,
    )


def _assumed_values(s: pl.DataFrame) -> pl.DataFrame:
    """The orchestrator telling a worker to assume or guess a value (Magentic-One's ``Orchestrator
    (-> X)`` instruction, read from the ledger's ``instruction_or_question``): the team improvised
    instead of establishing it; the decisive step is the ledger that first gave that instruction."""
    ledger_at = (
        pl.when(pl.col("ledger_progress").is_not_null()).then(pl.col("step")).forward_fill().over("_rk")
    )
    told = (
        s.with_columns(_ledger_at=ledger_at)
        .filter(
            (pl.col("kind") == "handoff").fill_null(False)
            & pl.col("orchestrator")
            & pl.col("output").fill_null("").str.contains(_ASSUME)
            & (pl.col("step") > pl.col("last_replan"))
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
        .with_columns(decisive_step=pl.coalesce("_ledger_at", "step"))
    )
    return _pick(
        told.with_columns(
            decisive_agent=pl.col("agent"),
            attribution_evidence=pl.format(
                "step {}: {} told the team to assume a value instead of establishing it",
                pl.col("decisive_step"),
                pl.col("agent"),
            ),
        ),
        "unverified_accepted",
        4,
    )


def _tool_errors(s: pl.DataFrame) -> pl.DataFrame:
    ack = pl.col("output").fill_null("").str.contains(_ACK)
    nxt_ack = pl.when(pl.col("worker") & ~pl.col("is_tool")).then(ack).shift(-1).backward_fill().over("_rk")
    failed = s.with_columns(nxt_ack=nxt_ack).filter(
        pl.col("failed") & pl.col("worker") & (pl.col("step") > pl.col("last_replan"))
    )
    first = failed.sort("run_id", "step").unique("run_id", keep="first")
    reading = (
        pl.when(pl.col("nxt_ack") == False)  # noqa: E712
        .then(pl.lit("; the next message carried on as if it had worked"))
        .when(pl.col("nxt_ack"))
        .then(pl.lit("; the next message acknowledged it"))
        .otherwise(pl.lit(""))
    )
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: {} failed ({}) running {}'s step {}{}",
                pl.col("step"),
                pl.col("agent"),
                pl.col("status"),
                pl.col("owner_agent"),
                pl.col("owner_step"),
                reading,
            ),
        ),
        "tool_error",
        1,
    )


def _repeats(s: pl.DataFrame) -> pl.DataFrame:
    # Word for word: the same text (by a 64-bit hash, then compared) from the same agent.
    rows = s.filter(
        pl.col("worker") & ~pl.col("is_tool") & (pl.col("output").str.len_bytes() >= REPEAT_MIN_CHARS)
    ).with_columns(_h=pl.col("output").hash(7))
    rows = (
        rows.filter(pl.len().over("_rk", "agent", "_h") > 1)
        .with_columns(
            _nth=pl.int_range(pl.len()).over("_rk", "agent", "output"),
            _orig=pl.col("step").min().over("_rk", "agent", "output"),
        )
        .filter((pl.col("_nth") > 0) & (pl.col("step") > pl.col("last_replan")))
    )
    first = rows.sort("run_id", "step").unique("run_id", keep="first")
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} repeated its step {} word for word",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_orig"),
            ),
        ),
        "repeated_action",
        2,
    )


def _final_answer_origin(s: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("output").fill_null("")
    answers = (
        s.filter(text.str.contains(_FINAL_ANSWER))
        .with_columns(_answer=text.str.extract(_FINAL_ANSWER, 1).str.strip_chars(" .\"'*").str.to_lowercase())
        .filter(pl.col("_answer").str.len_chars() > 0)
        .sort("run_id", "step")
        .unique("run_id", keep="last")
        .select("run_id", "_answer", pl.col("step").alias("_final_step"))
    )
    if answers.height == 0:
        return _pick(_no_rows(s), "final_answer_origin", 3)
    hits = (
        s.join(answers, on="run_id")
        .filter(
            (pl.col("step") < pl.col("_final_step"))
            & (pl.col("step") > 0)
            & ~pl.col("human")
            & ~pl.col("meta")
            & ~pl.col("plan_msg")
            & ~_hedged()
            & text.str.to_lowercase().str.contains(
                pl.concat_str(pl.lit(r"(^|\W)"), pl.col("_answer").str.escape_regex(), pl.lit(r"($|\W)"))
            )
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        hits.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: the final answer '{}' (step {}) first appears here, from {}",
                pl.col("step"),
                pl.col("_answer"),
                pl.col("_final_step"),
                pl.col("owner_agent"),
            ),
        ),
        "final_answer_origin",
        3,
    )


def _unbacked_claims(s: pl.DataFrame) -> pl.DataFrame:
    tokens = (
        s.select(
            "run_id",
            "step",
            pl.concat_list(
                pl.col("output").fill_null("").str.extract_all(_FACT_NUMBER),
                pl.col("output")
                .fill_null("")
                .str.extract_all(_FACT_NAME)
                .list.eval(pl.element().str.slice(2)),
            ).alias("_tok"),
        )
        .explode("_tok")
        .drop_nulls("_tok")
    )
    first_seen = tokens.group_by("run_id", "_tok").agg(pl.col("step").min().alias("_first"))
    novel = first_seen.group_by("run_id", pl.col("_first").alias("step")).agg(pl.len().alias("_novel"))
    claims = (
        s.join(novel, on=["run_id", "step"], how="left")
        .filter(
            (pl.col("step") > 0)
            & pl.col("worker")
            & ~pl.col("is_tool")
            & ~pl.col("has_code")
            & ~pl.col("observation")
            & (pl.col("_novel").fill_null(0) >= UNBACKED_MIN_FACTS)
        )
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        claims.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} states {} facts that no earlier message or tool output held, with no code or tool behind them",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_novel"),
            ),
        ),
        "unbacked_claim",
        10,
    )


def _first_worker_output(s: pl.DataFrame) -> pl.DataFrame:
    """In a run with an orchestrator (an agent keeping a ledger) and no evidence: the first output of a
    worker, its owner if a tool ran it. A PRIOR, not evidence: an orchestrator's plan is bookkeeping
    that no rule found wrong, and the work that failed was done by the workers."""
    first = (
        s.filter(pl.col("worker") & pl.col("orchestrator").any().over("_rk"))
        .sort("run_id", "step")
        .unique("run_id", keep="first")
    )
    return _pick(
        first.with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: {}'s first output as a worker; a prior, not evidence (no rule found the orchestrator's "
                "plan or any step wrong)",
                pl.col("owner_step"),
                pl.col("owner_agent"),
            ),
        ),
        "first_worker_output",
        11,
    )


def _first_response(s: pl.DataFrame) -> pl.DataFrame:
    # The first step after the task statement (step 0), its owner if it is a tool call.
    first = s.filter(pl.col("step") >= 1).sort("run_id", "step").unique("run_id", keep="first")
    alone = s.group_by("run_id").agg(pl.len().alias("_n")).filter(pl.col("_n") == 1)
    only = s.join(alone, on="run_id")
    return _pick(
        pl.concat([first, only.drop("_n")], how="vertical").with_columns(
            decisive_agent=pl.col("owner_agent"),
            decisive_step=pl.col("owner_step"),
            attribution_evidence=pl.format(
                "step {}: {}'s first response to the task, which the rest of the run built on (no stronger evidence)",
                pl.col("owner_step"),
                pl.col("owner_agent"),
            ),
        ),
        "first_response",
        12,
    )


def _no_rows(s: pl.DataFrame) -> pl.DataFrame:
    return s.head(0).with_columns(
        decisive_agent=pl.col("agent"), decisive_step=pl.col("step"), attribution_evidence=pl.lit("")
    )
