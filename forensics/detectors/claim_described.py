"""Claims of an offered tool's act in the words of its own description, for ``claims.claim_hits``:
"I've e-mailed you the return label" when ``send_return_label`` ("Emails the customer a prepaid
return label for their order.") was offered to the model and never called.

The tool's name says its act with one verb (send); its description, written for the model that
chooses it, often says it with another (emails). A tool definition handed to the model carries
both: OpenAI Chat Completions ``tools`` ({"type": "function", "function": {"name": ...,
"description": ..., "parameters": ...}}), which smolagents builds for a ToolCallingAgent's model
call from each Tool's ``name`` and ``description`` class attributes (src/smolagents/tools.py Tool,
models.py get_tool_json_schema) and the OpenInference smolagents instrumentation records on the
model span as ``llm.tools.<i>.tool.json_schema`` (openinference-instrumentation-smolagents
_wrappers.py _llm_tools). The description's opening verb, in the third person as tool descriptions
are written ("Emails ...", "Issues ..."), is a synonym of the act grounded in the tool itself, not
in a phrase list. The claim is that verb in the first person with the tool's object ("emailed you
the return label": the object's head noun, as claim_pronouns.offered_act_candidates reads the
name's verb); another object ("I've e-mailed you the order summary") is not this tool's act.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: The description's opening verb in the third person singular ("Emails", "Sends", "Issues").
_OPENING_VERB: Final = r"^\s*([A-Za-z][a-z]+s)\b"


def _base_form(third_person: str) -> str:
    """``emails`` -> email, ``pushes`` -> push, ``carries`` -> carry, ``issues`` -> issue."""
    w = third_person.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    return w[:-1]


def tool_descriptions(ctx: Context) -> pl.DataFrame:
    """``run_key, call_tool, description``: the tool definitions handed to each run's model
    (conventions/tool_descriptions.py: runs.tool_descriptions)."""
    return (
        ctx.runs.lazy()
        .select("run_key", pl.col("tool_descriptions").alias("_d"))
        .explode("_d")
        .drop_nulls("_d")
        .select("run_key", pl.col("_d").struct.field("name").alias("call_tool"), pl.col("_d").struct.field("description"))
        .unique(["run_key", "call_tool"], keep="first", maintain_order=True)
        .collect()
    )


def described_act_candidates(
    ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame, offered: pl.DataFrame | None = None
) -> pl.LazyFrame | None:
    """Candidate claims, in ``claims.claim_hits``' columns, of the act of a tool offered to the
    run's model and never called (claim_pronouns.offered_never_called: reads left out), said in
    the first person with the opening verb of the tool's description, when that verb is not the
    name's own (offered_act_candidates reads that one) nor a read, and with the name's object.
    ``offered``: offered_never_called of ``tools``, where the caller has it."""
    from forensics.detectors.claim_acts import done_by_another_tool
    from forensics.detectors.claim_pronouns import _SUBJECT, _tool_act_candidates, offered_never_called
    from forensics.detectors.claim_vocabulary import noun_pattern, past_forms, tool_verb_object

    if offered is None:
        offered = offered_never_called(ctx, tools).collect()
    if offered.height == 0:
        return None
    described = offered.join(tool_descriptions(ctx), on=["run_key", "call_tool"]).with_columns(
        pl.col("description").str.extract(_OPENING_VERB, 1).alias("_verb")
    )
    acts: dict[str, str] = {}
    keep: list[tuple[int, str]] = []
    for run_key, name, third in described.select("run_key", "call_tool", "_verb").drop_nulls().iter_rows():
        parts = tool_verb_object(name)
        verb = _base_form(third)
        if parts is None or verb == parts[0] or re.search(ctx.policy.read_only, verb):
            continue
        # "e-mail" is the hyphenated spelling of the same verb.
        past = "|".join(re.escape(p).replace(r"\ ", r"\s+").replace("email", "e-?mail") for p in past_forms(verb))
        # Up to four words before the object: an indirect object, its article and two modifiers
        # ("e-mailed you the prepaid return label").
        # One claim per tool name (a name is described alike in every run that offers it).
        acts.setdefault(name, rf"(?i){_SUBJECT}(?:{past})\s+(?:[A-Za-z0-9_'-]+\s+){{0,4}}?{noun_pattern(parts[1][-1])}(?-u:\b)")
        keep.append((run_key, name))
    if not acts:
        return None
    never = (
        pl.DataFrame(keep, schema={"run_key": pl.UInt32, "call_tool": pl.String}, orient="row")
        .unique()
        .with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("tried"), pl.lit(1 << 39, dtype=pl.Int64).alias("order"))
    )
    return _tool_act_candidates(done_by_another_tool(tools, never), acts, answers, (1 << 22) + 1)
