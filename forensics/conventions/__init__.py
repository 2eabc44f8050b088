"""The conventions layer: framework signals normalised into meaning columns, between loading and detecting.

One module per family of signal, each registering a :class:`Convention` (in this import order):
handled vs escaped exceptions and agent errors, pauses and escalations, the Magentic-One ledger,
fallbacks, attempt groups, the run's reported and declared outcome. ``forensics.detectors.base.
prepare`` runs them; detectors read the columns they add (``error_handled``, ``pause_kind``,
``attempt_group``, ``fallback_of``, ``ledger_in_loop``, ...) instead of framework spellings.
"""

from __future__ import annotations

from forensics.conventions import (  # noqa: F401
    approval_deciders,
    approvals_given,
    attempts,
    cancelled,
    cluster_commands,
    command_words,
    components,
    confidence_bars,
    content_filter,
    delegation,
    dry_runs,
    embedded_inputs,
    error_names,
    exceptions,
    failed_checks,
    fallbacks,
    flow_routes,
    graph_steps,
    guardrail_checks,
    hosted_exports,
    killed,
    ledger,
    lifecycle,
    loaded,
    lookups,
    malformed_calls,
    messaging_spans,
    outcome,
    output_cap,
    paused_turns,
    pauses,
    prompt_cache,
    prompt_size,
    quoted_errors,
    raised,
    ran_nothing,
    refusals,
    remote_tasks,
    replies,
    rollups,
    scheduled_jobs,
    search,
    sent_messages,
    sub_agent_requests,
    tool_descriptions,
    vector_queries,
    workflow_owner,
)
from forensics.conventions.registry import (
    CONVENTIONS,
    Convention,
    Signal,
    apply_runs,
    apply_status,
    apply_structure,
    extract_exprs,
    prefilter_exprs,
    private_columns,
    register,
    table_markdown,
)

#: Built-ins run in this order: pauses decide what is not a failure before handled errors are
#: judged; attempt groups and fallbacks relate spans once success is known.
BUILTIN_ORDER = (
    "pauses",
    "handled_exceptions",
    "magentic_one_ledger",
    "fallbacks",
    "attempt_groups",
    "reported_outcome",
)
CONVENTIONS.sort(key=lambda c: BUILTIN_ORDER.index(c.name) if c.name in BUILTIN_ORDER else len(BUILTIN_ORDER))

__all__ = [
    "CONVENTIONS",
    "Convention",
    "Signal",
    "apply_runs",
    "apply_status",
    "apply_structure",
    "extract_exprs",
    "prefilter_exprs",
    "private_columns",
    "register",
    "table_markdown",
]
