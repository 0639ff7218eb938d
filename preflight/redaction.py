"""The one rule set for credential-looking text, used on every string that can reach an output.

Load-time redaction (``preflight.snapshot.redact``) applies it to the snapshot's free text;
every rendered report and every error or summary line on the terminal passes through it
again (``preflight.formats.safety``), so a label value, a waiver reason, a KB overlay text
or kubectl's stderr cannot carry a credential out either.

The rules follow the shapes detect-secrets and gitleaks look for (provider token prefixes,
private-key blocks, credentials in URLs, ``password=`` assignments, bearer and basic
authorization). detect-secrets itself was measured at about 330 µs per string, and it
reports findings rather than spans to replace; a large snapshot has millions of strings,
so the rules are a few compiled expressions instead. Each rule replaces only the secret
part, so the text around it stays readable.

Speed matters because a finished report (tens of MB of JSON) is searched whole. Python's
``re`` only skips ahead quickly when an expression starts with a literal; an expression that
starts with an alternation, a character class or ``^`` is tried at every position. So a rule
may carry a quick ``hint`` (a literal-led expression every match contains) and may be
searched as ``parts``, alternatives that each start well and are merged back into exactly
the matches the whole expression gives (``_leftmost_matches``). The rules' behaviour is
pinned to the previous, plain implementation by tests/hardening/test_redaction_equivalence.py.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

REDACTED = "<redacted>"
SHORTEST_CREDENTIAL = 8  # "://a:b@h": nothing shorter matches any rule

# Words that make the value assigned to them a credential (``db_password=x``, ``apiKey: y``):
# password, passwd, pwd, passphrase, secret, token, api key, access key, private key, client
# secret, credential(s), auth token. Written as a prefix tree, so that most positions fail on
# their first character; no word is a prefix of another, so at any position at most one word
# matches and the order of the branches does not change what matches.
_SECRET_WORDS = (
    r"(?:p(?:ass(?:word|wd|phrase)|wd|rivate[_-]?key)|secret|token|"
    r"a(?:pi[_-]?key|ccess[_-]?key|uth[_-]?token)|c(?:lient[_-]?secret|redentials?))"
)


@dataclass(frozen=True)
class Rule:
    """A credential shape: the expression, and which of its groups is the secret (0 = all of it)."""

    name: str
    pattern: re.Pattern[str]
    secret_group: int = 0
    # Says whether a match really is a secret when the expression alone cannot (basic auth).
    confirm: Callable[[str], bool] | None = None
    # Matched on the lower-cased text: a case-insensitive search costs several times a plain one.
    any_case: bool = False
    # The match must not continue a word ("xAKIA..." is not a key id). Checked after matching,
    # because a leading \b keeps the regex engine from skipping ahead to the literal prefix.
    word_start: bool = False
    # Something every match contains, quick to search for: when it is absent the rule cannot match.
    hint: re.Pattern[str] | None = None
    # ``pattern`` split into alternatives, each quick to search, with the secret in the same
    # group; listed in the order ``pattern`` tries them (see ``_leftmost_matches``).
    parts: tuple[re.Pattern[str], ...] = ()


def _is_basic_credentials(encoded: str) -> bool:
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


def _is_bearer_token(token: str) -> bool:
    # "Bearer authentication" is prose; a token has a digit or is too long to be a word.
    return len(token) >= 24 or any(character.isdigit() for character in token)


# "password=x" anywhere, '"password": "x"' (a quoted key), "password: x" only at the start of a
# line (YAML; in a rendered report the line may start after an escaped newline): in prose a
# colon after "token" introduces a sentence, not a value. Searched as three parts: the one
# expression is slow, because its ``^`` branch makes the engine try every position.
_ASSIGNED_KEY = rf"{_SECRET_WORDS}(?:[\"']?[ \t]*=|[\"'][ \t]*:)"
_LINE_START_KEY = rf"(?m:^)[ \t-]*[a-z0-9_.-]*{_SECRET_WORDS}[ \t]*:"
_ESCAPED_LINE_START_KEY = rf"(?:\\n|&#10;)[ \t-]*[a-z0-9_.-]*{_SECRET_WORDS}[ \t]*:"
_ASSIGNED_VALUE = r"[ \t]*[\"']?([^\s\"'&,;<>`|\\]{3,})"


def _token(name: str, expression: str) -> Rule:
    return Rule(name, re.compile(expression), word_start=True)


RULES: tuple[Rule, ...] = (
    # The body stops at a quote, '<', '-' or a backslash other than an escaped newline: in a
    # rendered JSON string or HTML element a block without its END line must not swallow the
    # markup after it, nor half an escape sequence.
    Rule(
        "private key or certificate block",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*(?:PRIVATE KEY(?: BLOCK)?|CERTIFICATE)-----(?:[^\"'<>\\-]|\\[nrt])*"
            r"(?:-----END [A-Z0-9 ]*-----)?"
        ),
    ),
    _token("JSON web token", r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]+)?"),
    _token("AWS access key id", r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    _token("GitHub token", r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    _token("GitLab token", r"gl(?:pat|ptt|dt|rt|cbt|oas)-[A-Za-z0-9_-]{20,}"),
    _token("Slack token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    Rule(
        "Stripe key", re.compile(r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"), word_start=True,
        hint=re.compile(r"k_(?:live|test)_"),
    ),
    _token("Google API key", r"AIza[0-9A-Za-z_-]{35}"),
    _token("Google OAuth token", r"ya29\.[0-9A-Za-z_-]{20,}"),
    _token("npm token", r"npm_[A-Za-z0-9]{36}"),
    Rule("password in a URL", re.compile(r"://[^/\s:@\"'<>]+:([^/\s@\"'<>]+)@"), secret_group=1),
    Rule(
        "credential in a URL query",
        re.compile(r"[?&;](?:access_token|token|api_key|apikey|key|sig|signature|password|secret|auth|code)="
                   r"([^\s&#\"'<>]+)"),
        secret_group=1,
        any_case=True,
    ),
    Rule("bearer token", re.compile(r"Bearer\s+([A-Za-z0-9._~+/-]{8,}=*)"), 1, _is_bearer_token, word_start=True),
    Rule(
        "basic authorization",
        re.compile(r"Basic\s+([A-Za-z0-9+/]{8,}={0,2})"), 1, _is_basic_credentials, word_start=True,
    ),
    Rule(
        "credential assignment",
        re.compile(rf"(?:{_ASSIGNED_KEY}|{_LINE_START_KEY}|{_ESCAPED_LINE_START_KEY}){_ASSIGNED_VALUE}"),
        secret_group=1,
        any_case=True,
        parts=tuple(
            re.compile(f"{key}{_ASSIGNED_VALUE}")
            for key in (_ASSIGNED_KEY, _LINE_START_KEY, _ESCAPED_LINE_START_KEY)
        ),
    ),
)

# Image and content digests are long hex runs, but public identifiers rather than keys.
_DIGEST = re.compile(r"sha(?:256|384|512):[0-9a-f]{64,128}(?![0-9a-f])")
# Long unbroken base64 runs are keys or certificates more often than anything else.
# A run starts after a non-base64 character, or after a JSON escape (``\\n``): a rendered JSON
# report is redacted as text too, and must keep its escape sequences whole.
_BASE64_RUN = re.compile(r"(?:(?<![A-Za-z0-9+/\\])|(?<=\\[nrt]))[A-Za-z0-9+/]{64,}={0,2}")
# The quick test for a run: every base64 character becomes "a" and every other byte a space
# (UTF-8 writes a non-ASCII character as bytes >= 0x80 only, none of them base64), then one
# substring search; a regular expression would be tried at every position of the text.
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_TO_A = bytes(ord("a") if byte in _BASE64_ALPHABET else ord(" ") for byte in range(256))
_SHORTEST_RUN = b"a" * 64
# Below this length one combined search of the case-sensitive rules is quicker than a search
# per rule (the call overhead dominates: about 1.6 µs against 4.7 µs at 50 characters); above
# it the combined search is the slower, 3x at 64 KB, as the engine tries every branch at every
# position. Measured crossover about 200 characters.
_COMBINED_CHECK_BELOW = 256
_ANY_CASE_SENSITIVE = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in RULES if not rule.any_case))
_ANY_CASE_RULES = tuple(rule for rule in RULES if rule.any_case)
_CASE_SENSITIVE_RULES = tuple(rule for rule in RULES if not rule.any_case)
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def contains_credential(text: str) -> bool:
    """True when some rule (or a long base64 run that is not a digest) matches ``text``."""
    return bool(_secret_spans(text))


def redact_credentials_in_text(text: str, marker: str = REDACTED) -> str:
    """``text`` with each credential-looking part replaced by ``marker``; unchanged (the same object) if none.

    ``marker`` lets an output put the marker in its own syntax (``&lt;redacted&gt;`` in HTML and XML).
    """
    return _replaced(text, _secret_spans(text), marker)


def _replaced(text: str, spans: list[tuple[int, int]], marker: str) -> str:
    if not spans:
        return text
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        pieces += (text[position:start], marker)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


_CREDENTIAL_NAME_AT_END = re.compile(rf"{_SECRET_WORDS}\Z")
_VALUE_START = re.compile(r"[^\s\"'&,;<>`|\\]{3,}")


def names_credential(key: str) -> bool:
    """Whether a mapping key ends in a credential name (``db_password``, ``apiKey``)."""
    return _CREDENTIAL_NAME_AT_END.search(key.lower()) is not None


def redact_value_assigned_to(key: str, value: str, marker: str = REDACTED) -> str:
    """``value`` redacted as the value of a mapping key ``key``: its first word is a secret too when
    ``key`` names a credential, as the assignment rule finds ``"db_password": "x"`` in encoded JSON.
    Redaction by value sees key and value apart, so this is how it keeps what searching the encoded
    text finds across the two (merged with the value's own secrets, as that search merges them)."""
    found = _VALUE_START.match(value) if names_credential(key) else None
    if found is None:
        return redact_credentials_in_text(value, marker)
    return _replaced(value, _merged([*_secret_spans(value), found.span()]), marker)


def _secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the secrets in ``text`` are: sorted, overlapping matches merged."""
    if len(text) < SHORTEST_CREDENTIAL:
        return []
    found: list[tuple[int, int]] = []
    if len(text) >= _COMBINED_CHECK_BELOW or _ANY_CASE_SENSITIVE.search(text) is not None:
        for rule in _CASE_SENSITIVE_RULES:
            found += _rule_spans(rule, text, text)
    if "=" in text or ":" in text:
        lowered = text.lower()
        # lower() keeps positions for ASCII; the rare text it lengthens is searched as it is.
        searched = lowered if len(lowered) == len(text) else text
        for rule in _ANY_CASE_RULES:
            found += _rule_spans(rule, searched, text)
    if len(text) >= len(_SHORTEST_RUN) and _SHORTEST_RUN in text.encode("utf-8", "replace").translate(_BASE64_TO_A):
        digests = [match.span() for match in _DIGEST.finditer(text)]
        found += [
            match.span()
            for match in _BASE64_RUN.finditer(text)
            if not any(start <= match.start() < end for start, end in digests)
        ]
    return _merged(found)


def _merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not found:
        return []
    found.sort()
    merged = [found[0]]
    for start, end in found[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _after_escape(text: str, start: int) -> bool:
    # In a rendered JSON report a token can follow an escaped newline or tab ("...\\nAKIA...").
    return start >= 2 and text[start - 2] == "\\" and text[start - 1] in "nrt"


def _leftmost_matches(parts: tuple[re.Pattern[str], ...], text: str) -> Iterator[re.Match[str]]:
    """What ``finditer`` of the alternation of ``parts`` gives: at each step the leftmost match
    of any part, the earliest-listed part on a tie (the branch an alternation tries first), and
    the next search from where that match ends.

    A part's match found earlier stays the leftmost one from a later position as long as it
    starts at or after it. ``search(text, position)`` sees the whole text, so ``^`` and
    lookbehinds behave as in ``finditer``. No part matches the empty string.
    """
    pending: list[re.Match[str] | None] = [part.search(text) for part in parts]
    while True:
        chosen: re.Match[str] | None = None
        for match in pending:
            if match is not None and (chosen is None or match.start() < chosen.start()):
                chosen = match
        if chosen is None:
            return
        yield chosen
        position = chosen.end()
        for index, match in enumerate(pending):
            if match is not None and match.start() < position:
                pending[index] = parts[index].search(text, position)


def _rule_spans(rule: Rule, searched: str, text: str) -> list[tuple[int, int]]:
    if rule.hint is not None and rule.hint.search(searched) is None:
        return []
    matches = _leftmost_matches(rule.parts, searched) if rule.parts else rule.pattern.finditer(searched)
    spans = []
    for match in matches:
        start = match.start()
        if rule.word_start and start > 0 and searched[start - 1] in _WORD and not _after_escape(searched, start):
            continue
        secret_start, secret_end = match.span(rule.secret_group)
        if rule.confirm is not None and not rule.confirm(text[secret_start:secret_end]):
            continue
        spans.append((secret_start, secret_end))
    return spans
