"""The IPython extension: `%load_ext archlint`, then `%%archlint` and `%archlint` in Jupyter or IPython.

    %%archlint [MODEL]    check the cell below, without running it: its models and findings
    %archlint [MODEL]     check every cell run so far (the session's `In`) as one program

Both read the session's earlier cells (`In[1]`, `In[2]`, ...) as a notebook's cells, so a cell
using `input_shape` or a helper from a cell run before is understood; `%%archlint` then shows
only what its own cell makes and finds. Cells are named by their `In` number (`cell 3, line 2`
is `In [3]`, line 2, the `%%archlint` line counted). MODEL shows that model alone (its variable
or layer name). Nothing checked is run: the cell under `%%archlint` stays unexecuted, its names
undefined. In Jupyter the result is an HTML table with the findings' rows highlighted; elsewhere
it is text. Settings come from the nearest `[tool.archlint]` above the working directory.
Only this module imports IPython, and only `%load_ext archlint` imports this module.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import replace

from IPython.core.magic import Magics, line_cell_magic, magics_class

from archlint.api import ConfigError, check_source
from archlint.dims import format_shape
from archlint.report import line_label, position
from archlint.report.text import closing_line, table

SEVERITY_COLOURS = {"error": "#f8d7da", "warning": "#fff3cd", "info": "#d1ecf1"}
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class ReportView:
    """A checked cell or session as IPython shows it: `_repr_html_` in Jupyter, text elsewhere. `report` is the
    checked code's `archlint.results.FileReport`."""

    def __init__(self, report, only: str | None = None):
        self.report, self.only = report, only
        self.models = [m for m in report.models if only is None or only in (m.symbol, m.name)]
        symbols = {m.symbol for m in self.models}
        self.diagnostics = [d for d in report.diagnostics if only is None or d.symbol in symbols]

    def __repr__(self) -> str:
        if self.only is not None and not self.models:
            return self._no_such_model()
        out = []
        for model in self.models:
            out += table(model) + [""]
        out += [f"{position(d)}: {d.code} {d.message}" for d in self.diagnostics]
        out.append(closing_line([self]))
        return "\n".join(out)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        if self.only is not None and not self.models:
            return f"<p>{html.escape(self._no_such_model())}</p>"
        parts = ['<div class="archlint">']
        for model in self.models:
            parts += self._model_html(model)
        if self.diagnostics:
            parts.append('<ul style="list-style: none; padding-left: 0">')
            for d in self.diagnostics:
                parts.append(f'<li style="background: {SEVERITY_COLOURS[d.severity]}; padding: 2px 6px">'
                             f'<b>{html.escape(d.code)}</b> {d.severity} at {html.escape(position(d))}: '
                             f'{html.escape(d.message)}</li>')
            parts.append("</ul>")
        parts.append(f"<p>{html.escape(closing_line([self]))}</p></div>")
        return "\n".join(parts)

    def _model_html(self, model) -> list[str]:
        worst: dict[str, str] = {}  # layer name -> the most severe finding on it
        for d in self.diagnostics:
            if d.symbol == model.symbol and d.layer is not None and \
                    SEVERITY_RANK[d.severity] > SEVERITY_RANK.get(worst.get(d.layer), -1):
                worst[d.layer] = d.severity
        where = "" if model.line is None else f", {line_label(model)}"
        title = f"Model &quot;{html.escape(model.name)}&quot; (<code>{html.escape(model.symbol)}</code>{where})"
        rows = []
        for row in model.layers:
            style = f' style="background: {SEVERITY_COLOURS[worst[row.name]]}"' if row.name in worst else ""
            shape = "?" if row.output_shape is None else format_shape(row.output_shape)
            params = "?" if row.params is None else f"{row.params:,}"
            line = "" if row.line is None else line_label(row)
            rows.append(f"<tr{style}><td>{html.escape(row.name)} ({html.escape(row.type)})</td>"
                        f"<td>{html.escape(shape)}</td><td style=\"text-align: right\">{params}</td>"
                        f"<td>{html.escape(line)}</td></tr>")
        incomplete = "" if model.complete else " (incomplete: some layers are unresolved, see the findings)"
        return [f"<p><b>{title}</b></p>", "<table>",
                "<thead><tr><th>Layer (type)</th><th>Output shape</th><th>Param #</th><th>Where</th></tr></thead>",
                "<tbody>", *rows, "</tbody></table>",
                f"<p>Total params: {model.total_params:,}; trainable: {model.trainable_params:,}; "
                f"non-trainable: {model.non_trainable_params:,}{incomplete}</p>"]

    def _no_such_model(self) -> str:
        found = ", ".join(m.symbol for m in self.report.models) or "none"
        return f"archlint: no model {self.only!r} (models found: {found})"


@magics_class
class ArchlintMagics(Magics):
    @line_cell_magic
    def archlint(self, line: str, cell: str | None = None):
        """`%%archlint [MODEL]`: check this cell without running it. `%archlint [MODEL]`: check the session so far."""
        only = line.strip() or None
        # The cells run so far, this one last when the session keeps it in its history (IPython 9 has
        # counted it in execution_count by now, IPython 8 not yet: the history itself is what both agree on).
        history = list(self.shell.history_manager.input_hist_raw[1:])
        if cell is None:
            return self._check(history, only)
        if history and history[-1].lstrip().startswith("%%archlint") and history[-1].rstrip().endswith(cell.rstrip()):
            history.pop()
        # The `%%archlint` line is the cell's line 1 in the editor: the code below it starts at line 2.
        return self._check(history + ["\n" + cell], only, own_cell=len(history) + 1)

    def _check(self, cells: list[str], only: str | None, own_cell: int | None = None) -> ReportView | None:
        notebook = {"cells": [{"cell_type": "code", "source": text} for text in cells], "nbformat": 4}
        try:
            report = check_source(json.dumps(notebook), os.path.join(os.getcwd(), "In.ipynb"))
        except ConfigError as exc:
            print(f"archlint: {exc}")
            return None
        if report.failures:
            print(f"archlint: {report.failures[0].message}")
            return None
        (checked,) = report.files
        if own_cell is not None:
            checked = replace(checked, models=tuple(m for m in checked.models if m.cell == own_cell),
                              diagnostics=tuple(d for d in checked.diagnostics if d.cell == own_cell))
        return ReportView(checked, only)


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(ArchlintMagics)
