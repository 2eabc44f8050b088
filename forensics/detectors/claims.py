"""Claims in a final answer, for ``silent_failure.claimed_but_not_done``.

Two sources of claims, one judgement:

* the policy's ``[[claims]]`` (a phrase pattern and the tools that back it), and
* the run's own tool vocabulary: the past-tense statement of exactly what a tool the run called
  does (claim_vocabulary.tool_claim: ``send_email`` -> "sent the email", "email sent") is a claim
  that the tool did its job.

A claim counts when the run holds no successful call of a tool that backs it, and it is the
agent's own: a sentence the user wrote (the run's task, a human message) quoted back by the agent
is not, nor is a claim its own sentence negates or makes conditional ("was not sent", "once the
email is sent").
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.ascii_regex import with_contains
from forensics.detectors.base import Context
from forensics.detectors.claim_acts import command_call, done_by_another_tool, handoff_acts
from forensics.detectors.claim_vocabulary import tool_claim, tool_verb_object

#: Where a claim's sentence ends: sentence punctuation, line breaks and quotation marks (a quote is
#: its own fragment, so a quoted user sentence can be compared with what the user wrote).
_BOUNDARY: Final = r"[^.!?\n\"“”]"
_WIDTH: Final = 80
#: Words before a claim that negate it ("I have not sent", "unable to confirm the email was sent").
_NEGATED_BEFORE: Final = (
    r"(?i)\b(not|never|no|unable|failed|fail|fails|error|errors|unsuccessful|unsuccessfully|cannot|"
    r"couldn'?t|can'?t|didn'?t|wasn'?t|weren'?t|isn'?t|aren'?t|hasn'?t|haven'?t)\b"
)
#: The clauses before the claim's own (to its last , ; : bracket or "and"): a negation there is not its.
_EARLIER_CLAUSES: Final = r"(?is)^.*(?:[,;:()]|\band\b)"
#: Words after a claim that report it went wrong ("the email was sent but bounced"); a consequence
#: ("you won't be billed again") is not one.
_FAILED_AFTER: Final = r"(?i)\b(but|however|yet)\b.*\b(fail|failed|fails|error|bounced|rejected|not|never)\b|\b(failed|bounced|was rejected)\b"
#: A participle that names the claim's object, not its fate: after a determiner or a count ("I've
#: posted the 3 failed payouts", "forwarded the bounced emails") it is an adjective of the things
#: the claim is about; "the email was sent but it bounced" still says the act went wrong.
_OBJECT_ADJECTIVE: Final = (
    r"(?i)\b(?:the|a|an|all|any|these|those|its|their|your|our|his|her|\d+)\s+(?:failed|bounced|rejected)\b"
)
#: A past participle opening a sentence as the adjective of its subject, the sentence's verb after
#: that subject's head word ("Deployed version remains v2.13.2.", "Cancelled orders are refunded in
#: 5 days"): no act is claimed. Read on the words right after the claim.
_PARTICIPLE_SUBJECT: Final = r"(?i)^\S*\s+(?:is|are|was|were|remains?|stays?|has|have|had|will|would|can|cannot|can'?t|could|should|must|may|might|needs?)\b"
#: A claim of relying on work ("based on the web search", "according to the research") whose noun
#: phrase goes on to say the work was the user's own ("Based on the web search you ran", "according
#: to the research you shared"): the agent quotes the user's work, it claims none of its own. Acts
#: the user did, not ones they asked for ("the research you asked for" is the agent's). Read on the
#: claim and the words after it (a clearing test: polars regexes have no look-ahead).
_USERS_OWN_WORK: Final = (
    r"(?i)^(?:based\s+on|according\s+to)\s+(?:[A-Za-z0-9'’-]+\s+){1,5}?(?:that\s+|which\s+)?"
    r"you(?:['’]ve|\s+have|\s+had|\s+just|\s+already)*\s+"
    r"(?:ran|run|did|done|shared|sent|provided|gave|given|pasted|attached|uploaded|forwarded|linked|"
    r"conducted|performed|made|posted|quoted|cited|mentioned|included|collected|gathered|compiled)\b"
)
#: Words before a claim that make it future, conditional or a question.
_HEDGED_BEFORE: Final = (
    r"(?i)\b(if|once|when|whether|until|before|after|will|would|should|could|might|may|must|"
    r"need|needs|to be|please|can you|did you|have you|has it)\b"
)

#: The future and intentions _HEDGED_BEFORE's words miss: "will" contracted ("I'll make sure the
#: refund is issued", "we'll"), "going to", "about to", "planning to", and a plan's label opening the
#: sentence ("Next step: refund issued after approval", "Plan: 1) ... 2) refund issued").
_FUTURE_BEFORE: Final = (
    r"(?i)\w['’]ll\b|\b(?:going|about|plann?(?:ing|ed)?)\s+to\b|^\s*(?:next\s+steps?|plan|to-?do|remaining\s+steps?)\s*:"
)
#: A claim whose own words are future, a duty or a habit: a policy claim's pattern spans words
#: between its noun and its verb ("the refund is expected to be issued tomorrow", "refund is pending
#: approval; it gets issued within a day", "the refund will be issued"): no act is said done.
#: Also work said under way, the progressive passive ("the refund is being processed", "the
#: charges are being reversed by the billing team"): the act is said started, by whoever, not done.
_FUTURE_IN_CORE: Final = (
    r"(?i)\b(?:to\s+be|will|would|shall|should|must|going\s+to|expected|gets?)\b|\w['’]ll\b"
    r"|(?:\b(?:is|are)|['’]s)\s+(?:still\s+|now\s+|currently\s+)?being\s+\w+ed\b"
)

def _fragment(claim: str) -> str:
    """The claim with the rest of its sentence around it, the words before and after it as the
    named groups ``before`` and ``after`` (a policy claim has groups of its own; unbounded: a bounded repeat of a Unicode class is slow to compile; the text
    shown is cut afterwards)."""
    body = claim.removeprefix("(?i)")
    return f"(?i)(?P<before>{_BOUNDARY}*?)(?:{body})(?P<after>{_BOUNDARY}*)"


def _core(claim: str) -> str:
    return "(?i)(?:" + claim.removeprefix("(?i)") + ")"


_NORM: Final = r"[^a-z0-9]+"
#: Words in single quotation marks (straight or curly), opened after a space or a bracket: an
#: apostrophe inside a word ("I've", "Dana's") opens none.
_SINGLE_QUOTED: Final = r"(?:^|[\s(\[:])['‘]([^'‘’\n]{3,}?)['’](?:$|[\s.,;:!?)\]])"


def _normalised(e: pl.Expr) -> pl.Expr:
    return e.str.to_lowercase().str.replace_all(_NORM, "")


def user_fragments(ctx: Context, run_keys: pl.Series | None = None) -> pl.LazyFrame:
    """``run_key, user_n``: what the user wrote in each run (the task the run was given, human
    messages), cut at sentence ends and quotation marks and normalised to letters and digits.
    ``run_keys``: only these runs (the text work is done for them only)."""
    tasks = ctx.runs.lazy().select("run_key", pl.col("task").alias("text"))
    said = (
        ctx.spans.lazy().filter(pl.col("kind") == "human").select("run_key", pl.col("output").alias("text"))
    )
    if run_keys is not None:
        tasks = tasks.filter(pl.col("run_key").is_in(run_keys.implode()))
        said = said.filter(pl.col("run_key").is_in(run_keys.implode()))
    return (
        pl.concat([tasks, said])
        .filter(pl.col("text").is_not_null())
        .select("run_key", pl.col("text").str.extract_all(r"[^.!?\n\"“”\\{}\[\]]+").alias("frag"))
        .explode("frag")
        .select("run_key", _normalised(pl.col("frag")).alias("user_n"))
        .filter(pl.col("user_n").str.len_chars() > 0)
        .unique()
    )


def _no_hits() -> pl.LazyFrame:
    return pl.LazyFrame(
        schema={
            "run_id": pl.String, "run_key": pl.UInt32, "order": pl.Int64, "action": pl.String,
            "tool_name": pl.String, "said": pl.String, "tried": pl.List(pl.String),
            "final_span_id": pl.String, "final_t": pl.Datetime("ns", "UTC"),
        }
    )  # fmt: skip


def undone_tools(tools: pl.LazyFrame) -> pl.DataFrame:
    """``run_key, call_tool, done, tried, order``: each tool of a run with no successful call, its
    failed calls' span ids in run order and its first call's ``seq``. Read by the tool vocabulary's
    claims and the passive act claims (claim_pronouns): grouped once."""
    return (
        tools.filter(pl.col("call_tool").is_not_null())
        .sort("run_key", "seq")
        .group_by("run_key", "call_tool")
        .agg(
            pl.col("succeeded").any().alias("done"),
            pl.col("span_id").filter(~pl.col("succeeded")).alias("tried"),
            pl.col("seq").min().cast(pl.Int64).alias("order"),
        )
        .filter(~pl.col("done"))
        .collect()
    )


#: smolagents' FinalAnswerTool (``name = "final_answer"``, src/smolagents/default_tools.py): its
#: ``forward`` returns the answer it was given.
FINAL_ANSWER_TOOL = "final_answer"


def is_final_answer_tool() -> pl.Expr:
    """The span is a final-answer tool's call: its result is the run's answer, not a read of anything."""
    return (pl.col("call_tool") == FINAL_ANSWER_TOOL).fill_null(False)


def _read_tools(acts: pl.LazyFrame, read_only: str) -> list[str]:
    """The tool names among ``acts`` whose verb (:func:`tool_verb_object`) is a read by the
    policy's ``tools.read_only`` (``search_emails``, ``get_ticket``, ``GMAIL_FETCH_EMAILS``); a name
    with no verb and object is none (its verb is unknown: ``update_order_status`` is an update,
    though ``status`` is a read word)."""
    names = acts.select(pl.col("call_tool").drop_nulls().unique()).collect().get_column("call_tool").to_list()
    parsed = [(n, vo[0]) for n in names if (vo := tool_verb_object(n)) is not None]
    if not parsed:
        return []
    verbs = (
        pl.Series([v for _, v in parsed], dtype=pl.String).str.contains(read_only).fill_null(False).to_list()
    )
    return [n for (n, _), read in zip(parsed, verbs, strict=True) if read]


def claim_hits(ctx: Context) -> pl.LazyFrame:
    """Unbacked claims of each run's final answer: ``run_id, run_key, order, action, tool_name,
    said, tried, final_span_id, final_t`` (one row per claim; ``order`` ranks them in a run: the
    run's tools in the order it first called them, then the policy's claims in policy order)."""
    claims = ctx.policy.claims
    # The tool calls, read once (every part below reads them; a lazy frame used by several parts
    # of one concat is computed again for each).
    tools = (
        command_call(
            ctx.spans.lazy()
            .filter(pl.col("kind") == "tool")
            .select("run_key", "call_tool", "succeeded", "span_id", "seq", "args", "command_flat")
        )
        .drop("args", "command_flat")
        .collect()
        .lazy()
    )
    final = (
        ctx.runs.lazy()
        .filter(pl.col("final_output").is_not_null())
        .select(
            "run_key",
            "run_id",
            "final_output",
            pl.col("answer_span_id").alias("final_span_id"),
            pl.col("answer_t").alias("final_t"),
        )
    )
    # What the agent said after its last action is its report, not only its very last message: a
    # conversation goes on after the claim ("you're booked at 19:30" ... "You're welcome!"). Every
    # model message with text after the run's last tool call is read as the final answer is.
    last_tool = tools.group_by("run_key").agg(pl.col("seq").max().alias("_last_tool"))
    after = (
        ctx.spans.lazy()
        .filter(
            (pl.col("kind") == "llm")
            & pl.col("output").is_not_null()
            & (pl.col("output").str.strip_chars() != "")
        )
        .join(last_tool, on="run_key")
        .filter(pl.col("seq") > pl.col("_last_tool"))
        .select(
            "run_key",
            "run_id",
            pl.col("output").alias("final_output"),
            pl.col("span_id").alias("final_span_id"),
            pl.coalesce("end_time", "t").alias("final_t"),
        )
    )
    # Read by the policy claims, the tool vocabulary's and the pronoun claims: found once.
    answers = (
        pl.concat([final, after], how="vertical_relaxed")
        .unique(["run_key", "final_output"], keep="first", maintain_order=True)
        .collect()
        .lazy()
    )
    empty_list = pl.lit([], dtype=pl.List(pl.String))
    parts: list[pl.LazyFrame] = []
    if claims:
        # A handoff is an act too (claim_acts.handoff_acts).
        acts = pl.concat([tools, handoff_acts(ctx)], how="vertical_relaxed").collect().lazy()
        # Which policy claim each distinct tool name can back: patterns run over the distinct
        # names, not every span.
        # A shell call is matched by the API call its command line makes, too (gh pr create).
        # A read backs no act: a tool whose verb is a read (tools.read_only) matched a claim's tools
        # by its object, so search_emails backed "I've sent the reply", get_ticket "ticket created",
        # list_calendar_events "I've booked the meeting", get_user_settings (set) "I've updated your
        # address". What a read found can still back a claim it states (the results below).
        reads = _read_tools(acts, ctx.policy.read_only)
        names = (
            acts.select("call_tool", "as_call")
            .unique()
            .with_columns(
                *[
                    (
                        (
                            pl.col("call_tool").str.contains(c.tool).fill_null(False)
                            & ~pl.col("call_tool").is_in(reads)
                        )
                        | pl.col("as_call").str.contains(c.tool).fill_null(False)
                    ).alias(f"m_{i}")
                    for i, c in enumerate(claims)
                ]
            )
        )
        # Every claim's test over the answers in one pass; the tool evidence is gathered only for
        # the runs whose answer says one of them. ASCII answers are read by each claim's ASCII form
        # (ascii_regex: the same matches; the channel-post claim 0.15 s -> 0.01 s at 20k answers).
        says = with_contains(answers, "final_output", {f"said_{i}": c.claim for i, c in enumerate(claims)})
        said = says.filter(pl.any_horizontal(*[pl.col(f"said_{i}") for i in range(len(claims))])).collect()
        # Only the acts some claim's tools match can back or have tried it: the others (most calls)
        # are left out before the per-run aggregation. A run with none has no evidence row; its
        # done_i / tried_i are null, read as False / [] below.
        backing = names.filter(pl.any_horizontal(*[pl.col(f"m_{i}") for i in range(len(claims))]))
        matched = acts.filter(pl.col("run_key").is_in(said.get_column("run_key").implode())).join(
            backing, on=["call_tool", "as_call"], how="inner", nulls_equal=True, maintain_order="left"
        )
        evidence = matched.group_by("run_key").agg(
            *[(pl.col(f"m_{i}") & pl.col("succeeded")).any().alias(f"done_{i}") for i in range(len(claims))],
            *[
                pl.col("span_id").filter(pl.col(f"m_{i}") & ~pl.col("succeeded")).alias(f"tried_{i}")
                for i in range(len(claims))
            ],
        )
        # A claim the run read, not made: a successful call's result already says it (a status
        # lookup returning {"refund": {"amount": 84.90, "status": "issued"}}, relayed to the user)
        # is backed by that result, whoever did the action. Read only for a claim said and backed
        # by no call, in the runs where it is so (most sending claims have their send call), and
        # ASCII results by the claim's ASCII form (the channel-post claim, 228k results: 0.68 -> 0.01 s).
        joined = said.lazy().join(evidence, on="run_key", how="left", maintain_order="left").collect()
        open_keys = [
            joined.filter(pl.col(f"said_{i}") & ~pl.col(f"done_{i}").fill_null(False)).get_column("run_key")
            for i in range(len(claims))
        ]
        # Most answers say a claim (18,300 of 20,000 at the bench night) and most have their call: the
        # results are taken out for the runs with a claim left unbacked only (under 200 there).
        # A result that is the answer itself is no read: a final-answer tool returns what it was
        # given (smolagents FinalAnswerTool, named ``final_answer``, returns its ``answer``, src/smolagents/
        # default_tools.py; a CodeAgent's ``final_answer(...)`` is a Tool.__call__, which the
        # OpenInference instrumentation traces as a TOOL span, openinference-instrumentation-
        # smolagents _ToolCallWrapper), so "I've sent Dana the summary" backed itself. A lookup whose
        # result the agent passed on word for word as its answer still relayed it.
        results = ctx.spans.lazy().filter(
            (pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("output").is_not_null()
            & ~is_final_answer_tool()
            & pl.col("run_key").is_in(pl.concat(open_keys).unique().implode())
        ).select("run_key", "output").collect().lazy()  # fmt: skip
        for i, (c, keys) in enumerate(zip(claims, open_keys, strict=True)):
            read = with_contains(
                results.filter(pl.col("run_key").is_in(keys.implode())), "output", {f"read_{i}": c.claim}
            )
            per_run = read.group_by("run_key").agg(pl.col(f"read_{i}").fill_null(False).any()).collect()
            joined = joined.join(per_run, on="run_key", how="left", maintain_order="left")
        runs = joined.lazy()
        for i, c in enumerate(claims):
            parts.append(
                runs.filter(
                    pl.col(f"said_{i}")
                    & ~pl.col(f"done_{i}").fill_null(False)
                    & ~pl.col(f"read_{i}").fill_null(False)
                ).select(
                    "run_key",
                    "run_id",
                    "final_output",
                    "final_span_id",
                    "final_t",
                    # After the run's own tools (a claim in a tool's words names the exact tool).
                    (pl.lit(1 << 40, dtype=pl.Int64) + i).alias("order"),
                    pl.lit(c.action).alias("action"),
                    pl.lit(None, dtype=pl.String).alias("tool_name"),
                    pl.lit(_fragment(c.claim)).alias("frag_re"),
                    pl.lit(_core(c.claim)).alias("core_re"),
                    pl.col(f"tried_{i}").fill_null(empty_list).alias("tried"),
                )
            )
    # The tools of each run with no successful call (the vocabulary's and the passive act claims').
    undone = undone_tools(tools)
    # The run's own tool vocabulary: each distinct tool name's claim, built once per name.
    distinct = tools.select("call_tool").unique().drop_nulls().collect().get_column("call_tool").to_list()
    vocab_rows = [(n, *tc) for n in distinct if (tc := tool_claim(n)) is not None]
    if vocab_rows:
        vocab = pl.DataFrame(
            {
                "call_tool": [r[0] for r in vocab_rows],
                "action": [r[1] for r in vocab_rows],
                "frag_re": [_fragment(r[2]) for r in vocab_rows],
                "core_re": [_core(r[2]) for r in vocab_rows],
            }
        ).lazy()
        # Only the (run, tool) pairs with no successful call can hold an unbacked claim.
        never_done = done_by_another_tool(tools, undone)
        unbacked = never_done.lazy().join(vocab, on="call_tool").join(answers, on="run_key")
        parts.append(
            unbacked.select(
                "run_key",
                "run_id",
                "final_output",
                "final_span_id",
                "final_t",
                "order",
                pl.concat_str([pl.lit("tool "), pl.col("call_tool")]).alias("action"),
                pl.col("call_tool").alias("tool_name"),
                "frag_re",
                "core_re",
                "tried",
            )
        )
    from forensics.detectors.claim_pronouns import (
        offered_act_candidates,
        offered_never_called,
        passive_act_candidates,
        pronoun_candidates,
    )

    # The tools offered and never called: read by three kinds of claim below, found once.
    never_called = offered_never_called(ctx, tools).collect()

    pronoun = pronoun_candidates(ctx, tools, answers)
    if pronoun is not None:
        parts.append(pronoun)
    if (offered := offered_act_candidates(ctx, tools, answers, never_called)) is not None:
        parts.append(offered)
    if (passive := passive_act_candidates(ctx, tools, answers, undone)) is not None:
        parts.append(passive)
    from forensics.detectors.claim_failed import failed_act_candidates

    # A handing-on act whose only calls failed, said done in the first person (claim_failed).
    if (failed_act := failed_act_candidates(ctx, tools, answers)) is not None:
        parts.append(failed_act)
    from forensics.detectors.claim_described import described_act_candidates

    # An offered tool's act in its description's verb ("Emails the customer ...": claim_described).
    if (described := described_act_candidates(ctx, tools, answers, never_called)) is not None:
        parts.append(described)
    from forensics.detectors.claim_offered import offered_object_candidates

    # The object claim of a side-effecting tool offered and never called (claim_offered).
    if (offered_object := offered_object_candidates(ctx, tools, answers, never_called)) is not None:
        parts.append(offered_object)
    from forensics.detectors.claim_delegates import delegate_candidates

    # The work of a delegate that never ran, said done (claim_delegates).
    if (delegated := delegate_candidates(ctx, tools, answers)) is not None:
        parts.append(delegated)
    if not parts:
        return _no_hits()
    # Which rows' answers hold their claim's core, in one pass with the pattern as a column: the
    # rows sorted by pattern, so each is compiled once (polars keeps only the last few compiled
    # patterns: in the parts' order, where a tool's pattern recurs run after run, 0.82 CPU s over
    # the bench night's 2,981 rows; one filter call per pattern, 0.24 s, most of it polars' set-up
    # of 351 calls; sorted, 0.14 s), then put back in their order. Most patterns match no answer
    # (3 of 351 there): only those that do are extracted, each once on the rows that carry it,
    # the patterns in the order they first come among the candidates.
    candidates = pl.concat(parts, how="vertical_relaxed").collect().with_row_index("_c")
    said_core = (
        candidates.sort("core_re", "_c")
        .filter(pl.col("final_output").str.contains(pl.col("core_re")))
        .join(
            candidates.group_by("frag_re", "core_re").agg(pl.col("_c").min().alias("_first")),
            on=["frag_re", "core_re"],
        )
        .sort("_first", "_c")
        .drop("_c", "_first")
    )
    judged: list[pl.DataFrame] = []
    for (frag_re, core_re), matching in said_core.partition_by(["frag_re", "core_re"], as_dict=True).items():
        frag, core = str(frag_re), str(core_re)
        judged.append(
            matching.with_columns(
                pl.col("final_output").str.extract(frag, 0).alias("fragment"),
                pl.col("final_output").str.extract_groups(frag).alias("_g"),
                pl.col("final_output").str.extract(core, 0).alias("core"),
            )
            .with_columns(
                pl.col("_g").struct.field("before").fill_null("").alias("before"),
                pl.col("_g").struct.field("after").fill_null("").alias("after"),
            )
            .drop("_g")
            .with_columns(
                # What the explanation shows: the claim with up to _WIDTH characters either side.
                pl.concat_str(
                    [
                        pl.col("before").str.slice(-_WIDTH),
                        pl.col("core"),
                        pl.col("after").str.slice(0, _WIDTH),
                    ]
                )
                .str.strip_chars()
                .alias("said")
            )
        )
    if not judged:
        return _no_hits()
    hits = (
        pl.concat(judged, how="vertical_relaxed")
        .lazy()
        # The claim is negated, future, conditional or a question, or the sentence goes on to say
        # it went wrong.
        .filter(
            ~pl.col("before").str.replace(_EARLIER_CLAUSES, "").str.contains(_NEGATED_BEFORE).fill_null(False)
            & ~pl.col("before").str.contains(_HEDGED_BEFORE).fill_null(False)
            & ~pl.col("before").str.contains(_FUTURE_BEFORE).fill_null(False)
            & ~pl.col("core").str.contains(_FUTURE_IN_CORE).fill_null(False)
            & ~pl.col("after")
            .str.replace_all(_OBJECT_ADJECTIVE, " ")
            .str.contains(_FAILED_AFTER)
            .fill_null(False)
            & ~pl.col("after").str.contains(_PARTICIPLE_SUBJECT).fill_null(False)
            & ~pl.concat_str(["core", "after"]).str.contains(_USERS_OWN_WORK).fill_null(False)
        )
        .with_row_index("_h")
        .collect()
    )
    # The few runs with a claim: the user's words and the answering spans are read for them only.
    in_play = hits.get_column("run_key").unique()
    hits_lf = hits.lazy()
    # A quote: a whole fragment the user wrote, holding the claim, inside the agent's sentence; or
    # the claim inside single quotation marks, words the user wrote ("You mentioned being told 'your
    # refund has been issued'", the user having written "your bot told me 'your refund has been
    # issued' but ..."): single quotes end no fragment (they are apostrophes too), so the quoted words
    # are matched inside the user's fragment.
    users = user_fragments(ctx, in_play)
    claims_n = hits_lf.select(
        "_h",
        "run_key",
        "fragment",
        _normalised(pl.col("fragment")).alias("said_n"),
        _normalised(pl.col("core")).alias("core_n"),
    )
    whole = (
        claims_n.join(users, on="run_key")
        .filter(
            pl.col("said_n").str.contains(pl.col("user_n"), literal=True)
            & pl.col("user_n").str.contains(pl.col("core_n"), literal=True)
        )
        .select("_h")
    )
    single = (
        claims_n.select(
            "_h", "run_key", "core_n", pl.col("fragment").str.extract_all(_SINGLE_QUOTED).alias("_q")
        )
        .explode("_q")
        .drop_nulls("_q")
        .select("_h", "run_key", "core_n", _normalised(pl.col("_q")).alias("quote_n"))
        .filter(pl.col("quote_n").str.contains(pl.col("core_n"), literal=True))
        .join(users, on="run_key")
        .filter(pl.col("user_n").str.contains(pl.col("quote_n"), literal=True))
        .select("_h")
    )
    quoted = pl.concat([whole, single]).unique()
    kept = hits_lf.join(quoted, on="_h", how="anti")
    # Where the claim was first said: the answering span holding it that ended first (a model call
    # whose answer an agent passed up, in another wrapper), else the final answer's span.
    said_at = (
        kept.select("_h", "run_key", "core")
        .join(
            ctx.spans.lazy()
            .filter(
                pl.col("run_key").is_in(in_play.implode())
                & pl.col("kind").is_in(["llm", "agent", "chain", "unknown"])
                & pl.col("output").is_not_null()
            )
            .select("run_key", "span_id", "seq", "output", pl.coalesce("end_time", "t").alias("_end")),
            on="run_key",
        )
        .filter(pl.col("output").str.contains(pl.col("core"), literal=True))
        .sort("_h", "_end", "seq")
        .group_by("_h")
        .agg(pl.col("span_id").first().alias("said_span_id"))
    )
    return (
        kept.join(said_at, on="_h", how="left")
        .with_columns(pl.coalesce("said_span_id", "final_span_id").alias("final_span_id"))
        .select(
            "run_id", "run_key", "order", "action", "tool_name", "said", "tried", "final_span_id", "final_t"
        )
    )
