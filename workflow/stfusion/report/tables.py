"""The report's tables as HTML: metric tables like the papers' (best value in bold), the scene inventory
and the run times."""
from __future__ import annotations

from html import escape
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ..metrics import METRICS, Metric

# Columns of the metric tables that are not metrics: run time is ranked like an error, date counts are not.
COLUMNS: dict[str, Metric] = {**METRICS, "seconds": Metric("run time (s)", "lowest", digits=1)}
NOT_RANKED = {"dates": Metric("held-out dates", "", digits=0)}
ARROWS = {"highest": "↑", "lowest": "↓", "zero": "→0"}


def column_of(name: str) -> Metric:
    """How a table column is shown and ranked (an unknown column: as an error, under its own name)."""
    return {**COLUMNS, **NOT_RANKED}.get(name, Metric(name, "lowest"))


def best_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a value is the best of its column (its metric's ``best``: highest, lowest or closest to zero;
    run time lowest); ties are all best; unranked columns (date counts) never."""
    best = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if column in NOT_RANKED or values.isna().all():
            continue
        best_is = column_of(column).best
        score = values.abs() if best_is == "zero" else values
        best[column] = score == (score.max() if best_is == "highest" else score.min())
    return best


def header(metric: str) -> str:
    """A column header with its unit and direction: ↑ higher is better, ↓ lower is better."""
    shown = column_of(metric)
    if metric in NOT_RANKED:
        return shown.label
    return f"{shown.label} {ARROWS[shown.best]}"


def number(metric: str, value: object) -> str:
    """A value formatted to the digits its metric needs; a dash for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{float(value):.{column_of(metric).digits}f}"


def html_table(frame: pd.DataFrame, cell: Callable[[str, object], str], headers: Mapping[str, str] | None = None,
               bold: pd.DataFrame | None = None, row_class: Callable[[object], str] | None = None, caption: str = "") -> str:
    """A frame as an HTML table: index as the first column, ``cell(column, value)`` for each value, bold where
    ``bold`` is True, ``row_class(index label)`` on each row."""
    headers = headers or {}
    align = {c: ' class="n"' if pd.api.types.is_numeric_dtype(frame[c]) else "" for c in frame.columns}  # numbers right
    head = "".join(f"<th{align[c]}>{escape(headers.get(c, str(c)))}</th>" for c in frame.columns)
    rows = []
    for label, values in frame.iterrows():
        cells = []
        for column, value in values.items():
            text = escape(cell(column, value))
            text = f"<b>{text}</b>" if bold is not None and bold.at[label, column] else text
            cells.append(f"<td{align[column]}>{text}</td>")
        css = f' class="{row_class(label)}"' if row_class else ""
        rows.append(f"<tr{css}><th>{escape(str(label))}</th>{''.join(cells)}</tr>")
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    index_name = escape(str(frame.index.name or ""))
    return f'<table>{title}<thead><tr><th>{index_name}</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def metric_legend(metrics: list[str]) -> str:
    """What the bold values and arrows of a metric table mean, and the units of its metrics."""
    units = [column_of(m).unit for m in metrics]
    return "; ".join(["Bold: the best value of each column (↑ highest is best, ↓ lowest is best)"]
                     + [unit for unit in units if unit]) + "."


def metric_table(frame: pd.DataFrame, caption: str = "") -> str:
    """Methods (index) x metrics (columns), the best value of each metric in bold."""
    return html_table(frame, number, headers={c: header(c) for c in frame.columns}, bold=best_mask(frame), caption=caption)


def own_dates_table(frame: pd.DataFrame) -> str:
    """Rows (method, role) x metrics and ``dates`` (evaluation.own_dates_summary), nothing in bold: each row has
    its own dates, so the columns do not rank the methods."""
    shown = frame.set_axis([f"{method} ({role.replace('_', ' ')})" for method, role in frame.index], axis=0)
    headers = {c: "dates" if c == "dates" else header(c) for c in frame.columns}
    return html_table(shown.rename_axis("method"), number, headers=headers)


def inventory_table(inventory: pd.DataFrame) -> str:
    """The scene inventory: sensor, date, cloud+shadow and nodata percentages (the share of the nodata without a
    QA value), the pixels beyond the sensor's value range (blank for a sensor without one), kept or dropped and
    why."""
    shown = pd.DataFrame({
        "date": inventory.date.astype(str),
        "cloud+shadow %": 100 * (inventory.cloud_fraction + inventory.shadow_fraction),
        "nodata %": 100 * inventory.nodata_fraction,
        "of which no QA %": 100 * inventory.no_qa_fraction,
        "pixels below range": inventory.below_range_pixels,
        "pixels above range": inventory.above_range_pixels,
        "kept": np.where(inventory.kept, "kept", "dropped"),
        "reason": inventory.reason,
    })
    shown.index = pd.Index(inventory.sensor, name="sensor")
    shown = shown.reset_index().rename_axis("#")
    shown.index += 1
    kept = dict(zip(shown.index, inventory.kept))

    def cell(column: str, value) -> str:
        if column.endswith("%"):
            return f"{value:.1f}"
        if column.startswith("pixels"):
            return "" if pd.isna(value) else f"{value:.0f}"
        return str(value)

    return html_table(shown, cell, row_class=lambda label: "kept" if kept[label] else "dropped")


def runtime_table(runtimes: pd.DataFrame) -> str:
    """Run time and peak memory per method (index) from the jobs' benchmark files."""
    formats = {"jobs": "{:.0f}", "total (s)": "{:.1f}", "longest job (s)": "{:.1f}", "peak memory (MB)": "{:.0f}"}
    return html_table(runtimes, lambda column, value: formats[column].format(value))
