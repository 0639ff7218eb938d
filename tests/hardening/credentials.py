"""One canary per credential kind, shaped the way that kind really looks.

Each value holds a marker (``QCANARY`` and a number) that must never appear in any output;
``BASIC_AUTH`` carries its marker base64-encoded, so its encoded form is looked for too.
Label-sized canaries fit Kubernetes' label-value syntax and are planted as owner labels.
"""

from __future__ import annotations

import base64

MARKER = "QCANARY"
BASIC_AUTH_ENCODED = base64.b64encode(b"deploy:QCANARY08pass").decode()

CANARIES: dict[str, str] = {
    "bearer token": "Authorization: Bearer QCANARY01bearer2token3value",
    "JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJRQ0FOQVJZMDIifQ.QCANARY02signature0value",
    "AWS access key id": "AKIAQCANARY000000003",
    "GitLab token": "glpat-QCANARY04aaaaaaaaaaaaaaa",
    "Stripe key": "sk_live_QCANARY05bbbbbbbbbbbb",
    "Google API key": "AIzaQCANARY06" + "c" * 26,
    "PGP private key block": (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: test\n\nlQOYBQCANARY07dddd\n=abcd\n"
        "-----END PGP PRIVATE KEY BLOCK-----"
    ),
    "basic authorization": f"Authorization: Basic {BASIC_AUTH_ENCODED}",
    "password assignment": "password=QCANARY09hunter2",
    "URL query token": "https://sso.example.com/cb?access_token=QCANARY10tok&state=1",
    "URL password": "postgres://app:QCANARY11pw@db.example.com:5432/app",
    "GitHub token": "ghp_QCANARY12eeeeeeeeeeeeeeeeeeee",
    "Slack token": "xoxb-QCANARY13-ffffffffff",
    "npm token": "npm_QCANARY14" + "g" * 27,
    "Google OAuth token": "ya29.QCANARY15hhhhhhhhhhhhhhhhhh",
    "YAML password line": "config:\n  db_password: QCANARY16yaml\n",
}
# Canaries that are valid label values (63 characters of [A-Za-z0-9._-]).
LABEL_CANARIES = ("AWS access key id", "GitLab token", "Stripe key", "Google API key", "GitHub token", "npm token")


def leaked(text: str) -> list[str]:
    """The canaries found in ``text``: their marker, or the encoded basic-auth credentials."""
    found = []
    if MARKER in text or MARKER.lower() in text.lower():
        found.append(MARKER)
    if BASIC_AUTH_ENCODED in text:
        found.append("basic authorization (encoded)")
    return found
