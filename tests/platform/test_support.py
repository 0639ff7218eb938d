from __future__ import annotations

from datetime import date

from preflight.kb.interface import Severity
from preflight.platform.facts import bundled_facts
from preflight.platform.interface import Verdict
from preflight.platform.support import check_support, release_support
from preflight.versions import parse_version


def test_support_ends_six_weeks_after_minor_n_plus_two() -> None:
    support = release_support(parse_version("1.22"), date(2025, 1, 1), bundled_facts())
    # 1.24.0 was announced on 2024-11-07; six weeks later is 2024-12-19.
    assert support.supported_until == date(2024, 12, 19)
    assert support.verdict is Verdict.FAIL
    assert support.source == "https://istio.io/latest/news/releases/1.22.x/announcing-1.22/"


def test_end_is_unknown_until_n_plus_two_ships() -> None:
    support = release_support(parse_version("1.24"), date(2025, 3, 1), bundled_facts())
    assert support.supported_until is None
    assert support.verdict is Verdict.OK


def test_last_weeks_of_support_are_a_warning() -> None:
    support = release_support(parse_version("1.24"), date(2025, 6, 1), bundled_facts())
    assert support.supported_until == date(2025, 6, 19)
    assert support.verdict is Verdict.WARN


def test_findings_for_an_unsupported_current_and_a_soon_unsupported_target() -> None:
    readiness, findings, _ = check_support(
        parse_version("1.22.3"), parse_version("1.24"), date(2025, 6, 1), bundled_facts()
    )
    assert readiness.current.verdict is Verdict.FAIL
    assert [(f.change, f.severity) for f in findings] == [
        ("platform-support-current", Severity.LOW),
        ("platform-support-target", Severity.LOW),
    ]
    assert "2025-06-19" in findings[1].message


def test_target_already_out_of_support_is_high() -> None:
    _, findings, _ = check_support(parse_version("1.20"), parse_version("1.21"), date(2026, 1, 1), bundled_facts())
    target = [f for f in findings if f.change == "platform-support-target"]
    assert [f.severity for f in target] == [Severity.HIGH]


def test_target_not_released_at_the_report_date_is_unknown() -> None:
    readiness, _, notes = check_support(parse_version("1.29"), parse_version("1.31"), date(2026, 6, 1), bundled_facts())
    assert readiness.target.verdict is Verdict.UNKNOWN
    assert any("not released" in note for note in notes)
