"""Detectors: one module per failure class, each detector registered by name.

``names()`` and ``get(name)`` list and fetch them; third-party detectors register through the
entry-point group ``forensics.detectors``.
"""

from __future__ import annotations

from forensics.detectors.base import Context, Detector
from forensics.detectors.registry import (
    ENTRY_POINT_GROUP,
    FAILURE_CLASSES,
    all_detectors,
    get,
    names,
    register,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "FAILURE_CLASSES",
    "Context",
    "Detector",
    "all_detectors",
    "get",
    "names",
    "register",
]
