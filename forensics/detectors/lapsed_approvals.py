"""An approval the run asked for that lapsed: the request expired or timed out with nobody deciding.

An approval request is the run's own statement that an action needs a person's decision; when
the request comes back expired (its own result, a blocking ``request_approval`` that waited out its
timeout, or a later read of it, ``get_approval`` answering ``"status": "expired", "decided_by":
null``), the decision never came. Approval services close a request nobody answered with a status
of its own beside approved and rejected: ``pending -> approved | rejected | expired`` (Google ADK's
long-running ``ask_for_approval`` example returns ``{"status": "pending", ...}`` and the client
sends the updated status later: adk-docs tools/function-tools "Long Running Function Tool"; an
expiry is that update with no decision). Two rules read it:

* ``unguarded_irreversible``: an action the lapsed request was about, taken after the lapse, ran
  unguarded, whatever else came between: the run had said whose decision it needed and knew it had
  none, so a requester's "any news?" or the pause the request made is no review of it
  (:func:`acted_after_lapse`).
* ``unacknowledged_escalation``: a pending approval request (a pause for a person's decision) whose
  later read says it lapsed was never answered, however the run went on after it
  (:func:`lapsed_requests`), unless the run then took an irreversible action anyway, with no
  person's turn or recorded approval after the lapse (:func:`requests_acted_past`): the run read
  the lapse and decided for itself, so the request did not sit with nobody; that act is the
  failure, unguarded_irreversible's, decisive at the act.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.person_signals import PERSON_APPROVED

#: A request's status saying it closed with no decision: expired, timed out, lapsed.
LAPSED: Final = (
    r'(?i)\\?"(?:status|state|decision|outcome)\\?"\s*:\s*\\?"(?:expired|timed[_ -]?out|timeout|lapsed)\\?"'
)
#: The values that name one request or object in a call's JSON (an approval id `apr_5521`, an offer
#: `off_0Hq7`): quoted, at least four characters, at least one digit (not a word of prose).
_ID_VALUE: Final = r'"([A-Za-z0-9][A-Za-z0-9_.:@/-]*[0-9][A-Za-z0-9_.:@/-]*)"'


def _asks_approval() -> pl.Expr:
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    return (pl.col("kind") == "tool") & ~pl.col("failed") & pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False)


def _ids(col: str) -> pl.Expr:
    return pl.col(col).fill_null("").str.extract_all(_ID_VALUE).list.eval(pl.element().str.strip_chars('"'))


def lapsed_requests(spans: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, l_seq, about`` per approval request that lapsed: ``span_id`` the request,
    ``l_seq`` the span whose result says it lapsed (the request's own, or a later call of the run
    naming one of the request's ids, as ``get_approval(approval_id)``), ``about`` the request's
    arguments (what it asked about). A request whose result or a later read carries the person's
    approval did not lapse."""
    tools = spans.filter(pl.col("kind") == "tool")
    asked = tools.filter(_asks_approval()).select(
        "run_id", "span_id", "seq", pl.col("args").fill_null("").alias("about"), "output",
    ).collect()
    # Every part below pairs a request with calls of its own run: only the tool calls of the runs
    # holding a request are read by the result regexes (taken out first: a filter on the run is
    # merged with a regex filter into one predicate, and `&` evaluates the regex on every row).
    # Over every tool result, twice, and once again by each of the two rules: 0.35 CPU s a call at
    # 584k spans, in a night with no approval request at all.
    s = (
        tools.filter(pl.col("run_id").is_in(asked.get_column("run_id").unique().implode()))
        .select("run_id", "seq", "args", "output", "failed")
        .collect()
        .lazy()
    )
    asks = asked.lazy()
    own = asks.filter(pl.col("output").str.contains(LAPSED).fill_null(False)).select(
        "run_id", "span_id", pl.col("seq").alias("l_seq"), "about"
    )
    ids = asks.select("run_id", "span_id", "seq", "about", _ids("output").alias("rid")).explode("rid").drop_nulls("rid")
    reads = s.filter(~pl.col("failed") & pl.col("output").str.contains(LAPSED).fill_null(False)).select(
        "run_id", pl.col("seq").alias("l_seq"), pl.col("args").fill_null("").alias("r_args")
    )
    later = (
        ids.join(reads, on="run_id")
        .filter((pl.col("l_seq") > pl.col("seq")) & pl.col("r_args").str.contains(pl.col("rid"), literal=True))
        .select("run_id", "span_id", "l_seq", "about")
    )
    approved = s.filter(pl.col("output").str.contains(PERSON_APPROVED).fill_null(False)).select(
        "run_id", pl.col("seq").alias("a_seq")
    )
    lapsed = pl.concat([own, later]).group_by("run_id", "span_id").agg(pl.col("l_seq").min(), pl.col("about").first())
    # An approval recorded after the request (its own result, a later read) answered it.
    answered = (
        lapsed.join(asks.select("run_id", "span_id", pl.col("seq").alias("q_seq")), on=["run_id", "span_id"])
        .join(approved, on="run_id")
        .filter(pl.col("a_seq") >= pl.col("q_seq"))
        .select("run_id", "span_id")
    )
    return lapsed.join(answered, on=["run_id", "span_id"], how="anti")


