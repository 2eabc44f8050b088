"""The CLI as a user runs it: real subprocesses, on sample_logs/, against SQLite and a real
PostgreSQL server; exit codes, idempotent reruns, --force, bad input, a SIGKILL mid-write and two
concurrent jobs.

Expected run ids come from ``sample_logs/labels.jsonl`` (the ground truth written with the
corpus), never from our own output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from forensics import store as st

sys.path.insert(0, str(Path(__file__).parents[1]))
import pg
import write_pause

pg_server = pg.pg_server
db_url = pg.db_url

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_logs"
OTLP_SAMPLES = sorted(SAMPLES.glob("*.otlp.json"))

COMMANDS = ["classify", "report", "formats", "sniff", "load", "evaluate", "synth"]


def labels() -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / "labels.jsonl").read_text().splitlines() if line.strip()]


def expected_runs(files: list[Path]) -> set[str]:
    names = {f.name for f in files}
    return {lab["run_id"] for lab in labels() if lab["file"] in names}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forensics.cli", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=timeout,
    )


def popen(*args: str, cwd: Path, pause: tuple[Path, float] | None = None) -> subprocess.Popen:
    """The CLI in its own process; ``pause=(flag, seconds)`` holds its write transaction open
    (tests/write_pause.py)."""
    launcher = ["-m", "forensics.cli"] if pause is None else [str(write_pause.SCRIPT), str(pause[0]), str(pause[1])]
    return subprocess.Popen(
        [sys.executable, *launcher, *args], cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )


def summary_of(proc: subprocess.CompletedProcess | tuple[str, str]) -> dict:
    stdout = proc.stdout if isinstance(proc, subprocess.CompletedProcess) else proc[0]
    return json.loads(stdout)


def copy_samples(dest: Path, files: list[Path]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, dest / f.name)
    return dest


def test_the_samples_these_tests_use_are_there():
    assert len(OTLP_SAMPLES) >= 4 and (SAMPLES / "labels.jsonl").exists()


# --- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, tmp_path):
    proc = cli(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: forensics {command}" in proc.stdout


def test_classify_help_documents_the_exit_codes(tmp_path):
    proc = cli("classify", "--help", cwd=tmp_path)
    text = " ".join(proc.stdout.split())
    assert "0 ok, 1 findings over --fail-on, 2 bad input (good files still stored), 3 internal error" in text
    for option in ("--format", "--policy", "--db", "--out", "--force", "--fail-on"):
        assert option in proc.stdout


# --- classify: store, Parquet, reruns ---------------------------------------------------------


def test_classify_stores_every_labeled_run_and_writes_parquet(db_url, tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES)
    proc = cli("classify", str(logs), "--db", db_url, "--out", str(tmp_path / "out"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = summary_of(proc)
    want = expected_runs(OTLP_SAMPLES)
    assert summary["status"] == "succeeded"
    assert summary["runs"] == len(want)
    assert {f["status"] for f in summary["files"]} == {"stored"}
    assert len(summary["files"]) == len(OTLP_SAMPLES)

    store = st.open_store(db_url)
    runs = st.read_runs(store)
    assert set(runs["run_id"].to_list()) == want
    assert runs.height == len(want)
    finds = st.read_findings(store)
    assert finds.height == summary["findings"]
    batch = st.get_batch(store, summary["batch_id"])
    assert batch["status"] == "succeeded"
    assert sorted(i["sha256"] for i in batch["inputs"]) == sorted(
        __import__("hashlib").sha256(f.read_bytes()).hexdigest() for f in OTLP_SAMPLES
    )
    store.close()

    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["findings.parquet", "quarantine.parquet", "runs.parquet",
                                                     "spans.parquet"]
    assert pq.read_table(out / "runs.parquet").num_rows == len(want)
    assert pq.read_table(out / "findings.parquet").num_rows == summary["findings"]
    spans = pq.read_table(out / "spans.parquet")
    assert set(spans.column("run_id").to_pylist()) == want


def test_rerun_into_a_new_out_writes_the_stored_results_and_says_so(tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES[:2])
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert cli("classify", str(logs), "--db", db, "--out", str(tmp_path / "a"), cwd=tmp_path).returncode == 0
    again = cli("classify", str(logs), "--db", db, "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    text = " ".join(again.stdout.split())
    assert "from the store: 2 input(s) already stored under this policy" in text and "--force" in text
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["findings.parquet", "quarantine.parquet",
                                                                   "runs.parquet", "spans.parquet"]
    assert pq.read_table(tmp_path / "b" / "spans.parquet").equals(pq.read_table(tmp_path / "a" / "spans.parquet"))


def test_rerun_stores_nothing_new_and_force_replaces_without_duplicates(db_url, tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES)
    first = cli("classify", str(logs), "--db", db_url, "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    store = st.open_store(db_url)
    before = st.table_counts(store)
    store.close()

    again = cli("classify", str(logs), "--db", db_url, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    s2 = summary_of(again)
    assert (s2["status"], s2["runs"], s2["findings"]) == ("skipped", 0, 0)
    assert {f["status"] for f in s2["files"]} == {"skipped"}
    store = st.open_store(db_url)
    after = st.table_counts(store)
    assert after["runs"] == before["runs"] and after["findings"] == before["findings"]
    assert after["batches"] == before["batches"] + 1
    store.close()

    forced = cli("classify", str(logs), "--db", db_url, "--force", "--json", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    s3 = summary_of(forced)
    assert s3["replaced_runs"] == before["runs"]
    assert s3["replaced_findings"] == before["findings"]
    store = st.open_store(db_url)
    runs = st.read_runs(store)
    assert runs.height == before["runs"]
    assert runs["run_id"].n_unique() == runs.height  # never duplicated
    assert runs["batch_id"].unique().to_list() == [s3["batch_id"]]
    assert st.table_counts(store)["findings"] == before["findings"]
    store.close()


def test_plain_text_summary_says_what_was_skipped(tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES[:2])
    db = str(tmp_path / "n.db")
    assert cli("classify", str(logs), "--db", db, cwd=tmp_path).returncode == 0
    proc = cli("classify", str(logs), "--db", db, cwd=tmp_path)
    assert proc.returncode == 0
    assert "inputs: 0 stored, 2 already stored" in proc.stdout
    assert "exit code 0" in proc.stdout
    # Not a terminal: no progress bars on stderr.
    assert "loading" not in proc.stderr


# --- bad input ---------------------------------------------------------------------------------


def make_bad_night(root: Path) -> tuple[Path, list[Path]]:
    good = OTLP_SAMPLES[:3]
    night = copy_samples(root / "night", good)
    # Corrupt: a real sample cut off mid-document.
    (night / "zz_truncated.otlp.json").write_bytes(OTLP_SAMPLES[3].read_bytes()[:700])
    (night / "zz_empty.json").write_bytes(b"")
    (night / "zz_unknown.json").write_text('{"hello": "world", "answer": 42}\n')
    # Huge (for --max-file-size 200KB): a valid OTLP document padded with whitespace.
    (night / "zz_huge.otlp.json").write_bytes(OTLP_SAMPLES[0].read_bytes() + b" " * 300_000)
    return night, good


def test_bad_input_exit_2_good_files_stored_each_problem_reported(db_url, tmp_path):
    night, good = make_bad_night(tmp_path)
    proc = cli("classify", str(night), "--db", db_url, "--max-file-size", "200KB", "--json", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    summary = summary_of(proc)
    problems = {Path(p["file"]).name: p["reason"] for p in summary["problems"] if p["level"] == "error"}
    assert problems == {
        "zz_truncated.otlp.json": "no-spans",
        "zz_empty.json": "empty",
        "zz_unknown.json": "unknown-format",
        "zz_huge.otlp.json": "too-large",
    }
    statuses = {Path(f["path"]).name: f["status"] for f in summary["files"]}
    assert {n: s for n, s in statuses.items() if s == "stored"} == {f.name: "stored" for f in good}
    # Each problem on stderr too, with the file.
    for name in problems:
        assert name in proc.stderr

    store = st.open_store(db_url)
    assert set(st.read_runs(store)["run_id"].to_list()) == expected_runs(good)
    batch = st.get_batch(store, summary["batch_id"])
    assert batch["status"] == "succeeded"
    assert {Path(p["file"]).name: p["reason"] for p in batch["problems"] if p["level"] == "error"} == problems
    recorded = {Path(i["path"]).name: i["status"] for i in batch["inputs"]}
    assert recorded["zz_empty.json"] == "failed"
    assert recorded[good[0].name] == "stored"
    store.close()


def test_unreadable_night_only_is_exit_2_and_batch_failed(tmp_path):
    night = tmp_path / "night"
    night.mkdir()
    (night / "a.json").write_text('{"not": "a log"}')
    db = tmp_path / "n.db"
    proc = cli("classify", str(night), "--db", str(db), "--json", cwd=tmp_path)
    assert proc.returncode == 2
    assert summary_of(proc)["status"] == "failed"
    store = st.open_store(str(db))
    assert st.read_batches(store)["status"].to_list() == ["failed"]
    assert st.table_counts(store)["runs"] == 0
    store.close()


def test_missing_path_is_reported_and_the_rest_still_runs(tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES[:1])
    proc = cli("classify", str(logs), str(tmp_path / "nope"), "--db", str(tmp_path / "n.db"), "--json",
               cwd=tmp_path)
    assert proc.returncode == 2
    summary = summary_of(proc)
    assert [p["reason"] for p in summary["problems"]] == ["not-found"]
    assert summary["runs"] == len(expected_runs(OTLP_SAMPLES[:1]))


# --- exit codes: --fail-on, store errors, internal errors ---------------------------------------


def test_fail_on_exit_1_when_findings_exceed_the_threshold(tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES)
    first = cli("classify", str(logs), "--db", str(tmp_path / "a.db"), "--fail-on", "0", "--json", cwd=tmp_path)
    summary = summary_of(first)
    assert summary["findings"] > 0  # the corpus's OTLP scenarios include failing runs
    assert first.returncode == 1
    assert summary["breaches"] == [f"findings: {summary['findings']} > 0"]
    # A generous threshold, and a class that did not fire: exit 0.
    ok = cli("classify", str(logs), "--db", str(tmp_path / "b.db"), "--fail-on", str(summary["findings"]),
             "--fail-on", "no_such_class=0", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    worst = max(summary["findings_by_class"], key=summary["findings_by_class"].get)
    n = summary["findings_by_class"][worst]
    per_class = cli("classify", str(logs), "--db", str(tmp_path / "c.db"), "--fail-on", f"{worst}={n - 1}",
                    cwd=tmp_path)
    assert per_class.returncode == 1
    assert f"--fail-on exceeded: {worst}: {n} > {n - 1}" in per_class.stdout


def test_bad_fail_on_and_unknown_format_are_exit_2_with_hint(tmp_path):
    proc = cli("classify", str(OTLP_SAMPLES[0]), "--fail-on", "lots", "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: --fail-on 'lots' is not N or CLASS=N")
    assert "Hint:" in proc.stderr
    sniffed = cli("sniff", str(REPO / "pyproject.toml"), cwd=tmp_path)
    assert sniffed.returncode == 2
    assert "Error:" in sniffed.stderr and "Hint:" in sniffed.stderr


def test_unreachable_store_is_exit_3_with_error_not_traceback(tmp_path):
    proc = cli("classify", str(OTLP_SAMPLES[0]), "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr.startswith("Error: cannot open the results store")
    assert "Traceback" not in proc.stderr


def test_unexpected_exception_is_exit_3_with_traceback_file(tmp_path):
    code = (
        "import sys\n"
        "from forensics import cli\n"
        "@cli.app.command()\n"
        "def boom() -> None:\n"
        "    raise ZeroDivisionError('deliberate')\n"
        "cli.main(['boom'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "FORENSICS_CRASH_DIR": str(tmp_path / "crash")})
    assert proc.returncode == 3
    assert "Internal error: ZeroDivisionError: deliberate" in proc.stderr
    crash = list((tmp_path / "crash").iterdir())
    assert len(crash) == 1
    assert "ZeroDivisionError: deliberate" in crash[0].read_text()
    assert str(crash[0]) in proc.stderr


# --- a SIGKILL mid-write, two jobs at once -------------------------------------------------------


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"exited early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        assert time.monotonic() < deadline, "never reached the pause"
        time.sleep(0.05)


def test_sigkill_midway_leaves_store_unchanged_and_batch_failed(db_url, tmp_path):
    first = copy_samples(tmp_path / "night1", OTLP_SAMPLES[:2])
    assert cli("classify", str(first), "--db", db_url, cwd=tmp_path).returncode == 0
    store = st.open_store(db_url)
    before = st.table_counts(store)
    runs_before = st.read_runs(store)["run_id"].to_list()
    store.close()

    second = copy_samples(tmp_path / "night2", OTLP_SAMPLES[2:])
    flag = tmp_path / "paused"
    job = popen("classify", str(second), "--db", db_url, "--out", str(tmp_path / "out"), cwd=tmp_path,
                pause=(flag, 600.0))
    _wait_for(flag, job)  # rows inserted, transaction open
    job.kill()
    job.wait()
    assert job.returncode == -9

    store = st.open_store(db_url)  # the next open notices the dead owner
    assert len(store.recovered) == 1
    after = st.table_counts(store)
    assert (after["runs"], after["findings"], after["batch_inputs"]) == (
        before["runs"], before["findings"], before["batch_inputs"])
    assert st.read_runs(store)["run_id"].to_list() == runs_before
    batch = st.get_batch(store, store.recovered[0])
    assert batch["status"] == "failed"
    assert f"process {job.pid}" in batch["error"]
    store.close()
    # Parquet is renamed into place only after the commit: no file that looks complete is there
    # (only hidden temporaries of the killed job).
    out = tmp_path / "out"
    assert not out.exists() or [p.name for p in out.iterdir() if not p.name.startswith(".")] == []

    # The next night's run picks the killed inputs up again.
    proc = cli("classify", str(second), "--db", db_url, "--json", cwd=tmp_path)
    assert proc.returncode == 0
    assert summary_of(proc)["runs"] == len(expected_runs(OTLP_SAMPLES[2:]))


def test_two_concurrent_jobs_on_overlapping_inputs_do_not_double_count(db_url, tmp_path):
    a_files, b_files = OTLP_SAMPLES[:3], OTLP_SAMPLES[1:]
    a_dir = copy_samples(tmp_path / "a", a_files)
    b_dir = copy_samples(tmp_path / "b", b_files)
    st.open_store(db_url).close()  # create the schema first: the race is on the data
    flag = tmp_path / "paused"
    # A holds its write transaction open for 10 s after inserting; B starts inside that window.
    a = popen("classify", str(a_dir), "--db", db_url, "--json", cwd=tmp_path,
              pause=(flag, 10.0))
    _wait_for(flag, a)
    b = popen("classify", str(b_dir), "--db", db_url, "--json", cwd=tmp_path)
    out_a = a.communicate(timeout=300)
    out_b = b.communicate(timeout=300)
    assert a.returncode == 0, out_a[1]
    assert b.returncode == 0, out_b[1]
    sa_, sb = summary_of(out_a), summary_of(out_b)
    overlap = {f.name for f in a_files} & {f.name for f in b_files}
    b_status = {Path(f["path"]).name: f["status"] for f in sb["files"]}
    # B either lost the claim race inside its transaction (claimed-elsewhere: the usual case, B
    # checked before A committed) or, on a slow machine, saw A's commit up front (skipped).
    assert {n for n, s in b_status.items() if s in ("claimed-elsewhere", "skipped")} == overlap
    assert {n for n, s in b_status.items() if s == "stored"} == {f.name for f in b_files} - overlap
    assert sa_["runs"] + sb["runs"] == len(expected_runs(OTLP_SAMPLES))

    store = st.open_store(db_url)
    runs = st.read_runs(store)
    assert set(runs["run_id"].to_list()) == expected_runs(OTLP_SAMPLES)
    assert runs["run_id"].n_unique() == runs.height
    assert st.table_counts(store)["batch_inputs"] == len(OTLP_SAMPLES)
    assert st.table_counts(store)["findings"] == sa_["findings"] + sb["findings"]
    store.close()


def test_two_jobs_started_together_store_each_input_once(tmp_path):
    db = str(tmp_path / "race.db")
    dirs = [copy_samples(tmp_path / f"j{i}", OTLP_SAMPLES) for i in range(2)]
    st.open_store(db).close()
    jobs = [popen("classify", str(d), "--db", db, "--json", cwd=tmp_path) for d in dirs]
    outs = [j.communicate(timeout=300) for j in jobs]
    assert [j.returncode for j in jobs] == [0, 0], [o[1] for o in outs]
    store = st.open_store(db)
    runs = st.read_runs(store)
    assert runs.height == len(expected_runs(OTLP_SAMPLES)) == runs["run_id"].n_unique()
    assert sorted(summary_of(o)["runs"] for o in outs) == [0, runs.height]
    store.close()


# --- formats, sniff, load ----------------------------------------------------------------------


def test_formats_lists_registered_loaders(tmp_path):
    from forensics.loaders import registry

    proc = cli("formats", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in registry.names():
        assert name in proc.stdout
        assert registry.get(name).sniffs.split()[0] in proc.stdout


def test_sniff_names_the_otlp_loader(tmp_path):
    proc = cli("sniff", str(OTLP_SAMPLES[0]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"{OTLP_SAMPLES[0]}: otlp-json" in proc.stdout


def test_load_prints_per_file_accounting(tmp_path):
    night, _good = make_bad_night(tmp_path)
    (night / "zz_huge.otlp.json").unlink()
    (night / "zz_empty.json").unlink()
    proc = cli("load", str(night), cwd=tmp_path)
    # The unknown-format file found by walking the directory is reported, not fatal: exit 2.
    assert proc.returncode == 2
    assert "zz_unknown.json" in proc.stderr
    assert "truncated=1" in proc.stdout  # the cut-off document is quarantined with its reason
    first = OTLP_SAMPLES[0].name
    assert first in proc.stdout


# --- evaluate, synth ---------------------------------------------------------------------------


def test_evaluate_against_the_labels_file(tmp_path):
    n_labels = len(labels())
    proc = cli("evaluate", str(SAMPLES), "--labels", str(SAMPLES / "labels.jsonl"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"labeled runs: {n_labels}; class sets exactly right: ")
    # From a results directory written by classify --out: runs not classified are listed as missing.
    out = tmp_path / "out"
    assert cli("classify", *map(str, OTLP_SAMPLES), "--db", str(tmp_path / "e.db"), "--out", str(out),
               cwd=tmp_path).returncode == 0
    stored = cli("evaluate", str(out), "--labels", str(SAMPLES / "labels.jsonl"), cwd=tmp_path)
    assert stored.returncode == 0, stored.stderr
    missing = n_labels - len(expected_runs(OTLP_SAMPLES))
    assert f"labeled runs not in the results: {missing} " in stored.stdout


def test_evaluate_reads_the_labels_before_the_logs(tmp_path, monkeypatch):
    """A wrong labels path fails at once (exit 2, naming it), not after a night of logs was loaded."""
    import importlib

    import forensics.cli as cli_module

    load_module = importlib.import_module("forensics.load")  # the package exports a function of that name

    def no_load(*args, **kwargs):
        raise AssertionError("the logs were loaded before the labels were read")

    monkeypatch.setattr(load_module, "load", no_load)
    with pytest.raises(SystemExit) as done:
        cli_module.main(["evaluate", str(SAMPLES), "--labels", str(tmp_path / "nope.jsonl")])
    assert done.value.code == 2


def test_synth_then_classify_stores_every_generated_run(tmp_path):
    target = tmp_path / "gen" / "night.otlp.jsonl"
    made = cli("synth", "40", "--out", str(target), "--format", "otlp-json", "--seed", "7", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    generated = {json.loads(x)["run_id"] for x in Path(f"{target}.labels.jsonl").read_text().splitlines() if x}
    assert len(generated) == 40
    proc = cli("classify", str(target), "--db", str(tmp_path / "g.db"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    store = st.open_store(str(tmp_path / "g.db"))
    assert set(st.read_runs(store)["run_id"].to_list()) == generated
    store.close()


def test_progress_bars_on_request_go_to_stderr(tmp_path):
    logs = copy_samples(tmp_path / "night", OTLP_SAMPLES[:2])
    proc = cli("classify", str(logs), "--db", str(tmp_path / "p.db"), "--progress", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "loading" in proc.stderr and "classifying" in proc.stderr
    assert json.loads(proc.stdout)["status"] == "succeeded"  # stdout stays machine-readable


# --- messages: one line per warning, hints that fit, plain usage, --version ---------------------


def _env_without_key() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "FORENSICS_REDACT_KEY"}


def test_version_prints_the_installed_version(tmp_path):
    from importlib.metadata import version

    proc = cli("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"forensics {version('agent-forensics')}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_uses_plain_usage_notation(command, tmp_path):
    text = cli(command, "--help", cwd=tmp_path).stdout
    for python_type in ("{", "<list", "<int", "<str>", "<path>", "range>", "list[str]"):
        assert python_type not in text, (command, python_type, text)


def test_help_names_each_value(tmp_path):
    text = cli("classify", "--help", cwd=tmp_path).stdout
    assert "Usage: forensics classify [OPTIONS] [PATHS...]" in text
    for shown in ("PATHS...  Log files", "-f, --format NAME", "--db URL", "--out DIR", "--workers N",
                  "--fail-on N|CLASS=N", "--max-file-size SIZE", "--engine local|spark"):
        assert shown in text, shown
    assert "Usage: forensics sniff [OPTIONS] FILE" in cli("sniff", "--help", cwd=tmp_path).stdout
    assert "--out FILE" in cli("load", "--help", cwd=tmp_path).stdout


def test_the_default_key_warning_is_one_line_in_classify_and_report(tmp_path):
    db = f"sqlite:///{tmp_path / 'w.db'}"
    env = _env_without_key()
    runs = [subprocess.run([sys.executable, "-m", "forensics.cli", *args], cwd=tmp_path, capture_output=True,
                           text=True, env=env, timeout=300)
            for args in (["classify", str(OTLP_SAMPLES[0]), "--db", db, "--out", str(tmp_path / "out")],
                         ["report", "--db", db, "--out", str(tmp_path / "report")])]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
        warned = [line for line in proc.stderr.splitlines() if "default key" in line]
        assert warned == ["Warning: redacting with the documented default key: placeholders can be checked "
                          "against guessed values. Set FORENSICS_REDACT_KEY to a per-deployment secret."]
        assert "RedactionKeyWarning" not in proc.stderr and "redact.py" not in proc.stderr
    keyed = cli("classify", str(OTLP_SAMPLES[0]), "--db", db, "--force", cwd=tmp_path,
                env={"FORENSICS_REDACT_KEY": "a-deployment-secret"})
    assert keyed.returncode == 0 and "Warning" not in keyed.stderr


def test_an_empty_file_gets_the_same_words_in_every_command(tmp_path):
    empty = tmp_path / "export.json"
    empty.write_bytes(b"")
    for args in (["load", str(empty)], ["sniff", str(empty)], ["classify", str(empty), "--db", str(tmp_path / "e.db")],
                 ["evaluate", str(empty), "--labels", str(SAMPLES / "labels.jsonl")]):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        said = " ".join(proc.stderr.split())
        assert "export.json: the file is empty (0 bytes)" in said, (args, said)  # shown relative to the cwd
        assert "Hint: check that the exporter finished writing it" in said, (args, said)
        assert "no registered loader" not in said and "--format" not in said, (args, said)


def test_a_hint_never_names_an_option_the_command_lacks(tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world", "answer": 42}\n')
    sniffed = cli("sniff", str(odd), cwd=tmp_path)
    assert sniffed.returncode == 2
    assert "format=" not in sniffed.stderr and "(CLI:" not in sniffed.stderr
    assert "`forensics load FILE --format NAME`" in sniffed.stderr  # sniff has no --format: name who does
    loaded = cli("load", str(odd), cwd=tmp_path)
    assert loaded.returncode == 2
    assert "format=" not in loaded.stderr and "Hint: pass --format with one of: `ag2-history`" in loaded.stderr
    classified = cli("classify", str(odd), "--db", str(tmp_path / "h.db"), cwd=tmp_path)
    assert classified.returncode == 2
    assert "format=" not in classified.stderr and "Hint: pass --format with one of: `ag2-history`" in classified.stderr
    spanlike = tmp_path / "spans.json"
    spanlike.write_text('[{"id": "a1", "name": "step", "start": 1700000000, "end": 1700000001, "parent": null}]\n')
    suggested = cli("sniff", str(spanlike), cwd=tmp_path)
    assert suggested.returncode == 2  # the fallback loader is suggested, by a command that can take it
    assert "`forensics load FILE --format auto-json`" in suggested.stderr and "format=" not in suggested.stderr


def test_a_file_that_yields_no_rows_is_exit_2_with_the_reason(tmp_path):
    cut = tmp_path / "cut.otlp.json"
    cut.write_bytes(OTLP_SAMPLES[0].read_bytes()[:700])  # one document, cut short: quarantined as truncated
    proc = cli("load", str(cut), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout
    assert "Error: cut.otlp.json: no rows: its one record was quarantined (truncated=1)" in proc.stderr
    assert "Hint: the table above lists them; if `otlp-json` is the wrong loader for this file, pass --format" \
        in proc.stderr
    assert "found: 0 runs (0 spans) in 0 of 1 file; 1 file gave no rows" in proc.stdout
    # Text is not a log either: refused by sniffing or read as nothing, it is never a success.
    readme = cli("load", str(REPO / "README.md"), cwd=tmp_path)
    assert readme.returncode == 2 and "README.md" in readme.stderr and "Hint:" in readme.stderr


def test_classify_on_a_missing_path_says_which_and_what_to_do(tmp_path):
    missing = tmp_path / "no-such-night"
    proc = cli("classify", str(missing), "--db", str(tmp_path / "m.db"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "inputs: 0 stored, 0 already stored, 0 stored by a concurrent job, 0 duplicate, 1 failed (1 not found)" \
        in proc.stdout
    assert f"Error (not-found): {missing}: no such file or directory" in proc.stderr
    assert f"Hint: check the path: relative paths start from the current directory, {tmp_path}" in proc.stderr


def test_load_says_how_many_runs_it_found_and_what_the_walk_skipped(tmp_path):
    logs = [p for p in SAMPLES.iterdir() if p.name[:2].isdigit()]
    want_runs = {lab["run_id"] for lab in labels()}
    proc = cli("load", str(SAMPLES), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = [line for line in proc.stdout.splitlines() if line.startswith("found: ")]
    assert len(found) == 1 and found[0].startswith(f"found: {len(want_runs)} runs (")
    assert found[0].endswith(f"spans) in {len(logs)} of {len(logs)} files")
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("Skipped ")]
    assert skipped == [f"Skipped 3 files in {SAMPLES} that are not logs: README.md (suffix not one of .json, "
                       ".jsonl, .ndjson, .gz, .parquet, .log, and no loader recognises its content); _scenarios.py "
                       "(name starts with _); labels.jsonl (ground-truth labels)"]


def test_spark_is_a_subcommand_and_python_m_forensics_spark_its_alias(tmp_path):
    """Spark's entry is `forensics spark` (one CLI: its options, messages, exit codes);
    `python -m forensics.spark` (what spark-submit runs) passes its arguments through to it."""
    proc = cli("spark", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for option in ("--dataset", "--date", "--db", "--policy", "--master", "--partitions", "--force"):
        assert option in proc.stdout
    alias = subprocess.run([sys.executable, "-m", "forensics.spark", "--help"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert alias.returncode == 0, alias.stderr
    assert alias.stdout == proc.stdout
    missing = cli("spark", cwd=tmp_path)  # --dataset is required: a usage error, exit 2
    assert missing.returncode == 2
    assert "--dataset" in missing.stderr
