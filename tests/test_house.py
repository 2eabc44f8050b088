"""The house rules of issue 16, checked over the whole package: rooms of one job (no module over 600
lines), and registries instead of if/elif chains or dict lookups over detector or format names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from forensics.detectors import get as get_detector
from forensics.detectors import names as detector_names
from forensics.loaders import get as get_loader
from forensics.loaders import names as loader_names
from forensics.synth.writers import WRITERS

PACKAGE = Path(__file__).resolve().parents[1] / "forensics"
MAX_LINES = 600

#: Modules still over the limit, each with who is splitting it. This list is what remains of issue 16's
#: "rooms of one job": delete a line when its module is split (the test then holds it to the limit).
STILL_TOO_LONG: dict[str, str] = {
}

#: Where a detector or format name may decide what code does: the registries themselves, and the
#: conventions, which are by design the one place that knows what each framework's signals mean.
NAME_HOMES = ("registry.py", "loaders/registry.py", "detectors/registry.py", "conventions/")

#: Known branches over names still to move into a registry (path -> why it is still there).
NAME_BRANCHES_LEFT: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_no_module_is_over_600_lines_except_the_ones_being_split() -> None:
    too_long = {}
    for path in _modules():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and _rel(path) not in STILL_TOO_LONG:
            too_long[_rel(path)] = n
    assert not too_long, (
        f"modules over {MAX_LINES} lines (split them by job, not by size): {too_long}"
    )


def test_the_limit_catches_a_long_module(tmp_path: Path) -> None:
    # The near miss and the hit of the line count itself.
    (tmp_path / "ok.py").write_text("x = 1\n" * MAX_LINES)
    (tmp_path / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    counts = {p.name: len(p.read_text().splitlines()) for p in tmp_path.glob("*.py")}
    assert [n for n, c in counts.items() if c > MAX_LINES] == ["long.py"]


def _names() -> set[str]:
    return set(detector_names()) | set(loader_names()) | set(WRITERS.names())


def _own_names(path: Path) -> set[str]:
    """The names a module registers itself (a loader may mention its own format's name)."""
    module = "forensics." + _rel(path).removesuffix(".py").replace("/", ".")
    own = {n for n in loader_names() if get_loader(n).__module__ == module}
    own |= {n for n in detector_names() if get_detector(n).__module__ == module}
    own |= {n for n in WRITERS.names() if module.endswith(".writers." + n.replace("-", "_"))}
    return own


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    return []


def name_branches(source: str, names: set[str]) -> list[tuple[int, list[str]]]:
    """Lines where code compares something with a detector or format name (``x == "stall"``,
    ``fmt in ("langfuse", "jsonl")``) or builds a dict keyed by two or more of them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        hits: list[str] = []
        if isinstance(node, ast.Compare):
            hits = [s for side in (node.left, *node.comparators) for s in _strings(side) if s in names]
        elif isinstance(node, ast.Dict):
            keys = [s for k in node.keys if k is not None for s in _strings(k) if s in names]
            hits = keys if len(keys) >= 2 else []
        if hits:
            found.append((node.lineno, sorted(set(hits))))
    return sorted(found)


def test_no_branches_over_detector_or_format_names_outside_the_registries() -> None:
    names = _names()
    offenders = {}
    for path in _modules():
        rel = _rel(path)
        if rel in NAME_BRANCHES_LEFT or rel in NAME_HOMES or rel.startswith(NAME_HOMES[-1]):
            continue
        hits = name_branches(path.read_text(encoding="utf-8"), names - _own_names(path))
        if hits:
            offenders[rel] = hits
    assert not offenders, (
        "code that decides by a detector's or format's name belongs in its registry entry "
        f"(a class attribute, a registered function): {offenders}"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('if inject == "stall":\n    pass\n', [(1, ["stall"])]),
        ('ok = fmt in ("langfuse", "jsonl")\n', [(1, ["jsonl", "langfuse"])]),
        ('SUFFIX = {"langfuse": ".json", "jsonl": ".log"}\n', [(1, ["jsonl", "langfuse"])]),
        # Near misses: a name as a value, a single-key dict, a comparison with another string.
        ('name = "stall"\nLABEL = {"stall": 1}\nok = x == "stalled"\n', []),
    ],
)
def test_the_name_scan_finds_branches_and_only_branches(source: str, expected: list[tuple[int, list[str]]]) -> None:
    assert name_branches(source, {"stall", "langfuse", "jsonl"}) == expected
