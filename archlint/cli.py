"""The command line: `archlint check PATH...`, `archlint rules`, `archlint rule CODE`, `archlint clean`. Nothing else
imports click."""

from __future__ import annotations

import functools
import gc
import importlib
import os
import sys
import traceback

import click

from archlint.version import __version__

# The report modules besides text, imported only when chosen.
REPORTERS = {"json": "json_report", "sarif": "sarif", "markdown": "markdown", "github": "github"}
FORMATS = ("text", *REPORTERS)


def _pairs(values, separator: str) -> dict | None:
    """Repeated KEY<separator>VALUE options as a dict (the value after the last separator), None when not given."""
    pairs = {}
    for value in values:
        key, found, item = value.rpartition(separator)
        if not found:
            raise click.BadParameter(f"expected KEY{separator}VALUE, got {value!r}")
        pairs[key] = item
    return pairs or None


def _use_colour(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def run() -> None:
    """`archlint` as a process of its own (the console script, `python -m archlint`): it ends without tearing
    down what the analysis made. Freeing every syntax tree, layer and value one by one was a fifth of the
    CPU time of a ResNet50 user file's check (0.09 s of 0.45 s) and a quarter of a keras_hub BERT one's; the
    operating system takes the memory back at once. The output is flushed first. The library API and click's test
    runner call `main`, which returns to its caller as before."""
    try:
        main(prog_name="archlint")
        status = 0
    except SystemExit as exc:
        status = exc.code
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)  # what sys.exit does with a message
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: there is nothing left to say
            pass
    os._exit(status or 0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archlint")
def main():
    """archlint: shapes, parameter counts and rule checks for Keras models, without running them."""
    # The analysis makes many small objects that live until the file is done (syntax nodes, values,
    # layers): with Python's default threshold the cyclic collector walks them again and again, 45% of
    # the time on keras.applications' resnet.py. The command's process is archlint's own, so the threshold
    # stays raised for the report too (the library API raises it only while it analyses a file, then gives
    # the caller's back); mypy does the same.
    gc.set_threshold(200_000, 30, 30)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--output-format", "--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings file. Default: the nearest pyproject.toml with [tool.archlint] above the paths. "
                   "The options below replace what it sets.")
@click.option("--select", help="Only these rule codes, prefixes or names (comma-separated), e.g. AL1,AL202.")
@click.option("--ignore", help="Skip these rule codes, prefixes or names (comma-separated).")
@click.option("--per-file-ignores", multiple=True, metavar="PATTERN:CODES",
              help="Skip CODES (comma-separated) in files matching PATTERN; repeatable.")
@click.option("--severity", multiple=True, metavar="CODE=LEVEL",
              help="Report CODE (or a prefix or name) as error, warning or info; repeatable.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              help="Lowest severity that makes the exit status 1.  [default: warning]")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means archlint failed).")
@click.option("--exclude", help="Skip files and directories matching these patterns (comma-separated) when "
                                "searching directories.")
@click.option("--force-exclude", is_flag=True, help="Apply --exclude to files named on the command line too.")
@click.option("--max-layer-param-share", type=float,
              help="AL202: the share of a model's parameters one layer may hold.  [default: 0.5]")
@click.option("--max-params", type=int, help="AL202: flag models with more parameters than this.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME=SHAPE",
              help="Give the Input (or model) NAME this shape without the batch axis, e.g. image=224,224,3; "
                   "repeatable. Named sizes (H,W,3) are taken as unknown.")
@click.option("--assume-imports", is_flag=True, default=None,
              help="Analyse fragments (code without its imports) as if `import keras`, `from keras.layers import *` "
                   "and the usual models/optimizers imports were there.")
@click.option("--max-analysis-seconds", type=float, help="Seconds (wall time) one file's analysis may take; past "
                                                          "them it stops with an AL301 naming where, though never "
                                                          "before 30% of them in CPU time.  [default: 3]")
@click.option("--verify", is_flag=True, help="Also run each model with the embedded NumPy runtime and compare "
                                             "every layer's output shape and parameter count (AL401).")
@click.option("--verify-budget", metavar="SIZE", help="Memory --verify may use, e.g. 512M or 4G; a model needing "
                                                      "more is not run (AL303).  [default: 2G]")
@click.option("--expand-nested", "expand_nested", is_flag=True,
              help="List the layers of a model used as a layer under its row (text, json and markdown), as "
                   "Keras's summary(expand_nested=True) does.")
