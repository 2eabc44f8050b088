"""What the attribution rules share: the text patterns they read, their thresholds, and the helpers
that normalise a rule's candidate rows (:func:`_pick`) and read numbers and pages from a step.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.orchestrator_namings import (
    LAST_MESSAGE_PLAN_OPENINGS,
    PLAN_OPENINGS,
    REPLAN_OPENINGS,
)

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
#: A browser observation (autogen-magentic-one MultimodalWebSurfer's "Here is a screenshot of
#: [title](url)", autogen-ext's MultimodalWebSurfer's "The web browser is open to the page [title](url).",
#: a markdown browser's "Address: ... Viewport position:"): page text, not the agent's own claim.
_OBSERVATIONS = (
    "Here is a screenshot of [",
    "The web browser is open to the page [",
    "\nViewport position: ",
)
#: The next message acknowledges an error (so it was not misread).
_ACK = (
    r"(?i)\b(error|errors|fail\w*|exception|traceback|issue|problem|unable|could not|couldn't|cannot|"
    r"can't|not (?:found|defined|available|installed|exist\w*)|missing|fix\w*|retry|again|instead|"
    r"unfortunately|apolog\w*)\b"
)
_FINAL_ANSWER = r"(?im)FINAL ANSWER:\s*(.+?)\s*$"
#: Magentic-One's plan messages, in both namings (forensics.conventions.orchestrator_namings):
#: autogen-magentic-one's "Initial plan:\n" and, after "Stalled.... Replanning...", "New plan:\n" +
#: ORCHESTRATOR_SYNTHESIZE_PROMPT; agentchat's task ledger itself (a replan posts it again).
_PLAN_OPENINGS: Final = PLAN_OPENINGS
_PLAN = "Initial plan:"
_REPLAN = "New plan:"
_REPLAN_OPENINGS: Final = REPLAN_OPENINGS
#: The plan openings of the namings whose final answer is the orchestrator's last message.
_LAST_MESSAGE_PLANS: Final = LAST_MESSAGE_PLAN_OPENINGS
#: The synthesize prompt's sections a plan acts on: the facts it calls given or verified, and the plan.
_GIVEN_SECTION = r"(?s)GIVEN OR VERIFIED FACTS(.*?)(?:\n\s*2\. FACTS TO LOOK UP|$)"
_PLAN_SECTION = r"(?s)Here is the plan to follow as best as possible:(.*)$"
#: The fact sheet's sections a plan takes as true without looking them up: the facts it calls given
#: or verified, and its educated guesses (ORCHESTRATOR_TASK_LEDGER_FACTS_PROMPT's 1. and 4.).
_GUESS_SECTION = r"(?s)EDUCATED GUESSES(.*?)(?:\n\s*Here is the plan to follow|$)"
#: A ledger reason resting a claim on the plan or its fact sheet ("Per the fact sheet, the recipe is for
#: one loaf"; "Following the plan (Sunday uses the Saturday timetable), ..."): the clause after it.
#: ("This is the next step of the plan" cites the plan for what to do next, not for a fact.)
_PLAN_CITED = (
    r"(?i)(?:\b(?:per|according to|following|as (?:stated|assumed|given) in|based on) the (?:initial |new |updated )?"
    r"(?:plan|fact sheet|facts)\s*[,(:]|\bthe (?:initial |new |updated )?(?:plan|fact sheet) "
    r"(?:says|states|assumes|notes)(?: that)?)\s*([^.\"]+)"
)
#: The precision a request asks for: "to one decimal place", "to 2 decimal places" (that many
#: decimals), "to the nearest whole minute", "nearest integer", "whole number" (none).
_DECIMALS_ASKED = r"(?i)\b(one|two|three|four|1|2|3|4) decimal(?: places?|s)?\b"
_WHOLE_ASKED = (
    r"(?i)\bnearest (?:whole|integer|\w+ (?:minute|second|hour|day|km|kilometre|kilometer|metre|meter|mile|"
    r"percent|pound|dollar|euro|gram|kg|person|people|year)s?\b)|\bwhole number\b|\bnearest integer\b"
)
_NUMBER_WORDS: Final = {"one": 1, "two": 2, "three": 3, "four": 4, "1": 1, "2": 2, "3": 3, "4": 4}
#: MultimodalWebSurfer's observation: "Here is a screenshot of [title](url)." (the page it is on).
_PAGE_URL = r"(?:Here is a screenshot of|The web browser is open to the page) \[[^\]]*\]\(([^)\s]*)\)"
#: A message that says its own value is not established: the author could not find or verify it,
#: or estimates, guesses or assumes it.
_HEDGE = (
    r"(?i)\b(?:could not|couldn't|was unable to|unable to|cannot|can't) (?:find|verify|confirm|locate|access|determine)"
    r"|\b(?:probably|approximately|roughly|presumably|an estimate|estimated|educated guess|assuming)\b"
    # a source not yet consulted: "I have not opened the official records page yet"
    r"|\b(?:have|has) not (?:yet )?(?:opened|verified|confirmed|checked)\b|\bhaven't (?:yet )?(?:opened|verified|confirmed|checked)\b"
    # a recollection, not a finding: an agent without a browser (the Coder) answering from memory
    r"|\b(?:from what I (?:know|remember|recall)|from memory|as far as I know|to (?:the best of )?my knowledge"
    r"|I (?:believe|recall)|(?:cannot|can't|can ?not) browse)\b"
)
#: A value stated as an approximation ("about 125,000", "c. 620", "roughly 40 km"): read in the reason a
#: ledger gives for ``is_request_satisfied`` (the orchestrator's own words about the value it accepts;
#: never in page text, where "About 18,400 results" is a search engine's count).
_APPROX = (
    r"(?i)(?:\b(?:about|around|approximately|roughly|circa|nearly|almost|some|an estimated|estimated|over|more than|"
    r"at least|upwards of)|\bc\.|~)"
    r"\s*[$\u00a3\u20ac]?\d[\d,.]*"
)
#: A value stated as an estimate in a final answer written for the user (agentchat's
#: ``_prepare_final_answer``, where no ledger reason is in the messages): ``_APPROX`` less its bounds
#: ("at least", "more than", "over", "some"), which a requirement or a count states as well.
_ESTIMATE = r"(?i)(?:\b(?:about|around|approximately|roughly|circa|an estimated|estimated)|\bc\.|~)\s*[$\u00a3\u20ac]?\d[\d,.]*"
#: A count its author says is part of a larger whole, in the words of paging through a list ("the first
#: 10 of 24", "showing 10 of 24", "1-10 of 24 winners"): group 1 the part, group 2 the whole.
_PARTIAL = (
    r"(?i)(?:\b(?:the )?(?:first|showing|shows|displaying|top)\s+|\b\d+\s*[-\u2013]\s*)"
    r"(\d[\d,]*)\s+of\s+(?:the\s+|all\s+)?(\d[\d,]*)\b"
)
#: A month or weekday name (a date's word, not a fact of its own).
_CALENDAR = (
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$"
)
#: A calendar date written with its month's name ("6 February 2024", "February 2024", "February 6,
#: 2024"): its year dates something (a publication, an event), it is no quantity a plan computes with.
_WRITTEN_DATE = (
    r"(?i)\b(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:January|February|March|April|May|June|July|August|September"
    r"|October|November|December)(?:\s+\d{1,2}(?:st|nd|rd|th)?,?)?\s+\d{4}\b"
)
#: A first-person claim to have fetched something from outside the conversation ("I have successfully
#: retrieved the article", "I've accessed the website"): perfect tense, an acquisition verb (not
#: "reviewed" or "checked", which can be done on the conversation itself). Read by claimed_access.
_CLAIMED_ACCESS = (
    r"\bI(?: have|'ve)(?: (?:now|already|successfully))* (?:retrieved|accessed|located|obtained|downloaded|fetched|"
    r"visited|searched|browsed|scraped|opened|looked up)\b"
)
#: An orchestrator instruction to take a value as given without finding it, or to make it up ("give
#: your best estimate instead", "a rough estimate will do"; not "the 2019 population estimate", a
#: published figure's name).
_ASSUME = r"(?i)\b(?:assume|assuming|guess)\b|\b(?:best|rough|educated|ballpark) estimate\b"
#: Any number (the answer a ledger accepts may be one digit); commas dropped before comparing.
_ANY_NUMBER = r"\b\d[\d,.]*\d\b|\b\d\b"
#: A number standing alone (two digits or more; not inside a date, a URL, a version or a name):
#: whitespace, a bracket or a quote before it, whitespace or punctuation after it.
_STANDALONE_NUMBER = r"(?:^|[\s(\[\"'$])\d[\d,.]*\d(?:[\s)\]\"'.,;:%]|$)"
#: A row label pandas prints at the left edge of a frame (``DataFrame.to_string``: the index, then the
#: padding to the first column): " 5      Finn Gallagher  2023-12-13". It numbers the rows; a figure
#: it equals is not held there.
_ROW_LABEL = r"(?m)^[ \t]*\d+[ \t]{2,}"
#: A browser's own report of where its viewport is, not the page's text: the FileSurfer's markdown
#: browser header "Viewport position: Showing page i of n." (autogen-magentic-one
#: ``agents/file_surfer/file_surfer.py``; autogen-ext ``_file_surfer.py``) and the WebSurfer's "The
#: viewport shows 22% of the webpage" (``multimodal_web_surfer.py``). Its figures are held by no page.
_VIEWPORT_REPORT = r"Viewport position: Showing page \d+ of \d+\.|[Tt]he viewport shows \d+% of the webpage"
#: A search engine's results page (a query in the URL).
_SEARCH_PAGE = r"/search\?|[?&]q="
#: The reason the ledger gives for ``is_request_satisfied`` (it usually restates the answer).
_SATISFIED_REASON = r'"is_request_satisfied"\s*:\s*\{[^{}]*?"reason"\s*:\s*"((?:[^"\\]|\\.)*)"'

#: A year (1900-2099): four digits between non-digits, also inside a file name or a URL word
#: (``ar_2025``, ``2026-10``); read by :func:`_years` on the text with every non-digit run blanked.
_YEAR = r"\b(?:19|20)\d\d\b"
#: The statistic a request or an instruction asks for, by family: words of one family never
#: stand for another (a median is not a mean, a sum is not a maximum).
_STATISTICS: Final = {
    "median": r"(?i)\bmedian\b",
    "mean": r"(?i)\b(?:mean|average|arithmetic mean)\b",
    "sum": r"(?i)\b(?:sum|total|combined|add (?:up|together))\b",
    "maximum": r"(?i)\b(?:maximum|highest|largest)\b",
    "minimum": r"(?i)\b(?:minimum|lowest|smallest)\b",
}
#: A statistic computed through another: a mean is a sum divided by a count, so an instruction to sum
#: (or total) values does not contradict a request for their mean.
_STATISTIC_PARTS: Final = {"mean": ("sum",)}
#: A request about a local file: the user attached it (GAIA's "attached file" tasks; Magentic-One
#: hands local files to its FileSurfer, the web to its WebSurfer: autogen_magentic_one/agents/).
_ATTACHED = r"(?i)\battached\b"
_WEB_AGENT = "WebSurfer"
_FILE_AGENT = "FileSurfer"

_LEDGER_KEYS: Final = {
    "ledger_satisfied": "$['ledger.is_request_satisfied']",
    "ledger_in_loop": "$['ledger.is_in_loop']",
    "ledger_progress": "$['ledger.is_progress_being_made']",
    "ledger_next_speaker": "$['ledger.next_speaker']",
}


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


def _blame_row(
    frame: pl.DataFrame, rule: str, rank: int, evidence: pl.Expr, *, step: str | pl.Expr = "step", agent: str = "agent"
) -> pl.DataFrame:
    """``_pick`` for a rule whose row is the blame: its ``agent`` column at its ``step`` (a column or an
    expression), with ``evidence`` (an expression over the row) as the attribution's evidence."""
    return _pick(
        frame.with_columns(
            decisive_agent=pl.col(agent),
            decisive_step=pl.col(step) if isinstance(step, str) else step,
            attribution_evidence=evidence,
        ),
        rule,
        rank,
    )

