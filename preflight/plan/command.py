"""``preflight plan``: the canary upgrade plan for a snapshot, as text or JSON."""

from __future__ import annotations

import json

import click

from preflight import pipeline
from preflight.engine.interface import Report
from preflight.errors import UsageError
from preflight.formats.interface import format_named_by_path, output_format
from preflight.formats.json_format import plan_to_json
from preflight.output import write_atomic
from preflight.pipeline_options import PipelineArguments, pipeline_options
from preflight.plan.interface import CanaryPlan
from preflight.plan.render import render_text

PLAN_FORMATS = ("text", "json")


@click.command("plan")
@pipeline_options
@click.option("--format", "format_name", type=click.Choice(PLAN_FORMATS),
              help="text or json (default: from --output's extension, else text).")
@click.option("--output", metavar="FILE", help="Write the plan here instead of standard output.")
def plan_command(pipeline_arguments: PipelineArguments, format_name: str | None, output: str | None) -> int:
    """Propose canary waves: namespaces moved to the new revision, riskiest last, with the commands.

    It takes check's options that decide the findings, so it holds back what check reports.
    """
    format_name = _plan_format(output, format_name)
    inputs = pipeline_arguments.check_inputs()
    result = pipeline.run(inputs)
    names = inputs.cluster_names
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
