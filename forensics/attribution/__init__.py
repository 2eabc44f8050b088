"""Failure attribution beyond plumbing: for a failed run, the decisive agent and step, with evidence.

A run whose own verdict is a failure (or that a detector flagged) gets one ``(agent, step)``: the
0-based position of the step in the run's own order (the message index of a transcript; else span
order by ``start_time``, ``source_line``), the agent responsible for it, the rule that chose it and
one evidence sentence. The rules read only what the run itself says; a benchmark's answers
(``mistake_agent``, ``mistake_step``, ``mistake_reason``, ``ground_truth``) that a loader keeps as
``run.*`` attributes are never read: of ``attributes`` only the orchestrator ledger keys (``common``)
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
  where it got stuck: that step is blamed (unless that action was a click or visit the instruction
  named, word for word: then the page was the orchestrator's choice and the surfer's next, different
  action there is blamed) (a terminal's output is judged as the code that produced
  it: its author, at the message that held the code). A stall followed by progress or by a replan
  was recovered from and is not evidence; but when the targeted action the worker got stuck on (a
  surfer's "I typed 'X' into 'Y'." or "I clicked 'X'.") is one it had taken word for word on the same
  page before (before the replan too), the stall began at its first time. A stall that began with a
  scroll the latest instruction to the surfer asked for (it says "scroll"), with a search whose query
  that instruction quoted word for word ("Please search for 'Q'", "I typed 'Q' into '...'."), or with a FileSurfer's
  "Error 404" view of a file path the latest instruction to it named, began with that instruction:
  the ledger that wrote it is blamed.
* ``unanswered_instruction``: in a Magentic-One run (it keeps a progress ledger), the first
  ``Orchestrator (-> X)`` instruction X never answered (X never speaks after it): the
  LedgerOrchestrator broadcasts its ledger's ``instruction_or_question`` and asks ``next_speaker``
  for the reply (``_select_next_agent``); a run that went on (guessed, answered itself) or stopped
  without it is blamed on that instruction, the orchestrator's step (forensics.attribution.handoff_rules).
* ``repeated_instruction``: the orchestrator sending a worker the same instruction, word for word,
  a third time after the worker answered the first two with the same reply (not a scroll): one
  retry is fair, repeating after the retry came back unchanged is the loop the ledger prompt names
  ("repeating the same requests and / or getting the same responses"). The instructed worker's own
  ``repeated_action`` or ``orchestrator_stall`` in that run did as it was told and stands down.
* ``replan_repeated_instruction``: a replan ("New plan:") whose first instruction is, word for
  word (or by the addresses it sends the worker to), one the orchestrator sent the same worker in
  the stall that led to it (every ledger since
  answered no progress or a loop): ``ORCHESTRATOR_UPDATE_PLAN_PROMPT`` asks for a plan that
  "avoids repeating the same mistakes", so the replan repeated the stall and is blamed. A worker
  stuck by its own doing before the replan is earlier and stays decisive.
* ``task_is_tool_error``: the run's task (step 0) is a code executor's failure report ("exitcode: 1
  (execution failed)", AG2's reply to failed code), the whole message or a CaptainAgent nested chat's
  "# General Task": the team was handed an error to debug instead of the request, so the task
  statement's owner at step 0 is blamed (a task that asks about an error is no such report).
* ``tool_error``: the first failed tool call (a terminal's non-zero exit code, a surfer's caught
  exception, or an AG2 terminal run of code that prints its result and printed nothing): the author of the code it ran, at the message that held the code. The evidence
  says whether the next message acknowledged the error or carried on as if it had worked. In a
  Magentic-One run, an error its author got past (a later run of its code or a later page view of
  its own succeeded, and a later ledger reported progress; agentchat, which keeps no ledger in its
  messages: the success alone, with no replan between) was recovered from and is not evidence;
  nor is one the next ledger took over (it answers ``is_progress_being_made: false``), or that its
  author retried at the orchestrator's request, every try failing, until a ledger answered so: what
  the orchestrator did about it decided the run. A failed terminal run the next ledger took for progress
  (it asked the code's author for the result) whose author then says itself it has no result (it
  estimates: "the output was not captured ... approximately 15.2") was misread by that ledger, which
  is blamed; an author that states the result as printed invented it and stays blamed.
* ``miscopied_path``: a worker's view of a local file that does not exist (the FileSurfer's markdown
  browser: "Address: file:///p" ... "File not found: /p") whose file name the request or an
  instruction before it gave under another path ("/workspace/gaia/attachments/deck.pptx" given,
  "/workspace/gaia/deck.pptx" opened), while no message before it named the opened path: the worker
  mis-copied the path, and its first such view is blamed (forensics.attribution.path_rules).
* ``repeated_action``: the first message that repeats, word for word, an earlier message of the
  same agent (same action, same observation: a no-op loop). In a Magentic-One run, a repeat the
  team got past (the agent later said something else, or, when the ledger judging the repeat saw
  progress out of a loop, another worker answered the work handed on; and a ledger after that
  reported progress out of a loop: a retried page that came back the same, then a search that
  worked) is not evidence; nor is a failure that came back the same on a retry the orchestrator
  took over (the ledger judging it answered no progress, as ``tool_error`` reads the first).
* ``unrefined_search``: a web surfer that typed the same query ("I typed 'Q' into ..."), word for
  word, in answer to three or more different instructions, none of which quoted it (across a replan
  too): the query is the surfer's (``web_search``), so its first typing is blamed
  (forensics.attribution.search_rules).
* ``stale_output``: in an autogen-magentic-one run (its ledger in the messages), a terminal's output
  repeating its own earlier output word for word while the latest code before it holds only blocks
  without a language tag or closed on their last code line, or the code's author answered between the
  two runs with no block at all (a fix in prose): the Executor (``agents/coder.py``) runs only
  a ``` ```lang ``` block whose closing fence follows a newline, walking back past others, so it ran
  the earlier script again; the terminal's step is blamed, and it wins over ``VALUE_TRACES`` (the
  traced figure was right for the code that printed it) (forensics.attribution.tool_rules).
* ``claimed_access``: the first message (no code in it) whose author says in the first person that it
  has retrieved, accessed or located something ("I have successfully retrieved the article") while
  no tool call in the run had yet returned anything and no page had been viewed: an AG2 expert
  reaches the world only through code the Computer_terminal runs (AgentBuilder's coding instruction),
  so the retrieval was invented.
* ``final_answer_origin``: where the run states ``FINAL ANSWER: x`` (a failed run: x is wrong),
  the first earlier step whose text contains x (a tool's output counts for the code's author; a
  number x only as a number of its own, not inside a longer one, "pypdf-4.2.0", nor as the row labels
  pandas prints down a frame's left edge, nor in a viewport report, "Showing page 1 of 2."; a hedged
  step only after an unhedged step that is no results page held x: it comments on a figure read); if
  that is a search engine's results page (a snippet among others) or a page (or file) the surfer opened
  because the instruction named it, the first later step of the same agent where it took x up itself
  (its own words, a page it chose), else the first later page that is not a results page, else the
  first later terminal output holding x (its code's author).
* ``halted_answer_origin``: the run ended on a worker's request to halt (base_orchestrator.py's
  "(termination condition)" "<source> requested halt.", the Coder's TERMINATE): that worker's last
  message is the answer; a figure of it the request does not give is traced to the first earlier step
  that held it (as ``final_answer_origin``), else the halting message is blamed. A ``VALUE_TRACES``
  rule.
* ``final_answer_composed``: the run's answer message (``Orchestrator (final answer)`` or a ``FINAL
  ANSWER:`` line) states a number no earlier step held: computed in the answer itself, or an earlier
  figure rounded to another precision than the request asks (halves round away from zero, as a request
  means: Python's round(234.5) = 234 is no rounding of 234.5; a figure restated in another unit of
  ten's powers, or beside its twin in one, "26,000 hours (26 thousand hours)", or rounded as asked,
  to decimals or to the power of ten the request names, is not evidence). It wins over ``VALUE_TRACES``.
* ``final_answer_departs``: the run's answer message (``Orchestrator (final answer)``, which
  ``_prepare_final_answer`` writes afresh from the transcript with ``ORCHESTRATOR_GET_FINAL_ANSWER``)
  states none of the figures the last accepting ledger's reason states (nor a rounding of one) and
  one of its own (figures of the request left out of both): the accepted figure was lost in the
  answer, which is blamed. It wins over ``VALUE_TRACES``.
* ``computed_from_given``: the answer is a terminal's result of plain code (assignments, arithmetic,
  print: no function, loop, branch, file read, aggregate or constant of its own: a conversion
  factor no earlier step held, not a digit or a power of ten) over a figure the
  orchestrator's last instruction handed the code's author and another agent reported (not in the
  request): the code computed what it was handed, so the figure's first taking up is blamed (traced as
  an answer is; not when another figure it was handed no worker had given: the orchestrator's own); of several such figures, one taken up in a worker's own words (its report: it read
  the figure, and may have misread it) is the suspect ahead of one a view only showed, else the earliest. The answer may write the printed
  figure with the trailing zeros the request's decimals ask for (1.10 for 1.1). A ``VALUE_TRACES`` rule.
* ``accepted_wrong_answer``: the first ledger answering ``is_request_satisfied: true`` accepted a
  wrong answer (attribution is asked about failed runs): a number its reason states that the task
  does not (the run's final answer, a ``FINAL ANSWER:`` line's or the ``Orchestrator (final
  answer)`` message's figure, when the reason states it) is traced to the first step that
  held it (its owner; past a results page as above; a 0 is held by a step saying "none" or
  "zero"); a reason that states no figure ("FileSurfer found the maximum reading") accepted the
  ``FINAL ANSWER:`` line's figure, traced the same way (no such line: the ``Orchestrator (final
  answer)`` message's one figure the request does not give; of several, none); with that figure stated, a name beside it
  (where it was read: "on Google Patents") is not traced, nor a year beside another figure (it dates
  the figure: "the 2023 budget granted $84,750.00"), unless the request asks for a year or a date; a final answer no earlier step held was
  composed by the orchestrator in that ledger, which is blamed; so is a year the answer picked
  among the years a worker's report (its own words) gave for a request that selects by order ("the
  first to ..."), when the report did not make that selection itself; without one, the worker
  message it judged.
* ``unverified_accepted``: the orchestrator turned an unestablished value into the answer: that
  ledger judged a worker message that says itself it could not find or verify the value, has not
  yet opened or checked its source, or estimates or guesses it (unless the ``FINAL ANSWER:`` figure
  entered earlier at a worker step that did not hedge and is no results page, a snippet before it
  or not: the hedge then comments on a figure already found, which is traced, the hedging message
  taking it up in its own words), or its own reason calls the answer's figure approximate ("about 86,000";
  not a rounding of a finer figure a worker held, "about 122.4" for 122.3874, nor one to the power of
  ten the request asks, "about 27,000" for 27439.3 and "nearest 1000 hours": that is traced as held),
  or its reason states an approximate figure that neither the request nor any worker step before it
  held (an operand it estimated itself: "the typical converted mill playhouse, about 300 seats"),
  or the value its reason states was first reported by a worker message that said so, or that a
  worker called a part of a larger whole in the words of paging through a list ("the first 10 of
  24", "showing 1-10 of 24");
  or an ``Orchestrator (-> X)`` instruction told a worker to assume, guess or give its best estimate of one. The orchestrator at
  that ledger is blamed, ahead of where the value came from (``VALUE_TRACES``).
* ``plan_unbacked_fact``: a plan ("Initial plan:" / "New plan:", ORCHESTRATOR_SYNTHESIZE_PROMPT)
  whose given-or-verified facts or plan bullets hold a number that neither the task nor any earlier
  message held: a fact sheet inventing a given, or a replan swapping a learned fact for a guess (a
  quantity of the task in another unit, "45 minutes" as 0.75 h, is no such number, nor a strict bound
  of it restated inclusively, "earlier than 1850" as "1849 or earlier"; nor is the year
  of a date written with its month's name, "published 6 February 2024", which dates a source).
* ``plan_contradicts_task``: a plan whose facts to look up and bullets ask for the most recent
  (latest, newest) value and name none of the request's years, while the request names a year and
  asks for nothing by recency ("According to the 2010 census" looked up as "the latest population
  figure"): every instruction follows the plan, so the plan is blamed (forensics.attribution.plan_rules).
* ``plan_relied_on``: a ledger whose reason rests a claim on the plan or its fact sheet ("Per the fact
  sheet, ...") where the claim is a line of the plan's given-or-verified facts or educated guesses
  that the request does not state: the plan in force at that ledger is blamed.
* ``replan_dropped_fact``: the last "New plan:" no longer names a name a worker first reported (not
  in the request; an earlier plan's educated guess of it does not count) and the orchestrator then acted on, and the answer was accepted after it: the replan
  reset every history to a plan without that fact; the replan is blamed. So too when the last "New
  plan:"'s fact sheet no longer names a name of the request ("held in Room B"), or a word of the
  request those facts stated as a condition ("The bakery must be gluten-free."), that an earlier plan's
  given-or-verified facts stated: the request's condition is gone for the team.

* ``instruction_contradicts_task``: the first ``Orchestrator (-> X)`` instruction that contradicts
  the request: it names only years the request does not name or span (while it names one), only
  another kind of day (a Saturday for a weekday request: ``_day_kinds``), asks for
  a statistic of another family (a mean for a median), or sends a request about an attached file to
  the WebSurfer (as the first instruction, while the team's FileSurfer was not asked, before a
  replan too when no step ever asks the FileSurfer: the replan kept the file on the web; or, from a
  ledger judging the team stuck, naming the request's subject). The ledger that wrote the
  instruction (its ``instruction_or_question``, which the message repeats) is blamed: the first
  place the decision appears; for an attached file sent to the web, the plan in force when its
  bullets already gave the work to the WebSurfer and named no FileSurfer. It wins over ``VALUE_TRACES`` (the figures may be right; the question
  put to them was not). A split year (``2019-20``) names both of its years.
* ``instruction_unbacked_figure``: the first ``Orchestrator (-> X)`` instruction that hands a worker a
  figure (two digits or more, not a year, not a power of ten) that neither the request nor any earlier
  message of the team held (ledgers aside: they write the instruction; a URL's digits are no figure,
  nor a date's that restates in numbers a date written with its month's name, "1941-12-22";
  a search results page's snippet counts only while it is the team's latest finding),
  and that later code computed with (a percentage handed as "4.53%" is used by code that writes
  0.0453): the orchestrator mis-copied or invented it. The ledger that wrote it is blamed; it wins over
  ``VALUE_TRACES`` (the code computed what it was handed).
* ``source_contradicts_task``: a worker's observation (a surfer's page or file view) that names only
  years the request does not, whose figures a later step used (or, a file the FileSurfer chose
  itself, that later code read by its path): the team took its data from a
  source for another period (an ``instruction_contradicts_task`` after it, naming the source's year,
  relayed the source and does not overrule it); or a FileSurfer's view, of a file it chose itself, whose name states a
  date range ("export_2023-01-01_2023-12-31.xlsx") that does not cover the range the request states
  ("from 1 July 2022 to 30 June 2023"), and that later code read (forensics.attribution.period_rules).
* ``partial_file_view``: a FileSurfer view showing page i of n (i < n: "Viewport position: Showing
  page 1 of 3.", ``file_surfer.py``) of a file no later view showed again (the surfer never paged on),
  after which the next worker message is another agent's code that reads no file itself and holds at
  least ``PARTIAL_MIN_FIGURES`` literal figures, all of them the view's: the script computed over one
  page as if it were the file; the view is blamed (forensics.attribution.view_rules). A ``VALUE_TRACES`` rule.
* ``task_unasked_figure``: an AG2 CaptainAgent run's first message restates the request ("# General
  Task") as the manager's "## Task description", and the description states a figure (two digits or
  more) the request does not ("verify the highest price, which was found to be $5,200,000"): the team
  was handed a premise to confirm, not a question; step 0's owner is blamed (as a Magentic-One
  plan's invented given, ``plan_unbacked_fact``).

* ``unread_download``: the web surfer downloaded a file ("Successfully downloaded '<name>' to local
  path: ...", its "Download Successful" page, ``multimodal_web_surfer.py``) that no later step of
  another agent opened (no FileSurfer view, code or terminal run names it, no ``file://`` visit), and
  the answer's figure first entered at a worker step after a later ledger that does not name the
  file: that ledger sent the team to another source with the fetched document unread, and is blamed
  (forensics.attribution.download_rules).

* ``clicked_another_period``: a web surfer's click ("I clicked '<aria name>'.",
  ``multimodal_web_surfer.py``) on a target whose name gives only years that neither the instruction
  it answered nor the request names, while both name one (a MediaWiki revision "14:02, 3 March 2024"
  for "the 29 November 2022 edit"): the surfer opened a source for another period; the click is
  blamed and, like ``instruction_contradicts_task``, wins over ``VALUE_TRACES``
  (forensics.attribution.click_rules).

Magentic-One's replan resets every agent's history (``_select_next_agent``: ``self._chat_history =
[self._chat_history[0]]`` and a new plan): tool errors, repeats and stalls before the last "New
plan:" were recovered from; only the answer traces (final answer, accepted answer) cross it.

Fallback:

* ``unbacked_claim``: the first message (after the task statement) that introduces at least
  ``UNBACKED_MIN_FACTS`` new facts (numbers, capitalised names) that no earlier message, tool
  output or the task held, with no code to compute them and not being a tool observation.
* ``orchestrator_plan``: in a run with an orchestrator (an agent keeping a progress ledger), the
  orchestrator at its first plan: a PRIOR, not evidence. It writes the plan and every instruction,
  and it is the agent most failed Magentic-One runs are blamed on (always naming it scores 33/58
  on Who&When's hand-crafted runs, issue 13), so a worker is the worse guess without evidence.
* ``first_response``: the first step after the task statement (a plan or first answer that the
  rest of the run built on).

Everything is polars expressions over the span table; nothing loops over rows in Python.

The package, one room per job (every name is importable from ``forensics.attribution`` as before):
``runner`` (``attribute``: evidence, then fallback), ``steps`` (the per-step facts, the ledger
columns), ``ledger_rules`` (Magentic-One ledgers: the accepted answer), ``plan_rules`` (its plans and replans), ``stall_rules`` (where a stall began),
``instruction_rules`` (instructions and sources against the request), ``search_rules`` (a search
never refined), ``period_rules`` (a file
named for another period than the request's), ``path_rules`` (a path a
worker mis-copied), ``view_rules`` (one page of a longer file taken for the file), ``value_forms`` (a value restated in another notation), ``tool_rules`` (a task that
is a tool error, tool errors, repeats, a terminal's stale output), ``claim_rules`` (claimed access),
``download_rules`` (a downloaded file nobody opened), ``click_rules`` (a click on another period), ``answers`` (final answer origin), ``fallback`` (unbacked claim, orchestrator plan, first response)
and ``common`` (the text patterns, thresholds and ledger keys the rules share).
"""

