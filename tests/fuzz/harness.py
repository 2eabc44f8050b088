"""libFuzzer target (atheris): ``python tests/fuzz/harness.py <loader>|all [libFuzzer args]``.

Each input is written to a file and loaded with ``forensics.load(path, format=<loader>)`` and again
by sniffing; :mod:`fuzz.oracle` decides whether what happened is allowed. A breach raises, which
atheris reports as a crash: libFuzzer writes the input to ``-artifact_prefix`` and ends the
process, so ``run.py`` starts one process per loader. Coverage comes from atheris instrumenting
the ``forensics`` package's bytecode (every loader module is imported inside the instrumented
block, including the ones the registry would otherwise import later through entry points).
``$FORENSICS_FUZZ_PLUGINS`` (``module:Class,...``) registers extra loaders to fuzz.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so `fuzz` imports as a package

with atheris.instrument_imports(include=["forensics"]):
    import forensics
    import forensics.load
    import forensics.loaders
    from forensics.loaders import registry

    for module in pkgutil.iter_modules(forensics.loaders.__path__):
        importlib.import_module(f"forensics.loaders.{module.name}")
    registry.names()  # imports every entry point now, while instrumentation is on
    from fuzz.oracle import check_file
    from fuzz.seeds import ALL, split_selector

#: ``module:Class`` loaders to register first (a notebook's or plugin's loader, the tests' canary),
#: comma-separated. Their modules are instrumented too, so coverage guides into them.
PLUGINS_ENV = "FORENSICS_FUZZ_PLUGINS"
for spec in filter(None, os.environ.get(PLUGINS_ENV, "").split(",")):
    module_name, _, class_name = spec.partition(":")
    with atheris.instrument_imports():
        plugin = importlib.import_module(module_name)
    registry.register(getattr(plugin, class_name))
KNOWN = registry.names()


#: In ``all`` mode, executions per loader are written here (JSON) every COUNT_EVERY inputs;
#: libFuzzer ends the process with exit(), so there is no "at the end".
COUNTS_ENV = "FORENSICS_FUZZ_COUNTS"
COUNT_EVERY = 64
#: Where each input is written before it is loaded (``fuzz-input.json``, and ``loader`` naming its
#: loader): when a crash hangs the process instead of ending it, libFuzzer writes no reproducer,
#: and run.py keeps this file instead.
INPUT_DIR_ENV = "FORENSICS_FUZZ_INPUT_DIR"


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in (*KNOWN, ALL):
        sys.exit(f"usage: {argv[0]} <loader>|{ALL} [libFuzzer args]; loaders: {', '.join(KNOWN)}")
    chosen = argv[1]
    # One process per file: the fuzz inputs are small, and worker processes would hide crashes.
    os.environ["FORENSICS_WORKERS"] = "1"
    given_dir = os.environ.get(INPUT_DIR_ENV)
    workdir = Path(given_dir) if given_dir else Path(tempfile.mkdtemp(prefix=f"fuzz-{chosen}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # A fixed name: several loaders take the run id from the file's stem.
    target = workdir / "fuzz-input.json"
    loader_file = workdir / "loader"
    last = [""]
    counts_path = os.environ.get(COUNTS_ENV)
    counts = dict.fromkeys(KNOWN, 0)

    def one_input(data: bytes) -> None:
        if chosen == ALL:
            picked = split_selector(data, KNOWN)
            if picked is None:
                return
            loader, data = picked
        else:
            loader = chosen
        counts[loader] += 1
        if counts_path and sum(counts.values()) % COUNT_EVERY == 1:
            Path(counts_path).write_text(json.dumps(counts))
        if loader != last[0]:  # which loader the input file is for, should the process die on it
            loader_file.write_text(loader)
            last[0] = loader
        target.write_bytes(data)
        check_file(target, loader)

    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
