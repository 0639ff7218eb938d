"""``preflight plan``: the canary upgrade plan for a snapshot, as text or JSON."""

from __future__ import annotations

import json

import click

from preflight import pipeline
from preflight.engine.clusters import cluster_names
from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.errors import UsageError
from preflight.formats.interface import format_named_by_path, output_format
from preflight.formats.json_format import plan_to_json
from preflight.kb.interface import Severity
from preflight.kb.loader import load_knowledge_base
from preflight.output import write_atomic
from preflight.plan.interface import CanaryPlan
from preflight.plan.owners import DEFAULT_OWNER_LABEL
from preflight.plan.render import render_text
from preflight.snapshot.loader import LoadOptions
from preflight.versions import parse_requested_version

PLAN_FORMATS = ("text", "json")


@click.command("plan")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--from", "source", metavar="VERSION", help="Current Istio version; detected from istiod when omitted.")
@click.option("--to", "target", metavar="VERSION", required=True, help="Target Istio version.")
@click.option("--kb", "kb_dirs", multiple=True, type=click.Path(), help="Extra knowledge-base directory (repeatable).")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="high", show_default=True,
              help="Namespaces with findings at or above this severity are held back.")
@click.option("--waivers", "waivers_file", type=click.Path(), metavar="FILE", help="Waived findings do not hold back.")
@click.option("--owner-label", default=DEFAULT_OWNER_LABEL, show_default=True, help="Namespace label naming the team.")
@click.option("--format", "format_name", type=click.Choice(PLAN_FORMATS),
              help="text or json (default: from --output's extension, else text).")
@click.option("--output", metavar="FILE", help="Write the plan here instead of standard output.")
@click.option("--allow-empty", is_flag=True, help="Plan even when the snapshot holds no workloads or Services.")
@click.option(
    "--traffic",
    "traffic_files",
    multiple=True,
    type=click.Path(),
    metavar="FILE",
    help="Observed traffic, as for check: Prometheus query result, Kiali graph or CSV/YAML edge list (repeatable).",
)
@click.option(
    "--values",
    "values_files",
    multiple=True,
    type=click.Path(),
    metavar="FILE",
    help="Helm values of the istiod/base/gateway charts (repeatable), as for check.",
)
@click.option(
    "--cluster-names",
    "cluster_names_option",
    metavar="A,B",
    help="One name per snapshot: plan each snapshot as its own cluster (one plan per cluster).",
)
def plan_command(
    paths: tuple[str, ...],
    source: str | None,
    target: str,
    kb_dirs: tuple[str, ...],
    fail_on: str,
    waivers_file: str | None,
    owner_label: str,
    format_name: str | None,
    output: str | None,
    allow_empty: bool,
    traffic_files: tuple[str, ...],
    values_files: tuple[str, ...],
    cluster_names_option: str | None,
) -> int:
    """Propose canary waves: namespaces moved to the new revision, riskiest last, with the commands."""
    if not paths:
        raise UsageError("give at least one snapshot file or directory (or - for stdin)")
    format_name = _plan_format(output, format_name)
    kb = load_knowledge_base(kb_dirs)
    options = CheckOptions(
        target=parse_requested_version(target, "--to"),
        source=parse_requested_version(source, "--from") if source else None,
        fail_on=Severity(fail_on),
        allow_empty=allow_empty,
    )
    names = cluster_names(cluster_names_option, paths)
    result = pipeline.run(
        pipeline.CheckInputs(
            snapshots=paths,
            kb=kb,
            options=options,
            load=LoadOptions(values_files=values_files),
            traffic_files=traffic_files,
            cluster_names=names,
            owner_label=owner_label,
            waivers_file=waivers_file,
        )
    )
    if names is None:
        text = _rendered(_plan_of(result.report), format_name)
    elif format_name == "json":
        plans = {name: plan_to_json(_plan_of(report)) for name, report in result.per_cluster}
        text = json.dumps({"clusters": plans}, indent=2, ensure_ascii=False) + "\n"
    else:
        # Each cluster runs its own istiod revisions: one plan each.
        text = "\n".join(f"Cluster {name}:\n{render_text(_plan_of(report))}" for name, report in result.per_cluster)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    return 0


def _plan_format(output: str | None, format_name: str | None) -> str:
    if output is None:
        return format_name or "text"
    chosen = output_format(output, format_name) if format_name or format_named_by_path(output) else "text"
    if chosen not in PLAN_FORMATS:
        raise UsageError(f"a plan is written as text or json, not {chosen} ('{output}'): pass --format or rename")
    return chosen


def _plan_of(report: Report) -> CanaryPlan:
    assert report.canary_plan is not None  # the pipeline always plans
    return report.canary_plan


def _rendered(plan: CanaryPlan, format_name: str) -> str:
    if format_name == "json":
        return json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False) + "\n"
    return render_text(plan)
