"""Which classifier produced a result: the package version plus a digest of what shapes results.

The store keys an input by its content hash, the policy version AND this version, so a nightly rerun
after an upgrade reclassifies what an older classifier stored instead of keeping its rows. The
package version alone is not enough (a fix to a detector, a convention or a loader ships without a
version bump while developing, and a plugin detector upgrades on its own), so the digest covers:

* the source of every module that turns a log into findings: loaders, finalisation and
  normalisation, conventions, detectors and their thresholds' defaults (declared in the detector
  modules and ``policy.py``), attribution, classification, the span schema, the shipped context
  windows;
* every registered detector and loader by name and class, and the source file of those that live
  outside this package (entry-point plugins), so installing or upgrading a plugin changes it too.

The policy's own file is keyed separately (``Policy.version``). The CLI, store, charts, report,
redaction and outputs are left out: changing them changes no classification.
"""

from __future__ import annotations

import hashlib
import inspect
from functools import cache
from pathlib import Path
from typing import Final

_PACKAGE: Final = Path(__file__).parent

#: What shapes results, relative to the package: directories (their *.py, recursively) and files.
SHAPING: Final = (
    "attribution", "conventions", "detectors", "loaders",
    "blame.py", "classify.py", "context_windows.py", "finalize.py", "load.py", "normalize.py",
    "outcome.py", "policy.py", "policy.toml", "registry.py", "schema.py", "semconv.py", "semconv_agents.py", "semconv_values.py",
    "data/context_windows.json",
)


def _shaping_files() -> list[Path]:
    files: list[Path] = []
    for entry in SHAPING:
        path = _PACKAGE / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else [])
    return files


def _registered() -> list[tuple[str, object]]:
    from forensics.detectors.registry import DETECTORS
    from forensics.loaders.registry import LOADERS

    return [*(("detector:" + n, c) for n, c in DETECTORS.items()), *(("loader:" + n, c) for n, c in LOADERS.items())]


def _outside_source(obj: object) -> bytes:
    """The source file of a registered class that is not part of this package (a plugin)."""
    try:
        where = inspect.getsourcefile(obj)  # type: ignore[arg-type]
    except TypeError:
        return b""
    if where is None or Path(where).resolve().is_relative_to(_PACKAGE.resolve()):
        return b""
    try:
        return Path(where).read_bytes()
    except OSError:
        return b""


@cache
def classifier_digest() -> str:
    """12 hex digits of SHA-256 over the shaping sources and the registries (stable per install)."""
    digest = hashlib.sha256()
    for path in _shaping_files():
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name, obj in sorted(_registered(), key=lambda item: item[0]):
        qualified = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
        digest.update(f"{name}={qualified}\0".encode())
        digest.update(_outside_source(obj) + b"\0")
    return digest.hexdigest()[:12]


def classifier_version() -> str:
    """``<package version>+<digest>``: recorded on every batch, claim, run and finding stored."""
    from forensics import __version__

    return f"{__version__}+{classifier_digest()}"
