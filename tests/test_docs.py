"""The README is the product's front door: it documents every column and every registered format."""

from __future__ import annotations

import re
from pathlib import Path

from forensics.loaders import names
from forensics.schema import SPAN_SCHEMA, column_docs

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


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
