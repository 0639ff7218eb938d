"""The command-line options that decide what the pipeline finds, defined once for ``check`` and ``plan``.

A command decorated with :func:`pipeline_options` takes the snapshot PATHS and every option
below, and receives them as one :class:`PipelineArguments` (parameter ``pipeline_arguments``),
which builds the ``pipeline.CheckInputs``. An option added here reaches both commands, wired
the same way, so the plan cannot be computed from inputs the check would read differently.
Options that only shape one command's output or gate (``--format``, ``--output``,
``--fail-on-mitigated``, ``--no-timestamp``) stay with that command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

from preflight import pipeline
from preflight.engine.clusters import cluster_names
from preflight.engine.engine import CheckOptions
from preflight.errors import UsageError
from preflight.kb.interface import Severity
from preflight.kb.loader import load_knowledge_base
from preflight.plan.owners import DEFAULT_OWNER_LABEL
from preflight.snapshot.loader import LoadOptions
from preflight.versions import parse_requested_version

SEVERITIES = [s.value for s in Severity]


@dataclass(frozen=True)
class PipelineArguments:
    """The shared options as given; nothing is read until :meth:`check_inputs`."""

    paths: tuple[str, ...]
    snapshots: tuple[str, ...]
    source: str | None
    target: str
    kb_dirs: tuple[str, ...]
    fail_on: str
    default_namespace: str
    waivers_file: str | None
    owner_label: str
    kubernetes_version: str | None
    report_date: datetime | None
    traffic_files: tuple[str, ...]
    values_files: tuple[str, ...]
    cluster_names_option: str | None
    allow_incomplete: bool
    allow_empty: bool
    allow_invalid_names: bool

    @property
    def inputs(self) -> list[str]:
        """PATHS, then ``--snapshot``s."""
        return [*self.paths, *self.snapshots]

    def check_inputs(self, *, fail_on_field_reports: bool = False, timestamp: bool = True) -> pipeline.CheckInputs:
        """Versions parsed, the knowledge base loaded and the options checked: what ``pipeline.run`` takes."""
        inputs = self.inputs
        if not inputs:
            raise UsageError("give at least one snapshot file or directory (or - for stdin)")
        kb = load_knowledge_base(self.kb_dirs)
        options = CheckOptions(
            target=parse_requested_version(self.target, "--to"),
            source=parse_requested_version(self.source, "--from") if self.source else None,
            fail_on=Severity(self.fail_on),
            fail_on_field_reports=fail_on_field_reports,
            timestamp=timestamp,
            kubernetes_version=self.kubernetes_version,
            report_date=self.report_date.date() if self.report_date else None,
            allow_incomplete=self.allow_incomplete,
            allow_empty=self.allow_empty,
        )
        return pipeline.CheckInputs(
            snapshots=inputs,
            kb=kb,
            options=options,
            load=LoadOptions(
                default_namespace=self.default_namespace,
                values_files=self.values_files,
                allow_invalid_names=self.allow_invalid_names,
            ),
            traffic_files=self.traffic_files,
            cluster_names=cluster_names(self.cluster_names_option, inputs),
            owner_label=self.owner_label,
            waivers_file=self.waivers_file,
        )


_DECORATORS: tuple[Callable[[Callable[..., Any]], Callable[..., Any]], ...] = (
    click.argument("paths", nargs=-1, type=click.Path()),
    click.option(
        "--snapshot",
        "snapshots",
        multiple=True,
        type=click.Path(),
        help="Snapshot file or directory (repeatable; same as PATHS).",
    ),
    click.option(
        "--from", "source", metavar="VERSION", help="Current Istio version; detected from istiod when omitted."
    ),
    click.option("--to", "target", metavar="VERSION", required=True, help="Target Istio version."),
    click.option(
        "--kb", "kb_dirs", multiple=True, type=click.Path(), help="Extra knowledge-base directory (repeatable)."
    ),
    click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES),
        default="high",
        show_default=True,
        help="Affected findings at or above this severity fail the gate (check) and hold their namespace back (plan).",
    ),
    click.option(
        "--default-namespace",
        default="default",
        show_default=True,
        help="Namespace for namespaced objects without one.",
    ),
    click.option(
        "--waivers",
        "waivers_file",
        type=click.Path(),
        metavar="FILE",
        help="YAML file of accepted findings (change, resource, reason, ticket, expires); waived findings pass the "
        "gate and hold no namespace back.",
    ),
    click.option(
        "--owner-label",
        default=DEFAULT_OWNER_LABEL,
        show_default=True,
        help="Namespace label or annotation naming the owning team (falls back to 'owner', then the namespace).",
    ),
    click.option(
        "--kubernetes-version",
        metavar="VERSION",
        help="Kubernetes server version (e.g. 1.29); overrides the version recorded in the snapshot.",
    ),
    click.option(
        "--report-date",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="Judge the support window on this day instead of today (YYYY-MM-DD).",
    ),
    click.option(
        "--traffic",
        "traffic_files",
        multiple=True,
        type=click.Path(),
        metavar="FILE",
        help="Observed traffic: Prometheus query result, Kiali graph or CSV/YAML edge list (repeatable).",
    ),
    click.option(
        "--values",
        "values_files",
        multiple=True,
        type=click.Path(),
        metavar="FILE",
        help="Helm values of the istiod/base/gateway charts (repeatable): install inputs read for mitigations.",
    ),
    click.option(
        "--cluster-names",
        "cluster_names_option",
        metavar="A,B",
        help="One name per snapshot: each snapshot is its own cluster (check reports them together, plan plans each).",
    ),
    click.option(
        "--allow-incomplete",
        is_flag=True,
        help="Report even when the snapshot's manifest says some kinds could not be exported (forbidden).",
    ),
    click.option(
        "--allow-empty",
        is_flag=True,
        help="Report even when the snapshot holds no workloads, Services or Istio resources (otherwise exit 2).",
    ),
    click.option(
        "--allow-invalid-names",
        is_flag=True,
        help="Load names, namespaces and labels that Kubernetes would refuse (hand-edited files); refused by default.",
    ),
)
_NAMES = tuple(PipelineArguments.__dataclass_fields__)


def pipeline_options(command: Callable[..., int]) -> Callable[..., int]:
    """Give ``command`` PATHS and every shared option, passed to it as ``pipeline_arguments``.

    Apply it below ``@click.command`` and above the command's own options; the shared ones
    come first in ``--help``.
    """

    @functools.wraps(command)
    def with_pipeline_arguments(**values: Any) -> int:
        shared = {name: values.pop(name) for name in _NAMES}
        return command(pipeline_arguments=PipelineArguments(**shared), **values)

    decorated: Callable[..., Any] = with_pipeline_arguments
    for decorator in reversed(_DECORATORS):
        decorated = decorator(decorated)
    return decorated
