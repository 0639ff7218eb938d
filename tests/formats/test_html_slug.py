"""The HTML report's anchors: the expression-based slug is the character-by-character rule it replaced."""

from hypothesis import given
from hypothesis import strategies as st

from preflight.formats.html_format import _slug


def _slug_by_character(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text).strip("-").lower()


@given(st.text())
def test_the_slug_keeps_letters_digits_dash_underscore_and_dot(text: str) -> None:
    assert _slug(text) == _slug_by_character(text)


def test_known_slugs() -> None:
    assert _slug("payments/api-Ä1_x.y") == "payments-api-ä1_x.y"
    assert _slug("<b>bad</b> name") == "b-bad--b--name"
    assert _slug(42) == "42"
