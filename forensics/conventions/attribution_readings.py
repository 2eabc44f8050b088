"""Conventions the failure attribution reads in Magentic-One histories (Who&When-shaped): how the
orchestrator's ledger, its instructions and its workers write figures, dates, file views and picks, so
``forensics/attribution`` names the agent and step a figure came from by what the framework wrote.

Kept apart from ``loaded``'s load-time column mappings, whose convention lists them (``loaded_columns``):
these become attribution readings, not span-table columns.
"""

from __future__ import annotations

from forensics.conventions.registry import Signal

ATTRIBUTION_SIGNALS: tuple[Signal, ...] = (
    Signal(
        "Orchestrator (final answer) (agentchat: MagenticOneOrchestrator's last message), written afresh from "
        "the conversation in the form the request asks: a date a page gave as 'June 20, 2025' restated as "
        "'2025-06-20'",
        "Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)",
        "microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py "
        "(_prepare_final_answer), agents/orchestrator_prompts.py (ORCHESTRATOR_GET_FINAL_ANSWER)",
        "a month named next to a day holds its number (forensics/attribution/value_forms.py month_numbers): the "
        "answer's 06 is held, not composed (final_answer_composed); tests/test_attribution_m1_values.py",
    ),
    Signal(
        "the accepting ledger's reason (agentchat: the final answer) calling the answer's figure approximate "
        "('about 122.4 days') where an earlier worker step held a finer figure it rounds to (122.3874): the "
        "request's rounding ('Round to one decimal place'), written by ORCHESTRATOR_GET_FINAL_ANSWER / the "
        'ledger from the transcript',
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py (update_ledger,'
        ' _prepare_final_answer), agents/orchestrator_prompts.py (ORCHESTRATOR_LEDGER_PROMPT, '
        'ORCHESTRATOR_GET_FINAL_ANSWER)',
        'not unverified_accepted; the rounded figure is held where the finer one was '
        '(forensics/attribution/value_forms.py roundings, ledger_rules accepted_wrong_answer); an approximate'
        ' figure no step held finer stays unverified_accepted; tests/test_attribution_m1_roundings.py',
    ),
    Signal(
        "the accepting ledger's reason or the final answer calling the answer's figure approximate ('about "
        "27,000 hours') where an earlier worker step held a figure it rounds to at the power of ten the request "
        "asks ('Round to the nearest 1000 hours': the ComputerTerminal's 27439.3); the answer restating it in "
        "the request's unit beside it ('(27 thousand hours)')",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator and Executor; agentchat MagenticOneGroupChat)',
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py (update_ledger,'
        ' _prepare_final_answer), agents/orchestrator_prompts.py (ORCHESTRATOR_GET_FINAL_ANSWER); '
        'autogen-agentchat teams/_group_chat/_magentic_one/_magentic_one_orchestrator.py (_prepare_final_answer)',
        'not unverified_accepted nor final_answer_composed: the rounded figure is held where the finer one was '
        '(forensics/attribution/value_forms.py tens_asked, tens_roundings, restated_in_units; ledger_rules '
        'accepted_wrong_answer, answers final_answer_composed); a request asking no such rounding, or a figure '
        'no rounding reaches, stays unverified_accepted / composed; tests/test_attribution_m1_tens.py',
    ),
    Signal(
        "the accepting ledger's reason or the final answer writing a figure with the trailing zeros the "
        "request's decimals ask for ('1.10' for 'Round to two decimal places') where the ComputerTerminal "
        "printed it without them ('1.1': Python's print of a float)",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator and Executor; agentchat MagenticOneGroupChat)',
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py (update_ledger,'
        ' _prepare_final_answer), agents/orchestrator_prompts.py (ORCHESTRATOR_GET_FINAL_ANSWER), '
        'agents/coder.py (Executor: the script\'s stdout)',
        'the padded figure is held where the printed one was (forensics/attribution/value_forms.py '
        'zero_padded; ledger_rules accepted_wrong_answer, answers computed_from_given), not composed by the '
        'orchestrator; another figure stays composed; tests/test_attribution_m1_handed.py',
    ),
    Signal(
        "'Initial plan:' / 'New plan:' fact sheet ('1. GIVEN OR VERIFIED FACTS') and plan bullets ('Here is "
        "the plan to follow as best as possible:') stating a quantity of the request in another unit: a "
        "'45-minute break' as 0.75 h, a time '1:05.00' as 65.00 s, 'the 10th' as rank 10, 'August 2023' as "
        "'31 days'; a date the request names with its month ('Saturday 14 September 2024') written in numbers "
        "('14.09.2024', '2024-09-14')",
        "Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat's task ledger)",
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator_prompts.py '
        '(ORCHESTRATOR_CLOSED_BOOK_PROMPT, ORCHESTRATOR_SYNTHESIZE_PROMPT), agents/orchestrator.py '
        '(_initialize)',
        'the figure is given, not invented (forensics/attribution/value_forms.py restated_figures: the '
        "request's numbers, ordinals, colon times and named months' day counts times a unit of time or of ten's "
        "powers; restated_dates: "
        "its named dates' day.month.year, month/day/year and year-month-day forms): no plan_unbacked_fact; a "
        'figure of no such unit, another day or another month length stays one; '
        'tests/test_attribution_m1_givens.py',
    ),
    Signal(
        "'Initial plan:' / 'New plan:' fact sheet or plan bullets dating a source with a date written with "
        "its month's name ('published 6 February 2024', 'February 2024', 'February 6, 2024')",
        "Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat's task ledger)",
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator_prompts.py '
        '(ORCHESTRATOR_CLOSED_BOOK_PROMPT: GIVEN OR VERIFIED FACTS, ORCHESTRATOR_SYNTHESIZE_PROMPT)',
        "the date's year is no figure the plan acts on (forensics/attribution/common.py _WRITTEN_DATE, "
        "plan_rules plan_unbacked_fact); a bare year the plan acts on ('released in 2011') stays one; "
        'tests/test_attribution_m1_givens.py',
    ),
    Signal(
        "FileSurfer view 'Address: file:///p' of a file the surfer chose (no instruction named p) whose name "
        "states a date range ('export_2023-01-01_2023-12-31.xlsx') not covering the range the request states "
        "('from 1 July 2022 to 30 June 2023'), or whose view names only years the request does not "
        "('loans_2020-12-31.csv' for a 2021 request), the file a later Coder script reads by its path",
        'Magentic-One (autogen-magentic-one FileSurfer and Coder; agentchat FileSurfer)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/file_surfer/'
        'file_surfer.py (open_local_file: the path the model chose; _get_browser_state), agents/coder.py',
        "attribution source_contradicts_task at the view (forensics/attribution/period_rules.py, "
        "value_forms.iso_dates; years only: instruction_rules), ahead of a later instruction naming the "
        "file's year (it relays the source: runner._relayed_sources); a file covering the request's range or "
        "year, or one the instruction named, is none; tests/test_attribution_m1_periods.py",
    ),
    Signal(
        "the accepting ledger's reason (agentchat: the final answer) stating one year of several a worker's "
        "report in its own words gave ('two albums reached number one: A (2000) and B (2008)') for a request "
        "that selects by order ('the first to ...'), the report not using the request's word",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger, _prepare_final_answer), agents/orchestrator_prompts.py (ORCHESTRATOR_GET_FINAL_ANSWER); '
        'autogen-agentchat _magentic_one_orchestrator.py (_prepare_final_answer)',
        "attribution accepted_wrong_answer at the acceptance: the pick was the orchestrator's "
        "(forensics/attribution/ledger_rules.py _picked_year); a report that made the selection ('the first "
        "was ...') stays traced; tests/test_attribution_m1_picks.py",
    ),
    Signal(
        "agentchat ComputerTerminal 'The script ran, then exited with an error (POSIX exit code: N)' followed, "
        "with no new task ledger between, by a successful run of the same author's code (its output alone)",
        'AutoGen AgentChat MagenticOneGroupChat (no progress ledger in the messages)',
        'microsoft/autogen python/packages/autogen-agentchat/src/autogen_agentchat/teams/_group_chat/'
        '_magentic_one/_magentic_one_orchestrator.py (_orchestrate_step: the progress ledger to _log_message '
        'only; a stall past max_stalls re-enters the outer loop with a new task ledger), '
        'autogen_agentchat/agents/_code_executor_agent.py',
        "the error was recovered from: no tool_error (forensics/attribution/tool_rules.py _recovered); an "
        "error its author never got past stays one; tests/test_attribution_m1_recovered.py",
    ),
    Signal(
        "an Orchestrator (-> X) instruction (agentchat: MagenticOneOrchestrator's instruction message) writing "
        "in numbers ('born 1941-12-22') a date a worker or the request wrote with its month's name ('Born: 22 "
        "December 1941')",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger: instruction_or_question written from the transcript, broadcast as Orchestrator (-> X))',
        "the date's numbers (the month's 12) are no figure the orchestrator invented: no "
        'instruction_unbacked_figure (forensics/attribution/instruction_rules.py _restated_date_parts, '
        'value_forms.restated_dates); a numeric date nobody named stays figures; tests/test_attribution_m1_dates.py',
    ),
    Signal(
        "an Orchestrator (-> X) instruction (agentchat: MagenticOneOrchestrator's instruction message) naming "
        "only another kind of day than the request: a 'Saturday' timetable for a request about a weekday "
        "('Monday to Friday'), a 'Sunday' for a 'Saturday'",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(instruction_or_question broadcast as Orchestrator (-> X))',
        'attribution instruction_contradicts_task: the ledger that wrote it (else the message) is blamed '
        '(forensics/attribution/instruction_rules.py, common.py _day_kinds: weekday, saturday, sunday; a '
        'weekend is both); a day of the same kind (Wednesday for Monday to Friday) is none; '
        'tests/test_attribution_m1_days.py',
    ),
    Signal(
        "a WebSurfer search 'I typed 'Q' into '0 characters out of 2000'.' (or 'into the browser search "
        "bar.') whose query the latest Orchestrator (-> WebSurfer) instruction quoted word for word "
        "(\"Please search for 'Q'\"), itself judged by the first ledger of the stall the run ended in",
        'Magentic-One (autogen-magentic-one MultimodalWebSurfer and LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/multimodal_we'
        "b_surfer/multimodal_web_surfer.py (web_search: the query typed into the search box), "
        'agents/orchestrator.py (update_ledger: is_in_loop, is_progress_being_made; instruction_or_question)',
        'attribution orchestrator_stall: the surfer did as told, so the ledger that wrote the instruction is '
        'blamed, as for a scroll it asked for (forensics/attribution/stall_rules.py _scrolled_as_told, '
        "_TYPED_SEARCH); a query the surfer chose, or a results page it went on acting on, stays the "
        "surfer's; tests/test_attribution_m1_searches.py, tests/data/ag2_history/magentic_one_error_recovered.json",
    ),
    Signal(
        "a ComputerTerminal answer ('The script ran, then exited with Unix exit code: N\\nIts output was:') "
        'repeating its own earlier answer word for word after a code message whose fenced blocks have no '
        "language tag (three backticks, then a newline) or close on the code's last line ('print(n)```'), "
        "or after the code's author answered in prose with no block at all",
        'Magentic-One (autogen-magentic-one Executor; its ledger in the messages)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/coder.py '
        '(Executor._generate_reply walks back through the history; _extract_execution_request matches '
        '```(\\w+)\\n(.*?)\\n``` only: a language tag, and a closing fence after a newline)',
        'attribution stale_output: the executor ran the earlier script again; the terminal step is blamed, '
        'ahead of the answer traces (forensics/attribution/tool_rules.py); a tagged block closed on a line '
        "of its own, a new tagged script after the prose, a rerun nobody answered between, or agentchat "
        "(CodeExecutorAgent runs an untagged block), is no such answer; tests/test_attribution_m1_terminal.py",
    ),
    Signal(
        'an Orchestrator (-> X) instruction handing a worker a figure that only a search results page held '
        "('Here is a screenshot of [... - Search](https://www.bing.com/search?q=...)', a snippet among "
        'others), after which a worker went on to another step (the surfer opened the source and read it), '
        'and that later code computed with',
        'Magentic-One (autogen-magentic-one MultimodalWebSurfer and LedgerOrchestrator; agentchat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/multimodal_we'
        'b_surfer/multimodal_web_surfer.py (web_search: the Bing results page), agents/orchestrator.py '
        '(instruction_or_question)',
        'attribution instruction_unbacked_figure: the ledger that wrote the instruction took the snippet over'
        " the surfer's reading (forensics/attribution/instruction_rules.py); a snippet handed on as the "
        'latest finding (the results page is the last worker step) is taken up, not mis-copied; '
        'tests/test_attribution_m1_givens.py',
    ),
    Signal(
        "an Orchestrator (-> X) instruction asking the worker to make the value up: 'assume', 'guess', 'give "
        "your best / a rough / an educated / a ballpark estimate' (not 'the 2019 population estimate', a "
        "published figure's name)",
        "Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneOrchestrator's "
        'instruction message)',
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(instruction_or_question broadcast as (-> X)); autogen-agentchat '
        'teams/_group_chat/_magentic_one/_magentic_one_orchestrator.py (_orchestrate_step)',
        'attribution unverified_accepted at the ledger that wrote it (forensics/attribution/plan_rules.py '
        '_assumed_values, common._ASSUME); tests/test_attribution_m1_givens.py',
    ),
    Signal(
        "FileSurfer view 'Address: file:///p' (agentchat: 'Path: /p'; a plain-path address 'Address: /p') / "
        "'Viewport position: Showing page i of n.' (the markdown "
        "browser's page) of a path p that the latest instruction to it, or the request, names whole",
        'Magentic-One (autogen-magentic-one FileSurfer; agentchat FileSurfer)',
        'microsoft/autogen '
        'python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/file_surfer/file_surfer.py '
        '(_get_browser_state: Address, Title, Viewport position; open_local_file: the path the model wrote), '
        'agents/orchestrator.py ((-> X) instruction); autogen-ext agents/file_surfer/_file_surfer.py '
        '(_get_browser_state: Path, the MarkdownFileBrowser path)',
        "instructed (forensics/attribution/steps.py _instructed, _FILE_VIEW): the file was the orchestrator's"
        " or the user's choice; a value the view shows is traced on to the surfer's own later reading of it "
        '(common._taken_up), as a page opened by an instructed click, else to the first later terminal output'
        " that held it (the code's author singled it out of the file: a script printing one branch of the "
        "table); a path nobody named stays the surfer's view; tests/test_attribution_m1_file_views.py",
    ),
    Signal(
        "FileSurfer view 'Address: file:///p' ... 'File not found: /p' (the markdown browser's not-found page) of "
        "a path whose file name the request or an earlier instruction gave under other folders, no earlier "
        "message naming p",
        "Magentic-One (autogen-magentic-one FileSurfer; agentchat FileSurfer)",
        "microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/file_surfer/"
        "file_surfer.py (open_local_file: the path the model wrote), agents/orchestrator.py ((-> X) instruction)",
        "attribution miscopied_path: the surfer's first such view is decisive (forensics/attribution/path_rules.py); "
        "a path opened as named stays the instruction's (orchestrator_stall); tests/test_attribution_m1_paths.py",
    ),
    Signal(
        "the accepting ledger's is_request_satisfied reason stating no figure ('FileSurfer found the maximum "
        "nitrate reading') before an Orchestrator (final answer) with a 'FINAL ANSWER: x' line, or a plain "
        "answer stating one figure the request does not give ('at $72 per month'); or a reason "
        "stating that figure beside a name of where it was read ('the Kesterton County Portal register lists "
        "2,917')",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger, _prepare_final_answer), agents/orchestrator_prompts.py (ORCHESTRATOR_LEDGER_PROMPT, '
        'ORCHESTRATOR_GET_FINAL_ANSWER)',
        "attribution accepted_wrong_answer traces the FINAL ANSWER's figure (what _prepare_final_answer wrote "
        'from the transcript the ledger accepted), not the judged worker step; with that figure stated, a name '
        'beside it is not traced (forensics/attribution/ledger_rules.py _accepted_answers); a plain answer '
        'stating several figures (the answer and its inputs) keeps the judged step, and its one figure no '
        "earlier step held is final_answer_composed's, not the ledger's; tests/test_attribution_m1_accepted.py",
    ),
    Signal(
        "the worker message the accepting ledger judged hedging ('roughly 46 trips in each direction', 'I "
        "have not opened the official records page yet'), where the FINAL ANSWER's figure first entered at an "
        "earlier worker step (a ComputerTerminal output, a page the surfer opened) or only at a results page "
        "or at that message",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger, _prepare_final_answer); autogen-agentchat '
        'teams/_group_chat/_magentic_one/_magentic_one_orchestrator.py (_prepare_final_answer)',
        'attribution: a figure first held by an unhedged non-results worker step is traced there '
        '(accepted_wrong_answer / final_answer_origin), the hedge comments on it; a source not yet opened, or '
        'a figure first given by the hedging message, is unverified_accepted at the ledger '
        '(forensics/attribution/ledger_rules.py _accepted_answers, common._HEDGE); '
        'tests/test_attribution_m1_accepted.py',
    ),
    Signal(
        "an Orchestrator (-> Coder) instruction (agentchat: MagenticOneOrchestrator's instruction message) "
        "handing a percentage ('at an annual rate of 4.53%') that the Coder's script writes as the fraction it "
        "computes with (rate = 0.0453)",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator and Coder; agentchat MagenticOneCoderAgent)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger: instruction_or_question), agents/coder.py (the Coder writes the code the instruction '
        'asks for; the user cannot modify it)',
        'instruction_unbacked_figure: the fraction is the handed percentage, used '
        '(forensics/attribution/instruction_rules.py _percents); a percentage a page or the request held is '
        'no invention; tests/test_attribution_m1_handed_forms.py',
    ),
    Signal(
        "the accepting ledger's reason (agentchat: the final answer) stating a year beside the figure it "
        "accepts ('the 2023 budget granted the library $84,750.00'): the year dates the figure, "
        "restated from the transcript by ORCHESTRATOR_GET_FINAL_ANSWER / the ledger",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger, _prepare_final_answer), python/packages/autogen-agentchat/src/autogen_agentchat/teams/'
        '_group_chat/_magentic_one/_magentic_one_orchestrator.py (_prepare_final_answer)',
        'accepted_wrong_answer traces the other figure, not the year (forensics/attribution/ledger_rules.py '
        "_without_dating_years); a request that asks for a year, a date or when keeps it; "
        'tests/test_attribution_m1_handed_forms.py',
    ),
    Signal(
        "a ComputerTerminal output holding a one-digit answer only inside a longer number (pip's "
        "'Successfully installed pypdf-4.2.0') or as a row label pandas prints down a frame's left edge "
        "(DataFrame.to_string: ' 3    Lindqvist    night')",
        'Magentic-One (autogen-magentic-one Executor; agentchat CodeExecutorAgent)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/coder.py '
        "(Executor: 'The script ran, then exited with Unix exit code: N\\nIts output was:\\n' + stdout); "
        'pandas DataFrame.to_string (the index column)',
        'final_answer_origin and accepted_wrong_answer hold a number where a number of the text is it '
        '(forensics/attribution/answers.py, ledger_rules.py; common._ROW_LABEL); a number standing on its '
        'own earlier is still held there; tests/test_attribution_m1_held_numbers.py',
    ),
    Signal(
        "a FileSurfer view headed 'Viewport position: Showing page i of n.' or a WebSurfer view's 'The "
        "viewport shows N% of the webpage'; an answer message quoting a name in double quotes ('\"Walking on "
        "40 legs\"')",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/file_surfer/'
        'file_surfer.py (_get_browser_state), agents/multimodal_web_surfer/multimodal_web_surfer.py, '
        'agents/orchestrator.py (_prepare_final_answer)',
        "the viewport report's figures are the browser's, held by no page, and a quoted name's figures are no "
        'figure the answer states: accepted_wrong_answer traces the answer past them (forensics/attribution/'
        'common.py _VIEWPORT_REPORT, ledger_rules.py _QUOTED_NAME); a figure the page prints, or the answer '
        'states outside quotes, still counts; tests/test_attribution_m1_viewport_figures.py',
    ),
    Signal(
        "'Initial plan:' (agentchat: the task ledger) whose bullets ('Here is the plan to follow as best as "
        "possible:') give the work on a request about an attached file to the WebSurfer and name no "
        'FileSurfer, followed by the first instruction sending the WebSurfer',
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/'
        'orchestrator_prompts.py (ORCHESTRATOR_SYNTHESIZE_PROMPT), python/packages/autogen-agentchat/src/'
        'autogen_agentchat/teams/_group_chat/_magentic_one/_prompts.py (ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT)',
        'instruction_contradicts_task blames the plan, where the decision first appears '
        '(forensics/attribution/instruction_rules.py _planned_for_web); a plan naming no worker, or the '
        'FileSurfer too, leaves it to the ledger; tests/test_attribution_m1_plan_to_web.py',
    ),
    Signal(
        "The run's first instruction sending a request about an attached file to the WebSurfer, then "
        "'Stalled.... Replanning...' / 'New plan:' (agentchat: the task ledger posted again) after which no "
        'step asks the FileSurfer either',
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/'
        'orchestrator.py (_select_next_agent: the replan after stalls), python/packages/autogen-agentchat/src/'
        'autogen_agentchat/teams/_group_chat/_magentic_one/_magentic_one_orchestrator.py (_reenter_outer_loop)',
        'the replan kept the file on the web, so the first routing was never undone: instruction_contradicts_task '
        'blames that first instruction (its ledger) although it precedes the replan '
        '(forensics/attribution/instruction_rules.py _instruction_conflicts); a run whose FileSurfer is asked '
        'at any step recovered and is not blamed there; tests/test_attribution_m1_replan_routing.py',
    ),
    Signal(
        "'Initial plan:' / 'New plan:' (agentchat: the task ledger) whose facts to look up ('2. FACTS TO LOOK "
        "UP') and bullets ask for the 'most recent' / 'latest' / 'newest' value and name none of the years the "
        "request names ('According to the 2010 census, ...')",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/'
        'orchestrator_prompts.py (ORCHESTRATOR_SYNTHESIZE_PROMPT), python/packages/autogen-agentchat/src/'
        'autogen_agentchat/teams/_group_chat/_magentic_one/_prompts.py (ORCHESTRATOR_TASK_LEDGER_FULL_PROMPT)',
        'attribution plan_contradicts_task: the plan is blamed (forensics/attribution/plan_rules.py '
        '_plan_unpinned_year); a plan keeping the year, or a request asking by recency itself, is no such '
        'plan; tests/test_attribution_m1_plan_recency.py',
    ),
    Signal(
        "a WebSurfer's \"I typed 'Q' into '...'.\" (agentchat: \"into the browser search bar.\") with the same "
        'query Q, word for word, after three or more different Orchestrator (-> WebSurfer) instructions '
        '(agentchat: MagenticOneOrchestrator instruction messages), none quoting Q',
        'Magentic-One (autogen-magentic-one MultimodalWebSurfer; agentchat/autogen-ext MultimodalWebSurfer)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/multimodal_we'
        'b_surfer/multimodal_web_surfer.py (web_search: the query the model chose), agents/orchestrator.py '
        '(update_ledger: a new instruction_or_question each round)',
        'attribution unrefined_search: the surfer never refined its search; its first typing is blamed '
        '(forensics/attribution/search_rules.py); a query the instructions quoted, or a search refined '
        'after one retry, is no such loop; tests/test_attribution_m1_unrefined.py',
    ),
    Signal(
        "'New plan:' (agentchat: the task ledger posted again) whose fact sheet and plan (from '1. GIVEN OR "
        "VERIFIED FACTS' on) no longer name a name of the request ('held in Hall C'), or a word of it the "
        "facts stated as a condition ('must be gluten-free'), that the earlier plan's "
        'given-or-verified facts stated, followed by an accepted answer',
        'Magentic-One (autogen-magentic-one LedgerOrchestrator; agentchat MagenticOneGroupChat)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(_select_next_agent: the replan resets every history to the new plan), agents/orchestrator_prompts.py '
        '(ORCHESTRATOR_UPDATE_FACTS_PROMPT, ORCHESTRATOR_UPDATE_PLAN_PROMPT)',
        'attribution replan_dropped_fact blames the replan (forensics/attribution/plan_rules.py '
        '_dropped_givens); a replan keeping the condition, or a condition the request never asked, is no such '
        'replan; '
        'tests/test_attribution_m1_replan_givens.py',
    ),
    Signal(
        "a FileSurfer view headed 'Viewport position: Showing page 1 of 3.' that no later view of the run "
        "showed again (no page_down), followed by another agent's python code block that reads no file and "
        "holds the view's figures as literals",
        'Magentic-One (autogen-magentic-one FileSurfer and Coder; agentchat MagenticOneGroupChat FileSurfer)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/file_surfer/'
        'file_surfer.py (the markdown browser viewport header, page_down), agents/coder.py; autogen-ext '
        'agents/file_surfer/_file_surfer.py',
        'attribution partial_file_view at the view: the script computed over one page as if it were the file '
        '(forensics/attribution/view_rules.py); a file paged on or opened again, or a script that reads the '
        'file itself, stays clean; tests/test_attribution_m1_partial_view.py',
    ),
    Signal(
        "a ComputerTerminal answer 'The script ran but produced no output to console. The Unix exit code was: 1.' "
        "whose next ledger answers is_progress_being_made true and asks the code's author for the result, the "
        "author then saying itself it has none ('the console output was not captured ... approximately 15.2')",
        'Magentic-One (autogen-magentic-one Executor, Coder and LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/coder.py '
        '(Executor._generate_reply), agents/orchestrator.py (update_ledger: instruction_or_question)',
        "attribution tool_error at that ledger, the orchestrator's misreading (forensics/attribution/tool_rules.py "
        '_misread_by_ledger); an author stating the result as printed stays blamed at its code; '
        'tests/test_attribution_m1_misreads.py',
    ),
    Signal(
        "a WebSurfer 'Web surfing error:' + traceback (Playwright TimeoutError) repeated word for word after "
        "the orchestrator asked for another try, each judged by a ledger answering is_progress_being_made false",
        'Magentic-One (autogen-magentic-one MultimodalWebSurfer and LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/'
        'multimodal_web_surfer/multimodal_web_surfer.py (_generate_reply: the caught exception), '
        'agents/orchestrator.py (update_ledger)',
        'no repeated_action: the failure came back the same and the orchestrator took it over '
        '(forensics/attribution/tool_rules.py _repeats, _handed_over); what it then accepted decides; '
        'tests/test_attribution_m1_misreads.py',
    ),
    Signal(
        "the accepting ledger's is_request_satisfied reason stating an approximate figure ('about 300 seats', "
        "'roughly 40') that neither the request nor any worker step before it held",
        'Magentic-One (autogen-magentic-one LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/orchestrator.py '
        '(update_ledger), agents/orchestrator_prompts.py (ORCHESTRATOR_LEDGER_PROMPT)',
        "attribution unverified_accepted at that ledger: an operand the orchestrator estimated itself "
        '(forensics/attribution/ledger_rules.py _invented_estimates); a worker\'s own approximation, or a '
        'rounding of a finer figure, is traced as held; tests/test_attribution_m1_misreads.py',
    ),
    Signal(
        "a WebSurfer 'Download Successful' page ('Successfully downloaded '<name>' to local path: <folder>/<name>') "
        "whose file no later FileSurfer view, code or terminal run names, before a ledger that sends a worker to "
        "another source whose figure becomes the answer",
        'Magentic-One (autogen-magentic-one MultimodalWebSurfer, FileSurfer and LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/'
        'multimodal_web_surfer/multimodal_web_surfer.py (_execute_tool: Handle downloads), '
        'agents/file_surfer/file_surfer.py, agents/orchestrator.py (update_ledger: next_speaker, '
        'instruction_or_question)',
        'attribution unread_download at that ledger (forensics/attribution/download_rules.py); a document the '
        'FileSurfer or code opened is no such detour; tests/test_attribution_m1_downloads.py',
    ),
    Signal(
        "a WebSurfer click 'I clicked '<aria name>'.' whose target names only years that neither the latest "
        "Orchestrator (-> WebSurfer) instruction nor the request names, while both name one (a MediaWiki history "
        "link '14:02, 3 March 2024' for 'the 29 November 2022 edit')",
        'Magentic-One (autogen-magentic-one MultimodalWebSurfer and LedgerOrchestrator)',
        'microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/'
        "multimodal_web_surfer/multimodal_web_surfer.py (_execute_tool: click, action_description \"I clicked "
        "'<target_name>'.\"), agents/orchestrator.py (instruction_or_question)",
        'attribution clicked_another_period at the click, ahead of the answer traces '
        '(forensics/attribution/click_rules.py); a click on a target of the period asked, or naming no year, '
        'is none; tests/test_attribution_m1_clicks.py',
    ),
)
