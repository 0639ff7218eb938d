"""Support window of the current and the target Istio minor at the report date.

A minor is supported until six weeks after minor N+2 ships (``support`` in
``knowledge/platform/platform.yaml``); release dates are those of the istio.io
announcement pages recorded there. While N+2 has not shipped, the end is unknown and
the minor counts as supported.

Checks:

* ``platform-support-current`` (low): the version running now is already out of support.
* ``platform-support-target`` (high when the target is already out of support; low when
  its support ends within ``ENDING_SOON`` of the report date).
"""

from __future__ import annotations

from datetime import date, timedelta

from preflight.engine.finding import Finding
from preflight.kb.interface import Severity
from preflight.platform.facts import PlatformFacts
from preflight.platform.interface import ReleaseSupport, SupportReadiness, Verdict, platform_finding
from preflight.snapshot.interface import ObjectRef
from preflight.versions import IstioVersion

ENDING_SOON = timedelta(weeks=6)
RELEASE_KIND = "IstioRelease"


def release_support(minor: IstioVersion, report_date: date, facts: PlatformFacts) -> ReleaseSupport:
    text = minor.minor_text
    release = facts.releases.get(text)
    successor = f"{minor.major}.{minor.minor + facts.support_minors_after}"
    successor_release = facts.releases.get(successor)
    until = None
    if successor_release is not None and successor_release.released <= report_date:
        until = successor_release.released + timedelta(weeks=facts.support_weeks_after)
    if release is None:
        return ReleaseSupport(text, None, until, Verdict.UNKNOWN if until is None else _verdict(until, report_date))
    if release.released > report_date:
        return ReleaseSupport(text, release.released, None, Verdict.UNKNOWN, release.url)
    if until is None:
        return ReleaseSupport(text, release.released, None, Verdict.OK, release.url)
    return ReleaseSupport(text, release.released, until, _verdict(until, report_date), release.url)


def _verdict(until: date, report_date: date) -> Verdict:
    if report_date > until:
        return Verdict.FAIL
    if until - report_date <= ENDING_SOON:
        return Verdict.WARN
    return Verdict.OK


def check_support(
    source: IstioVersion, target: IstioVersion, report_date: date, facts: PlatformFacts
) -> tuple[SupportReadiness, list[Finding], list[str]]:
    current = release_support(source, report_date, facts)
    upcoming = release_support(target, report_date, facts)
    notes: list[str] = []
    findings: list[Finding] = []
    target_text = target.minor_text
    for support in (current, upcoming):
        if support.released is None:
            notes.append(f"no release date is recorded for Istio {support.version}; its support window is unknown")
        elif support.released > report_date:
            notes.append(f"Istio {support.version} was not released by {report_date.isoformat()}")
    if current.verdict is Verdict.FAIL and current.supported_until is not None:
        findings.append(
            platform_finding(
                "platform-support-current",
                ObjectRef(RELEASE_KIND, "", current.version),
                f"Istio {current.version} has been out of support since {current.supported_until.isoformat()}",
                target=target_text,
                details={
                    "supported_until": current.supported_until.isoformat(),
                    "policy": facts.support_source,
                },
            )
        )
    if upcoming.verdict in (Verdict.FAIL, Verdict.WARN) and upcoming.supported_until is not None:
        ended = upcoming.verdict is Verdict.FAIL
        when = upcoming.supported_until.isoformat()
        message = (
            f"the target Istio {upcoming.version} has been out of support since {when}"
            if ended
            else f"the target Istio {upcoming.version} goes out of support on {when}"
        )
        findings.append(
            platform_finding(
                "platform-support-target",
                ObjectRef(RELEASE_KIND, "", upcoming.version),
                message,
                target=target_text,
                severity=None if ended else Severity.LOW,
                details={"supported_until": when, "policy": facts.support_source},
            )
        )
    return SupportReadiness(report_date, current, upcoming), findings, notes
