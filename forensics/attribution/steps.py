"""The span table in each run's own order with the per-step facts the attribution rules read
(owner of a terminal's output, worker or orchestrator bookkeeping, the Magentic-One ledger columns).
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import (
    _CODE_FENCE,
    _LAST_MESSAGE_PLANS,
    _LEDGER_KEYS,
    _OBSERVATIONS,
    _PAGE_URL,
    _PLAN_OPENINGS,
    _REPLAN_OPENINGS,
)

#: The answer's marker in agbench's GAIA template, and Magentic-One's final-answer log role.
_FINAL_MARK = "FINAL ANSWER"
_FINAL_ROLE = "(final answer)"


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
        # Whom a handoff addresses (the loaders' column; ag2-history reads Magentic-One's
        # "Orchestrator (-> WebSurfer)" role into it).
        (
            pl.col("handoff_to")
            if "handoff_to" in df.columns
            else pl.col("name").str.extract(r"\(-> ([^)]+)\)", 1).alias("handoff_to")
        ),
        pl.int_range(pl.len(), dtype=pl.Int64).over("_rk").alias("step"),
        "attributes",
        pl.col("name").alias("_name"),
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
        plan_msg=_opens_with(_PLAN_OPENINGS),
        # The run's answer: a "FINAL ANSWER: x" line (agbench's GAIA template) or Magentic-One's
        # "Orchestrator (final answer)" message (``_prepare_final_answer``'s log role).
        final_msg=text.str.contains(_FINAL_MARK, literal=True)
        | pl.col("_name").fill_null("").str.ends_with(_FINAL_ROLE),
        replan=_opens_with(_REPLAN_OPENINGS),
    )
    # A plan after the run's first is a replan (agentchat posts its task ledger again: no opening of
    # its own), and its author, like a ledger's keeper, is the orchestrator (agentchat keeps its
    # ledger out of the messages): forensics.conventions.orchestrator_namings.
    has_plan = bool(out.get_column("plan_msg").any())
    if has_plan:
        out = out.with_columns(
            replan=pl.col("replan") | (pl.col("plan_msg") & (pl.col("plan_msg").cum_sum().over("_rk") > 1))
        )
    # The orchestrator: an agent that keeps a progress ledger in this run (Magentic-One's
    # Orchestrator); its plans, ledgers, handoffs and notes are bookkeeping, never a worker's output.
    # (Handing work over alone does not make one: OpenAI Agents SDK agents hand off and work too.)
    # Windows only where the frame holds what they look for (most span trees hold no ledger, no
    # plan and no code fence: their columns are constants, at no cost per row).
    has_ledger, has_replan, has_code = (
        ledger.height > 0,
        bool(out.get_column("replan").any()),
        bool(out.get_column("has_code").any()),
    )
    keeps_ledger = pl.col("ledger_progress").is_not_null() if has_ledger else pl.lit(False)
    out = out.with_columns(
        orchestrator=(keeps_ledger | pl.col("plan_msg")).any().over("_rk", "agent")
        if has_ledger or has_plan
        else pl.lit(False),
        # Magentic-One's replan resets every agent's history and rebroadcasts a new plan: what
        # went wrong before the last "New plan:" was recovered from, unless that plan carried it.
        last_replan=pl.when(pl.col("replan")).then(pl.col("step")).max().over("_rk").fill_null(-1)
        if has_replan
        else pl.lit(-1, dtype=pl.Int64),
    )
    if has_plan:
        # The final answer where it has no role of its own (agentchat's ``_prepare_final_answer``):
        # the orchestrator's own message (no role note, no handoff, no plan) that ends a run whose
        # plan is in such a naming.
        last_naming = (pl.col("plan_msg") & _opens_with(_LAST_MESSAGE_PLANS)).any().over("_rk")
        ends_run = pl.col("step") == pl.col("step").max().over("_rk")
        spoken_final = (
            last_naming
            & ends_run
            & pl.col("orchestrator")
            & (pl.col("kind") == "agent").fill_null(False)
            & (pl.col("_name") == pl.col("agent")).fill_null(False)
            & ~pl.col("plan_msg")
        )
        out = out.with_columns(
            final_msg=pl.col("final_msg") | spoken_final,
            # Where the messages hold no progress ledger (agentchat's goes to the trace log), that final
            # answer is where the orchestrator's acceptance shows: ``_prepare_final_answer`` writes it
            # once a ledger found the request satisfied (or the rounds ran out), from the transcript.
            accepts=spoken_final & ~pl.col("ledger_progress").is_not_null().any().over("_rk"),
        )
    else:
        out = out.with_columns(accepts=pl.lit(False))
    # The step whose code a tool ran: the latest earlier message holding code.
    if has_code:
        code_step = pl.when(pl.col("has_code")).then(pl.col("step")).forward_fill().over("_rk")
        code_agent = pl.when(pl.col("has_code")).then(pl.col("agent")).forward_fill().over("_rk")
        code_text = pl.when(pl.col("has_code")).then(pl.col("output")).forward_fill().over("_rk")
    else:
        code_step = pl.lit(None, dtype=pl.Int64)
        code_agent = pl.lit(None, dtype=pl.String)
        code_text = pl.lit(None, dtype=pl.String)
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
    out = _revisits(_instructed(out))
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
    ).drop("_code_text", "_name")


def _opens_with(openings: tuple[str, ...]) -> pl.Expr:
    """The step's text opens (leading whitespace aside) with one of ``openings``."""
    if not openings:
        return pl.lit(False)
    text = pl.col("output").fill_null("").str.strip_chars_start()
    return pl.any_horizontal(text.str.starts_with(o) for o in openings)


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


