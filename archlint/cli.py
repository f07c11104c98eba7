"""The command line: `archlint check PATH...`. Nothing else imports click."""

from __future__ import annotations

import os
import sys

import click

from archlint import __version__

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
FORMATS = ("text", "json")


def _python_files(paths) -> list[str]:
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "node_modules"))
                found += [os.path.join(root, f) for f in sorted(files) if f.endswith(".py")]
        else:
            found.append(path)
    return found


def _codes(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in value.split(",") if c.strip()) if value else ()


def _selected(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    return not any(code.startswith(i) for i in ignore)


def _use_colour(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archlint")
def main():
    """archlint: shapes, parameter counts and rule checks for Keras models, without running them."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--output-format", "--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--select", help="Only these rule codes or prefixes (comma-separated), e.g. AL1,AL202.")
@click.option("--ignore", help="Skip these rule codes or prefixes (comma-separated).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="warning", show_default=True,
              help="Lowest severity that makes the exit status 1.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means archlint failed).")
@click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, not the layer tables.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths, output_format, output_file, select, ignore, fail_on, exit_zero, color, quiet, debug):
    """Analyse Keras model files (or directories of them) without running them."""
    from archlint.analysis import analyze_file

    reports, failed = [], False
    for path in _python_files(paths):
        try:
            report = analyze_file(path)
        except OSError as exc:
            click.echo(f"archlint: cannot read {path}: {exc.strerror or exc}", err=True)
            failed = True
            continue
        except Exception as exc:  # one bad file must not lose the others' findings
            if debug:
                raise
            click.echo(f"archlint: internal error on {path}: {type(exc).__name__}: {exc}", err=True)
            failed = True
            continue
        report.diagnostics = [d for d in report.diagnostics if _selected(d.code, _codes(select), _codes(ignore))]
        reports.append(report)

    if output_format == "json":
        from archlint.report import json_report
        text = json_report.render(reports)
    else:
        from archlint.report import text as text_report
        stream = sys.stdout if output_file is None else None
        text = text_report.render(reports, colour=stream is not None and _use_colour(color, stream), quiet=quiet)
    if output_file:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # `archlint check ... | head` ends quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    if failed:
        sys.exit(2)
    threshold = SEVERITY_RANK.get(fail_on)
    worst = max((SEVERITY_RANK[d.severity] for r in reports for d in r.diagnostics), default=-1)
    sys.exit(1 if not exit_zero and threshold is not None and worst >= threshold else 0)