@click.option("--python", "python", metavar="PATH",
              help="Read installed packages (keras_hub, model packages) from this Python environment: its "
                   "interpreter or virtual environment. Default: the Python running archlint.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Analyse this many files at once, each in a process "
                                                                "of its own.  [default: one per core]")
@click.option("--no-cache", is_flag=True, envvar="ARCHLINT_NO_CACHE",
              help="Neither read nor keep reports in the cache folder.")
@click.option("--cache-dir", metavar="DIR", envvar="ARCHLINT_CACHE_DIR",
              help="The cache folder.  [default: .archlint_cache]")
@click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, not the layer tables.")
@click.option("--statistics", is_flag=True, help="Print how many findings each rule code has, instead of them.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths, output_format, output_file, config_file, select, ignore, per_file_ignores, severity, fail_on,
          exit_zero, exclude, force_exclude, max_layer_param_share, max_params, input_shapes, assume_imports,
          max_analysis_seconds, verify, verify_budget, expand_nested, python, jobs, no_cache, cache_dir, color, quiet,
          statistics, debug):
    """Analyse Keras model files (or directories of them) without running them."""
    if statistics and output_format != "text":
        raise click.UsageError("--statistics goes with the text format")
    from archlint import api

    try:
        settings = api.load_settings(paths, config_file, {
            "select": select, "ignore": ignore, "per-file-ignores": _pairs(per_file_ignores, ":"),
            "severity": _pairs(severity, "="), "fail-on": fail_on, "exclude": exclude,
            "max-layer-param-share": max_layer_param_share, "max-params": max_params,
            "input-shapes": _pairs(input_shapes, "="), "assume-imports": assume_imports,
            "max-analysis-seconds": max_analysis_seconds,
            "python": os.path.abspath(python) if python and os.sep in python else python,
            "verify": verify, "verify-budget": verify_budget,
            "jobs": jobs, "cache": False if no_cache else None, "cache-dir": cache_dir,
        }, "command line: ")
    except api.ConfigError as exc:
        click.echo(f"archlint: {exc}", err=True)
        sys.exit(2)
    except ValueError as exc:  # the budget
        raise click.BadParameter(str(exc), param_hint="--verify-budget") from None
    report = api.check_paths(paths, settings=settings, force_exclude=force_exclude)
    for failure in report.failures:
        _print_failure(failure, debug)

    if output_format in REPORTERS:
        render = importlib.import_module(f"archlint.report.{REPORTERS[output_format]}").render
        if output_format in ("json", "markdown"):
            render = functools.partial(render, expand_nested=expand_nested)
    else:
        from archlint.report import text as text_report
        colour = output_file is None and _use_colour(color, sys.stdout)
        render = text_report.statistics if statistics else \
            functools.partial(text_report.render, colour=colour, quiet=quiet, expand_nested=expand_nested)
    text, writer_failed = _render(list(report.files), render, debug)
    if output_file:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # `archlint check ... | head` ends quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    if report.failures or writer_failed:
        sys.exit(2)
    sys.exit(1 if report.fails and not exit_zero else 0)


def _print_failure(failure, debug: bool) -> None:
    """One line on stderr naming the file; archlint's traceback first with --debug."""
    if debug and failure.traceback:
        click.echo(failure.traceback, err=True, nl=False)
    click.echo(f"archlint: {failure.message}", err=True)


def _internal_error(where: str, exc: Exception, debug: bool) -> None:
    """One line on stderr naming the file; the traceback too with --debug."""
    if debug:
        traceback.print_exception(exc)
    reason = " ".join(str(exc).split())  # some messages (parser errors) span several lines
    click.echo(f"archlint: internal error {where}: {type(exc).__name__}: {reason}", err=True)


def _render(reports, render, debug: bool) -> tuple[str, bool]:
    """The report of every file; when the writer fails, the report of the files it can write, and True."""
    try:
        return render(reports), False
    except Exception:
        writable = []
        for report in reports:
            try:
                render([report])
            except Exception as exc:
                _internal_error(f"writing the report for {report.path}", exc, debug)
            else:
                writable.append(report)
        return render(writable), True


GRAPH_FORMATS = ("mermaid", "dot", "svg", "png")


@main.command("graph")
@click.argument("path", type=click.Path())
@click.option("--symbol", help="The model to draw (its symbol in the report); needed when the file has several.")
@click.option("--format", "graph_format", type=click.Choice(GRAPH_FORMATS),
              help="Diagram format; SVG and PNG need Graphviz's `dot`.  [default: from -o's suffix, else mermaid]")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the diagram to FILE.")
