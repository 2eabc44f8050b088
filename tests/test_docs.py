"""The README is the product's front door: it documents every column and every registered format, and
every Python example in it and in docs/ runs (or is marked, with the reason, as one that cannot run here)."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from forensics.loaders import names
from forensics.schema import SPAN_SCHEMA, column_docs

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / "README.md").read_text()


def test_readme_documents_every_span_column_with_its_schema_doc() -> None:
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| (.+?) \|$", README, flags=re.MULTILINE))
    for column, doc in column_docs(SPAN_SCHEMA).items():
        assert column in rows, f"README's span table lacks `{column}`"
        assert rows[column] == doc, f"README's doc for `{column}` differs from schema.py"


def test_readme_lists_every_registered_format() -> None:
    for name in names():
        assert f"| `{name}` |" in README, f"README's format table lacks `{name}`"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    blocks = re.findall(r"```bash\n(.+?)\n```", README, flags=re.DOTALL)
    assert len(blocks) >= 2
    main_job, test_command = blocks[0], blocks[1]
    assert "forensics classify sample_logs/" in main_job
    assert "pytest" in test_command
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert test_command in ci, ".ci/run must run the README's test command verbatim"


def test_readme_lists_every_sample_incident() -> None:
    sample_dir = Path(__file__).resolve().parents[1] / "sample_logs"
    files = [p.name for p in sample_dir.iterdir() if p.name[:2].isdigit()]
    assert files, "no sample incidents found"
    for name in files:
        assert f"`{name}`" in README, f"README's sample table lacks {name}"


# --- every code example runs -------------------------------------------------------------------

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
NOT_RUN = re.compile(r"^<!-- not-run: (?P<why>.+?) -->$")

#: The Python examples that cannot run here, each marked ``<!-- not-run: why -->`` in its file:
#: (file, first line). A new one must be added here on purpose; a marked block still has its
#: imports run and every ``module.name(`` it mentions checked (below).
NOT_RUN_HERE = {
    ("docs/ARCHITECTURE.md", "class Loader:                      # forensics/loaders/base.py"),
    ("docs/DATASET_AND_SPARK.md", "from forensics import dataset"),
    ("docs/DATASET_AND_SPARK.md", "from forensics import spark"),
    ("docs/NIGHTLY.md", "from forensics.store import open_store, read_runs, read_findings, read_batches"),
    ("docs/REDACTION.md", "from forensics.redact import ("),
    ("README.md", "from opentelemetry import trace"),
}


@dataclass(frozen=True)
class Example:
    doc: str  # path relative to the repository
    line: int  # of the opening fence
    code: str
    not_run: str | None  # why, when marked

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def python_examples() -> list[Example]:
    """Every fenced ```python block of README.md and docs/*.md, with its not-run mark if any."""
    found = []
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        i = 0
        while i < len(lines):
            if lines[i].strip() == "```python":
                end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
                before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
                mark = NOT_RUN.match(before.strip())
                found.append(Example(doc.relative_to(REPO_ROOT).as_posix(), i + 1, "\n".join(lines[i + 1:end]) + "\n",
                                     mark["why"] if mark else None))
                i = end
            i += 1
    return found


EXAMPLES = python_examples()
RUNNABLE = [e for e in EXAMPLES if e.not_run is None]


def test_the_docs_hold_python_examples_and_the_not_run_ones_are_the_listed_ones() -> None:
    assert any(e.doc == "README.md" for e in RUNNABLE), "the README's notebook example is not found"
    marked = {(e.doc, e.code.splitlines()[0]) for e in EXAMPLES if e.not_run is not None}
    assert marked == NOT_RUN_HERE, "a block was marked not-run (or unmarked): update NOT_RUN_HERE on purpose"
    for e in EXAMPLES:
        assert e.not_run is None or len(e.not_run) > 20, f"{e}: say why it cannot run here"


@pytest.mark.parametrize("example", RUNNABLE, ids=str)
def test_every_python_example_runs_on_the_bundled_samples(example: Example, tmp_path: Path) -> None:
    # Paths in the examples are relative to the repository root; run from a directory that links
    # its entries, so whatever an example writes (timeline.png) lands in tmp_path, not the checkout.
    for entry in REPO_ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    script = tmp_path / "example.py"
    script.write_text(example.code)
    env = {k: v for k, v in os.environ.items() if k != "FORENSICS_REDACT_KEY"}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, f"{example} failed:\n{example.code}\n{proc.stderr[-3000:]}"


def _imports(code: str) -> dict[str, Any]:
    """What the import statements of a block bind (the block itself may be a signature list, not
    valid Python): a renamed module or function fails here."""
    statements = re.findall(r"^(?:from \S+ import \([^)]*\)|from \S+ import [^\n]+|import [^\n]+)", code,
                            flags=re.MULTILINE)
    names: dict[str, Any] = {}
    for node in ast.parse("\n".join(statements)).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                names[alias.asname or alias.name] = (getattr(module, alias.name, None)
                                                     or importlib.import_module(f"{node.module}.{alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = importlib.import_module(alias.name)
    return names


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.not_run is not None], ids=str)
def test_examples_that_cannot_run_here_still_name_what_exists(example: Example) -> None:
    names = _imports(example.code)
    modules = {k: v for k, v in names.items() if isinstance(v, types.ModuleType)}
    for module, attribute in re.findall(r"\b(\w+)\.(\w+)\(", example.code):
        if module in modules:
            assert hasattr(modules[module], attribute), f"{example}: {module}.{attribute} does not exist"
    outline = re.search(r"^class (\w+):\s+# (forensics/\S+)\.py", example.code, flags=re.MULTILINE)
    if outline:  # an interface outline: every attribute and method it lists exists on the real class
        real = getattr(importlib.import_module(outline[2].replace("/", ".")), outline[1])
        members = re.findall(r"^    (?:def )?(\w+)[:(]", example.code, flags=re.MULTILINE)
        assert members
        for member in members:
            assert hasattr(real, member) or member in getattr(real, "__annotations__", {}), \
                f"{example}: {outline[1]}.{member} does not exist"
    assert names or outline, f"{example}: nothing in it was checked"
