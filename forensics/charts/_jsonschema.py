"""jsonschema imported without building an IRI grammar that the Vega-Lite schema never asks for.

altair imports jsonschema, whose format module imports ``rfc3987_syntax`` when it is installed
(python-jsonschema/jsonschema ``jsonschema/_format.py``: ``from rfc3987_syntax import
is_valid_syntax``, the checker of the ``iri`` and ``iri-reference`` formats). Importing that
module builds a Lark grammar of RFC 3987: ~1.2 CPU s, most of altair's import (the nightly job
pays it to draw its charts, issue 15). The Vega-Lite schema altair validates against uses the
formats ``uri``, ``uri-reference`` and ``color-hex`` only, never an IRI. So jsonschema is handed a
stand-in whose ``is_valid_syntax`` imports the real module on its first call: the checker is
still there and still answers the same, and nothing builds the grammar until something asks.
Done on import (``forensics.charts`` imports this module before any module that imports altair).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

_IRI_MODULE = "rfc3987_syntax"


def _is_valid_syntax(term: str, value: str) -> bool:
    """The real ``rfc3987_syntax.is_valid_syntax`` (imported now, grammar and all)."""
    real = importlib.import_module(_IRI_MODULE)
    return bool(real.is_valid_syntax(term, value))


def import_jsonschema() -> None:
    """Import jsonschema with the IRI checker's module deferred (a no-op once jsonschema is in,
    or when ``rfc3987_syntax`` is absent or already imported)."""
    if "jsonschema" in sys.modules or _IRI_MODULE in sys.modules:
        return
    if importlib.util.find_spec(_IRI_MODULE) is None:
        return
    stand_in = types.ModuleType(_IRI_MODULE)
    stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[_IRI_MODULE] = stand_in
    try:
        import jsonschema  # noqa: F401
    finally:
        # A later ``import rfc3987_syntax`` (ours on the first IRI check, or the caller's) gets
        # the real module.
        if sys.modules.get(_IRI_MODULE) is stand_in:
            del sys.modules[_IRI_MODULE]


import_jsonschema()