def _hedged() -> pl.Expr:
    """The step's text says its own value is not established (read on the few rows a rule needs)."""
    return pl.col("output").fill_null("").str.contains(_HEDGE)


def _page_url() -> pl.Expr:
    """The page a web surfer's observation shows (MultimodalWebSurfer's screenshot line), else null."""
    return pl.col("output").fill_null("").str.extract(_PAGE_URL, 1)


def _numbers(s: pl.DataFrame, text: pl.Expr | None = None) -> pl.DataFrame:
    """``run_id, step, _n``: every number a step's text (default: its output) holds, commas dropped."""
    src = pl.col("output").fill_null("") if text is None else text
    # "_" joins words, not digits: a number inside a file name (adatum_ar_2025.pdf) is still given.
    src = src.str.replace_all("_", " ", literal=True)
    return (
        s.select("run_id", "step", src.str.extract_all(_ANY_NUMBER).alias("_n"))
        .explode("_n")
        .drop_nulls("_n")
        .with_columns(pl.col("_n").str.replace_all(",", ""))
        .unique()
    )


def _no_rows(s: pl.DataFrame) -> pl.DataFrame:
    return s.head(0).with_columns(
        decisive_agent=pl.col("agent"), decisive_step=pl.col("step"), attribution_evidence=pl.lit("")
    )


