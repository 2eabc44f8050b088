"""Rebuild ``context_windows.json`` from LiteLLM's model table.

LiteLLM (MIT, Berri AI) maintains ``model_prices_and_context_window.json``: every model its
providers serve, with ``max_input_tokens``. Its wheel ships a copy as
``litellm/model_prices_and_context_window_backup.json``. To refresh::

    python -m pip download litellm --no-deps -d /tmp/litellm
    unzip -o /tmp/litellm/litellm-*.whl 'litellm/model_prices_and_context_window_backup.json' -d /tmp/litellm
    python forensics/data/refresh_context_windows.py \\
        /tmp/litellm/litellm/model_prices_and_context_window_backup.json --version <litellm version>

Only text models (mode chat, completion or responses) with an integer ``max_input_tokens`` are
kept, as ``{model name: max input tokens}``; nothing else of LiteLLM's file is copied.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXT_MODES = ("chat", "completion", "responses")


def extract(table: dict[str, object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, spec in table.items():
        if not isinstance(spec, dict) or spec.get("mode") not in TEXT_MODES:
            continue
        window = spec.get("max_input_tokens")
        if isinstance(window, int) and not isinstance(window, bool) and window > 0:
            out[name] = window
    return dict(sorted(out.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="LiteLLM's model_prices_and_context_window(.._backup).json")
    parser.add_argument("--version", required=True, help="the LiteLLM release the file came from")
    parser.add_argument("--out", type=Path, default=HERE / "context_windows.json")
    args = parser.parse_args()
    windows = extract(json.loads(args.source.read_text()))
    doc = {
        "source": "LiteLLM model_prices_and_context_window.json (max_input_tokens of chat/completion/responses models)",
        "source_version": f"litellm {args.version}",
        "retrieved": datetime.now(UTC).date().isoformat(),
        "license": "MIT, Copyright (c) 2023 Berri AI (see LICENSE-litellm.txt)",
        "windows": windows,
    }
    args.out.write_text(json.dumps(doc, indent=0, sort_keys=False) + "\n")
    print(f"{len(windows)} models written to {args.out}")


if __name__ == "__main__":
    main()
