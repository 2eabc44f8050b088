"""chat-messages on hand-written transcripts, one per framing and quirk (no real sample exists in
../shared/formats; the shapes are OpenAI's Chat Completions messages)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import forensics

DATA = Path(__file__).resolve().parents[1] / "data" / "chat_messages"


def _load(name: str, **kw: object) -> forensics.LoadResult:
    return forensics.load(DATA / name, **kw)  # type: ignore[arg-type]


def _rows(result: forensics.LoadResult) -> dict[tuple[str, str], dict]:
    return {(r["run_id"], r["span_id"]): r for r in result.spans.to_pylist()}


def test_one_conversation_with_tool_calls() -> None:
    result = _load("single.json")
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("chat-messages", "sniffed")
    assert result.run_ids == ["conv-42"]
    rows = _rows(result)
    # root + system + user + assistant(2 calls) + 2 tool spans + final assistant; the two tool
    # messages are folded into their calls.
    assert len(rows) == 7
    assert Counter(r["kind"] for r in rows.values()) == {"agent": 1, "event": 1, "human": 1, "llm": 2, "tool": 1, "handoff": 1}
    root = rows[("conv-42", "conversation")]
    attrs = json.loads(root["attributes"])
    assert (attrs["reward"], attrs["outcome"], attrs["model"]) == (0.0, "failed", "gpt-4o-mini")
    assert "messages" not in attrs
    call = rows[("conv-42", "call_1")]
    assert (call["tool"], call["parent_id"], call["input"], call["output"]) == (
        "get_weather", "m2", '{"city": "Atlantis"}', "Error: city not found")
    assert call["status"] == "ok"  # error-shaped text is data for the classifier, not a status
    # transfer_to_billing: finalisation makes it a handoff; its explicit `error` field is an error.
    transfer = rows[("conv-42", "call_2")]
    assert (transfer["kind"], transfer["handoff_to"], transfer["status"], transfer["error_message"]) == (
        "handoff", "billing", "error", "billing agent offline")
    llm = rows[("conv-42", "m2")]
    assert (llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("gpt-4o-mini", 50, 12)
    assert json.loads(llm["attributes"])["usage"] == {"total_tokens": 62}
    assert rows[("conv-42", "m5")]["output"] == "Sorry, I could not do either."
    assert {r["agent"] for r in rows.values()} == {"assistant"}
    # No times in the file: message i spans [i s, i+1 s), said in every row.
    assert rows[("conv-42", "m1")]["start_time"].timestamp() == 1.0
    # A call starts 1 µs after the message that made it (stores keep microseconds).
    assert call["start_time"].value == 2_000_001_000 and call["end_time"].timestamp() == 4.0
    assert all("time_synthesized" in json.loads(r["attributes"]) for r in rows.values())


def test_a_list_of_conversations_under_other_keys() -> None:
    result = _load("many.json")
    assert result.run_ids == ["many:1", "many:2"]
    rows = _rows(result)
    # Two named assistants share the first transcript: the root is a chain, each turn its agent.
    assert rows[("many:1", "conversation")]["kind"] == "chain"
    assert [rows[("many:1", f"m{i}")]["agent"] for i in (1, 2)] == ["Planner", "Coder"]
    assert json.loads(rows[("many:1", "conversation")]["attributes"])["task"] == "t1"
    assert rows[("many:2", "m1")]["output"] == "hello back"  # under `traj`
    assert rows[("many:2", "conversation")]["agent"] == "assistant"


def test_jsonl_with_history_times_open_and_stray_calls() -> None:
    result = _load("lines.jsonl")
    assert result.report.files[0].format == "chat-messages"
    assert result.run_ids == ["c1", "c2"]
    rows = _rows(result)
    done = rows[("c1", "t_a")]
    assert done["start_time"].isoformat() == "2025-05-01T10:00:02+00:00"
    assert done["end_time"].isoformat() == "2025-05-01T10:00:05+00:00"
    never = rows[("c1", "t_b")]  # never answered: open
    assert (never["end_time"], never["status"]) == (None, "unset")
    stray = rows[("c1", "t_zzz")]  # a result with no call
    assert (stray["kind"], stray["tool"], stray["output"]) == ("tool", "shell", "stray")
    assert "@unmatched_result" in json.loads(stray["attributes"])
    root = rows[("c1", "conversation")]
    assert root["start_time"].isoformat() == "2025-05-01T10:00:00+00:00"
    assert root["end_time"].isoformat() == "2025-05-01T10:00:06+00:00"
    assert "time_synthesized" not in json.loads(root["attributes"])
    # Epoch seconds in created_at.
    assert rows[("c2", "m1")]["start_time"].isoformat() == "2025-05-01T10:00:00+00:00"


def test_bare_message_list_with_legacy_function_call() -> None:
    result = _load("bare.json")
    assert result.run_ids == ["bare"]
    rows = _rows(result)
    fn = rows[("bare", "m1:function_call")]
    assert (fn["tool"], fn["output"], fn["parent_id"], fn["status"]) == ("pinger", "pong", "m1", "ok")
    assert len(rows) == 5  # root, user, assistant + its call, assistant


def test_json_lines_of_single_messages_are_one_conversation() -> None:
    result = _load("messages.jsonl")
    assert result.run_ids == ["messages"]
    rows = _rows(result)
    assert [rows[("messages", f"m{i}")]["output"] for i in (0, 1)] == ["first", "second"]
    assert rows[("messages", "m1")]["start_time"].isoformat() == "2025-05-01T10:00:01+00:00"


def test_sharegpt_from_value() -> None:
    result = _load("sharegpt.json")
    rows = _rows(result)
    assert (rows[("sharegpt", "m0")]["kind"], rows[("sharegpt", "m0")]["output"]) == ("human", "2+2?")
    assert (rows[("sharegpt", "m1")]["kind"], rows[("sharegpt", "m1")]["output"]) == ("llm", "4")
    assert json.loads(rows[("sharegpt", "conversation")]["attributes"])["source"] == "sharegpt"


def test_malformed_conversations_and_messages_are_quarantined() -> None:
    result = _load("malformed.jsonl", format="chat-messages")
    account = result.report.files[0]
    reasons = sorted((q["source_line"], q["reason"], q["detail"].split(":")[0]) for q in result.quarantine.to_pylist())
    assert reasons == [
        (2, "not-a-conversation", "expected a conversation object or a message list, found str"),
        (3, "missing-messages", "expected the messages under one of messages, conversation, conversations, traj, trajectory, history, found keys foo"),
        (4, "invalid-message", "message 0"), (4, "invalid-message", "message 2"), (4, "invalid-time", "message 3"),
        (4, "invalid-value", "message 4"), (4, "missing-role", "message 1"),
    ]
    rows = _rows(result)
    assert set(rows) == {("ok-conv", "conversation"), ("ok-conv", "m0"), ("bad-conv", "conversation"), ("bad-conv", "m5")}
    assert account.records_read == account.rows + account.quarantined + account.merged
    assert (account.rows, account.quarantined) == (4, 7)


def test_who_and_when_history_is_left_to_ag2_history() -> None:
    from forensics.loaders.base import Sample
    from forensics.loaders.chat_messages import ChatMessagesLoader

    first = {"question_ID": "q1", "history": [{"content": "hi", "role": "assistant", "name": "Orchestrator"}]}
    sample = Sample(path="x.json", head=b"", text="", first=first, is_document=True)
    assert ChatMessagesLoader().sniff(sample) < 0.5


# --- tau-bench results: one run per (task_id, trial), the reward as the declared outcome ---------


def _root_attrs(result: forensics.LoadResult) -> dict[str, dict]:
    return {r["run_id"]: json.loads(r["attributes"]) for r in result.spans.to_pylist() if r["parent_id"] is None}


def test_tau_bench_trials_are_runs_of_their_own_with_their_rewards() -> None:
    # tau_bench_results.json (README beside it): tasks 0 and 1, trials 0 and 1, in run.py's order.
    result = _load("tau_bench_results.json")
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("chat-messages", "sniffed")
    # root + one span per message (a tool result folds into its call's span): 13, 7, 7, 1.
    assert (account.records_read, account.rows, account.quarantined, account.merged) == (28, 28, 0, 0)
    per_run = Counter(r["run_id"] for r in result.spans.to_pylist())
    assert per_run == {"0:trial=0": 13, "1:trial=0": 7, "0:trial=1": 7, "1:trial=1": 1}
    roots = _root_attrs(result)
    assert {run: (a["@outcome"]["verdict"], a["@outcome"]["score"], a["@outcome"]["field"]) for run, a in roots.items()} == {
        "0:trial=0": ("success", 1.0, "reward"), "1:trial=0": ("failure", 0.0, "reward"),
        "0:trial=1": ("failure", 0.0, "reward"), "1:trial=1": ("failure", 0.0, "reward")}
    assert {a["@run_id_from"] for a in roots.values()} == {"task_id+trial"}
    assert (roots["0:trial=1"]["task_id"], roots["0:trial=1"]["trial"]) == (0, 1)  # the record's own keys stay
    rows = _rows(result)
    assert rows[("1:trial=0", "call_b1")]["output"] == "Error: user not found"
    assert rows[("0:trial=0", "call_a3")]["tool"] == "cancel_pending_order"


def test_tau_bench_outcomes_reach_declared_outcomes() -> None:
    import polars as pl

    from forensics.outcome import declared_outcomes

    spans = pl.from_arrow(_load("tau_bench_results.json").spans)
    assert isinstance(spans, pl.DataFrame)
    got = {r["run_id"]: (r["declared_outcome"], r["declared_score"]) for r in declared_outcomes(spans).to_dicts()}
    assert got == {"0:trial=0": ("success", 1.0), "1:trial=0": ("failure", 0.0),
                   "0:trial=1": ("failure", 0.0), "1:trial=1": ("failure", 0.0)}


def test_tau_bench_file_larger_than_the_sniffing_head(tmp_path: Path) -> None:
    # A real results file starts with a system prompt of many KB: the head cuts the first `traj`.
    records = json.loads((DATA / "tau_bench_results.json").read_text())
    for record in records:
        if record["traj"]:
            record["traj"][0]["content"] += " policy text" * 10_000
    path = tmp_path / "tool-calling-gpt-4o-0.0_range_0--1_user-gpt-4o-llm_0101120000.json"
    path.write_text(json.dumps(records, indent=2))
    result = forensics.load(path)
    assert (result.report.files[0].format, result.report.files[0].chosen_by) == ("chat-messages", "sniffed")
    assert sorted(result.run_ids) == ["0:trial=0", "0:trial=1", "1:trial=0", "1:trial=1"]


def test_repeated_ids_without_a_trial_are_told_apart_by_position(tmp_path: Path) -> None:
    conv = {"id": "c1", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    other = {"id": "c2", "messages": [{"role": "user", "content": "bye"}]}
    path = tmp_path / "replays.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in (conv, other, conv)) + "\n")
    result = forensics.load(path)
    account = result.report.files[0]
    assert (account.rows, account.quarantined) == (3 + 2 + 3, 0)  # nothing merged, nothing lost
    assert sorted(result.run_ids) == ["c1:#1", "c1:#3", "c2"]
    roots = _root_attrs(result)
    assert (roots["c1:#1"]["@run_id_from"], roots["c2"]["@run_id_from"]) == ("id+position", "id")


def test_repeated_id_and_trial_falls_back_to_position(tmp_path: Path) -> None:
    same = {"task_id": 3, "trial": 0, "reward": 1, "traj": [{"role": "user", "content": "x"}]}
    path = tmp_path / "retried.json"
    path.write_text(json.dumps([same, {**same, "reward": 0}]))
    result = forensics.load(path)
    roots = _root_attrs(result)
    assert sorted(roots) == ["3:trial=0:#1", "3:trial=0:#2"]
    assert roots["3:trial=0:#1"]["@run_id_from"] == "task_id+trial+position"
    assert (roots["3:trial=0:#1"]["@outcome"]["verdict"], roots["3:trial=0:#2"]["@outcome"]["verdict"]) == (
        "success", "failure")


def test_conversations_without_ids_say_so() -> None:
    roots = _root_attrs(_load("single.json"))
    assert roots["conv-42"]["@run_id_from"] == "id"
    # single.json's reward 0.0 is its declared outcome (its `outcome: failed` is not read: reward comes first)
    assert roots["conv-42"]["@outcome"] == {"verdict": "failure", "score": 0.0, "field": "reward", "value": 0.0}


def test_a_role_that_is_an_object_is_no_role_and_sniffing_does_not_crash(tmp_path) -> None:
    """Found by the property test (a mutated ShareGPT file): `role` holding an object made the
    sniffer raise `unhashable type: 'dict'`; such a record is simply not a chat message."""
    import warnings

    from forensics.loaders.chat_messages import _is_message

    assert not _is_message({"role": {"name": "user"}, "content": "hi"})
    assert not _is_message({"from": ["gpt"], "value": "hi"})
    assert _is_message({"role": "user", "content": "hi"}) and _is_message({"from": "gpt", "value": "hi"})
    path = tmp_path / "odd.json"
    path.write_text('[{"role": {"name": "user"}, "content": "hi"}]')
    from forensics.loaders.registry import sniff_scores

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a loader failing while sniffing is reported as a warning
        assert sniff_scores(str(path)).get("chat-messages", 0.0) == 0.0


def _lookups(tmp_path: Path, *, one_message: bool) -> forensics.LoadResult:
    """A support transcript (no timestamps) whose lookup fails the same way three times: each call
    decided by an assistant message of its own, or all three issued by one message."""
    call = {"type": "function", "function": {"name": "find_customer", "arguments": '{"email": "ana@example.org"}'}}
    msgs: list[dict] = [{"role": "user", "content": "Where is my order? I'm ana@example.org"}]
    ids = ["zz1", "zz2", "zz3"]  # ids that sort after the message ids: order must not come from them
    if one_message:
        msgs.append({"role": "assistant", "content": None, "tool_calls": [{"id": i, **call} for i in ids]})
        msgs += [{"role": "tool", "tool_call_id": i, "content": "Error: customer not found"} for i in ids]
    else:
        for i in ids:
            msgs.append({"role": "assistant", "content": None, "tool_calls": [{"id": i, **call}]})
            msgs.append({"role": "tool", "tool_call_id": i, "content": "Error: customer not found"})
    msgs.append({"role": "assistant", "content": "Sorry, I could not find your account."})
    path = tmp_path / "support.json"
    path.write_text(json.dumps({"conversation_id": "c-7", "messages": msgs}))
    return forensics.load(path)


def test_a_tool_call_starts_after_the_message_that_made_it(tmp_path: Path) -> None:
    result = _lookups(tmp_path, one_message=False)
    rows = _rows(result)
    for call, message, following in (("zz1", "m1", "m3"), ("zz2", "m3", "m5"), ("zz3", "m5", "m7")):
        assert rows[("c-7", call)]["parent_id"] == message
        assert rows[("c-7", message)]["start_time"] < rows[("c-7", call)]["start_time"] < rows[("c-7", following)]["start_time"]
    # Each failing lookup was decided again by a new message: the agent looped.
    found = forensics.classify(result).findings
    assert "repeated_action" in found.column("detector").to_pylist()


def test_calls_one_message_made_together_are_one_decision(tmp_path: Path) -> None:
    found = forensics.classify(_lookups(tmp_path, one_message=True)).findings
    assert "repeated_action" not in found.column("detector").to_pylist()