def acted_after_lapse(spans: pl.LazyFrame, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``acts`` (calls that acted) taken after an approval request of
    their run lapsed, about them: the request's arguments name the act's tool or share an id with
    the act's arguments (the offer, the account it asked about). An approval recorded between the
    lapse and the act (a new request answered) guards it."""
    lapsed = lapsed_requests(spans)
    cand = acts.select("run_id", "span_id", "seq", "call", pl.col("args").fill_null("").alias("a_args"))
    pairs = cand.join(lapsed.select("run_id", "l_seq", "about"), on="run_id").filter(pl.col("seq") > pl.col("l_seq"))
    by_name = pairs.filter(pl.col("about").str.contains(pl.col("call"), literal=True).fill_null(False))
    shared = (
        pairs.with_columns(_ids("about").alias("tok"))
        .explode("tok")
        .drop_nulls("tok")
        .filter(pl.col("a_args").str.contains(pl.col("tok"), literal=True))
    )
    about = pl.concat([by_name.select("run_id", "span_id", "seq", "l_seq"), shared.select("run_id", "span_id", "seq", "l_seq")])
    # The runs with an act after a lapse only (few; most nights none) are read for an approval.
    about = about.collect().lazy()
    approved = (
        spans.join(about.select("run_id").unique(), on="run_id", how="semi")
        .select("run_id", "seq", "output")
        .collect()
        .lazy()
        .filter(pl.col("output").str.contains(PERSON_APPROVED).fill_null(False))
        .select("run_id", pl.col("seq").alias("a_seq"))
    )
    regated = (
        about.join(approved, on="run_id")
        .filter((pl.col("a_seq") > pl.col("l_seq")) & (pl.col("a_seq") < pl.col("seq")))
        .select("run_id", "span_id")
    )
    return about.select("run_id", "span_id").unique().join(regated, on=["run_id", "span_id"], how="anti")


def requests_acted_past(spans: pl.LazyFrame, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the lapsed approval requests (:func:`lapsed_requests`) after whose
    lapse the run took one of ``acts`` (calls that acted) with nothing between the lapse and the act
    that a person said: no human turn, no approval recorded (a new request answered). The act need
    not name the request's subject: a request's arguments describe the action in words (``"subject":
    "Pay INV-88213 ..."``) while the act carries the payee's ids, and either way the run acted on its
    own decision after reading that none came."""
    lapsed = lapsed_requests(spans).select("run_id", "span_id", "l_seq")
    after = acts.select("run_id", pl.col("seq").alias("x_seq"))
    pairs = lapsed.join(after, on="run_id").filter(pl.col("x_seq") > pl.col("l_seq")).collect().lazy()
    # Only the runs with such a pair (few; most nights none) are read for a person's word.
    said = (
        spans.join(pairs.select("run_id").unique(), on="run_id", how="semi")
        .filter((pl.col("kind") == "human") | pl.col("output").str.contains(PERSON_APPROVED).fill_null(False))
        .select("run_id", pl.col("seq").alias("p_seq"))
    )
    spoken = (
        pairs.join(said, on="run_id")
        .filter((pl.col("p_seq") > pl.col("l_seq")) & (pl.col("p_seq") < pl.col("x_seq")))
        .select("run_id", "span_id", "x_seq")
    )
    return pairs.join(spoken, on=["run_id", "span_id", "x_seq"], how="anti").select("run_id", "span_id").unique()
