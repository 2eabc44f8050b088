"""agent-forensics: incident forensics for AI agents that fail in production."""

from __future__ import annotations

__version__ = "0.1.0"
