"""Export what Preflight reads from a live cluster, safely, in one command (`preflight snapshot`).

Uses your own kubectl (kubeconfig, context, auth plugins). Exports Namespaces, Services,
workloads (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods),
ServiceAccounts, webhook configurations, CRD names and served versions, every Istio
resource (networking, security, telemetry, extensions, IstioOperator), Gateway API
resources, the ConfigMaps of the Istio namespaces, EndpointSlices of services without a
selector, and the Kubernetes version. Kinds the cluster does not serve are skipped;
lists you may not read are named, with what the report loses, in the output and in the
manifest. Secrets are never read; env values and credential-looking values are replaced
by a marker. The snapshot appears only when the export has finished.

A directory gets one JSON List per kind (`pods.json`, one object per line) and
`manifest.json`; JSON loads several times faster than YAML on large clusters. A
single `.json` file holds one List of every object, the manifest included; a `.yaml` or
`.yml` file holds the same as YAML documents, for reading.
"""

from __future__ import annotations

from pathlib import Path

import click

from preflight import progress
from preflight.export.exporter import export_snapshot
from preflight.export.interface import DEFAULT_CHUNK_SIZE, ExportRequest, ExportResult
from preflight.export.writer import MANIFEST_FILE
from preflight.formats.safety import safe_terminal_text


@click.command("snapshot", help=__doc__)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory to write (one .json file per kind plus manifest.json), or a single .json or .yaml file.",
)
@click.option("--context", default=None, help="kubeconfig context to export (default: the current one).")
@click.option("--kubeconfig", default=None, help="kubeconfig file (default: kubectl's own choice).")
@click.option(
    "--namespace",
    "-n",
    "namespaces",
    multiple=True,
    help="Export only this namespace (repeatable); the Istio namespaces are always included.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1, max=10_000),
    default=DEFAULT_CHUNK_SIZE,
    show_default=True,
    help="Objects per API call; memory stays flat on large clusters.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing snapshot at --output.")
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0.1),
    default=120.0,
    show_default=True,
    help="Seconds one kubectl call may take before the export fails (a hanging login or proxy).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=3600.0,
    show_default=True,
    help="Seconds the whole export may take.",
)
@click.option("--quiet", is_flag=True, help="No progress line on stderr (shown only on a terminal anyway).")
def snapshot_command(
    output: Path,
    context: str | None,
    kubeconfig: str | None,
    namespaces: tuple[str, ...],
    chunk_size: int,
    overwrite: bool,
    request_timeout: float,
    timeout: float,
    quiet: bool,
) -> None:
    request = ExportRequest(
        output=output,
        context=context,
        kubeconfig=kubeconfig,
        namespaces=tuple(dict.fromkeys(namespaces)),
        chunk_size=chunk_size,
        overwrite=overwrite,
        request_timeout=request_timeout,
        timeout=timeout,
    )
    progress.set_quiet(quiet)
    result = export_snapshot(request)
    click.echo(safe_terminal_text(summary(result)), err=True)


def summary(result: ExportResult) -> str:
    """What was written and what is missing, for the terminal."""
    cluster = result.identity.cluster or result.identity.context or "the current context"
    version = result.identity.kubernetes_version or "unknown Kubernetes version"
    lines = [
        f"preflight: wrote {result.output}: {result.object_count} objects of "
        f"{sum(1 for kind in result.kinds if kind.count)} kinds from {cluster} ({version})"
    ]
    for entry in result.forbidden:
        where = f" in namespace {entry.namespace}" if entry.namespace else ""
        lines.append(
            f"preflight: warning: not allowed to list {entry.resource.qualified_name}{where}: {entry.impact}"
        )
    if result.forbidden:
        manifest = MANIFEST_FILE if result.output.is_dir() else "its SnapshotManifest"
        lines.append(f"preflight: warning: the snapshot is incomplete ({manifest} says what is missing)")
    return "\n".join(lines)
