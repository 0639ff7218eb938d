"""Which changes count as mesh-wide: a share of the meshed services, a minimum mesh size, affected findings only."""

from dataclasses import replace

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.engine.mesh_wide import MESH_WIDE_MIN_SERVICES, MeshWideChange
from preflight.engine.mesh_wide import mesh_wide_changes as changes_of
from preflight.kb.interface import Severity
from preflight.snapshot.interface import ObjectRef, ServiceRef, SnapshotInfo

MESHED = tuple(ServiceRef(f"ns-{i % 3}", f"svc-{i:02d}") for i in range(20))


def finding(change: str, service: ServiceRef, severity: Severity = Severity.MEDIUM, **kwargs: object) -> Finding:
    return Finding(
        change=change,
        introduced_in="1.22",
        severity=severity,
        status=kwargs.pop("status", FindingStatus.AFFECTED),  # type: ignore[arg-type]
        resource=kwargs.pop("resource", ObjectRef("Deployment", service.namespace, service.name)),  # type: ignore[arg-type]
        services=(service,),
        message=f"{change} on {service}",
    )


def mesh_wide_changes(report: Report) -> tuple[MeshWideChange, ...]:
    return changes_of(report.findings, report.meshed_services)


def mesh_wide_ids(report: Report) -> set[str]:
    return {m.change for m in mesh_wide_changes(report)}


def report(findings: list[Finding], meshed: tuple[ServiceRef, ...] = MESHED) -> Report:
    return Report(
        source_version="1.21.0",
        target_version="1.22.0",
        path=("1.22",),
        findings=tuple(findings),
        changes=(),
        snapshot=SnapshotInfo(),
        meshed_services=meshed,
    )


def test_a_change_on_every_meshed_service_is_mesh_wide_and_counted() -> None:
    findings = [finding("delta-xds", s) for s in MESHED]
    findings.append(finding("delta-xds", MESHED[0], resource=ObjectRef("Pod", "ns-0", "svc-00-abc")))
    (change,) = mesh_wide_changes(report(findings))
    assert (change.change, change.services, change.meshed_services) == ("delta-xds", 20, 20)
    assert (change.workloads, change.resources, len(change.findings)) == (21, 21, 21)
    assert change.found_on == "21 workload(s)"
    assert replace(change, resources=22).found_on == "21 workload(s) and 1 other resource(s)"
    assert replace(change, workloads=0, resources=1).found_on == "1 resource(s)"


def test_ninety_percent_is_enough_and_less_is_not() -> None:
    nearly = [finding("nearly", s) for s in MESHED[:18]]  # 18 of 20
    fewer = [finding("fewer", s) for s in MESHED[:17]]  # 17 of 20
    assert mesh_wide_ids(report(nearly + fewer)) == {"nearly"}


def test_services_outside_the_mesh_do_not_count_towards_the_share() -> None:
    outside = [finding("outside", ServiceRef("plain", f"svc-{i}")) for i in range(30)]
    assert mesh_wide_changes(report(outside + [finding("outside", s) for s in MESHED[:10]])) == ()


def test_a_small_mesh_keeps_its_rows_per_service() -> None:
    small = MESHED[: MESH_WIDE_MIN_SERVICES - 1]
    assert mesh_wide_changes(report([finding("all", s) for s in small], meshed=small)) == ()
    enough = MESHED[:MESH_WIDE_MIN_SERVICES]
    assert mesh_wide_ids(report([finding("all", s) for s in enough], meshed=enough)) == {"all"}


def test_a_report_without_mesh_membership_has_no_mesh_wide_change() -> None:
    assert mesh_wide_changes(report([finding("all", s) for s in MESHED], meshed=())) == ()


def test_mitigated_findings_do_not_make_a_change_mesh_wide() -> None:
    findings = [finding("kept", s, status=FindingStatus.MITIGATED) for s in MESHED]
    assert mesh_wide_changes(report(findings)) == ()


def test_worst_severity_first_then_by_id() -> None:
    findings = [finding(c, s, sev) for c, sev in (("b-low", Severity.LOW), ("a-low", Severity.LOW),
                                                  ("z-high", Severity.HIGH)) for s in MESHED]
    findings[-1] = replace(findings[-1], severity=Severity.CRITICAL)  # one critical finding raises its change
    changes = mesh_wide_changes(report(findings))
    assert [(c.change, c.severity) for c in changes] == [
        ("z-high", Severity.CRITICAL), ("a-low", Severity.LOW), ("b-low", Severity.LOW)
    ]


def test_report_lists_are_computed_once() -> None:
    built = report([finding("x", s) for s in MESHED])
    assert built.services is built.services
    assert built.entries is built.entries
    assert built.mesh_wide is built.mesh_wide and built.mesh_wide == mesh_wide_changes(built)
