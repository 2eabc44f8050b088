"""Claims of an act whose every call failed, said in the first person with an object the tool's
name does not spell ("I've pushed the fix" after ``git push origin main`` came back ``! [rejected]
main -> main (non-fast-forward)``), for ``claims.claim_hits``.

The object claim (claim_vocabulary.tool_claim) needs the tool's own object in the sentence ("sent the
invoice"), the pronoun claim (claim_pronouns) a pronoun or no object ("I've pushed it"). An agent
says the act with what it acted on: "pushed the fix", "deployed payments-api". When the run tried
the act and no call with its verb went through, the agent's own first-person report of having done
it is contradicted by the failed call, if the object is the failed call's own:

* an act read from a shell command line (claim_acts.command_call) named ``program.verb``
  (``git.push``): its object is whatever the command works on (a branch, "the fix", "the
  changes"), so any object; one named with its own object (``gh pr create`` ->
  ``create_pull_request``) is read as a named tool is ("I've created a branch" is not it);
* a tool named with an object (``deploy_service``): the claim's object is what the failed call was
  given, a string value of its arguments ("I've deployed payments-api", ``{"service":
  "payments-api"}``). Another object ("I sent a reminder to Acme" after ``send_invoice`` for
  INV-7 failed) may be another tool's act, not this one's.

Only a first-person subject (or an "and" joining the verb to the subject's earlier one): "the fix
is pushed" may relay a state. The verb is backed by any successful call with that verb (the push
was rejected, the agent rebased and pushed again), or by another tool doing the same act
(claim_acts.done_by_another_tool). Reads (policy tools.read_only) claim no act.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: A string value of a call's arguments as the prepared table keeps them (whitespace removed):
#: long enough to name something (an id, a service, a branch), not a flag.
_ARG_VALUE: Final = r'":"([^"\\]{3,80})"'
#: The words between the verb and the object the claim names ("deployed the new payments-api").
_LEAD_WORDS: Final = r"(?:[A-Za-z0-9$'‘`_.-]+\s+){0,4}?"


#: A version number as a call is given it: an optional ``v`` and two to four numeric parts
#: (``v2.14.0``, ``2.14``, ``1.0.0.1``).
_VERSION: Final = re.compile(r"^[vV]?(\d+(?:\.\d+){1,3})$")


def _value_re(value: str) -> str:
    """The regex for one argument value as the claim may spell it. A version is the same version
    with or without its ``v`` (semver.org FAQ: "v1.2.3" is a common way to say "1.2.3" is a
    version; git tags and GitHub releases are named so) and with trailing zero parts left out or
    added (PEP 440: release segments are compared padded with zeros, 2.14 == 2.14.0): the call's
    ``v2.14.0`` is the claim's "2.14.0" and "2.14"; "2.14.1", "2.1" or "12.14.0" are others. The
    version ends where no digit follows a dot."""
    m = _VERSION.match(value)
    if m is None:
        return re.escape(value)
    parts = m.group(1).split(".")
    while len(parts) > 2 and parts[-1] == "0":
        parts.pop()
    core = r"\.".join(parts)
    return rf"[vV]?{core}(?:\.0)*"


def _ground(values: list[str]) -> str:
    """The regex for any of a failed call's argument ``values`` as a whole word of the claim."""
    alts = "|".join(_value_re(v) for v in sorted(set(values), key=lambda v: (-len(v), v)))
    return rf"[`'\"‘“(]?(?:{alts})(?:[^A-Za-z0-9_.-]|\.(?:[^0-9]|$)|$)"


