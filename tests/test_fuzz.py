"""Coverage-guided fuzzing of every registered loader, for a bounded time (CI runs it; slow).

``$FORENSICS_FUZZ_SECONDS`` (default 90) is the wall-time budget for all loaders together: one
libFuzzer process fuzzes every registered loader (an input's first byte picks the loader), so the
seconds of start-up are paid once (tests/fuzz/run.py ``fuzz_all``). A crash or oracle breach fails
the test with the reproducer's path (under pytest's temporary directory, decoded into a file for
its loader) and the loader's traceback; docs/FUZZING.md says how to keep it as a regression in
tests/fuzz_regressions/.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import pytest
from fuzz import run
from fuzz.oracle import OracleViolation, check_file

from forensics.loaders import names, registry

pytestmark = pytest.mark.slow



@pytest.fixture(autouse=True)
def _atheris() -> None:
    # In a fixture, not at import: `pytest -m "not slow"` must still collect this module without it.
    if importlib.util.find_spec("atheris") is None:
        if sys.platform == "linux":  # atheris ships wheels for Linux: its absence is a broken install
            pytest.fail("atheris is not installed; pip install 'atheris==3.0.0' (part of the dev extra)", pytrace=False)
        pytest.skip("atheris ships wheels for Linux only")


BUDGET_SECONDS = float(os.environ.get("FORENSICS_FUZZ_SECONDS", "90"))


def test_fuzzing_every_registered_loader_finds_nothing(tmp_path: Path) -> None:
    stats = run.fuzz_all(BUDGET_SECONDS, tmp_path)
    assert not stats.failed, (
        "the fuzzer broke a loader; keep the `.<loader>.input` reproducer as tests/fuzz_regressions/<loader>/<name> "
        "with a <name>.note line (docs/FUZZING.md), fix it, then re-run:\n" + stats.failure())
    assert stats.executions >= stats.seeds and stats.coverage > 0, "the fuzzer did not run"
    assert sorted(stats.per_loader) == names()
    idle = [loader for loader, n in stats.per_loader.items() if n == 0]
    assert not idle, f"no input reached {idle} in {stats.executions:,} executions"


CANARY = '''
from forensics.loaders.base import Loader


class CanaryLoader(Loader):
    """Crashes on any record that is not exactly its seed: the fuzzer must find that at once."""

    name = "fuzz-canary"
    description = "a deliberately broken loader"
    sniffs = "nothing"

    def sniff(self, sample):
        return 0.0

    def read(self, source, sink):
        for line, value in source.records():
            if isinstance(value, dict) and value.get("n") != 1:
                raise KeyError("canary")
            sink.quarantine(line, "canary", "not a span", value)
'''


def test_a_crashing_loader_is_caught_and_its_input_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fuzzer itself must be able to fail: a loader that crashes on any changed record is found
    # within seconds, the run reports it, and the kept input reproduces the crash through the oracle.
    (tmp_path / "fuzz_canary.py").write_text(textwrap.dedent(CANARY))
    seed_dir = tmp_path / "seed"
    seed_dir.mkdir()
    (seed_dir / "one.json").write_text('{"n": 1}\n')
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    [stats] = run.fuzz(["fuzz-canary"], 30, tmp_path / "work", plugins="fuzz_canary:CanaryLoader",
                       extra_seeds=seed_dir)
    assert stats.failed and len(stats.artifacts) == 1, stats.failure()
    assert stats.artifacts[0].name.startswith("crash-")
    assert "KeyError: 'canary'" in stats.failure()
    monkeypatch.syspath_prepend(str(tmp_path))
    from fuzz_canary import CanaryLoader

    registry.register(CanaryLoader)
    try:
        with pytest.raises(OracleViolation, match="InternalError"):
            check_file(stats.artifacts[0], "fuzz-canary")
    finally:
        registry.unregister("fuzz-canary")
