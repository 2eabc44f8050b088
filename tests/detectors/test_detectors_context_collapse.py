"""context_collapse detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

from span_builder import concat, detectors, findings, one, run, run_row, span, spans

from forensics.classify import classify

ROOT = {"kind": "agent", "name": "account_assistant"}


def _tool(sid: str, start: float, tool: str, args: str, out: str = '{"name":"Ada"}', **kw):
    return span(sid, start, parent_id="root", kind="tool", tool=tool, input=args, output=out, **kw)


def test_repeated_action_fires_on_identical_calls_with_identical_results() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("a", 1, "crm.lookup", '{"id": 7}'),
        _tool("b", 2, "crm.lookup", '{"id":7}'),  # same arguments, re-serialised
        _tool("c", 3, "crm.lookup", '{"id": 7}'),
        _tool("d", 4, "crm.lookup", '{"id": 7}'),
    )
    f = one(c, "repeated_action")
    assert f["failure_class"] == "context_collapse"
    assert f["evidence_span_ids"] == ["a", "b", "c", "d"]
    assert f["decisive_span_id"] == "b"  # the first repeat: it ignored the first result
    assert "crm.lookup 4 times" in f["explanation"]
    assert "02:13:01 and 02:13:04" in f["explanation"]
    assert run_row(c)["primary_class"] == "context_collapse"


def test_repeated_action_near_miss_polling_that_gets_new_results() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("a", 1, "jobs.status", '{"job": 1}', '{"state":"running"}'),
        _tool("b", 3, "jobs.status", '{"job": 1}', '{"state":"running"}'),
        _tool("c", 6, "jobs.status", '{"job": 1}', '{"state":"done"}'),
    )
    assert "repeated_action" not in detectors(c)
    assert run_row(c)["ok"]


def test_repeated_action_near_miss_retries_of_a_failing_call() -> None:
    # Retries after errors are retry_storm's business, never a loop.
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("a", 1, "crm.lookup", '{"id": 7}', None, status="error", error_type="429"),
        _tool("b", 2, "crm.lookup", '{"id": 7}', None, status="error", error_type="429"),
        _tool("c", 4.5, "crm.lookup", '{"id": 7}'),
    )
    assert "repeated_action" not in detectors(c)


def _session_run(
    run_id: str,
    start: float,
    *tools: tuple[str, str, str, str],
    root_status: str = "ok",
    root_out: str = "done",
):
    rows = [
        span(
            f"{run_id}-root",
            start,
            start + 20,
            kind="agent",
            name="invoice_extractor",
            session_id="batch-7",
            status=root_status,
            output=root_out,
        )
    ]
    for i, (sid, tool, args, status) in enumerate(tools):
        rows.append(
            span(
                sid,
                start + 1 + i,
                parent_id=f"{run_id}-root",
                kind="tool",
                tool=tool,
                input=args,
                output='{"ok":true}' if status == "ok" else None,
                status=status,
                error_type="503" if status == "error" else None,
            )
        )
    return spans(*rows, run_id=run_id)


def test_redo_after_restart_fires_when_a_later_run_repeats_completed_steps() -> None:
    failed = _session_run(
        "r1",
        0,
        ("f1", "po.fetch", '{"po": 41}', "ok"),
        ("o1", "ocr.extract", '{"doc": 9}', "ok"),
        ("e1", "erp.post_invoice", '{"doc": 9}', "error"),
        root_status="error",
        root_out='{"status": "failed", "step": "erp.post_invoice"}',
    )
    retry = _session_run(
        "r2",
        3600,
        ("f2", "po.fetch", '{"po": 41}', "ok"),
        ("o2", "ocr.extract", '{"doc": 9}', "ok"),
        ("e2", "erp.post_invoice", '{"doc": 9}', "ok"),
    )
    c = classify(concat(failed, retry))
    f = one(c, "redo_after_restart")
    assert f["run_id"] == "r2"
    assert f["session_id"] == "batch-7"
    assert f["decisive_span_id"] == "f2"
    assert f["evidence_span_ids"] == ["f1", "o1", "f2", "o2"]
    assert "redid 2 step(s) that run r1" in f["explanation"]
    # The first run failed with a structured failure result: a defined path, not an incident.
    assert run_row(c, "r1")["ok"]


def test_redo_after_restart_decisive_is_the_first_side_effect_done_again() -> None:
    # The failed run had fetched the PO and posted the invoice, then failed to e-mail it; the restart
    # re-reads the PO (harmless) and posts the invoice again (the duplicate): that is decisive.
    failed = _session_run(
        "r1",
        0,
        ("f1", "po.fetch", '{"po": 41}', "ok"),
        ("p1", "erp.post_invoice", '{"doc": 9}', "ok"),
        ("m1", "email.send", '{"doc": 9}', "error"),
        root_status="error",
    )
    retry = _session_run(
        "r2",
        3600,
        ("f2", "po.fetch", '{"po": 41}', "ok"),
        ("p2", "erp.post_invoice", '{"doc": 9}', "ok"),
        ("m2", "email.send", '{"doc": 9}', "ok"),
    )
    c = classify(concat(failed, retry))
    f = one(c, "redo_after_restart")
    assert f["decisive_span_id"] == "p2"
    assert f["evidence_span_ids"] == ["f1", "p1", "f2", "p2"]
    assert "starting with tool erp.post_invoice" in f["explanation"]
    assert run_row(c, "r2")["decisive_span_id"] == "p2"


def test_duplicate_side_effect_near_miss_a_create_that_returned_the_existing_object() -> None:
    # get-or-create: the second create_account answered with the account already there.
    args = '{"email": "dana@northwind.example"}'
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("a1", 1, "create_account", args, '{"account_id": "acc_5521", "created": true}'),
        _tool("a2", 3, "create_account", args, '{"account_id": "acc_5521", "created": false}'),
    )
    assert "duplicate_side_effect" not in detectors(c)
    # Without the existing-object answer it is a second account: the repeat is decisive.
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("a1", 1, "create_account", args, '{"account_id": "acc_5521", "created": true}'),
        _tool("a2", 3, "create_account", args, '{"account_id": "acc_5522", "created": true}'),
    )
    assert one(c, "duplicate_side_effect")["decisive_span_id"] == "a2"


def test_redo_after_restart_decisive_skips_a_create_that_changed_nothing() -> None:
    # The restart re-creates the account (answered "created": false: nothing new) and then sends the
    # welcome e-mail again: the e-mail is the duplicate.
    failed = _session_run(
        "r1",
        0,
        ("a1", "create_account", '{"email": "dana@x.io"}', "ok"),
        ("w1", "send_welcome_email", '{"to": "dana@x.io"}', "ok"),
        ("p1", "provision_workspace", '{"seats": 12}', "error"),
        root_status="error",
    )
    root = {"parent_id": "r2-root", "kind": "tool"}
    retry = spans(
        span("r2-root", 3600, 3620, kind="agent", name="invoice_extractor", session_id="batch-7", output="done"),
        span("a2", 3601, **root, tool="create_account", input='{"email": "dana@x.io"}',
             output='{"account_id": "acc_5521", "created": false}'),
        span("w2", 3602, **root, tool="send_welcome_email", input='{"to": "dana@x.io"}', output='{"ok":true}'),
        span("p2", 3603, **root, tool="provision_workspace", input='{"seats": 12}', output='{"ok":true}'),
        run_id="r2",
    )  # fmt: skip
    c = classify(concat(failed, retry))
    assert one(c, "redo_after_restart")["decisive_span_id"] == "w2"


def test_redo_after_restart_near_miss_resuming_at_the_failed_step() -> None:
    failed = _session_run(
        "r1",
        0,
        ("f1", "po.fetch", '{"po": 41}', "ok"),
        ("e1", "erp.post_invoice", '{"doc": 9}', "error"),
        root_status="error",
        root_out='{"status": "failed"}',
    )
    resumed = _session_run("r2", 3600, ("e2", "erp.post_invoice", '{"doc": 9}', "ok"))
    c = classify(concat(failed, resumed))
    assert "redo_after_restart" not in detectors(c)
    assert run_row(c, "r2")["ok"]


def test_duplicate_side_effect_fires_on_two_successful_sends() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("s1", 1, "email.send", '{"to": "a@x.io", "template": "confirm"}', '{"accepted":true}'),
        span("l1", 2, parent_id="root", kind="llm", model="gpt-4o", output="sending confirmation"),
        _tool("s2", 3, "email.send", '{"to": "a@x.io", "template": "confirm"}', '{"accepted":true}'),
    )
    f = one(c, "duplicate_side_effect")
    # Decisive is the repeat: the first send was the job done right.
    assert f["decisive_span_id"] == "s2"
    assert f["evidence_span_ids"] == ["s1", "s2"]
    assert f["severity"] == "high"
    assert (
        "email.send succeeded at 02:13:01 and again with the same arguments at 02:13:03 in the same run"
        in f["explanation"]
    )


def test_duplicate_side_effect_near_miss_failed_send_then_retry() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        _tool("s1", 1, "email.send", '{"to": "a@x.io"}', None, status="error", error_type="503"),
        _tool("s2", 3, "email.send", '{"to": "a@x.io"}', '{"accepted":true}'),
    )
    assert "duplicate_side_effect" not in detectors(c)
    assert run_row(c)["ok"]


def _llm(sid: str, model: str, tokens: int, **kw):
    return span(
        sid, 1, 3, parent_id="root", kind="llm", model=model, input_tokens=tokens, output_tokens=300, **kw
    )


def _cut(sid: str, start: float, model: str = "gpt-4o-2024-08-06"):
    # A later call stopped by the output limit (finish reason length): the run says something was lost.
    return span(sid, start, start + 1, parent_id="root", kind="llm", model=model, input_tokens=3_000,
                attributes='{"gen_ai.response.finish_reasons": ["length"]}')  # fmt: skip


def test_context_overflow_fires_from_the_near_full_call_when_the_run_then_lost_output() -> None:
    c = run(span("root", 0, 10, **ROOT), _llm("l1", "gpt-4o-2024-08-06", 125_000), _cut("l2", 5))
    f = one(c, "context_overflow")
    assert f["decisive_span_id"] == "l1"
    assert "125000 prompt tokens" in f["explanation"]
    assert "98% of its 128000-token window" in f["explanation"]


def test_context_overflow_near_miss_a_near_full_window_that_lost_nothing() -> None:
    # 96%, 97%, even past a table's window: accepted, answered normally; nothing says the window
    # was exceeded or an output cut. A long context is no failure by itself (and the table's window
    # may be another deployment's).
    c = run(span("root", 0, 10, **ROOT), _llm("l1", "gpt-4o-2024-08-06", 123_000), _llm("l2", "gpt-4o", 124_000),
            _llm("l3", "gpt-4o", 131_000))  # fmt: skip
    assert "context_overflow" not in detectors(c)


def test_context_overflow_fires_on_finish_reason_length() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        _llm("l1", "gpt-4o", 3_000, attributes='{"gen_ai.response.finish_reasons": ["length"]}'),
    )
    f = one(c, "context_overflow")
    assert "finish reason length" in f["explanation"]


OVERFLOW = {
    "status": "error",
    "error_type": "BadRequestError",
    "error_message": "Error code: 400 - This model's maximum context length is 128000 tokens. However, your "
    "messages resulted in 131206 tokens. code: context_length_exceeded",
}


def test_context_overflow_decisive_is_the_call_that_raised_not_its_enclosing_chain() -> None:
    # LangChain's tracer records the model call's exception on the llm run and again on each
    # enclosing chain run (langchain_core/tracers/base.py _errored_llm_run / _errored_chain_run):
    # the chain starts first, but the context went past the window in the model call.
    c = run(
        span("root", 0, 10, **ROOT),
        span("c1", 1, 6, parent_id="root", kind="chain", name="summarise", **OVERFLOW),
        span("l1", 2, 3, parent_id="c1", kind="llm", model="gpt-4o", **OVERFLOW),
    )
    f = one(c, "context_overflow")
    assert f["decisive_span_id"] == "l1"
    assert f["evidence_span_ids"] == ["l1"]
    assert run_row(c)["decisive_span_id"] == "l1"


def test_context_overflow_near_miss_an_error_raised_where_it_is_recorded() -> None:
    # The same error on the chain alone (its model call not traced): the chain is where it was raised.
    c = run(
        span("root", 0, 10, **ROOT),
        span("c1", 1, 6, parent_id="root", kind="chain", name="summarise", **OVERFLOW),
        span("l1", 2, 3, parent_id="c1", kind="llm", model="gpt-4o", input_tokens=3_000),
    )
    assert one(c, "context_overflow")["decisive_span_id"] == "c1"


def test_context_overflow_decisive_is_the_rejected_call_not_an_earlier_full_one() -> None:
    # A call already 98% full was accepted and answered (it had not gone past; the agent could
    # still trim), then the next one was refused for exceeding the window: the refusal is where it
    # went past (hold11 mlflow_long_migration_context_length_exceeded names the failing call); the
    # full call stays evidence. With an output cut instead of a refusal, the full call stays
    # decisive (test_context_overflow_fires_from_the_near_full_call_when_the_run_then_lost_output).
    c = run(
        span("root", 0, 10, **ROOT),
        _llm("l0", "gpt-4o-2024-08-06", 125_000),
        span("l1", 4, 5, parent_id="root", kind="llm", model="gpt-4o-2024-08-06", **OVERFLOW),
    )
    f = one(c, "context_overflow")
    assert f["decisive_span_id"] == "l1"
    assert set(f["evidence_span_ids"]) == {"l0", "l1"}


def test_context_overflow_near_miss_a_call_under_the_fraction_is_no_evidence() -> None:
    # The same rejection after a call at 60% of the window: only the rejected call is a hit.
    c = run(
        span("root", 0, 10, **ROOT),
        _llm("l0", "gpt-4o-2024-08-06", 77_000),
        span("l1", 4, 5, parent_id="root", kind="llm", model="gpt-4o-2024-08-06", **OVERFLOW),
    )
    f = one(c, "context_overflow")
    assert (f["decisive_span_id"], f["evidence_span_ids"]) == ("l1", ["l1"])


def test_context_overflow_near_miss_longest_model_prefix_wins() -> None:
    # gpt-4.1 has a 1M window; the shorter "gpt-4" prefix (8k) must not apply to it.
    c = run(span("root", 0, 10, **ROOT), _llm("l1", "gpt-4.1", 60_000), _llm("l2", "gpt-4o", 60_000))
    assert "context_overflow" not in detectors(c)
    assert findings(c) == []


def _sender(run_id: str, start: float, sends: int, root_status: str = "ok"):
    rows = [
        span(
            f"{run_id}-root",
            start,
            start + 10,
            kind="agent",
            name="research_lead",
            session_id="brief-7",
            input="Brief #7",
            status=root_status,
            output="Posted." if root_status == "ok" else None,
        )
    ]
    rows += [
        span(
            f"{run_id}-s{i}",
            start + 1 + i,
            parent_id=f"{run_id}-root",
            kind="tool",
            tool="slack.post_message",
            input='{"channel": "#research"}',
            output='{"ok": true}',
        )
        for i in range(sends)
    ]
    return spans(*rows, run_id=run_id)


def test_duplicate_side_effect_within_a_run_after_an_earlier_clean_run() -> None:
    # Found on generated traffic: the session's first post (a separate, clean request) must not
    # hide the later run posting twice.
    c = classify(concat(_sender("r1", 0, 1), _sender("r2", 3600, 2)))
    f = one(c, "duplicate_side_effect")
    assert (f["run_id"], f["decisive_span_id"]) == ("r2", "r2-s1")
    assert f["evidence_span_ids"] == ["r2-s0", "r2-s1"]
    assert run_row(c, "r1")["ok"]


def test_duplicate_side_effect_across_runs_only_when_restarting_a_failure() -> None:
    separate = classify(concat(_sender("r1", 0, 1), _sender("r2", 3600, 1)))
    assert "duplicate_side_effect" not in detectors(separate)
    restart = classify(concat(_sender("r1", 0, 1, root_status="error"), _sender("r2", 3600, 1)))
    f = one(restart, "duplicate_side_effect")
    assert (f["run_id"], f["decisive_span_id"]) == ("r2", "r2-s0")
    assert "in a restart of failed run r1" in f["explanation"]


def test_context_overflow_reads_the_window_from_the_vendored_table() -> None:
    # No policy entry names this model: the LiteLLM-derived table gives claude-sonnet-4 200k.
    c = run(span("root", 0, 10, **ROOT), _llm("l1", "claude-sonnet-4-20250514", 195_000),
            _cut("l2", 5, "claude-sonnet-4-20250514"))  # fmt: skip
    f = one(c, "context_overflow")
    assert "98% of its 200000-token window" in f["explanation"]


def test_context_overflow_stated_by_the_log_is_strong() -> None:
    c = run(
        span("root", 0, 10, **ROOT),
        _llm("l1", "gpt-4o", 3_000, attributes='{"gen_ai.response.finish_reasons": ["length"]}'),
    )
    assert one(c, "context_overflow")["strength"] == "strong"


def test_context_overflow_near_miss_unknown_model_has_no_guessed_window() -> None:
    # A model neither the table nor the policy knows: no window is guessed, whatever its prompt.
    c = run(span("root", 0, 10, **ROOT), _llm("l1", "acme-llm-7", 900_000), _cut("l2", 5, "acme-llm-7"))
    assert one(c, "context_overflow")["decisive_span_id"] == "l2"
    # The policy can name it (an in-house deployment), and then it is judged.
    import dataclasses

    from forensics.policy import load_policy

    own = dataclasses.replace(load_policy(), context_windows={"acme-llm": 1_000_000})
    c = run(span("root", 0, 10, **ROOT), _llm("l1", "acme-llm-7", 990_000), _cut("l2", 5, "acme-llm-7"), policy=own)
    assert "99% of its 1000000-token window" in one(c, "context_overflow")["explanation"]


def test_vendored_window_lookup_matches_names_as_providers_write_them() -> None:
    from forensics.context_windows import source, window_for

    assert source().startswith("litellm ")
    assert window_for("gpt-4o") == 128_000
    assert window_for("GPT-4o-2024-11-20") == 128_000  # a dated snapshot of a listed model
    assert window_for("openai/gpt-4o") == 128_000  # a provider prefix
    assert window_for("gpt-4-0613") == 8_192
    assert window_for("gpt-4.1-mini") == 1_047_576  # gpt-4's 8k never claims gpt-4.1 or gpt-4o
    assert window_for("acme-llm-7") is None
    assert window_for("acme-llm-7", {"acme-llm": 4_096}) == 4_096


# --- smolagents (OpenInference): a tool span's input.value is {"args", "sanitize_inputs_outputs", "kwargs"} ---

SMOL_ROOT = {"kind": "agent", "name": "CodeAgent.run", "output": "About 78,000"}


def _smol_args(*args: object, **kwargs: object) -> str:
    import json

    return json.dumps({"args": list(args), "sanitize_inputs_outputs": False, "kwargs": kwargs})


def _smol_step(n: int, start: float, end: float, **kw: object) -> dict[str, object]:
    return span(f"s{n}", start, end, parent_id="root", kind="chain", name=f"Step {n}", **kw)


def _smol_llm(sid: str, start: float, step: str) -> dict[str, object]:
    return span(sid, start, parent_id=step, kind="llm", model="gpt-4o", output="Thought: ...")


def _smol_tool(sid: str, start: float, step: str, tool: str, args: str, out: str | None = None, **kw: object):
    return span(sid, start, parent_id=step, kind="tool", tool=tool, input=args, output=out, **kw)


FORBIDDEN = {
    "status": "error",
    "error_type": "Exception",
    "error_message": "Request Exception: 403 Client Error: Forbidden",
}


def test_repeated_action_fires_on_the_same_error_decided_again_each_time() -> None:
    url = "https://www.ssb.no/befolkning"
    c = run(
        span("root", 0, 30, **SMOL_ROOT),
        _smol_step(1, 1, 4),
        _smol_llm("l1", 1.2, "s1"),
        # Keyword, then positional, then keyword: one call once normalised.
        _smol_tool("v1", 3, "s1", "visit_page", _smol_args(url=url), **FORBIDDEN),
        _smol_step(2, 5, 8),
        _smol_llm("l2", 5.2, "s2"),
        _smol_tool("v2", 7, "s2", "visit_page", _smol_args(url), **FORBIDDEN),
        _smol_step(3, 9, 12),
        _smol_llm("l3", 9.2, "s3"),
        _smol_tool("v3", 11, "s3", "visit_page", _smol_args(url=url), **FORBIDDEN),
    )
    f = one(c, "repeated_action")
    assert f["evidence_span_ids"] == ["v1", "v2", "v3"]
    assert f["decisive_span_id"] == "v2"
    assert "decided 3 times to call tool visit_page" in f["explanation"]
    assert "the same error (HTTP 403) every time" in f["explanation"]


def test_repeated_action_near_miss_one_decision_retried_by_the_code() -> None:
    # Three failing attempts written by one model output (a retry loop in the agent's code, no
    # model call between them): a retry, not the agent losing its thread.
    url = "https://www.ssb.no/befolkning"
    c = run(
        span("root", 0, 30, **SMOL_ROOT),
        _smol_step(1, 1, 8),
        _smol_llm("l1", 1.2, "s1"),
        *(_smol_tool(f"v{i}", 3 + i, "s1", "visit_page", _smol_args(url=url), **FORBIDDEN) for i in range(3)),
    )
    assert "repeated_action" not in detectors(c)


def test_repeated_action_fires_on_normalised_smolagents_arguments() -> None:
    not_found = "The search string 'employees' was not found on this page."
    c = run(
        span("root", 0, 30, **SMOL_ROOT),
        _smol_tool("f1", 2, "root", "find_on_page_ctrl_f", _smol_args(search_string="employees"), not_found),
        # Positional, and re-typed in other case: the same search.
        _smol_tool("f2", 4, "root", "find_on_page_ctrl_f", _smol_args("Employees"), not_found),
        _smol_tool(
            "f3",
            6,
            "root",
            "find_on_page_ctrl_f",
            '{"args": [], "sanitize_inputs_outputs": true, "kwargs": {"search_string": "employees"}}',
            not_found,
        ),
    )
    f = one(c, "repeated_action")
    assert f["evidence_span_ids"] == ["f1", "f2", "f3"]
    assert "getting the same result 3 times" in f["explanation"]


def _search_page(query: str, revisit: str = "", results: str = "1. [Club results](https://example.org)") -> str:
    # open_deep_research's SimpleTextBrowser header: the revisit line sits between title and viewport.
    return (f"Address: google: {query}\nTitle: {query} - Search\n{revisit}"
            f"Viewport position: Showing page 1 of 1.\n=======================\n{results}")


def test_repeated_action_fires_on_the_same_search_read_again_with_the_browser_revisit_line() -> None:
    q = "1994 regatta winning time"
    c = run(
        span("root", 0, 30, **SMOL_ROOT),
        _smol_tool("s1", 2, "root", "web_search", _smol_args(query=q), _search_page(q)),
        _smol_tool("s2", 4, "root", "web_search", _smol_args(query=q),
                   _search_page(q, "You previously visited this page 9 seconds ago.\n")),
        _smol_tool("s3", 6, "root", "web_search", _smol_args(query=q),
                   _search_page(q, "You previously visited this page 7 seconds ago.\n")),
    )
    f = one(c, "repeated_action")
    assert f["evidence_span_ids"] == ["s1", "s2", "s3"]
    assert "getting the same result 3 times" in f["explanation"]


def test_repeated_action_near_miss_the_same_search_read_again_with_new_results() -> None:
    q = "1994 regatta winning time"
    c = run(
        span("root", 0, 30, **SMOL_ROOT),
        _smol_tool("s1", 2, "root", "web_search", _smol_args(query=q), _search_page(q)),
        _smol_tool("s2", 4, "root", "web_search", _smol_args(query=q),
                   _search_page(q, "You previously visited this page 9 seconds ago.\n", "1. [Archive](https://a.org)")),
        _smol_tool("s3", 6, "root", "web_search", _smol_args(query=q),
                   _search_page(q, "You previously visited this page 7 seconds ago.\n", "1. [Times](https://t.org)")),
    )
    assert "repeated_action" not in detectors(c)


def test_repeated_action_near_miss_page_down_reading_a_long_page() -> None:
    # page_down takes no arguments: every call is "the same call", and each viewport is new text.
    c = run(
        span("root", 0, 30, **SMOL_ROOT),
        *(
            _smol_tool(
                f"p{i}",
                2 + i,
                "root",
                "page_down",
                _smol_args(),
                f"Viewport position: Showing page {i + 2} of 9.",
            )
            for i in range(6)
        ),
    )
    assert "repeated_action" not in detectors(c)
    assert run_row(c)["ok"]


SEARCH = (
    "## Search Results\n0. [Fairphone - Wikipedia](https://en.wikipedia.org/wiki/Fairphone)\nFounded in 2013."
)
PARSING = {
    "status": "error",
    "error_type": "AgentParsingError",
    "error_message": "Your code snippet is invalid",
}


def _redo_run(second_args: str, second_out: str, step2: dict[str, object]) -> list[dict[str, object]]:
    return [
        span("root", 0, 30, kind="agent", name="CodeAgent.run", output="2013"),
        _smol_step(1, 1, 4),
        _smol_llm("l1", 1.2, "s1"),
        _smol_tool("w1", 3, "s1", "web_search", _smol_args(query="Fairphone founded"), SEARCH),
        _smol_step(2, 5, 6, **step2),
        _smol_llm("l2", 5.2, "s2"),
        _smol_step(3, 7, 10),
        _smol_llm("l3", 7.2, "s3"),
        _smol_tool("w2", 9, "s3", "web_search", second_args, second_out),
        _smol_step(4, 11, 12),
        _smol_tool("fa", 11.5, "s4", "final_answer", _smol_args(answer="2013"), "2013"),
    ]


def test_redo_after_error_fires_on_a_completed_search_redone_after_a_step_error() -> None:
    c = run(*_redo_run(_smol_args("Fairphone founded"), SEARCH, PARSING))
    f = one(c, "redo_after_error")
    assert f["failure_class"] == "context_collapse"
    assert f["decisive_span_id"] == "w2"  # the redo
    assert f["evidence_span_ids"] == ["w1", "s2", "w2"]
    assert (
        "completed tool web_search at 02:13:03, a step then failed with AgentParsingError" in f["explanation"]
    )
    assert "repeated_action" not in detectors(c)  # twice is no loop


def test_redo_after_error_near_miss_a_new_search_after_the_error() -> None:
    c = run(*_redo_run(_smol_args(query="Fairphone founded year Amsterdam"), SEARCH + " More.", PARSING))
    assert "redo_after_error" not in detectors(c)


def test_redo_after_error_near_miss_a_repeat_without_a_step_error() -> None:
    c = run(*_redo_run(_smol_args("Fairphone founded"), SEARCH, {}))
    assert "redo_after_error" not in detectors(c)


PAGE = "Address: https://en.wikipedia.org/wiki/Fairphone\nViewport position: Showing page 1 of 9.\nFounded in 2013."


def _reopen_run(*after: dict[str, object]) -> list[dict[str, object]]:
    # smolagents' text browser (examples/open_deep_research/scripts/text_web_browser.py): visit_page
    # shows the page's first viewport, page_down (no arguments) moves on from the current one.
    url = "https://en.wikipedia.org/wiki/Fairphone"
    return [
        span("root", 0, 30, kind="agent", name="CodeAgent.run", output="2013"),
        _smol_step(1, 1, 4),
        _smol_llm("l1", 1.2, "s1"),
        _smol_tool("v1", 3, "s1", "visit_page", _smol_args(url=url), PAGE),
        _smol_step(2, 5, 6, **PARSING),
        _smol_llm("l2", 5.2, "s2"),
        _smol_step(3, 7, 10),
        _smol_llm("l3", 7.2, "s3"),
        _smol_tool("v2", 8, "s3", "visit_page", _smol_args(url=url), PAGE),
        *after,
        _smol_step(4, 11, 12),
        _smol_tool("fa", 11.5, "s4", "final_answer", _smol_args(answer="2013"), "2013"),
    ]


def test_redo_after_error_fires_on_a_page_reopened_and_left_at_the_top() -> None:
    f = one(run(*_reopen_run()), "redo_after_error")
    assert f["decisive_span_id"] == "v2"  # the redo
    assert f["evidence_span_ids"] == ["v1", "s2", "v2"]


def test_redo_after_error_near_miss_a_page_reopened_to_read_on_is_navigation() -> None:
    # The same reopened page, then page_down past the first viewport: reading on, not a redo.
    down = _smol_tool("p1", 9, "s3", "page_down", _smol_args(), "Viewport position: Showing page 2 of 9.")
    assert "redo_after_error" not in detectors(run(*_reopen_run(down)))


def test_redo_after_error_near_miss_a_move_without_arguments_is_navigation() -> None:
    # find_next twice around a step error with the same answer (the last match again): it acts on
    # the current page, so the same result says nothing about lost work.
    last = "Viewport position: Showing page 4 of 9.\nFounded in 2013."
    c = run(
        span("root", 0, 30, kind="agent", name="CodeAgent.run", output="2013"),
        _smol_step(1, 1, 4),
        _smol_llm("l1", 1.2, "s1"),
        _smol_tool("n1", 3, "s1", "find_next", _smol_args(), last),
        _smol_step(2, 5, 6, **PARSING),
        _smol_llm("l2", 5.2, "s2"),
        _smol_step(3, 7, 10),
        _smol_llm("l3", 7.2, "s3"),
        _smol_tool("n2", 9, "s3", "find_next", _smol_args(), last),
    )
    assert "redo_after_error" not in detectors(c)


BAD_CODE = "Thought: parse it.\nCode:\n```py\nyear = int(results.split('Founded in ')[1][:4]\n```"


def _failing_steps(*outputs: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [span("root", 0, 60, kind="agent", name="CodeAgent.run", output="2013")]
    for i, out in enumerate(outputs, start=1):
        rows += [
            _smol_step(i, i * 5, i * 5 + 3, **PARSING),
            span(f"l{i}", i * 5 + 1, parent_id=f"s{i}", kind="llm", model="gpt-4o", output=out),
        ]
    return rows


def test_repeated_step_error_fires_on_the_same_output_failing_the_same_way() -> None:
    f = one(run(*_failing_steps(BAD_CODE, BAD_CODE, BAD_CODE)), "repeated_step_error")
    assert f["failure_class"] == "context_collapse"
    assert f["decisive_span_id"] == "s1"
    assert sorted(f["evidence_span_ids"]) == ["l1", "l2", "l3", "s1", "s2", "s3"]
    assert "identical model output 3 times between 02:13:06 and 02:13:16" in f["explanation"]
    assert "failed with AgentParsingError" in f["explanation"]


def test_repeated_step_error_near_miss_the_model_changes_its_code() -> None:
    fixed = [BAD_CODE, BAD_CODE.replace("[:4]", "[:4])"), BAD_CODE.replace("int(", "str(")]
    assert "repeated_step_error" not in detectors(run(*_failing_steps(*fixed)))


def _two_lookups(*limit: dict[str, object]) -> list[dict[str, object]]:
    return [
        span("root", 0, 20, **ROOT),
        _tool("a", 1, "po.status", '{"po": "PO-5521"}', '{"status": "pending"}'),
        _tool("b", 3, "po.status", '{"po": "PO-5521"}', '{"status": "pending"}'),
        *limit,
    ]


def test_repeated_action_fires_on_two_repeats_in_a_run_that_hit_its_step_limit() -> None:
    stopped = span(
        "stop",
        5,
        parent_id="root",
        kind="chain",
        name="agent loop",
        status="error",
        error_type="GraphRecursionError",
        error_message="Recursion limit of 25 reached without hitting a stop condition.",
    )
    f = one(run(*_two_lookups(stopped)), "repeated_action")
    assert f["evidence_span_ids"] == ["a", "b"]
    assert "po.status 2 times" in f["explanation"]


def test_repeated_action_near_miss_two_repeats_without_a_step_limit() -> None:
    assert "repeated_action" not in detectors(run(*_two_lookups()))


def test_repeated_step_error_fires_on_the_same_code_under_a_thought_that_claims_a_fix() -> None:
    code = "Code:\n```py\noak = df[df['Branch'] == 'Oakridge']\nprint(oak['Sales'].sum())\n```"
    outs = [f"Thought: {t}\n{code}" for t in ("Load and sum.", "I fixed the column name.", "Retrying with the fix.")]
    f = one(run(*_failing_steps(*outs)), "repeated_step_error")
    assert f["decisive_span_id"] == "s1"


def test_repeated_step_error_reads_the_code_in_a_json_recorded_chat_message() -> None:
    # OpenInference records the model's ChatMessage as JSON: the newlines are escaped in the text.
    import json

    outs = [json.dumps({"role": "assistant", "content": f"Thought: try {i}.\nCode:\n```py\nx = d['Branch']\n```"})
            for i in range(3)]
    assert "repeated_step_error" in detectors(run(*_failing_steps(*outs)))


def test_repeated_step_error_near_miss_the_same_thought_over_changed_code() -> None:
    outs = [f"Thought: same.\nCode:\n```py\nx = d['{c}']\n```" for c in ("Branch", "branch", "Store")]
    assert "repeated_step_error" not in detectors(run(*_failing_steps(*outs)))


def test_repeated_step_error_reads_code_between_the_agents_code_tags() -> None:
    # smolagents 1.17+ asks for <code>...</code> (CodeAgent code_block_tags); the same code under a
    # thought claiming a fix is the same attempt, changed code is not.
    import json

    same = [json.dumps({"role": "assistant", "content": f"Thought: fixed it, try {i}.\n<code>\nv = s.str.replace(',', '.')\n</code>"})
            for i in range(3)]
    assert one(run(*_failing_steps(*same)), "repeated_step_error")["decisive_span_id"] == "s1"
    changed = [f"Thought: same.\n<code>\nv = s.str.replace('{c}', '.')\n</code>" for c in (",", ";", " ")]
    assert "repeated_step_error" not in detectors(run(*_failing_steps(*changed)))


# A CrewAI platform action answers a failed call with its error in words and status ok
# (crewAI-tools enterprise_adapter.py: f"API request failed: {message}"): an error result, so no
# new information, even though no span says error (crewAI PR#6712: the same Slack post five times).
_NOT_FOUND = "API request failed: Failed to execute action: Slack API error: channel_not_found"


def _crew_posts(*outputs: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [span("root", 0, 30, kind="agent", name="Comms Coordinator", output="Posted.")]
    for i, out in enumerate(outputs):
        rows.append(span(f"l{i}", 1 + 4 * i, parent_id="root", kind="llm", model="gpt-4o", output="Action: slack_post"))
        rows.append(span(f"p{i}", 3 + 4 * i, parent_id="root", kind="tool", tool="slack_post",
                         input='{"channel": "#ops-weekly", "text": "Week 49"}', output=out))
    return rows


def test_repeated_action_fires_on_the_same_error_shaped_result_decided_again_each_time() -> None:
    f = one(run(*_crew_posts(_NOT_FOUND, _NOT_FOUND, _NOT_FOUND)), "repeated_action")
    assert f["evidence_span_ids"] == ["p0", "p1", "p2"]
    assert f["decisive_span_id"] == "p1"
    assert 'the same error ("API request failed: Failed to execute action: Slack API erro...") every time' in (
        f["explanation"]
    )


def test_repeated_action_near_miss_error_shaped_results_that_differ() -> None:
    # Each attempt told the agent something new (another error each time): not the same loop.
    outs = (_NOT_FOUND, "API request failed: Failed to execute action: Slack API error: not_in_channel",
            "API request failed: Failed to execute action: Slack API error: is_archived")
    assert "repeated_action" not in detectors(run(*_crew_posts(*outs)))


def test_redo_after_restart_near_miss_a_run_beside_the_failed_one_restarts_nothing() -> None:
    """Two runs of one session at work at the same time (two workers given the same job under one
    session key, as the OpenAI Agents SDK's ``trace(group_id=...)`` links the traces of a conversation
    or process: openai-agents-python src/agents/tracing/create.py): the second started before the
    first failed, so it could not resume it; what both did is the other rules' to judge
    (duplicate_side_effect)."""
    failed = _session_run(
        "r1", 0,
        ("f1", "po.fetch", '{"po": 41}', "ok"),
        ("e1", "erp.post_invoice", '{"doc": 9}', "error"),
        root_status="error", root_out='{"status": "failed", "step": "erp.post_invoice"}',
    )  # fmt: skip
    beside = _session_run("r2", 0.3, ("f2", "po.fetch", '{"po": 41}', "ok"), ("e2", "erp.post_invoice", '{"doc": 9}', "ok"))
    assert "redo_after_restart" not in detectors(classify(concat(failed, beside)))
    # The same run started after the failed one's last activity is its restart.
    later = _session_run("r2", 60, ("f2", "po.fetch", '{"po": 41}', "ok"), ("e2", "erp.post_invoice", '{"doc": 9}', "ok"))
    assert one(classify(concat(failed, later)), "redo_after_restart")["run_id"] == "r2"
