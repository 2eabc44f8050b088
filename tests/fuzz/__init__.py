"""Coverage-guided fuzzing of every registered loader (atheris/libFuzzer); see docs/FUZZING.md.

* :mod:`fuzz.oracle`: what must hold for any input bytes, whatever they are.
* :mod:`fuzz.seeds`: the seed corpus of a loader (real samples, fixtures, generated Parquet,
  SQLite and gzip seeds, earlier crashes).
* ``harness.py``: the libFuzzer target for one loader (run as a script, one process per loader,
  because libFuzzer ends its process on the first crash).
* ``run.py``: fuzz some or all loaders for a time budget and report executions, coverage and
  crashes (used by CI's ``tests/test_fuzz.py`` and by developers for longer runs).
"""