from __future__ import annotations

from forensics.attribution.answers import (
    _computed_from_given,
    _final_answer_composed,
    _final_answer_origin,
    _halted_answer_origin,
)
from forensics.attribution.common import (
    _ACK,
    _ANY_NUMBER,
    _ASSUME,
    _CODE_FENCE,
    _FACT_NAME,
    _FACT_NUMBER,
    _FINAL_ANSWER,
    _GIVEN_SECTION,
    _HEDGE,
    _LEDGER_KEYS,
    _OBSERVATIONS,
    _PAGE_URL,
    _PLAN,
    _PLAN_SECTION,
    _REPLAN,
    _SATISFIED_REASON,
    _SEARCH_PAGE,
    _STANDALONE_NUMBER,
    REPEAT_MIN_CHARS,
    UNBACKED_MIN_FACTS,
    _hedged,
    _no_rows,
    _numbers,
    _page_url,
    _pick,
)
from forensics.attribution.fallback import (
    _first_response,
    _orchestrator_plan,
    _unbacked_claims,
)
from forensics.attribution.ledger_rules import _accepted_answers, _judged
from forensics.attribution.plan_rules import (
    _assumed_values,
    _plan_relied_on,
    _plan_unbacked_facts,
    _replan_dropped,
)
from forensics.attribution.runner import (
    ATTRIBUTION_COLUMNS,
    EVIDENCE_RULES,
    FALLBACK_RULES,
    VALUE_TRACES,
    _attribute,
    _empty,
    _run_ids,
    attribute,
)
from forensics.attribution.stall_rules import _episode_starts, _stalls
from forensics.attribution.steps import (
    _ledger,
    _read_with_conventions,
    _steps,
)
from forensics.attribution.tool_rules import (
    _repeats,
    _tool_errors,
)

