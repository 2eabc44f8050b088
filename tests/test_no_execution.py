"""Log content never reaches eval, exec, pickle, a shell, an unsafe YAML loader or string-built SQL.

Two halves: a static walk over the AST of every module in ``forensics/`` (so a new module cannot
add such a call unnoticed), and a behavioural run that feeds payloads built to execute (shell
substitutions, Python expressions, YAML and pickle gadgets, template expressions) through load,
classify and redact while every dangerous entry point is replaced by a recorder, then checks that
none was called, no canary file appeared and the payloads come out as plain text.
"""

from __future__ import annotations

import ast
import base64
import builtins
import json
import os
import pickle  # the test builds a pickle gadget to prove the package never unpickles log content
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "forensics"

#: Explicit exceptions, each with why it is safe: (path relative to forensics/, check, source
#: snippet that must appear in the flagged line). Empty today; add entries here, never loosen a check.
ALLOWED: tuple[tuple[str, str, str], ...] = ()

_DANGEROUS_BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint"}
_UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "jsonpickle"}
_OS_SHELL = {"system", "popen", "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
             "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "posix_spawn",
             "posix_spawnp"}
_SQL_SINKS = {"text", "execute", "exec_driver_sql", "executemany", "executescript", "sql", "query"}


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    check: str
    source: str

    def __str__(self) -> str:
        return f"forensics/{self.path}:{self.line}: {self.check}: {self.source.strip()}"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _string_built(node: ast.AST) -> bool:
    """An f-string, `"..." % x`, `"...".format(...)` or a `+` with a non-constant side."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return True
    return False


def _checks(call: ast.Call) -> Iterator[str]:
    name = _dotted(call.func)
    last = name.rsplit(".", 1)[-1]
    if isinstance(call.func, ast.Name) and call.func.id in _DANGEROUS_BUILTINS:
        yield f"builtin {call.func.id}()"
    if name.startswith("os.") and last in _OS_SHELL:
        yield f"{name}()"
    if name in {"subprocess.getoutput", "subprocess.getstatusoutput", "pty.spawn", "commands.getoutput"}:
        yield f"{name}() runs a shell"
    shell = _kw(call, "shell")
    if shell is not None and not (isinstance(shell, ast.Constant) and shell.value is False):
        yield f"{name}(shell=...)"
    if name in {"yaml.load", "yaml.load_all"}:
        loader = _kw(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
        if loader is None or _dotted(loader).rsplit(".", 1)[-1] not in {"SafeLoader", "CSafeLoader"}:
            yield f"{name}() without SafeLoader"
    if name in {"yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"}:
        yield f"{name}()"
    if last in {"read_pickle", "to_pickle"} or (last == "load" and name.startswith("torch.")):
        yield f"{name}() unpickles"
    allow_pickle = _kw(call, "allow_pickle")
    if allow_pickle is not None and not (isinstance(allow_pickle, ast.Constant) and allow_pickle.value is False):
        yield f"{name}(allow_pickle=...)"
    if last in _SQL_SINKS and call.args and _string_built(call.args[0]):
        yield f"{name}() with SQL built from a string expression (use bound parameters)"


def scan(path: Path, root: Path = PACKAGE) -> list[Hit]:
    rel = str(path.relative_to(root))
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    hits = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        found: list[str] = []
        if isinstance(node, ast.Call):
            found = list(_checks(node))
        elif isinstance(node, ast.Import):
            found = [f"import {a.name}" for a in node.names if a.name.split(".")[0] in _UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _UNSAFE_MODULES:
            found = [f"from {node.module} import ..."]
        for check in found:
            line = getattr(node, "lineno", 0)
            hit = Hit(rel, line, check, lines[line - 1] if line else "")
            if not any(a[0] == rel and a[1] == check and a[2] in hit.source for a in ALLOWED):
                hits.append(hit)
    return hits


def test_the_package_has_modules_to_scan() -> None:
    names = {str(p.relative_to(PACKAGE)) for p in _modules()}
    assert {"load.py", "redact/engine.py", "schema.py", "store/batch_writes.py"} <= names


def test_no_eval_exec_pickle_shell_unsafe_yaml_or_string_sql_in_the_package() -> None:
    hits = [h for p in _modules() for h in scan(p)]
    assert not hits, "dangerous calls in the package:\n" + "\n".join(map(str, hits))


@pytest.mark.parametrize(
    ("snippet", "check"),
    [
        ("eval(x)", "builtin eval()"),
        ("exec(code)", "builtin exec()"),
        ("import pickle", "import pickle"),
        ("from dill import loads", "from dill import ..."),
        ("os.system(cmd)", "os.system()"),
        ("subprocess.run(cmd, shell=True)", "subprocess.run(shell=...)"),
        ("subprocess.Popen(cmd, shell=flag)", "subprocess.Popen(shell=...)"),
        ("yaml.load(text)", "yaml.load() without SafeLoader"),
        ("yaml.load(text, Loader=yaml.FullLoader)", "yaml.load() without SafeLoader"),
        ("pd.read_pickle(p)", "pd.read_pickle() unpickles"),
        ("np.load(p, allow_pickle=True)", "np.load(allow_pickle=...)"),
        ("conn.execute(f'select * from t where id = {x}')", "conn.execute() with SQL built"),
        ("sa.text('delete from t where id = %s' % x)", "sa.text() with SQL built"),
        ("cur.execute('select {}'.format(x))", "cur.execute() with SQL built"),
    ],
)
def test_the_scanner_catches_each_pattern(tmp_path: Path, snippet: str, check: str) -> None:
    """The static check can fail: each forbidden pattern in a scratch module is reported."""
    bad = tmp_path / "scratch.py"
    bad.write_text(snippet + "\n")
    hits = scan(bad, root=tmp_path)
    assert [h.check for h in hits if h.check.startswith(check)], f"{snippet!r} not caught: {hits}"


@pytest.mark.parametrize(
    "snippet",
    [
        "subprocess.run(['git', 'status'], check=True)",
        "yaml.load(text, Loader=yaml.SafeLoader)",
        "yaml.safe_load(text)",
        "conn.execute(sa.text('select * from t where id = :id'), {'id': x})",
        "re.compile(pattern)",
        "cur.execute('PRAGMA foreign_keys=ON')",
    ],
)
def test_the_scanner_accepts_safe_forms(tmp_path: Path, snippet: str) -> None:
    ok = tmp_path / "scratch.py"
    ok.write_text(snippet + "\n")
    hits = scan(ok, root=tmp_path)
    assert hits == []


# --------------------------------------------------------------------------------------------
# Behavioural: hostile payloads through the pipeline with the dangerous entry points recorded
# --------------------------------------------------------------------------------------------


class _Gadget:
    """Unpickling this creates the canary file: proof that something unpickled log content."""

    def __init__(self, canary: str) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.canary, "w"))


def payloads(canary_dir: Path) -> list[str]:
    c = canary_dir
    return [
        f"$(touch {c}/shell_subst)",
        f"`touch {c}/backticks`",
        f"; touch {c}/semicolon; #",
        f"__import__('os').system('touch {c}/py_eval')",
        "{{ ''.__class__.__mro__[1].__subclasses__() }} {{7*7}} ${7*7}",
        f"!!python/object/apply:os.system ['touch {c}/yaml']",
        base64.b64encode(pickle.dumps(_Gadget(str(c / "pickle")))).decode(),
        "'; DROP TABLE runs; --",
        "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\">",
    ]


def _write_hostile_log(path: Path, texts: list[str]) -> None:
    lines = []
    for i, text in enumerate(texts):
        lines.append(json.dumps({
            "trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": f"{i + 1:016x}",
            "parent_id": None if i == 0 else "0000000000000001", "name": text, "kind": "tool",
            "tool": text, "agent": text, "input": {"cmd": text}, "output": text, "error": text,
            "status": "error" if i % 2 else "ok", "start_time": 1_732_166_695_000 + i * 1000,
            "end_time": 1_732_166_695_500 + i * 1000,
        }))
    path.write_text("\n".join(lines) + "\n")


def test_hostile_payloads_are_data_not_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forensics.load import load
    from forensics.redact import RedactionPolicy, redact_table

    try:
        from forensics.classify import classify
    except ImportError:  # the classifier is optional for this test's purpose
        classify = None  # type: ignore[assignment]

    canaries = tmp_path / "canaries"
    canaries.mkdir()
    texts = payloads(canaries)
    log = tmp_path / "hostile.jsonl"
    _write_hostile_log(log, texts)

    calls: list[str] = []

    def recorder(name: str) -> Callable[..., None]:
        def record(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"{name} called while processing log content")
        return record

    # Warm up on a benign log first: lazy imports (loader discovery, detectors) create
    # dataclasses, which runs exec on our own code at import time, not on log content.
    benign = tmp_path / "benign.jsonl"
    _write_hostile_log(benign, ["hello", "world"])
    warm = load([benign], format="jsonl")
    if classify is not None:
        classify(warm.spans)
    redact_table(warm.spans, RedactionPolicy(key="k"))

    monkeypatch.setattr(builtins, "eval", recorder("eval"))
    monkeypatch.setattr(builtins, "exec", recorder("exec"))
    monkeypatch.setattr(pickle, "loads", recorder("pickle.loads"))
    monkeypatch.setattr(pickle, "load", recorder("pickle.load"))
    monkeypatch.setattr(os, "system", recorder("os.system"))
    monkeypatch.setattr(os, "popen", recorder("os.popen"))
    monkeypatch.setattr(subprocess, "Popen", recorder("subprocess.Popen"))
    try:
        result = load([log], format="jsonl")
        findings = classify(result.spans) if classify is not None else None
        redacted = redact_table(result.spans, RedactionPolicy(key="k"))
    finally:
        monkeypatch.undo()

    assert calls == []
    assert sorted(p.name for p in canaries.iterdir()) == []
    # Every payload survived as text: same row count, each payload verbatim in output and name.
    assert result.spans.num_rows == len(texts)
    assert result.report.quarantined == 0
    assert sorted(result.spans.column("output").to_pylist()) == sorted(texts)
    assert sorted(result.spans.column("name").to_pylist()) == sorted(texts)
    assert redacted.num_rows == len(texts)
    if findings is not None:
        assert findings.runs.num_rows == 1
