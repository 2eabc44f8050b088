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
    from forensics.detectors.ignored_errors import ANSWER_TOOLS

    for key, name, tried, handed, managed in missing.select("run_key", "delegate", "tried", "handed", "managed").iter_rows():
        if (claim := subject_claim(name)) is not None:
            rows.append((key, name, claim, f"the work of {name}", tried))
        # A manager with no lookup of its own that ran (no tool but the answer succeeded) and
        # whose team never ran checked nothing against anything.
        if managed and all(tool in ANSWER_TOOLS for tool in called.get(key, [])):
            rows.append((key, name, _CHECKED, f"a lookup (its team member {name} never ran)", tried))
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
