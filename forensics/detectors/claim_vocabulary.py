"""The tool vocabulary claims are read in: a tool name split into a verb and an object
(``send_email``, ``sendEmail``, ``email.send``, ``hotels.book``, ``GMAIL_SEND_EMAIL``) and the
past-tense statement of exactly what it does (``sent the email``, ``email sent``, ``the hotel is
booked``). The forms come from English morphology (regular ``-ed`` rules and the irregular verbs),
not from phrases seen in any log. Read by every claim module (claims, claim_pronouns,
claim_delegates, claim_described, claim_failed, claim_offered) and by the rules that read a tool's
act from its name (unguarded_action, own_objects, ignored_errors)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

#: Irregular past forms (simple past | participle) of verbs tools are named with; the rest follow
#: the regular rules. Verb+particle compounds read as two words (``lookup`` -> "looked up").
_IRREGULAR: Final[dict[str, tuple[str, ...]]] = {
    "send": ("sent",),
    "write": ("wrote", "written"),
    "make": ("made",),
    "pay": ("paid",),
    "buy": ("bought",),
    "get": ("got", "gotten"),
    "put": ("put",),
    "set": ("set",),
    "run": ("ran", "run"),
    "find": ("found",),
    "build": ("built",),
    "read": ("read",),
    "take": ("took", "taken"),
    "give": ("gave", "given"),
    "do": ("did", "done"),
    "begin": ("began", "begun"),
    "feed": ("fed",),
    "hold": ("held",),
    "leave": ("left",),
    "lend": ("lent",),
    "let": ("let",),
    "lose": ("lost",),
    "meet": ("met",),
    "quit": ("quit",),
    "rebuild": ("rebuilt",),
    "resend": ("resent",),
    "rewrite": ("rewrote", "rewritten"),
    "sell": ("sold",),
    "shut": ("shut",),
    "spend": ("spent",),
    "split": ("split",),
    "tell": ("told",),
    "undo": ("undid", "undone"),
    "upset": ("upset",),
    "withdraw": ("withdrew", "withdrawn"),
    "forward": ("forwarded",),
    "lookup": ("looked up",),
    "setup": ("set up",),
    "signup": ("signed up",),
    "login": ("logged in",),
    "logout": ("logged out",),
    "checkout": ("checked out",),
    "rollback": ("rolled back",),
    "backup": ("backed up",),
    "checkin": ("checked in",),
    "shutdown": ("shut down",),
}
#: Words in a tool name that are not its object (articles, prepositions, namespaces).
_FILLER: Final = frozenset(
    {
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "on",
        "in",
        "into",
        "from",
        "by",
        "with",
        "and",
        "or",
        "at",
        "functions",
        "function",
        "tool",
        "tools",
        "api",
        "mcp",
        "v1",
        "v2",
        "v3",
        "new",
    }
)
_VOWELS: Final = set("aeiou")
#: The verbs API tools are named with that are no app's name. Toolkits and MCP servers put the
#: app before the verb in one snake_case name: mcp-atlassian's ``jira_transition_issue``,
#: ``jira_add_comment``, ``confluence_get_page``; the Slack MCP server's ``slack_post_message``;
#: Composio's APP_ACTION slugs (``GMAIL_SEND_EMAIL``). Read verb-first, every such tool had the
#: app as its verb ("jira"), so a failed transition looked redone by a comment added later. A
#: first word that is none of these followed by one that is, in a name of three words or more,
#: is the app; words that are as often nouns (issue, refund, charge, comment) are left out.
APP_VERBS: Final = frozenset(
    {"get", "list", "search", "fetch", "query", "retrieve", "find", "read", "create", "add", "insert",
     "update", "edit", "modify", "delete", "remove", "send", "post", "transition", "move", "assign",
     "close", "merge", "execute", "run", "upload", "download", "publish", "schedule", "cancel", "approve",
     "reject", "invite", "archive", "submit", "set", "write", "make", "put", "mark", "resolve", "trigger",
     "deploy", "restart", "reply", "forward", "share", "rename", "reset", "revoke", "grant"}
)  # fmt: skip


def past_forms(verb: str) -> tuple[str, ...]:
    """The simple past and participle spellings of ``verb`` (both doubling spellings when unsure:
    ``submit`` -> submitted, ``cancel`` -> cancelled / canceled)."""
    v = verb.lower()
    if v in _IRREGULAR:
        return _IRREGULAR[v]
    if v.endswith("e"):
        return (v + "d",)
    if len(v) > 1 and v.endswith("y") and v[-2] not in _VOWELS:
        return (v[:-1] + "ied",)
    forms = [v + "ed"]
    if len(v) > 2 and v[-1] not in _VOWELS | {"w", "x", "y"} and v[-2] in _VOWELS and v[-3] not in _VOWELS:
        forms.append(v + v[-1] + "ed")
    return tuple(forms)


def noun_pattern(word: str) -> str:
    """A regex for the noun in singular or plural (``hotels`` and ``hotel`` both match either)."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        stem = w[:-3]
        return f"{re.escape(stem)}(?:y|ies)"
    if w.endswith(("ses", "xes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    if w.endswith("y") and len(w) > 2 and w[-2] not in _VOWELS:
        return f"{re.escape(w[:-1])}(?:y|ies)"
    return f"{re.escape(w)}(?:e?s)?"


def name_words(part: str) -> list[str]:
    """The words of a name, lower case (``sendEmail`` -> send, email; digits-only words dropped)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", part)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w and not w.isdigit()]


@lru_cache(maxsize=4096)
def tool_verb_object(name: str) -> tuple[str, list[str]] | None:
    """The verb and the object words of a tool name (``charge_card`` -> charge, [card];
    ``hotels.book`` -> book, [hotels]), or None when the name has no verb and object. An app's
    name before the verb (``jira_transition_issue``, ``GMAIL_SEND_EMAIL``) is no verb: APP_VERBS."""
    segments = [s for s in re.split(r"[./:]|__", name) if name_words(s)]
    if not segments:
        return None
    last = name_words(segments[-1])
    if len(last) >= 3 and last[0] not in APP_VERBS and last[1] in APP_VERBS:
        last = last[1:]
    if len(last) >= 2:
        verb, obj = last[0], last[1:]
    elif len(segments) >= 2:
        verb, obj = last[0], name_words(segments[-2])
    else:
        return None
    obj = [w for w in obj if w not in _FILLER]
    if not obj or len(verb) < 2:
        return None
    return verb, obj


@lru_cache(maxsize=4096)
def tool_claim(name: str) -> tuple[str, str] | None:
    """``(action, claim regex)`` for a tool name, or None when the name has no verb and object.

    Names read verb-first within their last segment (``send_email``, ``gmail.send_message``) or,
    when the last segment is one word, resource then verb (``email.send``, ``hotels.book``).
    The regex matches the verb's past form before the object ("sent you the email"), the object
    then a passive ("the email has been sent", "your hotel in Le Marais is booked") or a headline
    ("email sent").
    """
    parts = tool_verb_object(name)
    if parts is None:
        return None
    verb, obj = parts
    past = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in past_forms(verb))
    head = noun_pattern(obj[-1])
    # ASCII word boundaries and word classes (tool vocabularies are ASCII): the Unicode ones make
    # each pattern several times slower to compile.
    b, w = r"(?-u:\b)", r"[A-Za-z0-9_'-]"
    claim = (
        rf"(?i){b}(?:{past})\s+(?:{w}+\s+){{0,3}}?{head}{b}"
        rf"|{b}{head}(?:\s+{w}+){{0,5}}?\s+(?:has\s+been|have\s+been|had\s+been|was|were|is|are|got)\s+"
        rf"(?:now\s+|successfully\s+|already\s+|also\s+)?(?:{past}){b}"
        rf"|{b}{head}\s+(?:successfully\s+)?(?:{past}){b}"
    )
    return f"{verb} {' '.join(obj)}", claim
