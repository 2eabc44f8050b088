"""Claims of a delegate's work where the delegate never ran, for ``claims.claim_hits``.

Frameworks drop a requested delegation without an error the model sees:

* OpenAI Swarm's ``handle_tool_calls`` (swarm/core.py) sets ``partial_response.agent`` for every
  tool call that returned an Agent, so of two transfers in one response only the last one runs;
* the OpenAI Agents SDK's ``execute_handoffs`` (src/agents/_run_impl.py) runs only the first of
  several handoffs one response asks for (the rest answered "Multiple handoffs detected, ignoring
  this one.", the span's SpanError "Multiple handoffs requested").

A smolagents manager may also answer without ever calling the team member its prompt lists
("You can also give tasks to team members: search_agent"), and say that member did the work.

The agent that does answer then often reports the dropped agent's part as done ("the duplicate
charge has been refunded" after transfer_to_refunds was dropped; "my search agent retrieved").
Two claims are read:

* the delegate named as the subject of a past act ("the Returns Agent emailed the label", "my
  search agent retrieved"), for a delegate handed to that never started work in the run
  (ownership_gap.dangling_handoffs), or a managed agent (``runs.managed_agents``) of a run where
  no agent ran under the manager at all; for the latter, when no tool but the answer succeeded
  either, a statement of having checked against a source ("confirmed against the NVD") too;
* the work a delegate handed to is named for said done: its name without the
  words that say it is an agent (``Refunds Agent``, ``transfer_to_refunds`` -> refund) as the verb
  of a past act ("has been refunded", "I've refunded") or as the noun of a passive of completion
  ("your return ... is set up", "the return label has been emailed"), unless a successful tool of
  the run is named for that work (``issue_refund``).

* the answer relying on the work of a team member that never ran, in a run where no tool but the
  answer succeeded: "Based on the research, ...", "According to my web search", "I searched the
  web", "my research shows". The work is named by the member's name (``research_agent`` ->
  research) and by its description, as the manager's prompt shows it (runs.tool_descriptions:
  "A team member that will search the internet to answer your question." -> search; "an agent
  that can do web search" -> search, the object of a light verb), as claim_described reads a
  tool's act from its description.

A claim of passing the case on ("forwarded to the refunds team") is not a claim of the work: the
completion participles below leave the handover verbs out.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.claim_vocabulary import name_words, noun_pattern, past_forms
from forensics.detectors.claims import _core, _fragment, _read_tools

#: Words of an agent's name that say it is an agent, not what it does (``Refunds Agent``,
#: ``search_agent``, ``Returns Desk``, ``billing_team``).
_ROLE: Final = frozenset(
    {"agent", "agents", "assistant", "bot", "desk", "team", "specialist", "expert", "worker", "department",
     "helper", "crew", "the", "transfer", "to", "handoff", "ai", "gpt", "llm"}
)  # fmt: skip
#: A past act said of the delegate as the subject: a regular past (retrieved, confirmed, emailed)
#: or an irregular one agents report work with.
_PAST_ACT: Final = r"[a-z]{3,}ed|found|got|sent|ran|did|made|brought|dug\s+up|came\s+back\s+with"
#: Participles of completion in a passive ("is set up", "has been emailed"): the handover verbs
#: (forwarded, passed, transferred, escalated, routed, referred, assigned) are not among them.
_DONE: Final = (
    r"set\s+up|sent|done|emailed|mailed|issued|processed|completed|created|arranged|approved|initiated|"
    r"submitted|scheduled|booked|refunded|returned|confirmed|started|opened|generated|applied|credited|"
    r"cancell?ed|updated|shipped|filed|placed|handled|resolved|taken\s+care\s+of|reversed|fixed|upgraded"
)
#: A statement of having checked the answer against a source ("These were confirmed against the
#: NVD", "verified with the official standings", "cross-checked in the registry").
_CHECKED: Final = (
    r"(?i)(?-u:\b)(?:confirmed|verified|checked|cross-checked|double-checked|validated|looked\s+up)"
    r"\s+(?:against|with|in|on|using|via)\s"
)
#: The verb a description gives its agent's work after a modal or "to" ("that will search the
#: internet", "can do web search"), with the words after it.
_DESCRIBED_VERB: Final = re.compile(r"(?i)\b(?:will|can|to|shall)\s+([a-z]{2,})")
#: Verbs that name no work of their own: the work is their object ("do web search" -> search).
_LIGHT: Final = frozenset({"do", "perform", "conduct", "carry", "run", "make", "handle", "provide", "out"})
#: Verbs a description uses that are not work (be asked, have access, help you).
_NOT_WORK: Final = frozenset({"be", "have", "get", "help", "assist", "you", "use", "call", "ask"})
#: Words that end a light verb's object ("do web search on a topic").
_OBJECT_END: Final = frozenset({"on", "for", "of", "about", "to", "and", "or", "with", "in", "from", "that", "which"})
_B: Final = r"(?-u:\b)"
_W: Final = r"[A-Za-z0-9_'-]"


def _name_re(name: str) -> str | None:
    words = name_words(name.removeprefix("transfer_to_"))
    if not words:
        return None
    return r"[\s_-]+".join(noun_pattern(w) for w in words)


def subject_claim(name: str) -> str | None:
    """The regex of a past act said with the delegate ``name`` as its subject ("my search agent
    retrieved", "Returns Agent has emailed"), or None for a name with no words."""
    who = _name_re(name)
    if who is None:
        return None
    return (
        rf"(?i){_B}(?:{who})(?:\s*,?\s+(?:who|which|that))?(?:\s+(?:has|have|had|just|already|also))*\s+(?:{_PAST_ACT}){_B}"
    )


def topic(name: str) -> str | None:
    """The work a delegate is named for: the last word of its name that does not say it is an
    agent, singular (``Refunds Agent`` -> refund, ``transfer_to_returns`` -> return)."""
    words = [w for w in name_words(name) if w not in _ROLE]
    if not words:
        return None
    w = words[-1]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    return w if len(w) > 2 else None


def work_claim(work: str) -> str:
    """The regex of ``work`` said done: its verb's past in a perfect, passive or first-person
    statement, or its noun before a passive of completion."""
    past = "|".join(re.escape(p) for p in past_forms(work))
    return (
        rf"(?i){_B}(?:has|have|had)\s+been\s+(?:{_W}+ly\s+)?(?:{past}){_B}"
        rf"|{_B}(?:i|we)(?:'ve|’ve|\s+have|\s+had)?\s+(?:just\s+|also\s+|already\s+|now\s+)?(?:{past}){_B}"
        rf"|{_B}{noun_pattern(work)}(?:\s+{_W}+){{0,4}}?\s+(?:has\s+been|have\s+been|was|were|is|are)\s+"
        rf"(?:now\s+|all\s+|also\s+|successfully\s+|already\s+)?(?:{_DONE}){_B}"
    )


def described_work(description: str) -> str | None:
    """The work a description says its agent does: the first verb after a modal or "to" that is
    work ("A team member that will search the internet" -> search), or a light verb's object's
    head word ("This is an agent that can do web search." -> search); None when there is none."""
    for m in _DESCRIBED_VERB.finditer(description):
        verb = m.group(1).lower()
        if verb in _NOT_WORK:
            continue
        if verb not in _LIGHT:
            return verb
        head = None
        for word in re.findall(r"[a-z]+|[^a-z\s]", description[m.end() :].lower())[:5]:
            if word in _OBJECT_END or not word.isalpha():
                break
            if word not in {"a", "an", "the", "some", "out"}:
                head = word
        if head is not None and len(head) > 2:
            return head
    return None


def _gerund(verb: str) -> str:
    return (verb[:-1] if verb.endswith("e") and not verb.endswith("ee") else verb) + "ing"


def relied_claim(work: str) -> str:
    """The regex of an answer relying on ``work`` as done: "based on the research", "according to
    my web search", "I've searched", "my research shows"."""
    past = "|".join(re.escape(p) for p in past_forms(work))
    nouns = f"{noun_pattern(work)}|{re.escape(_gerund(work))}"
    return (
        rf"(?i){_B}(?:based\s+on|according\s+to)\s+(?:the|my|our|this|these|that|its)\s+(?:{_W}+\s+){{0,2}}?(?:{nouns}){_B}"
        rf"|{_B}(?:i|we)(?:'ve|’ve|\s+have|\s+had)?\s+(?:just\s+|already\s+|also\s+)?(?:{past}){_B}"
        rf"|{_B}(?:my|our)\s+(?:{_W}+\s+)?(?:{nouns})\s+(?:shows?|showed|found|finds|indicates?|indicated|suggests?|"
        rf"suggested|confirms?|confirmed|turned\s+up){_B}"
    )


def _never_ran(ctx: Context) -> pl.DataFrame:
    """``run_key, delegate, tried, handed, managed``: agents handed to that never started work in
    their run, with the handoff spans that asked for them; and a manager's managed agents
    (``runs.managed_agents``) in a run where no agent ran under the manager at all (its only agent
    span the root), which the manager never asked (``handed`` false, no span tried) or asked in
    code that never ran the call (delegation_code: ``handed``, the model calls that wrote it tried)."""
    from forensics.detectors.ownership_gap import dangling_handoffs

    handed = (
        dangling_handoffs(ctx)
        .lazy()
        .sort("run_key", "seq")
        .group_by("run_key", pl.col("handoff_target").alias("delegate"))
        .agg(pl.col("span_id").alias("tried"))
        .with_columns(pl.lit(True).alias("handed"), pl.lit(False).alias("managed"))
    )
    from forensics.detectors.delegation_code import managed_never_run, written_not_run

    listed = managed_never_run(ctx).select(
        "run_key", "delegate", pl.lit([], dtype=pl.List(pl.String)).alias("tried"), pl.lit(False).alias("handed"),
        pl.lit(True).alias("managed"),
    )
    # A managed agent whose call the manager wrote in code that never ran it (delegation_code) was
    # asked for: handed, the model calls that wrote it tried.
    written = written_not_run(ctx).lazy().with_columns(pl.lit(True).alias("handed"), pl.lit(True).alias("managed"))
    listed = listed.join(written, on=["run_key", "delegate"], how="anti")
    return pl.concat([handed, written, listed], how="vertical_relaxed").collect()


def delegate_candidates(ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame) -> pl.LazyFrame | None:
    """Candidate claims of a never-run delegate's work (module doc), in ``claim_hits``' columns."""
    missing = _never_ran(ctx)
    if missing.height == 0:
        return None
    rows: list[tuple[int, str, str, str, list[str]]] = []
    # A read of the work's object did none of it: get_refund_status backs no "has been refunded"
    # (claims._read_tools, as for the policy claims).
    reads = _read_tools(tools, ctx.policy.read_only)
    done = (
        tools.filter(pl.col("succeeded") & pl.col("call_tool").is_not_null() & ~pl.col("call_tool").is_in(reads))
        .join(missing.lazy().select("run_key").unique(), on="run_key", how="semi")
        .group_by("run_key")
        .agg(pl.col("call_tool").str.to_lowercase())
        .collect()
    )
    called = dict(zip(done.get_column("run_key").to_list(), done.get_column("call_tool").to_list(), strict=True))
    from forensics.detectors.claim_described import tool_descriptions
    from forensics.detectors.ignored_errors import ANSWER_TOOLS

    # What each never-run managed agent was described to do (its description as the prompt shows it).
    described = {
        (k, n): d
        for k, n, d in tool_descriptions(ctx)
        .join(missing.filter(pl.col("managed")).select("run_key", pl.col("delegate").alias("call_tool")), on=["run_key", "call_tool"])
        .iter_rows()
    }
    # Any tool but the answer that succeeded, reads included (a manager's own web_search did research).
    ran = set(
        tools.filter(pl.col("succeeded") & pl.col("call_tool").is_not_null() & ~pl.col("call_tool").is_in(list(ANSWER_TOOLS)))
        .select("run_key")
        .unique()
        .collect()
        .get_column("run_key")
        .to_list()
    )

    for key, name, tried, handed, managed in missing.select("run_key", "delegate", "tried", "handed", "managed").iter_rows():
        if (claim := subject_claim(name)) is not None:
            rows.append((key, name, claim, f"the work of {name}", tried))
        # A manager with no lookup of its own that ran (no tool but the answer succeeded) and
        # whose team never ran checked nothing against anything.
        if managed and all(tool in ANSWER_TOOLS for tool in called.get(key, [])):
            rows.append((key, name, _CHECKED, f"a lookup (its team member {name} never ran)", tried))
        # A manager whose team never ran and that ran nothing itself relied on no one's work: the
        # work named by the member's name and by its description.
        if managed and key not in ran:
            works = {w for w in (topic(name), described_work(described.get((key, name), ""))) if w is not None}
            for w in sorted(works):
                rows.append((key, name, relied_claim(w), f"{w} (the work of {name}, which never ran)", tried))
        # What a manager never asked for is not claimed done by naming the work: it may do it itself.
        work = topic(name) if handed else None
        if work is not None and not any(work in tool for tool in called.get(key, [])):
            rows.append((key, name, work_claim(work), f"{work} (the work of {name}, which never ran)", tried))
    if not rows:
        return None
    cands = pl.DataFrame(
        {
            "run_key": [r[0] for r in rows],
            "frag_re": [_fragment(r[2]) for r in rows],
            "core_re": [_core(r[2]) for r in rows],
            "action": [r[3] for r in rows],
            "tried": [r[4] for r in rows],
        },
        schema_overrides={"run_key": missing.schema["run_key"], "tried": pl.List(pl.String)},
    ).with_row_index("_i")
    return (
        cands.lazy()
        .join(answers, on="run_key")
        .select(
            "run_key", "run_id", "final_output", "final_span_id", "final_t",
            # After the claims about the run's own tools and the policy's.
            (pl.col("_i").cast(pl.Int64) + (1 << 41)).alias("order"),
            "action", pl.lit(None, dtype=pl.String).alias("tool_name"), "frag_re", "core_re", "tried",
        )
    )  # fmt: skip