def failed_act_candidates(ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame) -> pl.LazyFrame | None:
    """Candidate claims, in ``claims.claim_hits``' columns, for each run and each act with failed
    calls and no call of its verb succeeding: the verb's past form after a first-person subject
    ("I've pushed the fix", "I fixed the parser and pushed the fix"), with any object for a
    command line's ``program.verb`` act, else with one of the failed calls' argument values."""
    from forensics.detectors.claim_acts import done_by_another_tool
    from forensics.detectors.claim_pronouns import _AND_LEAD, _SUBJECT
    from forensics.detectors.claim_vocabulary import past_forms, tool_verb_object
    from forensics.detectors.claims import _core, _fragment

    acts = tools.select(
        "run_key", pl.coalesce("as_call", "call_tool").alias("call_tool"), pl.col("as_call").is_not_null().alias("command"),
        "succeeded", "span_id", "seq",
    ).drop_nulls("call_tool")  # fmt: skip
    names = acts.select(pl.col("call_tool").unique()).collect().get_column("call_tool").to_list()
    verb_of = {n: vo[0] for n in names if (vo := tool_verb_object(n)) is not None}
    reads = pl.Series(list(verb_of.values()), dtype=pl.String).str.contains(ctx.policy.read_only).to_list()
    verb_of = {n: v for (n, v), read in zip(verb_of.items(), reads, strict=True) if not read}
    if not verb_of:
        return None
    verbs = pl.DataFrame({"call_tool": list(verb_of), "verb": list(verb_of.values())}).lazy()
    per_verb = (
        acts.join(verbs, on="call_tool")
        .sort("run_key", "verb", "seq")
        .group_by("run_key", "verb")
        .agg(
            pl.col("succeeded").any().alias("done"),
            pl.col("span_id").filter(~pl.col("succeeded")).alias("tried"),
            pl.col("seq").min().cast(pl.Int64).alias("order"),
            pl.col("call_tool").first(),
            pl.col("command").first(),
        )
        .filter(~pl.col("done") & (pl.col("tried").list.len() > 0))
        .collect()
    )
    undone = done_by_another_tool(tools, per_verb)
    if undone.height == 0:
        return None
    # What the failed calls were given (a named tool's only: a command line's act takes any object).
    given = (
        undone.lazy()
        .select("run_key", "call_tool", pl.col("tried").alias("span_id"))
        .explode("span_id")
        .join(ctx.spans.lazy().select("run_key", "span_id", "args"), on=["run_key", "span_id"])
        .select("run_key", "call_tool", pl.col("args").str.extract_all(_ARG_VALUE).alias("_v"))
        .explode("_v")
        .drop_nulls("_v")
        .group_by("run_key", "call_tool")
        .agg(pl.col("_v").str.extract(_ARG_VALUE, 1).unique().sort())
        .collect()
    )
    values = {(k, n): v for k, n, v in given.iter_rows()}
    rows = []
    for run_key, name, command in undone.select("run_key", "call_tool", "command").iter_rows():
        # Any object only for a command named program.verb (git.push); a command line's call named
        # with its own object (gh pr create: create_pull_request) is read as a named tool is.
        any_object = command and "." in name
        if not any_object and (run_key, name) not in values:
            continue
        past = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in past_forms(verb_of[name]))
        obj = r"[A-Za-z0-9$'‘`]" if any_object else _LEAD_WORDS + _ground(values[(run_key, name)])
        claim = rf"(?i)(?:{_SUBJECT}|{_AND_LEAD})(?:{past})\s+{obj}"
        rows.append((run_key, name, _fragment(claim), _core(claim)))
    if not rows:
        return None
    patterns = pl.DataFrame(rows, schema={"run_key": pl.UInt32, "call_tool": pl.String, "frag_re": pl.String,
                                          "core_re": pl.String}, orient="row")  # fmt: skip
    return (
        undone.lazy()
        .join(patterns.lazy(), on=["run_key", "call_tool"])
        .join(answers, on="run_key")
        .select(
            "run_key", "run_id", "final_output", "final_span_id", "final_t",
            # After the object claims: they name the exact tool's object.
            (pl.col("order") + (1 << 40) + (1 << 23)).alias("order"),
            pl.concat_str([pl.lit("tool "), pl.col("call_tool")]).alias("action"),
            pl.col("call_tool").alias("tool_name"), "frag_re", "core_re", "tried",
        )
    )  # fmt: skip
