"""Loaders: one module per log format, found through the ``forensics.loaders`` registry."""

from __future__ import annotations

from .base import Limits, Loader, Sample, Source, SpanSink
from .registry import broken, get, names, register, sniff_file, sniff_scores, unregister

__all__ = [
    "Limits",
    "Loader",
    "Sample",
    "Source",
    "SpanSink",
    "broken",
    "get",
    "names",
    "register",
    "sniff_file",
    "sniff_scores",
    "unregister",
]
