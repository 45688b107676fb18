"""``summary.xlsx``: a results folder's tables as a spreadsheet a planner can open.

One sheet per table (the official measures, the costs, and in a comparison's folder the
comparison), each row with its human name, unit and definition, and the figures exactly as
the command line prints them (mean, and ``±`` the 95% confidence interval's half-width; for a
comparison the paired difference with its interval).  A sheet "About" says what was run and
how to read the figures.  Written with openpyxl: a real .xlsx that Excel, LibreOffice and
Google Sheets open, which CSV files are not for many planners (their thousands separators, dates
and encodings vary by locale).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .costs import COMPONENTS, LABELS as COST_LABELS
from .measure_rows import DEFINITIONS, SUMMARY_ROWS

FILE = "summary.xlsx"

#: Definitions of the cost rows.
COST_DEFINITION = ("Annual cost in the financial year, priced with the scenario's unit costs (costs.*); placement "
                   "costs are illustrative")


def _cell(row, dec: int, reps: int, divisor: float = 1.0) -> str:
    """A figure as :func:`journeysim.tables.yearly` prints it."""
    if row is None or pd.isna(row["mean"]):
        return "-"
    text = f"{row['mean'] / divisor:,.{dec}f}"
    if reps > 1 and pd.notna(row["ci95"]):
        text += f" ±{row['ci95'] / divisor:,.{dec}f}"
    return text


def _yearly_rows(summary: pd.DataFrame, key: str, rows, years: list[str], reps: int, divisor: float = 1.0):
    table = summary.set_index([key, "year"])
    for name, label, dec, unit, definition in rows:
        cells = [_cell(table.loc[(name, y)] if (name, y) in table.index else None, dec, reps, divisor) for y in years]
        yield [label.strip(), unit, definition, *cells]


def named(rows):
    """Rows with an indented label ("  returned home") named with their parent ("CLA ceased: returned home")."""
    parent = ""
    for measure, label, dec in rows:
        if label.startswith(" "):
            label = f"{parent}: {label.strip()}"
        else:
            parent = label
        yield measure, label, dec


def measures_rows(summary: pd.DataFrame, years: list[str], reps: int) -> list[list[str]]:
    """The sheet "Measures": a header, then name, unit, definition and the figure of each year."""
    rows = [(m, label, dec, *DEFINITIONS[m]) for m, label, dec in named(SUMMARY_ROWS)]
    return [["Measure", "Unit", "Definition", *years], *_yearly_rows(summary, "measure", rows, years, reps)]


def costs_rows(costs_summary: pd.DataFrame, years: list[str], reps: int) -> list[list[str]]:
    """The sheet "Costs": each component in GBP million."""
    rows = [(c, COST_LABELS[c], 2, "GBP million",
             "Sum of the components above" if c == "total" else COST_DEFINITION) for c in COMPONENTS]
    return [["Component", "Unit", "Definition", *years],
            *_yearly_rows(costs_summary, "component", rows, years, reps, divisor=1e6)]


def about_rows(name: str, reps: int, seed: int, extra: list[str] = ()) -> list[list[str]]:
    spread = (f"mean over {reps} replications ± the half-width of its 95% confidence interval" if reps > 1
              else "one replication (no interval)")
    return [["Scenario", name], ["Replications", str(reps)], ["Seed", str(seed)], ["Figures", spread],
            ["Years", "financial years, April to March; stocks at the end of 31 March"],
            *[["Note", text] for text in extra]]


def write(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """Write ``sheets`` (name -> rows, the first a header) to ``path`` in one step (a partial file never stays)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            letter = column[0].column_letter
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[letter].width = min(60, max(10, width + 2))
            if width > 60:
                for c in column:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "B2"
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_run_summary(folder: Path, name: str, summary: pd.DataFrame, costs_summary: pd.DataFrame, years: list[str],
                      reps: int, seed: int) -> Path:
    """``summary.xlsx`` of a run's folder: About, Measures, Costs."""
    return write(Path(folder) / FILE, {"About": about_rows(name, reps, seed),
                                       "Measures": measures_rows(summary, years, reps),
                                       "Costs": costs_rows(costs_summary, years, reps)})


def comparison_rows(cmp, rows=SUMMARY_ROWS) -> list[list[str]]:
    """The sheet "Comparison": each measure and year with both means, B - A [95% interval] and the % change,
    as ``journeysim compare`` prints them."""
    from .compare import _bound, _interval, _num, _rows_with_costs, _scale

    d = cmp.diffs.set_index(["measure", "year"])
    out = [["Measure", "Unit", "Definition", "Year", cmp.name_a, cmp.name_b, "Difference [95% CI]", "Change",
            "Clear difference"]]
    for measure, label, dec in named(_rows_with_costs(rows)):
        unit, definition = DEFINITIONS.get(measure, ("GBP million", COST_DEFINITION))
        for y in cmp.years:
            if (measure, y) not in d.index:
                continue
            r = d.loc[(measure, y)]
            k = _scale(measure)
            change = "-" if pd.isna(r["pct_change"]) else f"{r['pct_change']:+.1f}%"
            clear = "no (interval includes 0)" if r["includes_zero"] else "yes"
            out.append([label.strip(), unit, definition, y, _num(r["mean_a"] / k, dec), _num(r["mean_b"] / k, dec),
                        f"{_bound(r['diff'] / k, dec)} {_interval(r['ci_low'] / k, r['ci_high'] / k, dec)}", change,
                        clear])
    return out


def write_comparison_summary(folder: Path, cmp, statement: list[str], warnings: list[str] = ()) -> Path:
    """``summary.xlsx`` of a comparison's folder: About, Comparison, Statement."""
    about = about_rows(f"{cmp.name_b} against {cmp.name_a} (B - A, paired on common random numbers)", cmp.reps,
                       cmp.seed, list(warnings))
    return write(Path(folder) / FILE, {"About": about, "Comparison": comparison_rows(cmp),
                                       "Statement": [["Statement"], *[[line] for line in statement]]})