def _revisits(out: pl.DataFrame) -> pl.DataFrame:
    """``revisit``: the step is a browser observation of a page the same agent had already shown
    at an earlier step of the run (MultimodalWebSurfer's scroll, page down or find on a page it is
    on: "Here is a screenshot of [title](url)" with the same url). The page was chosen at the step
    that opened it; a later view of it only shows more of it: what the surfer then reads off it is
    its own reading. Read on the observation rows only."""
    seen = out.filter(pl.col("observation"))
    if seen.height == 0:
        return out.with_columns(revisit=pl.lit(False))
    views = (
        seen.select(
            "run_id", "step", "agent", pl.col("output").fill_null("").str.extract(_PAGE_URL, 1).alias("_url")
        )
        .drop_nulls("_url")
        .sort("run_id", "step")
        .with_columns(revisit=~pl.struct("run_id", "agent", "_url").is_first_distinct())
        .select("run_id", "step", "revisit")
    )
    return out.join(views, on=["run_id", "step"], how="left").with_columns(pl.col("revisit").fill_null(False))


#: A web surfer's action on a target it names (autogen-magentic-one / autogen-ext
#: MultimodalWebSurfer's action descriptions): "I clicked 'X'." and "I typed 'X' into the browser
#: address bar." (a search typed into the search bar is the surfer's own query, not a target).
_TARGETED = r"^I (?:clicked '(.+?)'\.|typed '(.+?)' into the browser address bar\.)"
_TARGET_PREFIXES = ("I clicked '", "I typed '")


#: A FileSurfer's view of a local file (the markdown browser's page: autogen-magentic-one
#: ``agents/file_surfer/file_surfer.py`` and autogen-ext ``agents/file_surfer/_file_surfer.py`` open
#: the path the model wrote into ``open_local_file`` and answer "Address: file:///p\nTitle: ...\n
#: Viewport position: Showing page i of n."); autogen-ext's later ``_get_browser_state`` heads the
#: view "Path: /p" (``MarkdownFileBrowser.path``, a plain path), and a browser given a plain path
#: keeps it as its address ("Address: /p"): group 1 the path.
_FILE_VIEW = r"^(?:Address|Path): (?:file://)?(/\S+)\n"
_FILE_VIEW_PREFIXES = ("Address: file://", "Address: /", "Path: /")