@click.option("--show-shapes", is_flag=True, help="Show each layer's output shape.")
@click.option("--show-params", is_flag=True, help="Show each layer's parameter count.")
@click.option("--rankdir", type=click.Choice(["TB", "LR"]), default="TB", show_default=True,
              help="Top to bottom or left to right.")
@click.option("--group", type=click.Choice(["calls"]),
              help="calls: draw the layers one call of a helper function created as one labelled cluster.")
@click.option("--collapse", is_flag=True, help="Fold each innermost cluster into one node with its totals "
                                               "(implies --group calls).")
@click.option("--expand-nested", is_flag=True, help="Draw a model used as a layer as a cluster of its own layers.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings file (as for check).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def graph(path, symbol, graph_format, output_file, show_shapes, show_params, rankdir, group, collapse,
          expand_nested, config_file, debug):
    """Draw a model's layer graph (Mermaid, DOT, SVG or PNG), its layers marked with their findings."""
    from archlint import diagram
    from archlint.report.json_report import diagnostic_json, model_json

    if graph_format is None:
        suffix = os.path.splitext(output_file or "")[1].lstrip(".").lower()
        graph_format = {"mmd": "mermaid", "gv": "dot"}.get(suffix, suffix if suffix in GRAPH_FORMATS else "mermaid")
    report = _one_report(path, config_file, debug)
    models = report.models
    chosen = [m for m in models if symbol is None or m.symbol == symbol]
    if not chosen or (symbol is None and len(chosen) > 1):
        found = ", ".join(m.symbol for m in models) or "none"
        reason = f"no model {symbol!r}" if symbol is not None else "several models" if models else "no model"
        _fail(f"{path}: {reason} (models: {found}){'; choose one with --symbol' if len(models) > 1 else ''}")
    model = model_json(chosen[0], nested=expand_nested)
    drawing = diagram.build(model, [diagnostic_json(d) for d in report.diagnostics], group_calls=group == "calls",
                            collapse=collapse, expand_nested=expand_nested)
    writer = diagram.mermaid if graph_format == "mermaid" else diagram.dot
    text = writer(drawing, show_shapes=show_shapes, show_params=show_params, rankdir=rankdir)
    if graph_format in ("svg", "png"):
        try:
            data = diagram.render(text, graph_format)
        except diagram.GraphvizFailed as exc:
            _fail(str(exc))
    else:
        data = text.encode()
    if output_file:
        with open(output_file, "wb") as handle:
            handle.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _fail(reason: str):
    click.echo(f"archlint: {reason}", err=True)
    sys.exit(2)


def _one_report(path: str, config_file, debug: bool):
    """The report of one file, read as `check` reads it; exit 2 with one line when it cannot be."""
    from archlint import api

    if os.path.isdir(path):
        _fail(f"{path} is a directory: name one model file")
    try:
        settings = api.load_settings([path], config_file)
    except api.ConfigError as exc:
        _fail(str(exc))
    report = api.check_paths([path], settings=settings)
    for failure in report.failures:
        _print_failure(failure, debug)
        sys.exit(2)
    return report.files[0]


class _PathsAfterDashes(click.Command):
    """`archlint diff BASE [HEAD] [-- PATH...]`: what follows `--` are paths, however many revisions precede."""

    def parse_args(self, ctx, args):
        if "--" in args:
            cut = args.index("--")
            ctx.meta["archlint_paths"] = args[cut + 1:]
            args = args[:cut]
        return super().parse_args(ctx, args)