#: A financial or season year written with the next year's last two digits (``2019-20``,
#: ``2019/20``): it names both years (an annual report's "2019-20" ends in 2020).
_SPLIT_YEAR = r"\b(?:19|20)\d\d[-/\u2013]\d\d\b"


#: A day of the week, or the words for the working week or the weekend, in a request or an instruction.
_DAY_WORD = r"(?i)\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days?|week-?days?|week-?ends?)\b"


def _day_kinds(text: pl.Expr) -> pl.Expr:
    """The kinds of day a text names, as a list of ``weekday``, ``saturday``, ``sunday`` (a timetable's
    three services): Monday to Friday and "weekday" are ``weekday``; "weekend" is both of the others.
    Two working days are one kind: "Wednesday" is inside "Monday to Friday", so only kinds are compared."""
    word = pl.element().str.to_lowercase()
    kind = (
        pl.when(word.str.contains(r"^(?:mon|tues|wednes|thurs|fri)day|^week-?day"))
        .then(pl.lit("weekday"))
        .when(word.str.starts_with("sat"))
        .then(pl.lit("saturday"))
        .when(word.str.starts_with("sun"))
        .then(pl.lit("sunday"))
        .otherwise(pl.lit("saturday,sunday"))
    )
    return (
        text.fill_null("")
        .str.extract_all(_DAY_WORD)
        .list.eval(kind)
        .list.join(",")
        .str.split(",")
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique()
    )