def _instructed(out: pl.DataFrame) -> pl.DataFrame:
    """``instructed``: the step is a web surfer's click or address-bar visit whose target the
    latest orchestrator instruction to it (or the request) named, word for word (every word of the
    target is in them), or a file surfer's view of a local file whose path that instruction or the
    request named (``_FILE_VIEW``): the surfer did what it was told, so the page or file it opened was
    the orchestrator's (or the user's) choice; what the surfer then made of it is its own. Read on the
    few targeted rows only."""
    text = pl.col("output").fill_null("")
    told = pl.when(pl.col("kind") == "handoff").then(pl.col("output")).forward_fill().over("_rk")
    told_to = pl.when(pl.col("kind") == "handoff").then(pl.col("handoff_to")).forward_fill().over("_rk")
    task = pl.when(pl.col("step") == 0).then(pl.col("output")).forward_fill().over("_rk")
    # What the step's agent was told: the latest instruction to it, and the request.
    said = pl.concat_str(
        pl.when(told_to == pl.col("agent")).then(told).otherwise(pl.lit("")),
        task.fill_null(""),
        separator="\n",
    )
    out = _file_views_instructed(out, said)
    # A literal prefix scan first (most span tables hold no surfer action): the regex on those rows only.
    prefixed = pl.any_horizontal(text.str.starts_with(p) for p in _TARGET_PREFIXES)
    if not bool(out.select(prefixed.any()).item()):
        return out.with_columns(instructed=pl.col("_file_told")).drop("_file_told")
    targeted = prefixed & text.str.contains(_TARGETED)
    if not bool(out.select(targeted.any()).item()):
        return out.with_columns(instructed=pl.col("_file_told")).drop("_file_told")
    rows = (
        out.with_columns(_said=said.str.to_lowercase())
        .filter(targeted)
        .select(
            "run_id",
            "step",
            pl.coalesce(text.str.extract(_TARGETED, 1), text.str.extract(_TARGETED, 2))
            .str.to_lowercase()
            .str.extract_all(r"[a-z0-9]+")
            .alias("_w"),
            "_said",
        )
        .explode("_w")
        .drop_nulls("_w")
        .group_by("run_id", "step")
        .agg(
            pl.col("_said")
            .str.contains(pl.lit(r"\b") + pl.col("_w") + pl.lit(r"\b"))
            .all()
            .alias("instructed")
        )
    )
    return (
        out.join(rows, on=["run_id", "step"], how="left")
        .with_columns(instructed=pl.col("instructed").fill_null(False) | pl.col("_file_told"))
        .drop("_file_told")
    )


def _file_views_instructed(out: pl.DataFrame, said: pl.Expr) -> pl.DataFrame:
    """``_file_told``: the step is a file view (``_FILE_VIEW``) of a path that ``said`` (what its agent
    was told: the latest instruction to it, and the request) names whole. A literal scan first."""
    text = pl.col("output").fill_null("")
    views = pl.any_horizontal(text.str.starts_with(p) for p in _FILE_VIEW_PREFIXES)
    if not bool(out.select(views.any()).item()):
        return out.with_columns(_file_told=pl.lit(False))
    # Named whole: the path not followed by more of a path (".../a.xlsx" names no ".../a.xlsx.bak").
    whole = pl.lit(r"(?:$|[^\w/.-]|\.(?:\s|$))")
    rows = (
        out.with_columns(_said=said)
        .filter(views)
        .select("run_id", "step", "_said", text.str.extract(_FILE_VIEW, 1).alias("_path"))
        .drop_nulls("_path")
        .select(
            "run_id",
            "step",
            pl.col("_said").str.contains(pl.col("_path").str.escape_regex() + whole).alias("_file_told"),
        )
    )
    return out.join(rows, on=["run_id", "step"], how="left").with_columns(
        pl.col("_file_told").fill_null(False)
    )
