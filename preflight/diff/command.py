"""``preflight diff OLD.json NEW.json``: new, fixed and still-open findings between two runs."""

from __future__ import annotations

import json

import click

from preflight.diff.diff import diff_reports, diff_to_json, read_report, render_markdown


@click.command("diff")
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@click.option("--format", "format_name", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
@click.option("--fail-on-new", is_flag=True, help="Exit 1 when the new report has findings the old one had not.")
def diff_command(old: str, new: str, format_name: str, fail_on_new: bool) -> int:
    """What changed between two JSON reports (check --format json): for the ticket thread."""
    difference = diff_reports(read_report(old), read_report(new))
    if format_name == "json":
        click.echo(json.dumps(diff_to_json(difference), indent=2))
    else:
        click.echo(render_markdown(difference), nl=False)
    return 1 if fail_on_new and difference.new else 0