@main.command("diff", cls=_PathsAfterDashes)
@click.argument("revisions", nargs=-1, required=True, metavar="BASE [HEAD] [-- PATH...]")
@click.option("--output-format", "--format", "output_format", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Report format.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def diff(ctx, revisions, output_format, output_file, debug):
    """What a change did to the models: layers added, removed and changed, parameter totals, findings
    introduced and fixed. BASE and HEAD are git revisions (HEAD: the working tree when not given), or two
    files. Old revisions are read with git; nothing is checked out and nothing is run."""
    from archlint import modeldiff
    from archlint.revisions import RevisionError

    paths = ctx.meta.get("archlint_paths", [])
    if len(revisions) > 2:
        raise click.UsageError("at most two revisions; paths go after `--`")
    try:
        files = [os.path.isfile(r) for r in revisions]
        if len(revisions) == 2 and not paths and any(files):
            if not all(files):
                _fail(f"{revisions[files.index(False)]}: no such file (comparing two files)")
            pairs, labels = _file_pairs(*revisions, debug)
        else:
            pairs, labels = _revision_pairs(revisions[0], revisions[1] if len(revisions) == 2 else None, paths, debug)
    except RevisionError as exc:
        _fail(str(exc))
    except Exception as exc:  # one line, not a traceback
        _internal_error("comparing the revisions", exc, debug)
        sys.exit(2)
    diffs = modeldiff.diff_files(pairs)
    if output_format == "json":
        text = modeldiff.render_json(diffs, *labels, __version__)
    elif output_format == "markdown":
        text = modeldiff.render_markdown(diffs, *labels)
    else:
        text = modeldiff.render_text(diffs, *labels)
    if output_file:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


def _file_json(path: str, display_path: str, debug: bool) -> dict:
    """One file's JSON report entry, its settings those of the nearest settings file above it."""
    from archlint.report.json_report import diagnostic_json, model_json

    report = _one_report(path, None, debug)
    return {"path": display_path, "models": [model_json(m) for m in report.models],
            "diagnostics": [diagnostic_json(d) for d in report.diagnostics]}


def _file_pairs(base: str, head: str, debug: bool):
    from archlint.modeldiff import FilePair

    return [FilePair(base, head, _file_json(base, base, debug), _file_json(head, head, debug))], (base, head)


def _revision_pairs(base: str, head: str | None, paths, debug: bool):
    """The files the change touches (or every file under the paths named), before and after."""
    from archlint import api
    from archlint.modeldiff import FilePair
    from archlint.revisions import check_revision, compared_files, files_at, repository_root

    root = repository_root(os.getcwd())
    base_commit = check_revision(root, base)
    head_commit = None if head is None else check_revision(root, head)
    pathspecs = []
    for path in paths:
        relative = os.path.relpath(os.path.abspath(path), root)
        if relative == ".." or relative.startswith(".." + os.sep):
            raise click.UsageError(f"{path} is outside the repository {root}")
        pathspecs.append(relative.replace(os.sep, "/"))
    if pathspecs and not files_at(root, base_commit, pathspecs) and not files_at(root, head_commit, pathspecs):
        _fail(f"{', '.join(paths)}: in neither {base} nor {head or 'the working tree'}")
    try:
        settings = api.load_settings([root])
    except api.ConfigError as exc:
        _fail(str(exc))

    def checked(path):
        return settings.included(path) and not settings.excluded(os.path.join(root, path))

    with compared_files(root, base_commit, head_commit, pathspecs, checked) as files:
        result = [FilePair(old, new, None if old is None else _file_json(before, old, debug),
                           None if new is None else _file_json(after, new, debug))
                  for old, new, before, after in files]
    return result, (base, head or "working tree")


@main.command("clean")
@click.option("--cache-dir", metavar="DIR", envvar="ARCHLINT_CACHE_DIR",
              help="The cache folder.  [default: the settings' cache-dir, else .archlint_cache]")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings file (as for check).")
def clean(cache_dir, config_file):
    """Remove the cache folder check uses (its results and libraries caches), as `ruff clean` does."""
    from archlint import api, disk_cache

    try:
        api.load_settings([], config_file, {"cache-dir": cache_dir}, where="command line: ")
    except api.ConfigError as exc:
        _fail(str(exc))
    folder = disk_cache.directory()
    try:
        left = disk_cache.clean(folder)
    except disk_cache.NotACache as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot remove {folder}: {exc.strerror or exc}")
    if left is None:
        click.echo(f"No cache folder at {folder}")
    elif left:
        click.echo(f"Removed archlint's files from {folder}; left {len(left)} it did not write, e.g. {left[0]}")
    else:
        click.echo(f"Removed {folder}")


@main.command("rules")
def list_rules():
    """List the rule catalog: code, name, default severity and when each rule fires."""
    from archlint.rules import all_rules

    catalog = all_rules()
    width = max(len(rule.name) for rule in catalog)
    for rule in catalog:
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity:<7}  {rule.summary}")


@main.command("rule")
@click.argument("code_or_name")
def show_rule(code_or_name):
    """Print one rule's documentation, e.g. `archlint rule AL101` or `archlint rule negative-dimension`."""
    from archlint.rules import find_rule

    rule = find_rule(code_or_name)
    if rule is None:
        click.echo(f"archlint: no rule {code_or_name!r} (see `archlint rules`)", err=True)
        sys.exit(2)
    click.echo(rule.documentation())
