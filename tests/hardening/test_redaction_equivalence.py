"""The quick redaction catches exactly what the plain one did (``redaction_oracle``), on any text.

The generated texts are built from the pieces the rules care about (credential shapes and
their near misses, every secret word in several cases, the separators around assignments,
escaped and real line starts, Markdown/HTML metacharacters and entities, control bytes,
characters ``lower()`` lengthens, a lone surrogate) mixed with random and long text, so the
hints, the split expressions and the byte-level base64 test all meet their edge cases.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight import redaction
from tests.hardening import redaction_oracle
from tests.hardening.credentials import CANARIES

_SHAPES = (
    *CANARIES.values(),
    "password", "Password", "PASSWD", "pwd", "passphrase", "secret", "Secret", "token", "TOKEN",
    "api_key", "api-key", "apiKey", "APIKEY", "access_key", "accessKey", "private-key", "private_key",
    "client_secret", "clientSecret", "credential", "credentials", "Credentials", "auth_token", "authToken",
    "db_", "x-", "my.", "=", ":", '"', "'", " ", "  ", "\t", "\n", "\r\n", "\\n", "\\t", "\\r", "&#10;", "-", "- ",
    "Bearer ", "Bearer\t", "bearer ", "Basic ", "Basic\n", "ZGVwbG95OnB3", "dXNlcjpwYXNzd29yZA==", "authentication",
    "AKIA", "ASIA", "AROA", "ABCDEFGHIJKLMNOP", "0123456789", "://", "https://", "user:", "@", "?", "&", ";", "#",
    "access_token=", "?token=", "&key=", ";sig=", "&Code=", "?API_KEY=",
    "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "-----END RSA PRIVATE KEY-----", "-----END CERTIFICATE-----", "-----",
    "eyJ", "eyJhbGciOiJIUzI1NiJ9", ".", "sk_live_", "rk_test_", "sk_test_", "k_live_", "ghp_", "gho_", "github_pat_",
    "glpat-", "glcbt-", "xoxb-", "xoxp-", "AIza", "ya29.", "npm_", "sha256:", "sha512:", "0123456789abcdef" * 4,
    "<", ">", "&lt;", "&gt;", "&amp;", "&quot;", "`", "|", "*", "_", "[", "](", ")", "\\", "<redacted>",
    "\x00", "\x07", "\x1b[31m", "\x1b]8;;", "\x7f", "\x85", "\x9b", "İ", "ß", "é", "ﬃ", "\ud800", "🔑",
)
_BASE64 = string.ascii_letters + string.digits + "+/"

_piece = st.one_of(
    st.sampled_from(_SHAPES),
    st.text(alphabet=_BASE64, max_size=90),
    st.text(alphabet="0123456789abcdef", min_size=60, max_size=130),
    st.text(alphabet=string.printable, max_size=30),
    st.text(max_size=12),
)
_text = st.one_of(
    st.lists(_piece, max_size=40).map("".join),
    st.tuples(st.text(max_size=3000), st.lists(_piece, max_size=6).map("".join)).map("".join),
)
_markers = st.sampled_from([redaction.REDACTED, "&lt;redacted&gt;"])


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_text, marker=_markers)
def test_quick_redaction_catches_exactly_what_the_plain_one_did(text: str, marker: str) -> None:
    assert redaction.redact_credentials_in_text(text, marker) == redaction_oracle.redact_credentials_in_text(
        text, marker
    )
    assert redaction.contains_credential(text) == redaction_oracle.contains_credential(text)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_text)
def test_split_rules_find_the_matches_of_their_whole_expression(text: str) -> None:
    """Per rule and on the raw rule level (before spans are merged, where a difference could hide)."""
    for rule in redaction.RULES:
        if not rule.parts:
            continue
        for searched in (text, text.lower()):
            whole = [(match.span(), match.span(rule.secret_group)) for match in rule.pattern.finditer(searched)]
            split = [
                (match.span(), match.span(rule.secret_group))
                for match in redaction._leftmost_matches(rule.parts, searched)
            ]
            assert split == whole


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_text)
def test_every_rule_matches_as_its_old_self(text: str) -> None:
    old_rules = {rule.name: rule for rule in redaction_oracle.RULES}
    assert [rule.name for rule in redaction.RULES] == list(old_rules)
    for rule in redaction.RULES:
        old = old_rules[rule.name]
        searched = text.lower() if rule.any_case else text
        assert redaction._rule_spans(rule, searched, text) == redaction_oracle._rule_spans(old, searched, text)


def test_the_oracle_is_the_plain_implementation() -> None:
    """A guard against the oracle being edited into the new code: it must not use the speed-ups."""
    assert not hasattr(redaction_oracle, "_leftmost_matches")
    assert hasattr(redaction_oracle, "_ANY_CASE_SENSITIVE")
    assert all(not hasattr(rule, "parts") for rule in redaction_oracle.RULES)
