"""A result's own verdict field: whose verdict a ``status`` is, the call's or a record's.

An API that answers HTTP 200 may still say in its body that the request failed: a payment API's
``{"status": "failed", "reason": "IBAN checksum invalid"}``, a job API's ``{"state": "FAILED"}``, a
card ``{"status": "declined"}``. The tool span ends OK (the request itself succeeded), so the body's
own verdict is the only evidence that the act did not happen (TAXONOMY error_as_data: ``"status":
"failed"``). ``ERROR_SHAPED`` reads ``"status": "failed|failure|error"`` on any result; here:

* a write's verdict (:data:`WRITE_VERDICT_FAILED`): on a side-effecting tool's result, the verdict
  keys ``status``, ``state``, ``result``, ``outcome``, ``resultCode`` (Adyen's /payments answers
  HTTP 200 with ``"resultCode": "Refused"`` and a ``refusalReason``) at the top of the body (no list before them)
  saying failed, rejected, declined, denied or invalid, in any case (``"FAILED"``: Databricks'
  and AWS' job states are upper case). A write's result is about the write: the thing it asked
  for was refused. "cancelled" is left out (a cancel_order's ``{"status": "cancelled"}`` is its
  success). Not the state the write itself asked to set (:func:`write_verdict_failed`): a triage
  agent's ``update_ticket(status="rejected")`` answered ``{"status": "rejected"}``, a CI agent's
  GitHub commit status ``{"state": "failure"}`` (AutoGPT ``backend/blocks/github/statuses.py``
  GithubCreateStatusBlock: the created status, echoed) is the write done;
* a record's status (:func:`record_status_only`): a read that lists things (a name that lists or
  searches, ``COLLECTION_TOOL``; or a read by the policy's ``tools.read_only``) whose only
  error-shaped part is a ``status`` field inside a list is a listing of records, some of which
  failed (``list_jobs`` -> ``{"jobs": [{"id": 1, "status": "failed"}, ...]}``): data about those
  records, not the call's verdict. The same rule the error object follows in ``ERROR_SHAPED``
  (not one inside a list: a log search's records with their own error objects are data). So too a
  write's result that states its own verdict before any list (:data:`OWN_VERDICT_STATED`, read by
  :func:`write_verdict_failed`): a payment scheduled, ``{"status": "scheduled", "recent_payments":
  [{"status": "failed"}, ...]}``, lists the account's past payments beside it;
* a record's state a read returned (:func:`record_state_read`): a read (not a side effect) of one
  thing's state, ``get_job_status`` -> ``{"job_id": "j_8812", "status": "failed"}``, answered the
  question asked: the job failed, the read did not. Its ``status`` is data about the record (a job,
  a run, a build: Airflow's and GitHub Actions' ``failed`` / ``failure``); only a write's own
  verdict is the call's failure. A read's ``"status": "error"`` stays the call's (JSend's error
  reply), and so does anything else error-shaped in the result.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import QP as _QP

#: A SQL write's result that is the database's command tag for no row changed: PostgreSQL's
#: CommandComplete tag is ``UPDATE rows`` / ``DELETE rows`` / ``INSERT oid rows`` (postgres
#: src/backend/tcop/cmdtag.c, protocol "CommandComplete"), which psycopg hands back as
#: ``cursor.statusmessage`` and a SQL tool that returns it as its result passes on as text:
#: ``"UPDATE 0"`` is a statement that matched nothing, the change not made. The whole result is the
#: tag (a row count inside a longer text is read by mass_updates, not here).
NO_ROWS_CHANGED: Final = r"^\s*(?:UPDATE|DELETE|MERGE)\s+0\s*$|^\s*INSERT\s+0\s+0\s*$"

#: A write's own verdict, before any list in its result, saying the write did not happen (the
#: verdict's word, where it has one: group 1).
#: Keys and values quoted as JSON writes them, or as a Python dict's repr does (QP): a tool returning
#: a dict reads ``{'state': 'FAILED', ...}`` in the OpenAI Agents SDK's export.
WRITE_VERDICT_FAILED: Final = (
    rf"(?i)^[^\[]*?{_QP}(?:status|state|result|outcome|resultCode|result_code){_QP}\s*:\s*{_QP}"
    rf"(failed|failure|error|errored|rejected|declined|denied|refused|invalid|unsuccessful){_QP}"
    rf"|^[^\[]*?'(?:success|ok)'\s*:\s*False\b"
)
#: A result that states its own verdict, whatever it says, before any list: the verdict keys of
#: WRITE_VERDICT_FAILED at the top of the body.
OWN_VERDICT_STATED: Final = rf"(?i)^[^\[]*?{_QP}(?:status|state|result|outcome|resultCode|result_code){_QP}\s*:"
#: The status field ERROR_SHAPED reads as a failure.
_STATUS_FAILED: Final = rf"(?i){_QP}status{_QP}\s*:\s*{_QP}(?:failed|failure|error){_QP}"
#: That field before any list: the result's own status, not a record's.
_OWN_STATUS_FAILED: Final = rf"(?i)^[^\[]*?{_QP}status{_QP}\s*:\s*{_QP}(?:failed|failure|error){_QP}"


def write_verdict_failed(out: pl.Expr, args: pl.Expr) -> pl.Expr:
    """``out`` (a write's result) holds its own failed verdict (WRITE_VERDICT_FAILED) and the
    write's arguments ``args`` did not ask for that very word (a quoted string, in JSON or in a
    call written as code): a state the write was asked to set, echoed back, is the write done."""
    word = out.str.extract(WRITE_VERDICT_FAILED, 1).str.to_lowercase()
    asked = args.str.to_lowercase().str.replace_all(r"[\\']", '"').str.contains(pl.format('"{}"', word), literal=True)
    return out.str.contains(WRITE_VERDICT_FAILED) & ~asked.fill_null(False)


#: A list the write asked to set, with something in it: its key (group 1). JSON or a Python dict's repr.
_ASKED_LIST: Final = rf"{_QP}([A-Za-z_][A-Za-z0-9_]*){_QP}\s*:\s*\[\s*(?:{_QP}[^\"'\\\s]|[0-9{{])"
#: A list the write's answer holds empty: its key (group 1).
_EMPTY_LIST: Final = rf"{_QP}([A-Za-z_][A-Za-z0-9_]*){_QP}\s*:\s*\[\s*\]"


def dropped_list_fields(out: pl.Expr, args: pl.Expr) -> pl.Expr:
    """A write that asked to set a list (``"assignees": ["mkovacs"]``) whose own answer holds that
    list empty (``"assignees": []``): the service dropped what it was asked to set and said nothing.
    GitHub's REST API does exactly this: "Only users with push access can set assignees for new
    issues. Assignees are silently dropped otherwise" (github/rest-api-description, issues/create
    and issues/add-assignees; labels and milestone alike), and answers 201 with the issue as it was
    made. The answer is the resource as stored, so an empty list under the key asked for is the
    field not set: the write did not do what it was told. Keys are compared by name (the answer's
    empty lists against the request's non-empty ones), whole-column (list intersection)."""
    asked = args.str.extract_all(_ASKED_LIST).list.eval(pl.element().str.extract(_ASKED_LIST, 1))
    empty = out.str.extract_all(_EMPTY_LIST).list.eval(pl.element().str.extract(_EMPTY_LIST, 1))
    return (asked.list.set_intersection(empty).list.len() > 0).fill_null(False)


#: A record's state a read returned: failed or failure (a job, a run, a build), not "error".
_STATE_FAILED: Final = rf"(?i){_QP}status{_QP}\s*:\s*{_QP}(?:failed|failure){_QP}"


#: A record's identifier with a value (``"id"``, ``"job_id"``, ``"runId"``): the result is a record.
_RECORD_ID: Final = rf"{_QP}(?:id|[A-Za-z]\w*_id|[a-z]\w*Id){_QP}\s*:\s*(?:{_QP}[^\"'\\\s]|[0-9])"


def record_state_read(out: pl.Expr, error_shaped: str) -> pl.Expr:
    """``out`` (a read's result) is a record (it carries its identifier: :data:`_RECORD_ID`) whose
    ``status`` is failed or failure, and nothing else in it is error-shaped (``error_shaped`` read
    again with those fields blanked): the state of the record read. A result with no identifier is
    the read's own reply (a search's ``{"status": "failed", "reason": "index read-only",
    "documents": []}``: the search failed)."""
    return (
        out.str.contains(_STATE_FAILED)
        & out.str.contains(_RECORD_ID)
        & ~out.str.replace_all(_STATE_FAILED, '"status": ""').str.contains(error_shaped)
    )


def record_status_only(out: pl.Expr, error_shaped: str) -> pl.Expr:
    """``out`` (a result) holds a failed ``status`` only inside a list, and nothing else in it is
    error-shaped (``error_shaped``, the ERROR_SHAPED pattern, read again with those fields
    blanked): a listing's records, some of them failed."""
    return (
        out.str.contains(_STATUS_FAILED)
        & ~out.str.contains(_OWN_STATUS_FAILED)
        & ~out.str.replace_all(_STATUS_FAILED, '"status": ""').str.contains(error_shaped)
    )
