"""CI's second pass (a fresh clone with nothing beside it) runs only the test files that can read
../shared, chosen by ``.ci/shared_readers.py``. That choice is sound only while every test reaches
../shared through ``tests/realdata.py`` or ``tests/fuzz/seeds.py``: these tests hold the suite to it
and check the selector on a tree of its own."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

TESTS = Path(__file__).resolve().parent
SELECTOR = TESTS.parent / ".ci" / "shared_readers.py"
#: The two modules allowed to know where ../shared is.
HOMES = {TESTS / "realdata.py", TESTS / "fuzz" / "seeds.py"}
#: Reading the variable, or building a path to ../shared, in code (not prose in a docstring).
REACHES_SHARED = re.compile(r"FORENSICS_SHARED|/\s*[\"']shared[\"']|[\"']\.\./shared")


def _selector() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_readers", SELECTOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_test_finds_shared_on_its_own() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{n}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        if path not in HOMES and path != Path(__file__).resolve() and "data" not in path.relative_to(TESTS).parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REACHES_SHARED.search(line)
    ]
    assert not offenders, (
        "these lines find ../shared without tests/realdata.py, so CI's second pass would not run their "
        "tests; import the path from realdata instead:\n" + "\n".join(offenders)
    )


def test_the_guard_catches_a_test_that_reads_the_variable() -> None:
    line = 'root = Path(os.environ.get("FORENSICS_SHARED", "..")) / "shared"'
    assert REACHES_SHARED.search(line)
    assert not REACHES_SHARED.search('return ctx.once("shared", make)')


def test_the_selector_follows_helpers_and_the_fixture(tmp_path: Path) -> None:
    (tmp_path / "realdata.py").write_text("FORMATS = 1\n")
    (tmp_path / "helper.py").write_text("from realdata import FORMATS\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_via_helper.py").write_text("from helper import FORMATS\n")
    (tmp_path / "test_direct.py").write_text("from realdata import FORMATS\n")
    (tmp_path / "test_fixture.py").write_text("def test_x(formats_dir):\n    pass\n")
    (tmp_path / "test_alone.py").write_text("import json\n")
    (tmp_path / "test_fuzz_seed.py").write_text("from fuzz.seeds import seeds_for\n")
    got = {p.relative_to(tmp_path).as_posix() for p in _selector().select(tmp_path)}
    assert got == {"sub/test_via_helper.py", "test_direct.py", "test_fixture.py", "test_fuzz_seed.py"}


@pytest.mark.parametrize("name", ["test_who_and_when.py", "test_sample_logs.py", "test_fuzz.py"])
def test_the_real_readers_are_selected(name: str) -> None:
    assert TESTS / name in _selector().select(TESTS)


def test_a_test_that_reads_nothing_is_left_to_the_first_pass() -> None:
    assert TESTS / "test_house.py" not in _selector().select(TESTS)
