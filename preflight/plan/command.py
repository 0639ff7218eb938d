"""``preflight plan``: the canary upgrade plan for a snapshot, as text or JSON."""

from __future__ import annotations

import json

import click

from preflight.engine.engine import CheckOptions, run_check
from preflight.errors import UsageError
from preflight.formats.interface import format_named_by_path, output_format
from preflight.formats.json_format import plan_to_json
from preflight.kb.interface import Severity
from preflight.kb.loader import load_knowledge_base
from preflight.output import write_atomic
from preflight.plan.owners import DEFAULT_OWNER_LABEL
from preflight.plan.render import render_text
from preflight.plan.sections import with_sections
from preflight.snapshot.loader import load_snapshot
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
    snapshot = load_snapshot(list(paths))
    report = with_sections(run_check(snapshot, kb, options), snapshot, owner_label, waivers_file)
    assert report.canary_plan is not None  # with_sections always plans
    if format_name == "json":
        text = json.dumps(plan_to_json(report.canary_plan), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_text(report.canary_plan)
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
