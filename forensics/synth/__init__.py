"""Synthetic agent logs: writers for six real formats, the sample-corpus builder, and the generator.

* `forensics.synth.writers`: the neutral `Run`/`Span` model (`forensics.synth.model`) serialised into
  OTLP JSON, OpenTelemetry SDK JSON lines, OpenInference, LangSmith, Langfuse and plain JSON lines.
* `forensics.synth.build_samples`: renders the stories in ``sample_logs/_scenarios.py``.
* `forensics.synth.generator.generate`: N runs of labeled multi-agent traffic, failures injected in
  their real shapes, labels beside the file (CLI: ``forensics synth``).
"""

from forensics.synth.generator import generate, parse_mix
from forensics.synth.writers import WRITERS, get_writer

__all__ = ["WRITERS", "generate", "get_writer", "parse_mix"]
