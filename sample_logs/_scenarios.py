"""The sample incidents, as stories: each function builds the runs of one file and labels them.

Render with ``python -m forensics.synth.build_samples`` (writes ``sample_logs/NN_name.<format>.json[l]``
and ``sample_logs/labels.jsonl``). Labeling conventions are in ``sample_logs/README.md``.
"""

from __future__ import annotations

from forensics.synth.model import Span
from forensics.synth.scenario import RunBuilder, Scenario, ScenarioBuilder

# --- reusable pieces -------------------------------------------------------------------------------


def _triage_ok(r: RunBuilder, customer: str, question: str, answer: str) -> None:
    """A support-triage run that goes right: look the customer up, answer from the record."""
    with r.agent("triage", input=question, output=answer):
        r.llm("gpt-4o-mini", 912, 41, f'{{"tool":"crm.lookup","customer_id":"{customer}"}}', input=question)
        r.tool("crm.lookup", {"customer_id": customer}, {"customer_id": customer, "plan": "Pro", "status": "active", "last_invoice": "INV-20931"})
        r.llm("gpt-4o-mini", 1288, 96, answer)


# --- context_collapse ------------------------------------------------------------------------------


def s01_support_triage_swallowed_429(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-17T02:13:04Z", session="zd-48213", user="cust_C-4411")
    q = "Why was I charged twice for November? Customer C-4411."
    a = "I checked your account and everything looks fine: you were only charged once for November."
    with r.agent("triage", input=q, output=a):
        r.llm("gpt-4o-mini", 904, 38, '{"tool":"crm.lookup","customer_id":"C-4411"}', input=q)
        bad = r.tool(
            "crm.lookup",
            {"customer_id": "C-4411"},
            dur=0.21,
            error=("RateLimitError", "429 Too Many Requests: CRM API quota exceeded, retry after 30s"),
            attrs={"http.response.status_code": 429},
        )
        r.llm("gpt-4o-mini", 1010, 52, a)
    # An ignored error under a success report is the silent failure only (one failure, one class).
    sc.label(r, ["swallowed_error"], bad,
             "crm.lookup hit a 429 and was never retried; triage answered from nothing and the run reported success.")
    ok = sc.run("r2", "2026-11-17T02:19:40Z", session="zd-48219", user="cust_C-3872")
    _triage_ok(ok, "C-3872", "Can I get a copy of my last invoice? Customer C-3872.",
               "Your last invoice is INV-20931; I've attached the PDF link in this reply.")
    sc.label(ok, [], None, "A normal triage run a few minutes later: lookup succeeded, answer grounded in the record.")


def s02_crm_lookup_loop(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-17T09:41:12Z", session="chat-77f1", user="cust_C-1190")
    q = "My seat count is wrong, we have 14 users not 9. Account C-1190."
    a = "I've looked into your account C-1190; a specialist will review your seat count."
    with r.agent("account_assistant", input=q, output=a):
        lookups = []
        for i in range(5):
            r.llm("gpt-4o", 1400 + 350 * i, 36, '{"tool":"crm.lookup","customer_id":"C-1190"}')
            lookups.append(r.tool("crm.lookup", {"customer_id": "C-1190"},
                                  {"customer_id": "C-1190", "plan": "Team", "seats": 9, "seats_in_use": 14}))
        r.llm("gpt-4o", 3300, 60, a)
    # Decisive: the first repeat (the first lookup was the run's own legitimate step).
    sc.label(r, ["repeated_action"], lookups[1],
             "The assistant called crm.lookup with the same arguments five times, ignoring the identical record each time.")


def s04_invoice_restart_redo(sc: ScenarioBuilder) -> None:
    po = {"po_number": "PO-88213", "vendor": "Acme Industrial"}
    r1 = sc.run("r1", "2026-11-16T23:02:10Z", session="batch-2026-11-16-inv-0419")
    with r1.agent("invoice_extractor", input="inbox/acme/INV-0419.pdf",
                  output='{"status":"failed","step":"erp.post_invoice","reason":"ERP unavailable (503)","retry":"scheduled"}',
                  status="error", error=("ERPUnavailable", "erp.post_invoice returned 503")):
        r1.tool("erp.fetch_purchase_order", po, {"po_number": "PO-88213", "lines": 3, "total": 18420.00})
        r1.tool("ocr.extract", {"document": "INV-0419.pdf"}, {"invoice_no": "0419", "total": 18420.00, "currency": "USD"}, dur=2.4)
        r1.llm("gpt-4.1-mini", 3200, 180, '{"match":true,"po_number":"PO-88213","total":18420.00}')
        r1.tool("erp.post_invoice", {"invoice_no": "0419", "po_number": "PO-88213", "total": 18420.00},
                dur=1.1, error=("HTTPError", "503 Service Unavailable"), attrs={"http.response.status_code": 503})
    sc.label(r1, [], None, "The ERP was down: the extractor stopped with a structured failure and scheduled a retry (a proper failure, not an incident).")
    r2 = sc.run("r2", "2026-11-17T00:02:15Z", session="batch-2026-11-16-inv-0419")
    with r2.agent("invoice_extractor", input="inbox/acme/INV-0419.pdf", output='{"status":"posted","erp_id":"AP-551902"}'):
        redo = r2.tool("erp.fetch_purchase_order", po, {"po_number": "PO-88213", "lines": 3, "total": 18420.00})
        r2.tool("ocr.extract", {"document": "INV-0419.pdf"}, {"invoice_no": "0419", "total": 18420.00, "currency": "USD"}, dur=2.5)
        r2.llm("gpt-4.1-mini", 3200, 180, '{"match":true,"po_number":"PO-88213","total":18420.00}')
        r2.tool("erp.post_invoice", {"invoice_no": "0419", "po_number": "PO-88213", "total": 18420.00}, {"erp_id": "AP-551902"}, dur=0.9)
    sc.label(r2, ["redo_after_restart"], redo,
             "The scheduled retry an hour later re-fetched the PO and re-ran OCR instead of resuming at the failed erp.post_invoice step.")


def s05_order_confirmation_twice(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T14:22:51Z", session="order-100482", user="cust_8812")
    mail = {"to": "j.ortiz@example.com", "template": "order_confirmation", "order_id": "100482"}
    with r.agent("order_assistant", input="Place order 100482 (2x ergonomic chair) and confirm by e-mail.",
                 output="Order 100482 is placed; a confirmation e-mail is on its way."):
        r.tool("orders.place", {"order_id": "100482", "items": [{"sku": "CH-220", "qty": 2}]}, {"status": "placed"})
        r.llm("gpt-4o", 1800, 44, '{"tool":"email.send","template":"order_confirmation"}')
        r.tool("email.send", mail, {"message_id": "<a81f@mail.example.com>", "accepted": True}, dur=0.6)
        r.llm("gpt-4o", 2100, 44, '{"tool":"email.send","template":"order_confirmation"}')
        again = r.tool("email.send", mail, {"message_id": "<a820@mail.example.com>", "accepted": True}, dur=0.6)
        r.llm("gpt-4o", 2300, 30, "Order 100482 is placed; a confirmation e-mail is on its way.")
    sc.label(r, ["duplicate_side_effect"], again,
             "The confirmation e-mail was sent twice with the same arguments; the model ignored the first send's success.")


def s06_contract_summary_truncated(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T10:05:00Z", session="legal-req-3318", user="counsel@example.com")
    long_out = ("Summary of MSA v7 (Northwind / Example Corp): 1. Term: 36 months, auto-renewal for 12 months unless "
                "notice 90 days prior. 2. Liability cap: 12 months of fees, excluding data-protection breaches, which are "
                "capped at 3x annual fees. 3. Termination for convenience: customer may terminate with")
    with r.agent("contract_summarizer", input="Summarize MSA v7 and list every termination clause.", output=long_out):
        r.tool("docs.fetch", {"doc_id": "MSA-v7-northwind"}, {"pages": 84, "chars": 412331}, dur=0.8)
        cut = r.llm("gpt-4o", 118200, 4096, long_out, dur=61.0, finish="length")
    sc.label(r, ["context_overflow"], cut,
             "An 84-page contract filled the window; the summary stopped at the 4,096-token output cap mid-clause and was returned as the answer.")
    ok = sc.run("r2", "2026-11-18T10:31:00Z", session="legal-req-3321", user="counsel@example.com")
    with ok.agent("contract_summarizer", input="Summarize the NDA with Fabrikam.", output="The NDA runs 2 years, mutual, New York law, no non-solicit."):
        ok.tool("docs.fetch", {"doc_id": "NDA-fabrikam"}, {"pages": 4, "chars": 9120})
        ok.llm("gpt-4o", 3400, 210, "The NDA runs 2 years, mutual, New York law, no non-solicit.")
    sc.label(ok, [], None, "A short NDA summarised within limits.")


def s22_order_sync_restart_duplicate(sc: ScenarioBuilder) -> None:
    order = {"external_id": "AMZ-113-4471", "sku": "LMP-9", "qty": 1, "customer": "k.lee@example.com"}
    r1 = sc.run("r1", "2026-11-19T04:00:03Z", session="sync-AMZ-113-4471")
    with r1.agent("order_sync", input="Sync marketplace order AMZ-113-4471",
                  output='{"status":"failed","step":"inventory.reserve","reason":"warehouse API timeout"}',
                  status="error", error=("Timeout", "inventory.reserve timed out after 30s")):
        r1.tool("shopify.create_order", order, {"order_id": "gid://shopify/Order/550912", "status": "created"}, dur=0.7)
        r1.tool("inventory.reserve", {"sku": "LMP-9", "qty": 1}, dur=30.0, error=("Timeout", "ReadTimeout: warehouse API did not answer within 30s"))
    sc.label(r1, [], None, "The warehouse API timed out; order_sync stopped with a structured failure after creating the order.")
    r2 = sc.run("r2", "2026-11-19T04:15:03Z", session="sync-AMZ-113-4471")
    with r2.agent("order_sync", input="Sync marketplace order AMZ-113-4471", output='{"status":"synced"}'):
        redo = r2.tool("shopify.create_order", order, {"order_id": "gid://shopify/Order/550977", "status": "created"}, dur=0.7)
        r2.tool("inventory.reserve", {"sku": "LMP-9", "qty": 1}, {"reserved": True}, dur=0.4)
    sc.label(r2, ["redo_after_restart", "duplicate_side_effect"], redo,
             "The retry 15 minutes later created the Shopify order again instead of resuming at inventory.reserve: the customer now has two orders.")


def s24_chat_context_exceeded(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T16:40:10Z", session="slack-C04-thread-1731948", user="U02KX")
    a = "Here's the recap of the 412-message incident thread: root cause was an expired TLS cert on the payments proxy."
    with r.agent("thread_summarizer", input="Summarize this thread for the postmortem", output=a):
        r.tool("slack.fetch_thread", {"channel": "C04INC", "ts": "1731948011.2291"}, {"messages": 412}, dur=1.9)
        over = r.llm("gpt-4o-mini", 131072, 0, None, dur=0.4, status="error",
                     error=("context_length_exceeded", "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens."),
                     attrs={"http.response.status_code": 400})
        r.tool("text.chunk", {"max_tokens": 30000}, {"chunks": 5})
        for i in range(5):
            r.llm("gpt-4o-mini", 30100, 380, f"partial recap {i + 1}/5")
        r.llm("gpt-4o-mini", 2600, 240, a)
    sc.label(r, ["context_overflow"], over,
             "The 412-message thread exceeded the 128k window; the summarizer chunked it and recovered, but the overflow itself is the signal.")


def s31_coding_agent_reread_loop(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T13:02:00Z", session="gh-issue-2207")
    with r.agent("coder", input="Fix issue #2207: off-by-one in paginate()", output="Opened PR #2214 fixing paginate()."):
        reads = []
        for i in range(4):
            r.llm("claude-sonnet-4-20250514", 18000 + 2500 * i, 80, '{"tool":"fs.read","path":"src/api/paginate.py"}')
            reads.append(r.tool("fs.read", {"path": "src/api/paginate.py"}, "def paginate(items, page, size):\n    start = page * size\n    return items[start:start + size + 1]\n", dur=0.01))
        r.tool("fs.write", {"path": "src/api/paginate.py", "patch": "- size + 1\n+ size"}, {"written": True}, dur=0.01)
        r.tool("github.create_pull_request", {"title": "Fix off-by-one in paginate()", "branch": "fix-2207"}, {"number": 2214})
    # Decisive: the first repeat (the first read was the run's own legitimate step).
    sc.label(r, ["repeated_action"], reads[1],
             "The coding agent read the same file four times in a row with nothing changing in between before writing the one-line fix.")


# --- ownership_gap ---------------------------------------------------------------------------------


def s03_billing_handoff_dropped(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T08:12:44Z", session="conv_5c1d2e", user="cust_C-2045")
    q = "I was refunded $40 but the credit note says $25. Account C-2045."
    a = "I've transferred you to our billing team; they will sort out the credit note."
    with r.agent("triage", input=q, output=a):
        r.llm("gpt-4o-mini", 820, 30, '{"tool":"transfer_to_billing"}', input=q)
        h = r.handoff("billing", "credit note amount mismatch on account C-2045")
        r.llm("gpt-4o-mini", 900, 28, a)
    # One lost handoff is one finding (dangling_handoff), not also an undelivered output.
    sc.label(r, ["dangling_handoff"], h,
             "Triage called transfer_to_billing and told the customer billing would handle it, but no billing agent ever started.")


def s07_oncall_page_unacknowledged(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T03:07:12Z", session="alert-PD-99312")
    with r.agent("incident_responder", input="Alert: checkout p99 latency 4.8s (threshold 1.5s) for 10 min",
                 output="Paged the payments on-call (incident Q2K7). Monitoring."):
        r.tool("grafana.query", {"expr": "histogram_quantile(0.99, checkout_latency)", "range": "30m"}, {"p99_s": 4.8})
        r.llm("gpt-4o", 2100, 150, "Latency is from payments-proxy; page payments on-call.")
        page = r.tool("pagerduty.page_oncall", {"service": "payments", "urgency": "high", "summary": "checkout p99 4.8s"},
                      {"incident": "Q2K7", "status": "triggered"}, dur=0.5)
        r.wait(1800)
        r.tool("pagerduty.get_incident", {"incident": "Q2K7"}, {"incident": "Q2K7", "status": "triggered", "acknowledged_by": None})
        r.llm("gpt-4o", 2300, 40, "Paged the payments on-call (incident Q2K7). Monitoring.")
    sc.label(r, ["unacknowledged_escalation"], page,
             "The page to payments on-call was still unacknowledged 30 minutes later and the responder just ended the run.")


def s08_refund_webhook_orphan_error(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T19:45:30Z", session="refund-RF-20771")
    with r.chain("POST /v1/refunds", attrs={"http.request.method": "POST", "http.route": "/v1/refunds", "http.response.status_code": 500},
                 error=("HTTPError", "500 Internal Server Error")):
        with r.agent("refund_agent", input="Refund order 77120 (damaged item), $89.00",
                     output='{"decision":"approve","amount":89.00}'):
            r.llm("gpt-4o", 1500, 60, '{"decision":"approve","amount":89.00}')
        bad = r.tool("ledger.post_entry", {"order_id": "77120", "amount": -89.00, "account": "refunds"},
                     dur=0.3, error=("IntegrityError", "duplicate key value violates unique constraint ledger_entries_order_id_key"))
    sc.label(r, ["orphan_failure", "unhandled_error"], bad,
             "The refund agent approved, then the API handler's own ledger write failed outside any agent; nobody owned or handled it and the request returned 500.")


def s09_travel_booker_limbo(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T07:30:00Z", session="trip-LIS-0912", user="u_4471")
    q = "Flights Boston to Lisbon Dec 12-19 for 2, and a hotel near Alfama."
    with r.agent("travel_planner", input=q, ends=False):
        r.llm("gpt-4.1", 2400, 120, "Split: flights -> flight_agent, hotel -> hotel_agent", input=q)
        r.handoff("flight_agent", "BOS-LIS Dec 12-19, 2 adults")
        with r.agent("flight_agent", input="BOS-LIS Dec 12-19, 2 adults", output="Held TP218/TP217, $1,384 total"):
            r.llm("gpt-4.1-mini", 1300, 80, '{"tool":"flights.search"}')
            r.tool("flights.search", {"from": "BOS", "to": "LIS", "depart": "2026-12-12", "return": "2026-12-19", "pax": 2},
                   {"offers": 14, "best": "TP218/TP217", "price": 1384})
            r.tool("flights.hold", {"offer": "TP218/TP217"}, {"hold_id": "H-5521", "expires": "24h"})
        r.llm("gpt-4.1", 3100, 60, '{"tool":"transfer_to_hotel_agent"}')
        h = r.handoff("hotel_agent", "Alfama, Dec 12-19, 2 adults")
    sc.label(r, ["dangling_handoff", "limbo", "stall"], h,
             "Flights were held, then the planner handed the hotel search to hotel_agent, which never started; the trip stayed open with nothing running.")


def s23_escalation_limbo(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T22:14:00Z", session="ticket-71920", user="cust_7781")
    q = "Your driver damaged my gate during delivery, I want compensation."
    with r.agent("support_agent", input=q, ends=False):
        r.llm("gpt-4o", 1100, 70, "Property damage claim: policy says escalate to a human.", input=q)
        r.tool("zendesk.add_note", {"ticket": 71920, "note": "Property damage claim, photos attached"}, {"ok": True})
        esc = r.tool("escalate_to_human", {"queue": "claims", "ticket": 71920, "priority": "high"}, {"queued": True, "position": 7})
    sc.label(r, ["unacknowledged_escalation", "limbo", "stall"], esc,
             "The damage claim was escalated to the claims queue; no human ever picked it up and the run never ended.")


def s25_nightly_reconcile_orphan(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T01:00:00Z")
    with r.chain("cron reconcile_payouts", attrs={"job": "reconcile_payouts", "schedule": "0 1 * * *"},
                 error=("JobFailed", "reconcile_payouts exited with status 1")):
        with r.agent("reconciler", input="Reconcile Stripe payouts for 2026-11-19", output='{"matched":412,"unmatched":3}'):
            r.tool("stripe.list_payouts", {"date": "2026-11-19"}, {"count": 415})
            r.llm("gpt-4.1-mini", 9800, 300, '{"matched":412,"unmatched":3}')
        bad = r.tool("sheets.append_rows", {"sheet": "Payout recon Nov", "rows": 415}, dur=1.4,
                     error=("PermissionDenied", "403 The caller does not have permission (sheet moved to another drive)"))
    sc.label(r, ["orphan_failure", "unhandled_error"], bad,
             "The cron wrapper's own export to the finance sheet failed with 403 outside any agent; the job ended and no one was told.")


# --- missing_fallback ------------------------------------------------------------------------------


def s10_invoice_ocr_unhandled(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T11:20:00Z", session="ap-inbox-2026-11-18")
    with r.agent("invoice_extractor", input="inbox/globex/INV-7781.pdf", status="error",
                 error=("ValidationError", "erp.post_invoice rejected: total is required")):
        bad = r.tool("ocr.extract", {"document": "INV-7781.pdf"}, dur=8.0,
                     error=("HTTPError", "503 Service Unavailable: OCR backend overloaded"),
                     attrs={"http.response.status_code": 503})
        r.llm("gpt-4.1-mini", 700, 90, '{"invoice_no":null,"total":null,"vendor":"Globex"}')
        r.tool("erp.post_invoice", {"invoice_no": None, "total": None, "vendor": "Globex"}, dur=0.4,
               error=("ValidationError", "422 Unprocessable Entity: total is required"), attrs={"http.response.status_code": 422})
    sc.label(r, ["unhandled_error"], bad,
             "OCR returned 503 and the extractor pushed on with empty fields (no retry, no fallback OCR), so the ERP rejected the invoice.")


def s11_research_agent_hung(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T15:00:00Z", session="research-9921", user="analyst_ryo")
    with r.agent("market_researcher", input="Compare EU heat-pump subsidy schemes 2026", ends=False):
        r.retrieve("web.search", "EU heat pump subsidy 2026", [{"url": "https://example.org/de-beg"}, {"url": "https://example.org/fr-maprime"}])
        r.tool("web.fetch", {"url": "https://example.org/de-beg"}, {"chars": 48120}, dur=2.2)
        hung = r.llm("claude-sonnet-4-20250514", 52000, 0, None, dur=None)
    sc.label(r, ["stall"], hung,
             "A 52k-token model call never returned and nothing timed it out; the research run is still open days later.")


def s12_crm_retry_storm(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-17T02:40:00Z", session="zd-48302", user="cust_C-5120")
    q = "Cancel my add-on. C-5120"
    with r.agent("triage", input=q, output="Your add-on is cancelled from the next billing cycle."):
        r.llm("gpt-4o-mini", 760, 30, '{"tool":"crm.lookup","customer_id":"C-5120"}', input=q)
        first = None
        for _ in range(9):
            s = r.tool("crm.lookup", {"customer_id": "C-5120"}, dur=0.12, gap=0.2,
                       error=("RateLimitError", "429 Too Many Requests"), attrs={"http.response.status_code": 429})
            first = first or s
        r.tool("crm.lookup", {"customer_id": "C-5120"}, {"customer_id": "C-5120", "addons": ["sso"]}, dur=0.12, gap=0.2)
        r.tool("crm.cancel_addon", {"customer_id": "C-5120", "addon": "sso"}, {"effective": "2026-12-01"})
        r.llm("gpt-4o-mini", 980, 40, "Your add-on is cancelled from the next billing cycle.")
    sc.label(r, ["retry_storm"], first,
             "crm.lookup was hammered 9 times at a fixed 0.2 s spacing through a 429 before it got through: no backoff.")


def s13_ticket_router_low_confidence(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T12:02:00Z", session="ticket-70331", user="cust_3310")
    q = "hey so the thing from last week, still same, pls fix"
    with r.agent("ticket_router", input=q, output="Routed ticket 70331 to security (P1)."):
        r.llm("gpt-4o-mini", 640, 40, '{"intent":"security_incident","confidence":0.31}', input=q)
        # Decisive: the first action taken on the 0.31 guess with no review (the guess only called for one).
        act = r.tool("zendesk.update_ticket", {"ticket": 70331, "group": "security", "priority": "urgent"}, {"updated": True})
        r.tool("email.send", {"to": "customer:3310", "template": "security_incident_ack"}, {"accepted": True})
    sc.label(r, ["ungated_low_confidence"], act,
             "The router classified a vague message as a security incident at confidence 0.31 and escalated it to P1 and e-mailed the customer with no review.")
    ok = sc.run("r2", "2026-11-18T12:09:00Z", session="ticket-70335", user="cust_1208")
    with ok.agent("ticket_router", input="I can't log in since the password reset", output="Routed ticket 70335 to identity (P3)."):
        ok.llm("gpt-4o-mini", 610, 40, '{"intent":"login_problem","confidence":0.93}')
        ok.tool("zendesk.update_ticket", {"ticket": 70335, "group": "identity", "priority": "normal"}, {"updated": True})
    sc.label(ok, [], None, "A clear login ticket routed at confidence 0.93.")


def s26_kb_search_retry_storm(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T09:10:00Z", session="helpdesk-2291", user="emp_5521")
    with r.agent("it_helpdesk", input="How do I set up the VPN on Linux?", status="error",
                 output='{"status":"failed","reason":"knowledge base unavailable","next":"try again later"}',
                 error=("SearchUnavailable", "kb.search failed 7 times")):
        first = None
        for _ in range(7):
            s = r.tool("kb.search", {"query": "vpn linux setup"}, dur=0.05, gap=0.5,
                       error=("HTTPError", "503 Service Unavailable"), attrs={"http.response.status_code": 503}, kind="retriever")
            first = first or s
    sc.label(r, ["retry_storm"], first,
             "kb.search was retried 7 times at a constant 0.5 s through a 503 before the helpdesk gave up with a structured failure.")


def s27_invoice_intake_low_confidence(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T10:44:00Z", session="ap-inbox-2026-11-19")
    with r.agent("invoice_intake", input="inbox/initech/scan_0031.jpg", output='{"erp_id":"AP-552210"}'):
        r.tool("ocr.extract", {"document": "scan_0031.jpg"}, {"text_quality": "poor", "chars": 812}, dur=3.1)
        r.llm("gpt-4.1-mini", 1900, 120,
              '{"vendor":"Initech","total":7310.00,"due":"2026-12-01","confidence":0.38}')
        # Decisive: the invoice created without the review the 0.38 extraction called for.
        act = r.tool("erp.create_invoice", {"vendor": "Initech", "total": 7310.00, "due": "2026-12-01"}, {"erp_id": "AP-552210"})
    sc.label(r, ["ungated_low_confidence"], act,
             "A blurry scan was extracted at confidence 0.38 and the invoice was created in the ERP without the human review step.")


# --- silent_failure --------------------------------------------------------------------------------


def s14_receipt_claimed_not_sent(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T17:33:00Z", session="chat-a91b", user="cust_6620")
    a = "Done! I've emailed your receipt for order 100311 to the address on file."
    with r.agent("shop_assistant", input="Can you email me the receipt for order 100311?", output=a):
        r.tool("orders.get", {"order_id": "100311"}, {"order_id": "100311", "total": 54.90, "email": "on file"})
        claim = r.llm("gpt-4o-mini", 1200, 30, a)
    sc.label(r, ["claimed_but_not_done"], claim,
             "The assistant said it had e-mailed the receipt, but no e-mail tool was ever called.")


def s15_weekly_report_empty(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-17T06:00:00Z", session="weekly-kpi-2026-w47")
    with r.agent("kpi_reporter", input="Weekly KPI report for #exec", output=""):
        r.tool("warehouse.query", {"sql": "select * from kpi_weekly where week = 47"},
               {"rows": 7, "columns": ["metric", "value", "wow"]}, dur=1.2)
        empty = r.llm("gpt-4.1", 900, 0, "")
        r.tool("slack.post_message", {"channel": "#exec", "text": ""}, {"ok": True, "ts": "1763359201.000100"})
    sc.label(r, ["undelivered_output"], empty,
             "The KPI table was empty, the model wrote nothing, and an empty message was posted to #exec as the weekly report.")


def s44_release_notes_empty(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-21T09:00:00Z", session="release-notes-2.14")
    with r.agent("release_notes_writer", input="Draft the release notes for v2.14 from the merged PRs", output=""):
        r.tool("github.list_pull_requests", {"milestone": "v2.14", "state": "merged"},
               {"items": [{"number": 2201, "title": "Faster CSV export"}, {"number": 2214, "title": "Fix off-by-one in paginate()"}]},
               dur=0.8)
        empty = r.llm("gpt-4.1-mini", 1400, 0, "")
    sc.label(r, ["undelivered_output"], empty,
             "The writer fetched the merged PRs, the model returned nothing, and the run ended reporting success with empty release notes.")


def s16_export_job_premature_done(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T18:00:00Z", session="gdpr-export-5521", user="dpo@example.com")
    with r.agent("data_export", input="GDPR export for user 5521", output="Your data export is complete."):
        r.tool("db.collect_user_data", {"user_id": 5521}, {"tables": 14, "rows": 20931}, dur=4.0)
        up = r.tool("s3.upload", {"bucket": "exports", "key": "5521/export.zip", "bytes": 48211904}, dur=None)
        r.llm("gpt-4o-mini", 400, 12, "Your data export is complete.", gap=0.5)
    sc.label(r, ["premature_success"], up,
             "The export reported complete while its S3 upload of the archive had never finished.")


def s20_fx_rate_error_as_data(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T13:15:00Z", session="quote-Q-8812", user="sales_14")
    a = "Quote Q-8812: EUR 0.00 for 1,200 units (converted from USD 18,600)."
    with r.agent("quote_builder", input="Quote 1,200 units of SKU W-7 in EUR", output=a):
        r.tool("pricing.get", {"sku": "W-7", "qty": 1200}, {"usd": 18600.00})
        fx = r.tool("fx.convert", {"from": "USD", "to": "EUR", "amount": 18600.00},
                    {"error": {"code": 429, "message": "Too Many Requests"}, "rate": None})
        r.llm("gpt-4o", 1500, 40, a)
        r.tool("crm.save_quote", {"quote": "Q-8812", "currency": "EUR", "total": 0.0}, {"saved": True})
    sc.label(r, ["error_as_data"], fx,
             "fx.convert returned an OK span whose body was a 429 error; the quote went out at EUR 0.00.")


def s21_rag_bot_index_down(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T08:50:00Z", session="hr-bot-3391", user="emp_3391")
    a = "Our policy does not provide parental leave beyond the statutory minimum."
    with r.agent("hr_policy_bot", input="How many weeks of paid parental leave do we get?", output=a):
        bad = r.tool("policy_search", {"query": "paid parental leave weeks"},
                     {"status": "failed", "reason": "index hr-policies-v3 is read-only: reindex in progress", "documents": []},
                     kind="retriever")
        r.llm("gpt-4o", 700, 30, a)
    sc.label(r, ["error_as_data"], bad,
             "The policy index answered 'status: failed' inside a successful call; the bot told an employee there was no parental leave.")


def s29_hotel_booking_claimed(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T11:00:00Z", session="trip-CDG-1188", user="u_1188")
    a = "All set! Your hotel in Le Marais is booked for Jan 4-7, confirmation will follow by e-mail."
    with r.agent("travel_concierge", input="Book Hotel Caron (Le Marais) Jan 4-7 for 1", output=a):
        r.tool("hotels.search", {"city": "Paris", "name": "Hotel Caron"}, {"hotel_id": "H-CARON", "rate": 212})
        bad = r.tool("hotels.book", {"hotel_id": "H-CARON", "checkin": "2027-01-04", "checkout": "2027-01-07"}, dur=2.0,
                     error=("HTTPError", "500 Internal Server Error from booking partner"),
                     attrs={"http.response.status_code": 500})
        r.llm("gpt-4o", 1600, 42, a)
    sc.label(r, ["swallowed_error", "claimed_but_not_done"], bad,
             "hotels.book failed with a 500 and was never retried, yet the concierge told the traveller the hotel was booked.")


def s30_onboarding_premature_done(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T08:00:00Z", session="onboard-acme-co", user="admin@acme.example")
    with r.agent("onboarding_agent", input="Onboard Acme Co: workspace, SSO, 40 seats", output="Acme Co is fully onboarded."):
        r.tool("workspace.create", {"org": "Acme Co"}, {"workspace_id": "ws_8812"})
        r.tool("seats.provision", {"workspace_id": "ws_8812", "seats": 40}, {"provisioned": 40}, dur=1.5)
        sso = r.tool("sso.configure_saml", {"workspace_id": "ws_8812", "idp": "okta"}, dur=None)
        r.llm("gpt-4o-mini", 900, 20, "Acme Co is fully onboarded.", gap=0.3)
    sc.label(r, ["premature_success"], sso,
             "The run reported Acme fully onboarded while the SAML configuration step had started and never finished.")


# --- runaway_cost and unguarded_action -------------------------------------------------------------


def s17_coding_agent_token_burn(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T20:00:00Z", session="gh-issue-2188")
    with r.agent("coder", input="Make the flaky test test_sync_retries pass", output="Tests are green."):
        crossing = None
        total = 0
        for i in range(14):
            tin, tout = 178000 + 900 * i, 2100
            s = r.llm("gpt-4.1", tin, tout, f"attempt {i + 1}: adjust sleep in test_sync_retries", dur=24.0)
            total += tin + tout
            # No fixed budget: the coder's other runs in this corpus (31: 87,320 tokens; 39: 9,300)
            # have a median of 48,310, and 5x that (241,550) is crossed on the second attempt.
            if crossing is None and total > 241_550:
                crossing = s
            r.tool("fs.write", {"path": "tests/test_sync.py", "patch": f"- sleep({i / 10:.1f})\n+ sleep({(i + 1) / 10:.1f})"},
                   {"written": True}, dur=0.01)
            r.tool("shell.run", {"cmd": "pytest tests/test_sync.py -k retries"}, {"exit_code": 1 if i < 13 else 0}, dur=38.0)
    sc.label(r, ["budget_exceeded"], crossing,
             "Fourteen full-context attempts of ~180k tokens each (2.6M tokens, about $5.40) to fix one flaky test; five times what the coder's other runs spend was crossed on the second attempt.")


def s28_research_fanout_cost(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T14:00:00Z", session="dd-report-7731", user="pm_ana")
    with r.agent("due_diligence_lead", input="Due-diligence brief on 24 suppliers in list S-2026-11",
                 output="Brief compiled for 24 suppliers."):
        plan = r.llm("gpt-4o", 6000, 900, '{"subtasks":24,"strategy":"one researcher per supplier"}')
        lead = r.run.spans[0]
        for i in range(24):
            with r.agent("supplier_researcher", input=f"supplier #{i + 1}", output=f"notes on supplier #{i + 1}", parent=lead):
                r.retrieve("web.search", f"supplier {i + 1} litigation", [{"url": f"https://example.org/s{i + 1}"}])
                r.llm("gpt-4o", 41000, 1200, f"notes on supplier #{i + 1}", dur=6.0)
        r.llm("gpt-4o", 62000, 3000, "Brief compiled for 24 suppliers.", dur=20.0)
    sc.label(r, ["fan_out", "budget_exceeded"], plan,
             "The lead planned one researcher per supplier and fanned out 24 sub-agents (about 1.1M tokens, over 20x the lead's two-supplier briefs) for a one-page brief.")
    # The lead's ordinary work earlier that week (the fleet its cost is judged against): two-supplier briefs (~45k tokens each).
    for key, start, report, names in (("r0a", "2026-11-17T09:00:00Z", "dd-report-7702", ("Nordlicht GmbH", "Oakfield Ltd")),
                                      ("r0b", "2026-11-18T09:30:00Z", "dd-report-7715", ("Tarragona SA", "Veldt BV"))):
        small = sc.run(key, start, session=report, user="pm_ana")
        with small.agent("due_diligence_lead", input=f"Due-diligence brief on {names[0]} and {names[1]}",
                         output=f"Brief compiled for {names[0]} and {names[1]}."):
            small.llm("gpt-4o", 3000, 400, '{"subtasks":2,"strategy":"one researcher per supplier"}')
            top = small.run.spans[0]
            for name in names:
                with small.agent("supplier_researcher", input=name, output=f"notes on {name}", parent=top):
                    small.retrieve("web.search", f"{name} litigation", [{"url": "https://example.org/" + name.split()[0].lower()}])
                    small.llm("gpt-4o", 12000, 800, f"notes on {name}", dur=5.0)
            small.llm("gpt-4o", 15000, 1500, f"Brief compiled for {names[0]} and {names[1]}.", dur=8.0)
        sc.label(small, [], None, f"A two-supplier brief ({names[0]}, {names[1]}) with one researcher each.")


def s18_refund_bot_unguarded(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T16:20:00Z", session="chat-r-5531", user="cust_5531")
    with r.agent("refund_bot", input="Item arrived late, refund everything please. Order 88120.",
                 output="I've refunded $1,240.00 to your card."):
        r.tool("orders.get", {"order_id": "88120"}, {"total": 1240.00, "delivered_late_days": 1})
        r.llm("gpt-4o", 1300, 50, '{"tool":"stripe.refunds.create","amount":124000}')
        ref = r.tool("stripe.refunds.create", {"payment_intent": "pi_3QkX88120", "amount": 124000}, {"id": "re_3Qk01", "status": "succeeded"})
    sc.label(r, ["unguarded_irreversible"], ref,
             "A full $1,240 refund for a one-day delay went straight to Stripe with no approval step or guardrail.")


def s19_deploy_without_approval(sc: ScenarioBuilder) -> None:
    ok = sc.run("r1", "2026-11-18T15:00:00Z", session="release-2026-11-18")
    with ok.agent("release_bot", input="Ship v3.14.0 to production", output="v3.14.0 deployed after approval."):
        ok.tool("ci.run_tests", {"ref": "v3.14.0"}, {"passed": 1841, "failed": 0}, dur=30.0)
        ok.tool("request_approval", {"change": "deploy v3.14.0 to prod", "approvers": ["@release-managers"]}, {"request": "APR-311"})
        ok.human("approval.granted", "m.chen", {"request": "APR-311", "decision": "approved"}, dur=0.2)
        ok.tool("deploy_production", {"version": "v3.14.0", "strategy": "canary"}, {"status": "rolled_out"}, dur=90.0)
    sc.label(ok, [], None, "A release with tests, an approval request, a human approval, then the deploy.")
    r = sc.run("r2", "2026-11-19T23:40:00Z", session="release-2026-11-19")
    with r.agent("release_bot", input="Hotfix: ship v3.14.1", output="v3.14.1 is live."):
        r.tool("ci.run_tests", {"ref": "v3.14.1"}, {"passed": 1841, "failed": 0}, dur=30.0)
        dep = r.tool("deploy_production", {"version": "v3.14.1", "strategy": "all_at_once"}, {"status": "rolled_out"}, dur=60.0)
    sc.label(r, ["unguarded_irreversible"], dep,
             "The late-night hotfix went to production all-at-once with no approval, unlike the day before.")


# --- clean and properly recovered ------------------------------------------------------------------


def s32_crm_backoff_recovered(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-17T02:50:00Z", session="zd-48340", user="cust_C-6610")
    a = "Your plan renews on Dec 3 at $49/month."
    with r.agent("triage", input="When does my plan renew? C-6610", output=a):
        r.tool("crm.lookup", {"customer_id": "C-6610"}, dur=0.1, error=("RateLimitError", "429 Too Many Requests"),
               attrs={"http.response.status_code": 429})
        r.wait(1.0)
        r.tool("crm.lookup", {"customer_id": "C-6610"}, dur=0.1, error=("RateLimitError", "429 Too Many Requests"),
               attrs={"http.response.status_code": 429})
        r.wait(2.5)
        r.tool("crm.lookup", {"customer_id": "C-6610"}, {"renews": "2026-12-03", "price": 49}, dur=0.1)
        r.llm("gpt-4o-mini", 800, 20, a)
    sc.label(r, [], None, "Two 429s retried after 1.0 s then 2.5 s (growing backoff); the third call succeeded and the answer is grounded.")
    r2 = sc.run("r2", "2026-11-17T02:55:00Z", session="zd-48345", user="cust_C-0915")
    _triage_ok(r2, "C-0915", "Is my account active? C-0915", "Yes, account C-0915 is active on the Pro plan.")
    sc.label(r2, [], None, "A plain triage lookup and answer.")


def s33_escalation_acknowledged(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T22:30:00Z", session="ticket-71933", user="cust_2291")
    with r.agent("support_agent", input="I was charged for a cancelled order and I want it back now.",
                 output="A billing specialist (Dana) has your case and will refund the charge today."):
        r.llm("gpt-4o", 1000, 60, "Disputed charge: escalate to a human per policy.")
        r.tool("escalate_to_human", {"queue": "billing", "ticket": 71933, "priority": "high"}, {"queued": True, "position": 1})
        r.wait(240)
        r.human("queue.acknowledged", "dana.w", {"ticket": 71933, "assignee": "dana.w"})
        r.human("agent_reply", "dana.w", {"ticket": 71933, "message": "Refunding the charge today."}, dur=30)
    sc.label(r, [], None, "Escalated to billing; Dana acknowledged within 4 minutes and answered the customer.")


def s34_fallback_model_after_429(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T09:00:00Z", session="sum-5512", user="emp_77")
    a = "Three action items: renew the SOC2 auditor, freeze the Q1 roadmap, hire two SREs."
    with r.agent("meeting_notes", input="Summarize the Nov 18 leadership sync", output=a):
        r.tool("drive.get_doc", {"doc": "leadership-sync-2026-11-18"}, {"chars": 18022})
        r.llm("gpt-4o", 5200, 0, None, dur=0.3, status="error",
              error=("RateLimitError", "429 Rate limit reached for gpt-4o in organization org-x on tokens per min"),
              attrs={"http.response.status_code": 429})
        r.llm("claude-sonnet-4-20250514", 5400, 160, a, dur=5.0)
    sc.label(r, [], None, "gpt-4o returned 429; the router fell back to Claude for the same step and the summary was delivered.")
    r2 = sc.run("r2", "2026-11-18T09:30:00Z", session="sum-5513", user="emp_77")
    with r2.agent("meeting_notes", input="Summarize the Nov 18 design review", output="Decision: ship the v2 schema behind a flag."):
        r2.tool("drive.get_doc", {"doc": "design-review-2026-11-18"}, {"chars": 9022})
        r2.llm("gpt-4o", 2600, 90, "Decision: ship the v2 schema behind a flag.")
    sc.label(r2, [], None, "A clean summary on the primary model.")


def s35_billing_handoff_picked_up(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-18T08:30:00Z", session="conv_77aa01", user="cust_C-3001")
    a = "Billing found the duplicate charge and has voided invoice INV-20977."
    with r.agent("triage", input="I see two invoices for October. C-3001", output=a):
        r.llm("gpt-4o-mini", 800, 30, '{"tool":"transfer_to_billing"}')
        r.handoff("billing", "two October invoices on C-3001")
        with r.agent("billing", input="two October invoices on C-3001", output="Voided INV-20977 (duplicate)."):
            r.tool("billing.list_invoices", {"customer_id": "C-3001", "month": "2026-10"}, {"invoices": ["INV-20931", "INV-20977"]})
            r.tool("billing.void_invoice", {"invoice": "INV-20977", "reason": "duplicate"}, {"voided": True})
        r.llm("gpt-4o-mini", 1100, 30, a)
    sc.label(r, [], None, "Triage handed off to billing, which picked the case up at once and voided the duplicate invoice.")


def s36_rag_answer_clean(sc: ScenarioBuilder) -> None:
    for key, t, q, a in (
        ("r1", "2026-11-19T10:00:00Z", "What is our on-call compensation?", "On-call pays $300 per week plus $75 per page after hours."),
        ("r2", "2026-11-19T10:04:00Z", "How do I expense a conference?", "Submit it in Expensify under 'Training' with the agenda attached."),
    ):
        r = sc.run(key, t, session=f"hr-bot-{key}", user="emp_1020")
        with r.agent("hr_policy_bot", input=q, output=a):
            r.retrieve("policy_search", q, [{"id": "pol-17", "score": 0.82}, {"id": "pol-03", "score": 0.71}])
            r.llm("gpt-4o", 2400, 60, a)
        sc.label(r, [], None, "Retrieved two policy passages and answered from them.")


def s37_refund_with_approval(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T16:40:00Z", session="chat-r-5590", user="cust_5590")
    with r.agent("refund_bot", input="Wrong size delivered, please refund order 88188.", output="Refund of $64.00 approved and issued."):
        r.tool("orders.get", {"order_id": "88188"}, {"total": 64.00})
        r.guardrail("refund_policy_check", {"amount": 64.00, "reason": "wrong_item"}, {"allowed": True, "needs_approval": True})
        r.tool("request_approval", {"refund": 64.00, "order": "88188"}, {"request": "APR-902"})
        r.human("approval.granted", "ops.lee", {"request": "APR-902", "decision": "approved"}, dur=40)
        r.tool("stripe.refunds.create", {"payment_intent": "pi_3Qk88188", "amount": 6400}, {"id": "re_3Qk09", "status": "succeeded"})
    sc.label(r, [], None, "Refund checked against policy, approved by a person, then issued.")


def s38_travel_booker_clean(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T07:45:00Z", session="trip-NRT-2201", user="u_2201")
    with r.agent("travel_planner", input="SFO to Tokyo Mar 3-10 and a hotel in Shibuya", output="Booked NH7/NH8 and Shibuya Stream Hotel."):
        r.llm("gpt-4.1", 2200, 100, "Split: flights -> flight_agent, hotel -> hotel_agent")
        r.handoff("flight_agent", "SFO-NRT Mar 3-10")
        with r.agent("flight_agent", input="SFO-NRT Mar 3-10", output="Booked NH7/NH8"):
            r.tool("flights.search", {"from": "SFO", "to": "NRT", "depart": "2027-03-03", "return": "2027-03-10"}, {"best": "NH7/NH8"})
            r.tool("flights.book", {"offer": "NH7/NH8"}, {"pnr": "K7Q2LM"})
        r.handoff("hotel_agent", "Shibuya, Mar 3-10")
        with r.agent("hotel_agent", input="Shibuya, Mar 3-10", output="Booked Shibuya Stream Hotel"):
            r.tool("hotels.search", {"city": "Tokyo", "area": "Shibuya"}, {"best": "Shibuya Stream Hotel"})
            r.tool("hotels.book", {"hotel": "Shibuya Stream Hotel", "checkin": "2027-03-03", "checkout": "2027-03-10"}, {"confirmation": "SS-88120"})
        r.llm("gpt-4.1", 2800, 60, "Booked NH7/NH8 and Shibuya Stream Hotel.")
    sc.label(r, [], None, "Both handoffs were picked up at once; flights and hotel booked and confirmed.")


def s39_coding_agent_pr_clean(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T10:00:00Z", session="gh-issue-2230")
    with r.agent("coder", input="Fix issue #2230: typo in CLI help", output="Opened PR #2231."):
        r.tool("fs.read", {"path": "forensics/cli.py"}, "...", dur=0.01)
        r.llm("claude-sonnet-4-20250514", 9000, 300, "Replace 'clasify' with 'classify'.")
        r.tool("fs.write", {"path": "forensics/cli.py", "patch": "- clasify\n+ classify"}, {"written": True}, dur=0.01)
        r.tool("shell.run", {"cmd": "pytest -q tests/test_cli.py"}, {"exit_code": 0}, dur=12.0)
        r.tool("github.create_pull_request", {"title": "Fix typo in CLI help", "branch": "fix-2230"}, {"number": 2231})
    sc.label(r, [], None, "Read, fix, tests green, PR opened.")
    r2 = sc.run("r2", "2026-11-20T10:20:00Z", session="gh-issue-2232")
    with r2.agent("coder", input="Bump ruff to 0.17.5", output="Opened PR #2233."):
        r2.tool("fs.write", {"path": "pyproject.toml", "patch": "ruff==0.17.5"}, {"written": True}, dur=0.01)
        r2.tool("shell.run", {"cmd": "ruff check ."}, {"exit_code": 0}, dur=4.0)
        r2.tool("github.create_pull_request", {"title": "Bump ruff", "branch": "bump-ruff"}, {"number": 2233})
    sc.label(r2, [], None, "A one-line dependency bump, checked and opened as a PR.")


def s40_oncall_page_acknowledged(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-19T04:10:00Z", session="alert-PD-99340")
    with r.agent("incident_responder", input="Alert: search error rate 7% for 5 min", output="Paged search on-call; Priya acknowledged and is on it."):
        r.tool("grafana.query", {"expr": "rate(search_errors[5m])"}, {"error_rate": 0.07})
        r.tool("pagerduty.page_oncall", {"service": "search", "urgency": "high"}, {"incident": "Q2M1", "status": "triggered"})
        r.wait(180)
        r.human("incident.acknowledged", "priya.s", {"incident": "Q2M1", "status": "acknowledged"})
    sc.label(r, [], None, "The page was acknowledged by the search on-call within 3 minutes.")


def _delegate(r: RunBuilder, chain: list[str], depth: int, marks: dict[str, object]) -> None:
    """Agents delegating to each other, each one level deeper than the last."""
    if depth == len(chain):
        r.tool("notes.write", {"text": "draft section"}, {"saved": True})
        return
    name = chain[depth]
    with r.agent(name, input=f"subtask from {chain[depth - 1] if depth else 'user'}", output="done") as a:
        # Decisive: the agent that delegates to one already running above it, closing the loop
        # (not the first agent past the limit, which moves with the policy: detectors/recursion.py).
        if depth + 1 < len(chain) and chain[depth + 1] in chain[: depth + 1] and "decisive" not in marks:
            marks["decisive"] = a
        r.llm("gpt-4o-mini", 1500 + 200 * depth, 60, f'{{"delegate":"{chain[depth + 1] if depth + 1 < len(chain) else "self"}"}}')
        _delegate(r, chain, depth + 1, marks)


def s41_planner_delegation_loop(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T15:10:00Z", session="brief-5519", user="pm_ana")
    chain = ["planner", "researcher", "fact_checker", "researcher", "fact_checker", "researcher", "fact_checker", "researcher"]
    marks: dict[str, object] = {}
    _delegate(r, chain, 0, marks)
    deep = marks["decisive"]
    assert isinstance(deep, Span)
    sc.label(r, ["delegation_depth"], deep,
             "Researcher and fact-checker kept delegating to each other: eight agents deep for one paragraph (policy limit 5).")


def s42_support_swarm_fanout(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T16:00:00Z", session="chat-sw-118", user="cust_118")
    q = "Does the Team plan include SSO?"
    with r.agent("support_lead", input=q, output="Yes, SSO is included in the Team plan.") as lead:
        plan = r.llm("gpt-4o-mini", 900, 120, '{"strategy":"ask every knowledge agent in parallel","agents":10}', input=q)
        for i in range(10):
            with r.agent("kb_agent", input=f"shard {i}: {q}", output="SSO: included in Team" if i == 3 else "no match", parent=lead):
                r.retrieve("kb.search", f"shard {i} sso team plan", [{"id": f"kb-{i}-1"}])
                r.llm("gpt-4o-mini", 2100, 30, "SSO: included in Team" if i == 3 else "no match")
        r.llm("gpt-4o-mini", 1800, 20, "Yes, SSO is included in the Team plan.")
    sc.label(r, ["fan_out"], plan,
             "A one-line plan question fanned out to ten knowledge agents at once (policy limit 8).")


def s43_coding_review_ping_pong(sc: ScenarioBuilder) -> None:
    r = sc.run("r1", "2026-11-20T17:00:00Z", session="gh-issue-2240")
    chain = ["tech_lead", "architect", "coder", "reviewer", "coder", "reviewer", "coder", "reviewer"]
    marks: dict[str, object] = {}
    _delegate(r, chain, 0, marks)
    deep = marks["decisive"]
    assert isinstance(deep, Span)
    sc.label(r, ["delegation_depth"], deep,
             "Coder and reviewer handed the change back and forth as nested sub-agents, eight levels deep (policy limit 5).")


SCENARIOS: list[Scenario] = [
    Scenario("01_support_triage_swallowed_429", "otlp-json", "support triage", "crm.lookup 429 swallowed, answer reported as success (plus a normal run)", "support-triage", s01_support_triage_swallowed_429),
    Scenario("02_crm_lookup_loop", "otel-sdk-json", "account assistant", "same crm.lookup called five times", "account-assistant", s02_crm_lookup_loop),
    Scenario("03_billing_handoff_dropped", "openinference", "support triage -> billing", "transfer_to_billing that billing never picks up", "support-triage", s03_billing_handoff_dropped),
    Scenario("04_invoice_restart_redo", "jsonl", "invoice extraction", "after an ERP outage, the retry redoes finished steps", "ap-automation", s04_invoice_restart_redo),
    Scenario("05_order_confirmation_twice", "langfuse", "order assistant", "confirmation e-mail sent twice", "shop-assistant", s05_order_confirmation_twice),
    Scenario("06_contract_summary_truncated", "langsmith", "contract summarizer", "summary cut at the output limit returned as the answer (plus a short clean run)", "legal-assistant", s06_contract_summary_truncated),
    Scenario("07_oncall_page_unacknowledged", "otel-sdk-json", "incident responder", "page still unacknowledged after 30 min", "sre-bot", s07_oncall_page_unacknowledged),
    Scenario("08_refund_webhook_orphan_error", "otlp-json", "refund API", "ledger write fails outside any agent", "refunds-api", s08_refund_webhook_orphan_error),
    Scenario("09_travel_booker_limbo", "langfuse", "multi-agent travel booker", "hotel handoff never picked up, trip left open", "travel-booker", s09_travel_booker_limbo),
    Scenario("10_invoice_ocr_unhandled", "openinference", "invoice extraction", "OCR 503 with no retry or fallback", "ap-automation", s10_invoice_ocr_unhandled),
    Scenario("11_research_agent_hung", "jsonl", "market research agent", "a model call that never returned", "research-agent", s11_research_agent_hung),
    Scenario("12_crm_retry_storm", "langsmith", "support triage", "9 retries through a 429 with no backoff", "support-triage", s12_crm_retry_storm),
    Scenario("13_ticket_router_low_confidence", "otlp-json", "ticket router", "P1 escalation on a 0.31-confidence guess (plus a confident run)", "ticket-router", s13_ticket_router_low_confidence),
    Scenario("14_receipt_claimed_not_sent", "otel-sdk-json", "shop assistant", "claims a receipt e-mail it never sent", "shop-assistant", s14_receipt_claimed_not_sent),
    Scenario("15_weekly_report_empty", "langsmith", "KPI reporter", "an empty weekly report posted to Slack", "kpi-reporter", s15_weekly_report_empty),
    Scenario("16_export_job_premature_done", "openinference", "GDPR data export", "done reported while the upload never finished", "privacy-ops", s16_export_job_premature_done),
    Scenario("17_coding_agent_token_burn", "jsonl", "coding agent", "14 full-context attempts at a flaky test", "coding-agent", s17_coding_agent_token_burn),
    Scenario("18_refund_bot_unguarded", "langfuse", "refund bot", "$1,240 refund with no approval", "refund-bot", s18_refund_bot_unguarded),
    Scenario("19_deploy_without_approval", "otlp-json", "release bot", "hotfix deployed with no approval (beside an approved release)", "release-bot", s19_deploy_without_approval),
    Scenario("20_fx_rate_error_as_data", "otel-sdk-json", "sales quote builder", "a 429 body treated as an exchange rate", "quote-builder", s20_fx_rate_error_as_data),
    Scenario("21_rag_bot_index_down", "langsmith", "HR policy RAG bot", "'status: failed' retrieval answered as fact", "hr-bot", s21_rag_bot_index_down),
    Scenario("22_order_sync_restart_duplicate", "otlp-json", "marketplace order sync", "retry re-creates an order after a timeout", "order-sync", s22_order_sync_restart_duplicate),
    Scenario("23_escalation_limbo", "jsonl", "support agent", "escalated to a human queue, nobody came, run never ended", "support-agent", s23_escalation_limbo),
    Scenario("24_chat_context_exceeded", "langfuse", "Slack thread summarizer", "context_length_exceeded, recovered by chunking", "slack-summarizer", s24_chat_context_exceeded),
    Scenario("25_nightly_reconcile_orphan", "jsonl", "payout reconciliation cron", "cron's own export fails outside any agent", "finance-jobs", s25_nightly_reconcile_orphan),
    Scenario("26_kb_search_retry_storm", "otlp-json", "IT helpdesk RAG", "7 retries at a constant 0.5 s", "it-helpdesk", s26_kb_search_retry_storm),
    Scenario("27_invoice_intake_low_confidence", "langfuse", "invoice intake", "ERP invoice created at confidence 0.38", "ap-automation", s27_invoice_intake_low_confidence),
    Scenario("28_research_fanout_cost", "openinference", "due-diligence research", "24-way sub-agent fan-out", "research-agent", s28_research_fanout_cost),
    Scenario("29_hotel_booking_claimed", "langsmith", "travel concierge", "booking 500 swallowed, 'your hotel is booked'", "travel-concierge", s29_hotel_booking_claimed),
    Scenario("30_onboarding_premature_done", "otel-sdk-json", "customer onboarding", "onboarded while SSO setup never finished", "onboarding", s30_onboarding_premature_done),
    Scenario("31_coding_agent_reread_loop", "langfuse", "coding agent", "same file read four times", "coding-agent", s31_coding_agent_reread_loop),
    Scenario("32_crm_backoff_recovered", "otel-sdk-json", "support triage", "429, 429, success with growing backoff (clean)", "support-triage", s32_crm_backoff_recovered),
    Scenario("33_escalation_acknowledged", "langfuse", "support agent", "escalation acknowledged in 4 minutes (clean)", "support-agent", s33_escalation_acknowledged),
    Scenario("34_fallback_model_after_429", "openinference", "meeting notes", "gpt-4o 429, Claude fallback (clean)", "meeting-notes", s34_fallback_model_after_429),
    Scenario("35_billing_handoff_picked_up", "langsmith", "support triage -> billing", "handoff picked up, duplicate invoice voided (clean)", "support-triage", s35_billing_handoff_picked_up),
    Scenario("36_rag_answer_clean", "otlp-json", "HR policy RAG bot", "grounded answers (clean)", "hr-bot", s36_rag_answer_clean),
    Scenario("37_refund_with_approval", "jsonl", "refund bot", "refund after policy check and human approval (clean)", "refund-bot", s37_refund_with_approval),
    Scenario("38_travel_booker_clean", "openinference", "multi-agent travel booker", "two handoffs picked up, all booked (clean)", "travel-booker", s38_travel_booker_clean),
    Scenario("39_coding_agent_pr_clean", "langsmith", "coding agent", "fix, tests, PR (clean)", "coding-agent", s39_coding_agent_pr_clean),
    Scenario("41_planner_delegation_loop", "langsmith", "research planner", "agents delegating to each other eight levels deep", "research-agent", s41_planner_delegation_loop),
    Scenario("42_support_swarm_fanout", "langfuse", "support swarm", "ten knowledge agents for a one-line question", "support-swarm", s42_support_swarm_fanout),
    Scenario("43_coding_review_ping_pong", "otel-sdk-json", "coding agent team", "coder/reviewer nested eight levels deep", "coding-agent", s43_coding_review_ping_pong),
    Scenario("44_release_notes_empty", "jsonl", "release notes writer", "empty release notes returned as the result", "release-bot", s44_release_notes_empty),
    Scenario("40_oncall_page_acknowledged", "otel-sdk-json", "incident responder", "page acknowledged in 3 minutes (clean)", "sre-bot", s40_oncall_page_acknowledged),
]