def _years(text: pl.Expr) -> pl.Expr:
    """The distinct years a text names (see ``_YEAR``), as a list; a split year (``2019-20``) names
    its second year too (only when it is the next year: ``2026-10`` is a month, not a year)."""
    plain = text.fill_null("").str.replace_all(r"\D+", " ").str.extract_all(_YEAR)
    second = (
        text.fill_null("")
        .str.extract_all(_SPLIT_YEAR)
        .list.eval(
            pl.when(
                (pl.element().str.slice(0, 4).cast(pl.Int32) + 1) % 100
                == pl.element().str.slice(-2).cast(pl.Int32)
            ).then(pl.element().str.slice(0, 2) + pl.element().str.slice(-2))
        )
        .list.drop_nulls()
    )
    return plain.list.concat(second).list.unique()


def _holders(hits: pl.DataFrame, steps: pl.DataFrame, url: pl.Expr | None = None) -> pl.DataFrame:
    """``hits`` (``run_id``, ``step``, ``_n``: the steps that hold a value) with what
    :func:`_taken_up` reads of each step (``steps``: who wrote it, whose step it answers, whether it
    was instructed or a revisit, whether its page is a search results page), in run order."""
    url = _page_url() if url is None else url
    facts = steps.select(
        "run_id",
        "step",
        "agent",
        "owner_step",
        "owner_agent",
        "instructed",
        "revisit",
        "is_tool",
        url.fill_null("").str.contains(_SEARCH_PAGE).alias("_search"),
    )
    return hits.join(facts, on=["run_id", "step"]).sort("run_id", "step", "_n")


