"""The ``check``, ``demo`` and ``kb`` commands: options in, stages wired, nothing decided here."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import click

from preflight import pipeline, progress
from preflight.detectors import registry
from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.errors import ExitCode, UsageError, VersionError
from preflight.formats.interface import FORMATS, encoded_renderer, output_format, renderer
from preflight.formats.safety import safe_terminal_text
from preflight.kb.audit import audit, to_json, to_table
from preflight.kb.interface import GATE_FAIL
from preflight.kb.istio_source import IstioRepo
from preflight.kb.loader import load_knowledge_base
from preflight.kb.settings import build_lifetimes, bundled_lifetimes, dump_lifetimes, named_by_mitigations
from preflight.output import write_all_atomic, write_atomic
from preflight.pipeline_options import PipelineArguments, pipeline_options
from preflight.resources import demo_cluster_dir, demo_traffic_file
from preflight.versions import parse_requested_version, parse_version

# The bundled cluster runs 1.18; 1.22 crosses the changes it was built to show (1.19 to 1.22).
DEMO_TARGET = "1.22"


def _render_outputs(
    report: Report, outputs: Sequence[str], format_name: str | None
) -> list[tuple[str, Callable[[], Iterable[str | bytes]]]]:
    """Every (path, its text piece by piece) to write: all written, or none (``write_all_atomic``)."""
    rendered: list[tuple[str, Callable[[], Iterable[str | bytes]]]] = []
    for path in outputs:
        rendered.append((path, partial(encoded_renderer(output_format(path, format_name)), report)))
    return rendered


def gate_exit_code(report: Report, include_mitigated: bool) -> int:
    return int(ExitCode.GATE_FAILED if report.gate_findings(report.fail_on, include_mitigated) else ExitCode.OK)


@click.command("check", epilog="Exit codes: 0 passed, 1 gate failed, 2 bad input or usage, 3 internal error.")
@pipeline_options
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    help="Output format (default: text, or from --output's extension).",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help="Write the report here (repeatable; format from extension).",
)
@click.option("--fail-on-mitigated", is_flag=True, help="Count mitigated findings towards --fail-on too.")
@click.option(
    "--fail-on-field-reports",
    is_flag=True,
    help="Count unconfirmed field reports (status field-report, which inform by default) towards --fail-on too.",
)
@click.option("--no-timestamp", is_flag=True, help="Leave the generation time out (byte-identical reports).")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr (shown only on a terminal anyway).")
def check_command(
    pipeline_arguments: PipelineArguments,
    format_name: str | None,
    outputs: tuple[str, ...],
    fail_on_mitigated: bool,
    fail_on_field_reports: bool,
    no_timestamp: bool,
    quiet: bool,
) -> int:
    """Report which services an upgrade to --to changes, from a snapshot of the cluster.

    PATHS are files or directories exported with kubectl (YAML or JSON), GitOps or
    helm-template output, or - for stdin.
    """
    progress.set_quiet(quiet)
    for path in outputs:
        output_format(path, format_name)  # a mismatch is refused before any work is done
    inputs = pipeline_arguments.check_inputs(fail_on_field_reports=fail_on_field_reports, timestamp=not no_timestamp)
    # The report holds all it renders: the parsed cluster is gone once ``run`` returns, so
    # rendering a large report does not add to the run's peak memory.
    report = pipeline.run(inputs).report
    if outputs:
        write_all_atomic(_render_outputs(report, outputs, format_name))
    else:
        click.echo(renderer(format_name or "text")(report), nl=False)
    return gate_exit_code(report, fail_on_mitigated)


@click.command("demo")
@click.option("--to", "target", default=DEMO_TARGET, show_default=True, metavar="VERSION", help="Target version.")
@click.option("--output", default="preflight-report.html", show_default=True, help="Where to write the HTML report.")
def demo_command(target: str, output: str) -> int:
    """Run a check on the bundled example cluster, with its observed traffic, and write an HTML report."""
    output_format(output, "html")
    report = pipeline.run(
        pipeline.CheckInputs(
            snapshots=[str(demo_cluster_dir())],
            kb=load_knowledge_base(),
            options=CheckOptions(target=parse_requested_version(target, "--to")),
            traffic_files=[str(demo_traffic_file())],
        )
    ).report
    write_atomic(output, renderer("html")(report))
    click.echo(renderer("text")(report), nl=False)
    click.echo(f"\nHTML report written to {output}")
    return 0


@click.group("kb")
def kb_group() -> None:
    """Inspect and validate the knowledge base."""


@kb_group.command("validate")
@click.argument("directories", nargs=-1, type=click.Path())
def kb_validate(directories: tuple[str, ...]) -> int:
    """Validate the built-in knowledge base, or the given directories on top of it."""
    kb = load_knowledge_base(directories)
    detectors = sum(1 for e in kb.entries if e.detector)
    click.echo(f"ok: {len(kb.entries)} entries in {len(kb.minors)} minors ({detectors} with detectors)")
    return 0


@kb_group.command("list")
@click.option("--kb", "kb_dirs", multiple=True, type=click.Path())
@click.option("--version", "version", metavar="VERSION", default=None, help="Only this minor (1.21, v1.21 or 1.21.3).")
def kb_list(kb_dirs: tuple[str, ...], version: str | None) -> int:
    """Entries per Istio minor: how many have detectors and how many are advisory."""
    kb = load_knowledge_base(kb_dirs)
    minor = _known_minor(version, kb.minors) if version else None
    click.echo(f"{'minor':<7}{'entries':>8}{'detector':>10}{'advisory':>10}")
    for each in kb.minors:
        if minor and each != minor:
            continue
        entries = [e for e in kb.entries if e.minor == each]
        detected = sum(1 for e in entries if e.detector)
        click.echo(f"{each:<7}{len(entries):>8}{detected:>10}{len(entries) - detected:>10}")
    click.echo("")
    for entry in kb.entries:
        if minor and entry.minor != minor:
            continue
        how = f"detector {entry.detector.name}" if entry.detector else "advisory"
        click.echo(f"{entry.id:<58} {entry.severity.value:<9}{how}")
    return 0


def _known_minor(text: str, minors: Sequence[str]) -> str:
    """The knowledge-base minor ``--version`` names, parsed as ``check`` parses versions; unknown is an error."""
    minor = parse_requested_version(text, "--version").minor_text
    if minor not in minors:
        raise VersionError(
            f"--version {text}: the knowledge base has no minor {minor} (it covers {minors[0]} to {minors[-1]})"
        )
    return minor


@kb_group.command("show")
@click.argument("entry_id")
@click.option("--kb", "kb_dirs", multiple=True, type=click.Path())
def kb_show(entry_id: str, kb_dirs: tuple[str, ...]) -> int:
    """Everything the knowledge base says about one change."""
    kb = load_knowledge_base(kb_dirs)
    entry = kb.get(entry_id)
    if entry is None:
        closest = difflib.get_close_matches(entry_id, [e.id for e in kb.entries], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(closest)}?" if closest else ""
        raise UsageError(f"no knowledge-base entry '{entry_id}'{hint} (see 'preflight kb list')")
    lines = [
        f"{entry.id} — {entry.title}",
        f"introduced in {entry.release_lines}"
        + (f" (backported; main line {entry.introduced_in})" if entry.introduced_on else "")
        + f"; severity {entry.severity.value}; area {entry.area}; "
        f"provenance {entry.provenance}",
        "",
        entry.summary,
        "",
        f"Affected services will {entry.impact}.",
    ]
    if entry.severity_reason:
        lines.append(f"Why {entry.severity.value}: {entry.severity_reason}")
    if entry.detector:
        lines.append(f"Detector: {entry.detector.name} {dict(entry.detector.params) or ''}".rstrip())
        lines.append("  " + registry.documentation(entry.detector.name).replace("\n", "\n  "))
    else:
        lines.append(f"Advisory: {entry.advisory}")
    lines += [f"Fix: {entry.remediation}", f"Keep old behaviour: {entry.mitigation.text}"]
    for caveat in entry.caveats:
        lines.append(f"Caveat: {caveat}")
    if entry.is_field_report:
        watch = entry.simulation.get("watch")
        lines.append(
            "Field report: decided with Istio's documented semantics"
            + (f"; on a path that crosses it, calls are marked watch ({watch})" if watch else "")
            + ("; counts towards the gate (gate: fail)" if entry.gate == GATE_FAIL
               else "; informs, and counts towards the gate only with --fail-on-field-reports")
        )
    for label, items in (
        ("Settings", entry.upstream.settings),
        ("Notes", entry.upstream.notes),
        ("Docs", entry.upstream.docs),
    ):
        if items:
            lines.append(f"{label}: {', '.join(items)}")
    lines.append(f"Defined in {entry.source_file}")
    click.echo("\n".join(lines))
    return 0


@kb_group.command("lifetimes")
@click.option("--istio-repo", required=True, type=click.Path(exists=True, file_okay=False), help="istio/istio clone.")
@click.option("--api-repo", type=click.Path(exists=True, file_okay=False), help="istio/api clone (meshConfig fields).")
@click.option(
    "--go-module",
    "go_modules",
    multiple=True,
    metavar="MODULE=DIR",
    help="Clone of a Go library whose env flags a mitigation names (repeatable).",
)
@click.option("--since", default="1.10", show_default=True, help="First minor to read.")
@click.option("--kb", "kb_dirs", multiple=True, type=click.Path())
@click.option("--output", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
def kb_lifetimes(
    istio_repo: str,
    api_repo: str | None,
    go_modules: tuple[str, ...],
    since: str,
    kb_dirs: tuple[str, ...],
    output: str | None,
) -> int:
    """Regenerate the setting lifetimes (knowledge/settings/lifetimes.yaml) from Istio's sources."""
    modules = {}
    for item in go_modules:
        module, separator, directory = item.partition("=")
        if not separator or not module or not directory:
            raise UsageError(f"--go-module wants MODULE=DIR, got '{item}'")
        modules[module] = IstioRepo(directory)
    kb = load_knowledge_base(kb_dirs, check_settings=False)
    data = build_lifetimes(
        IstioRepo(istio_repo),
        named_by_mitigations(kb.entries),
        IstioRepo(api_repo) if api_repo else None,
        since=since,
        modules=modules,
    )
    text = dump_lifetimes(data, "preflight kb lifetimes --istio-repo ISTIO --api-repo API --go-module MODULE=DIR ...")
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    return 0


