"""A classifier upgrade reclassifies what an older classifier stored; an unchanged one still skips.

The claim key is (content hash, policy version, classifier version), the version being the package
version plus a digest of what shapes results (forensics.classifier_version). Here the upgrade is
played by patching that function, as a new install would change its answer. On SQLite and on a real
PostgreSQL server (tests/pg.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import forensics.classifier_version as cv
from forensics import store as st
from forensics.nightly import classify_paths

sys.path.insert(0, str(Path(__file__).parents[1]))
import pg

pg_server = pg.pg_server
db_url = pg.db_url

REPO = Path(__file__).resolve().parents[2]
OTLP = [str(p) for p in sorted((REPO / "sample_logs").glob("*.otlp.json"))[:2]]


@pytest.fixture(autouse=True)
def _redaction_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORENSICS_REDACT_KEY", "test-key")


def _stored(db: str) -> tuple[dict[str, int], set[str | None]]:
    store = st.open_store(db)
    try:
        return st.table_counts(store), set(st.read_runs(store)["classifier_version"].to_list())
    finally:
        store.close()


def _upgrade(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    monkeypatch.setattr(cv, "classifier_version", lambda: version)


def test_the_digest_covers_what_shapes_results_and_not_the_rest() -> None:
    files = {p.relative_to(cv._PACKAGE).as_posix() for p in cv._shaping_files()}
    assert {"detectors/registry.py", "finalize.py", "conventions/registry.py", "loaders/otlp_json.py",
            "attribution/runner.py", "policy.py"} <= files
    assert not any(f.startswith(("cli/", "store/", "charts/", "report/", "migrations/")) for f in files)
    assert cv.classifier_version().startswith("0.") and len(cv.classifier_digest()) == 12


def test_an_upgraded_classifier_reclassifies_and_an_unchanged_one_skips(db_url, monkeypatch):
    first = classify_paths(OTLP, db=db_url)
    assert first.status == "succeeded" and first.reclassified == {}
    before, versions = _stored(db_url)
    assert versions == {first.classifier_version} == {cv.classifier_version()}

    same = classify_paths(OTLP, db=db_url)  # unchanged classifier: nothing classified again
    assert {f.status for f in same.files} == {"skipped"} and same.reclassified == {}

    _upgrade(monkeypatch, "9.9.9+upgraded0000")
    upgraded = classify_paths(OTLP, db=db_url)
    assert {f.status for f in upgraded.files} == {"stored"}
    assert upgraded.reclassified == {p: first.classifier_version for p in OTLP}
    assert (upgraded.replaced_runs, upgraded.replaced_findings) == (first.runs, first.findings)
    after, versions = _stored(db_url)
    assert versions == {"9.9.9+upgraded0000"}
    # Replaced, not added: the same number of claims, runs and findings; one batch more per rerun.
    assert {k: after[k] for k in ("batch_inputs", "runs", "findings")} == \
        {k: before[k] for k in ("batch_inputs", "runs", "findings")}
    store = st.open_store(db_url)
    try:
        assert st.get_batch(store, upgraded.batch_id)["classifier_version"] == "9.9.9+upgraded0000"
        assert set(st.read_findings(store)["classifier_version"].to_list()) == {"9.9.9+upgraded0000"}
    finally:
        store.close()

    again = classify_paths(OTLP, db=db_url)  # the upgraded classifier, unchanged since: skips
    assert {f.status for f in again.files} == {"skipped"} and again.reclassified == {}


def test_a_reclassification_that_fails_before_commit_leaves_the_older_rows_whole(db_url, monkeypatch):
    from forensics.store import batch_writes

    first = classify_paths(OTLP, db=db_url)
    before, _ = _stored(db_url)
    _upgrade(monkeypatch, "9.9.9+upgraded0000")

    def crash() -> None:
        raise RuntimeError("killed between the inserts and the commit")

    monkeypatch.setattr(batch_writes, "before_commit", crash)
    with pytest.raises(RuntimeError):
        classify_paths(OTLP, db=db_url)
    after, versions = _stored(db_url)
    assert versions == {first.classifier_version}  # the old rows, all of them, nothing half-replaced
    assert {k: after[k] for k in ("batch_inputs", "runs", "findings")} == \
        {k: before[k] for k in ("batch_inputs", "runs", "findings")}

    monkeypatch.setattr(batch_writes, "before_commit", batch_writes._nothing_before_commit)
    retried = classify_paths(OTLP, db=db_url)  # still not done by the new classifier: done now
    assert retried.reclassified == {p: first.classifier_version for p in OTLP}
    assert _stored(db_url)[1] == {"9.9.9+upgraded0000"}


def test_the_cli_says_why_inputs_were_reclassified(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from forensics.cli import app

    db = str(tmp_path / "c.db")
    runner = CliRunner()
    env = {"FORENSICS_REDACT_KEY": "test-key"}
    done = runner.invoke(app, ["classify", OTLP[0], "--db", db, "--no-progress"], env=env)
    assert done.exit_code == 0, done.output
    old = cv.classifier_version()
    assert f"classifier: {old}" in done.output and "reclassified" not in done.output
    _upgrade(monkeypatch, "9.9.9+upgraded0000")
    done = runner.invoke(app, ["classify", OTLP[0], "--db", db, "--no-progress"], env=env)
    assert done.exit_code == 0, done.output
    line = next(x for x in done.output.splitlines() if x.startswith("reclassified: "))
    assert line.startswith(f"reclassified: 1 input(s) stored under this policy by another classifier (1 by {old}); "
                           "this is classifier 9.9.9+upgraded0000")
    assert "inputs: 1 stored, 0 already stored" in done.output


def test_the_spark_store_path_reclassifies_too(tmp_path, monkeypatch):
    """``forensics spark --db`` stores a dataset's classification through the same claims (no JVM
    needed here: store_classification takes a classification made on this machine)."""
    import forensics
    from forensics import dataset as D
    from forensics.spark import store_classification

    root = tmp_path / "ds"
    D.append_load(forensics.load(OTLP), root, redact=False)
    result = D.classify_dataset(root)
    db = str(tmp_path / "s.db")
    first = store_classification(result, db, root=root)
    assert (first["status"], first["reclassified"]) == ("succeeded", 0)
    assert store_classification(result, db, root=root)["status"] == "skipped"
    _upgrade(monkeypatch, "9.9.9+upgraded0000")
    upgraded = store_classification(result, db, root=root)
    assert (upgraded["status"], upgraded["reclassified"], upgraded["runs"]) == ("succeeded", len(OTLP), first["runs"])
    assert upgraded["classifier_version"] == "9.9.9+upgraded0000"
    assert _stored(db)[1] == {"9.9.9+upgraded0000"}