def _taken_up(hits: pl.DataFrame, key: str = "run_id") -> pl.DataFrame:
    """Of the steps that hold a value (``hits``: ``key``, ``step``, ``agent``, ``_search``, optionally
    ``instructed``), one per ``key``: the first, unless it only showed the value: a search engine's
    results page (``_search``), which lists it among snippets, or a page the surfer opened because
    it was told to (``instructed``: the page was the orchestrator's choice), or a further view of a
    page it had opened earlier (``revisit``: a scroll shows the value among the rest of the page;
    opening the page did not show it). Then the first later step of the same agent where it took
    the value up itself (its own words, or a page it chose), else (not after a revisit, whose page
    was already its own) the first later page of that agent that is not a results page, else the first
    later output of code (``is_tool``: a terminal's, owned by the code's author) that held it, if any."""
    hits = hits.sort(key, "step")
    told = pl.col("instructed") if "instructed" in hits.columns else pl.lit(False)
    again = pl.col("revisit").fill_null(False) if "revisit" in hits.columns else pl.lit(False)
    hits = hits.with_columns(_passive=pl.col("_search") | told.fill_null(False) | again, _again=again)
    first = hits.unique(key, keep="first")
    # A further view of a page already open is no taking up (the page was chosen when it was opened).
    pref = (
        pl.when(~pl.col("_passive"))
        .then(0)
        .when(~pl.col("_search") & ~pl.col("_again") & ~pl.col("_a0again"))
        .then(1)
        .otherwise(2)
    )
    opened = (
        hits.join(
            first.select(
                key,
                pl.col("agent").alias("_a0"),
                pl.col("_passive").alias("_p0"),
                pl.col("step").alias("_f0"),
                pl.col("_again").alias("_a0again"),
            ),
            on=key,
        )
        .filter(pl.col("_p0") & (pl.col("agent") == pl.col("_a0")) & (pl.col("step") > pl.col("_f0")))
        .with_columns(_pref=pref)
        .filter(pl.col("_pref") < 2)
        .sort(key, "_pref", "step")
        .unique(key, keep="first")
        .drop("_a0", "_p0", "_f0", "_pref", "_a0again")
    )
    # Nor did the agent that showed it take it up later: the first later output of code that held it
    # (a terminal's, whose owner is the code's author) singled it out of what was shown: a script that
    # read the file a FileSurfer displayed as told and printed one branch of its table.
    rest = first.join(opened.select(key), on=key, how="anti")
    computed = (
        hits.join(rest.filter(pl.col("_passive")).select(key, pl.col("step").alias("_f0")), on=key)
        .filter((pl.col("step") > pl.col("_f0")) & pl.col("is_tool").fill_null(False) & ~pl.col("_passive"))
        .sort(key, "step")
        .unique(key, keep="first")
        .drop("_f0")
        if "is_tool" in hits.columns
        else hits.head(0)
    )
    return pl.concat(
        [opened, computed, rest.join(computed.select(key), on=key, how="anti")], how="vertical"
    ).drop("_passive", "_again")
