"""Intake: THE "already stored" decision (skip_already_stored), asked by the file path and the
Spark path alike, and nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

from forensics import store as st
from forensics.nightly.intake import FileOutcome, skip_already_stored
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA

REPO = Path(__file__).resolve().parents[2]
POLICY = "default 1.0 sha256:abc"


def _store_one(store: st.Store, path: str, sha: str) -> int:
    handle = st.start_batch(store, policy_version=POLICY)
    inputs = [st.InputFile(path=path, sha256=sha)]
    res = st.write_batch(handle, runs_table=RUN_SCHEMA.empty_table(), findings_table=FINDING_SCHEMA.empty_table(),
                         inputs=inputs)
    assert res.stored_inputs == (path,)
    return handle.id


def test_stored_input_is_skipped_under_its_policy_only_and_force_skips_nothing(tmp_path):
    store = st.open_store(str(tmp_path / "s.db"))
    batch_id = _store_one(store, "/logs/a.json", "a" * 64)
    night = [FileOutcome("/logs/a-again.json", "a" * 64, 10), FileOutcome("/logs/b.json", "b" * 64, 10),
             FileOutcome("/logs/c.json", "a" * 64, 10, status="duplicate"), FileOutcome("/logs/d.json", None, None,
                                                                                         status="failed")]
    marked, done = skip_already_stored(store, night, POLICY)
    assert [o.status for o in marked] == ["skipped", "pending", "duplicate", "failed"]
    assert done == {"a" * 64: batch_id}
    # Another policy version: nothing of it is stored yet.
    other, none = skip_already_stored(store, night, "default 2.0 sha256:def")
    assert [o.status for o in other][:2] == ["pending", "pending"] and none == {}
    forced, nothing = skip_already_stored(store, night, POLICY, force=True)
    assert [o.status for o in forced][:2] == ["pending", "pending"] and nothing == {}
    # The same decision for the store's own inputs (the Spark path's dataset sources).
    dataset_inputs = [st.InputFile(path="src-1", sha256="a" * 64, format="dataset"),
                      st.InputFile(path="src-2", sha256="c" * 64, format="dataset")]
    marked_inputs, _ = skip_already_stored(store, dataset_inputs, POLICY)
    assert [i.status for i in marked_inputs] == ["skipped", "pending"]
    store.close()


def test_no_other_module_asks_the_store_whether_an_input_was_stored():
    """One home for the decision: only nightly/intake.py calls ``stored_hashes`` (the store's
    claim at commit time is the race-free half of the same decision)."""
    callers = sorted(str(p.relative_to(REPO)) for p in (REPO / "forensics").rglob("*.py")
                     if re.search(r"\bstored_hashes\(", p.read_text()) and p.parent.name != "store")
    assert callers == ["forensics/nightly/intake.py"]


