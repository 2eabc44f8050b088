"""Pages sent as plain HTTP requests: the alerting APIs' own endpoints, read from the request.

An agent's tool may page on-call with an HTTP client whose span is all the log keeps of it: an
OpenTelemetry HTTP client span (httpx, requests, aiohttp instrumentations) named by its method,
with ``url.full`` and no body (preparation: ``call`` = ``{METHOD} {host}{path}``). The request's
own address says what it did: a POST to the PagerDuty Events API's enqueue endpoint sends an
alert event (PagerDuty developer docs, Events API v2 "Send an Alert Event":
``POST https://events.pagerduty.com/v2/enqueue``; pdpyras ``EventsAPISession``
``INTEGRATION_API_URL``; the v1 generic endpoint ``/generic/2010-04-15/create_event.json``), a POST
to the REST API's ``/incidents`` creates an incident (REST API v2 "Create an Incident"), a POST to
the Opsgenie Alert API's ``/v2/alerts`` creates an alert (Opsgenie Alert API "Create Alert"; the EU
host ``api.eu.opsgenie.com``). Each is an escalation to on-call that someone must acknowledge.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: The endpoints that open a page, as the request label reads them (``POST host/path``).
PAGE_REQUEST: Final = (
    r"(?i)^POST\s+(?:"
    r"events(?:\.eu)?\.pagerduty\.com/(?:v2/enqueue|generic/2010-04-15/create_event\.json)"
    r"|api(?:\.eu)?\.pagerduty\.com/incidents"
    r"|api(?:\.eu)?\.opsgenie\.com/v2/alerts"
    r")/?$"
)
#: A caller whose name says it acts on an alert already open (acknowledge, resolve, close, ...):
#: its Events API request is an acknowledge or resolve event, not a new page.
ON_EXISTING_ALERT: Final = r"(?i)ack|resol|clos|snooz|unassign|note|priorit|delet"


def http_pages(s: pl.LazyFrame, cols: tuple[str, ...]) -> pl.LazyFrame:
    """The HTTP requests of ``s`` that opened a page (``cols`` of each; of the tool call that made
    the request, where one did): a POST to an alerting
    API's create endpoint (PAGE_REQUEST), or a POST whose recorded body the conventions read as an
    incident triggered (``incident_state``), that succeeded, made by no caller named for acting on
    an open alert (ON_EXISTING_ALERT) and whose body does not say it acknowledged or resolved
    one."""
    post = pl.col("http_method").str.to_uppercase() == "POST"
    requests = s.filter(
        post.fill_null(False)
        & (pl.col("kind") != "llm")
        & ~pl.col("failed")
        & (
            pl.col("call").str.contains(PAGE_REQUEST).fill_null(False)
            | (pl.col("incident_state") == "triggered").fill_null(False)
        )
        & ~pl.col("incident_state").is_in(["acknowledged", "resolved"]).fill_null(False)
    )
    callers = s.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("call").alias("_caller"),
                       pl.col("kind").alias("_caller_kind"))
    # A request made inside a tool call is that call's doing: the tool span is the page (as
    # api_deletes judges a delete's request by its tool call).
    pages = (
        requests.join(callers, on=["run_id", "parent_id"], how="left")
        .filter(~pl.col("_caller").str.contains(ON_EXISTING_ALERT).fill_null(False))
        .select("run_id", pl.when(pl.col("_caller_kind") == "tool").then(pl.col("parent_id"))
                .otherwise(pl.col("span_id")).alias("span_id"))
    )
    return s.join(pages.unique(), on=["run_id", "span_id"], how="semi").select(cols)
