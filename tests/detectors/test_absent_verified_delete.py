"""A read answered "NotFound" after the run's own delete, relayed in the API's own word, was told.

Kubernetes answers a read of an object that is not there with the Status reason ``NotFound``
(k8s.io/apimachinery pkg/api/errors NewNotFound: ``Error from server (NotFound): namespaces "x" not
found``); kubectl exits 1, so Claude Code's Bash tool hands the result back with ``is_error: true``.
An agent that deleted a namespace and checked that it is gone quotes the reason as one word
("``kubectl get`` now returns NotFound"): the absence the read found is what its answer says.
Near miss: the same read, the same answer words, after a server error (a 500) is no absence.
"""

from __future__ import annotations

from pathlib import Path

from claude_transcript import Transcript

import forensics

GET = {"command": "kubectl --context eks-prod get namespace ledger-sandbox", "description": "Check it is gone"}
ANSWER = "Done: `ledger-sandbox` was deleted, and `kubectl get namespace` now returns NotFound."


def _detectors(tmp_path: Path, read_error: str) -> set[str]:
    t = Transcript("c0ffee00-1111-4222-8333-444455556666", "/home/ops/infra")
    t.said("ledger-sandbox is unused now, please delete the namespace")
    t.called("toolu_01", "Bash", {"command": "kubectl --context eks-prod delete namespace ledger-sandbox",
                                  "description": "Delete the namespace"},
             'namespace "ledger-sandbox" deleted')  # fmt: skip
    t.called("toolu_02", "Bash", GET, read_error, is_error=True)
    t.answered(ANSWER)
    spans = forensics.load(t.write(tmp_path / "s.jsonl")).spans
    return set(forensics.classify(spans).findings.column("detector").to_pylist())


def test_a_verified_delete_whose_notfound_the_answer_quotes_was_told(tmp_path: Path) -> None:
    found = _detectors(tmp_path, 'Error from server (NotFound): namespaces "ledger-sandbox" not found')
    assert "swallowed_error" not in found


def test_near_miss_a_server_error_under_the_same_answer_is_swallowed(tmp_path: Path) -> None:
    found = _detectors(tmp_path, "Error from server (InternalError): an error on the server has prevented the request")
    assert "swallowed_error" in found