#: Every name the single-module ``forensics.attribution`` had, still importable from here.
__all__ = [
    "ATTRIBUTION_COLUMNS",
    "EVIDENCE_RULES",
    "FALLBACK_RULES",
    "VALUE_TRACES",
    "REPEAT_MIN_CHARS",
    "UNBACKED_MIN_FACTS",
    "attribute",
    "_ACK",
    "_ANY_NUMBER",
    "_ASSUME",
    "_CODE_FENCE",
    "_FACT_NAME",
    "_FACT_NUMBER",
    "_FINAL_ANSWER",
    "_GIVEN_SECTION",
    "_HEDGE",
    "_LEDGER_KEYS",
    "_OBSERVATIONS",
    "_PAGE_URL",
    "_PLAN",
    "_PLAN_SECTION",
    "_REPLAN",
    "_SATISFIED_REASON",
    "_SEARCH_PAGE",
    "_STANDALONE_NUMBER",
    "_accepted_answers",
    "_assumed_values",
    "_attribute",
    "_computed_from_given",
    "_empty",
    "_episode_starts",
    "_final_answer_composed",
    "_final_answer_origin",
    "_first_response",
    "_orchestrator_plan",
    "_halted_answer_origin",
    "_hedged",
    "_judged",
    "_ledger",
    "_no_rows",
    "_numbers",
    "_page_url",
    "_pick",
    "_plan_relied_on",
    "_plan_unbacked_facts",
    "_read_with_conventions",
    "_replan_dropped",
    "_repeats",
    "_run_ids",
    "_stalls",
    "_steps",
    "_tool_errors",
    "_unbacked_claims",
]