@kb_group.command("audit")
@click.option("--istio-repo", required=True, type=click.Path(), help="istio/istio clone, bare or not.")
@click.option("--since", default="1.10", show_default=True, help="First minor to read.")
@click.option("--until", default=None, help="Last version to read (default: the newest tag).")
@click.option("--kb", "kb_dirs", multiple=True, type=click.Path(), help="Extra knowledge-base directory (repeatable).")
@click.option("--format", "audit_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def kb_audit(istio_repo: str, since: str, until: str | None, kb_dirs: tuple[str, ...], audit_format: str) -> int:
    """What an istio/istio checkout ships that the knowledge base does not cite.

    Exit 1 when an upgrade note added at some tag in range is cited by no entry for its release line.
    """
    for version in (since, until):
        if version is not None:
            parse_version(version)
    kb = load_knowledge_base(kb_dirs, check_settings=False)
    report = audit(IstioRepo(istio_repo), kb, since=since, until=until, lifetimes=bundled_lifetimes())
    # Titles and defaults are upstream text: shown as every other output is, credentials redacted and controls visible.
    if audit_format == "json":
        click.echo(safe_terminal_text(json.dumps(to_json(report), indent=2)))
    else:
        click.echo(safe_terminal_text(to_table(report)), nl=False)
    return 0 if report.passed else int(ExitCode.GATE_FAILED)


@kb_group.command("detectors")
def kb_detectors() -> int:
    """The detectors entries can use, with their documentation."""
    for name in registry.detectors():
        click.echo(f"{name}\n  " + registry.documentation(name).replace("\n", "\n  ") + "\n")
    return 0
