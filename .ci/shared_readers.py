"""Print the test files whose outcome can depend on ../shared, for CI's second pass.

A test reads ../shared only through ``tests/realdata.py`` (its paths, the ``formats_dir`` fixture of
``tests/conftest.py``) or ``tests/fuzz/seeds.py``; ``tests/test_house.py`` holds every other test file
to that (no test names ../shared or FORENSICS_SHARED itself). So the files that can behave differently
on a clone with nothing beside it are those that import one of them, directly or through a helper
module, or ask for the fixture. Every other test runs identically in both passes, and the first pass
has already run it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
#: The modules that read FORENSICS_SHARED, by the import names tests use for them.
ROOTS = {"realdata", "fuzz.seeds", "fuzz"}
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w, ()]+)|import\s+([\w.]+))", re.M)


def imported(text: str) -> set[str]:
    names: set[str] = set()
    for module, members, plain in IMPORT.findall(text):
        if plain:
            names.add(plain)
            continue
        names.add(module)
        names.update(f"{module}.{m.strip()}" for m in members.strip("()").split(",") if m.strip())
    return {n.removeprefix("tests.") for n in names}


def module_names(path: Path, tests: Path) -> set[str]:
    """The names a test imports the module by: dotted from tests/, or bare (pytest's rootdir
    insertion puts each test directory on sys.path)."""
    parts = [p for p in path.relative_to(tests).with_suffix("").parts if p != "__init__"]
    return {".".join(parts), parts[-1]}


def select(tests: Path = TESTS) -> list[Path]:
    """The test files under ``tests`` that read ../shared, directly or through a helper module."""
    files = sorted(p for p in tests.rglob("*.py") if "data" not in p.relative_to(tests).parts)
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    readers = set(ROOTS)
    changed = True
    while changed:  # helper modules that import a reader are readers too
        changed = False
        for path, text in texts.items():
            names = module_names(path, tests)
            if not names <= readers and imported(text) & readers:
                readers |= names
                changed = True
    return sorted(
        path
        for path, text in texts.items()
        if path.name.startswith("test_")
        and (imported(text) & readers or re.search(r"\bformats_dir\b", text))
    )


def main() -> int:
    selected = select()
    if not selected:
        print("shared_readers: no test file reads ../shared; the import scan is broken", file=sys.stderr)
        return 1
    print("\n".join(str(p.relative_to(TESTS.parent)) for p in selected))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
