"""Plain-text tables for the terminal: a summary's mean (and its 95% confidence interval) by year;
columns of any cells, each as wide as it needs."""

from __future__ import annotations

import pandas as pd


def yearly(summary: pd.DataFrame, key: str, rows: list[tuple[str, str, int]], years: list[str], reps: int,
           corner: str = "", divisor: float = 1.0) -> str:
    """One line per row ``(value of key, label, decimals)`` of ``summary`` (columns ``key``, ``year``,
    ``mean``, ``ci95``), one column per year: the mean divided by ``divisor``, and ``±`` its
    confidence interval's half-width when there is more than one replication; ``-`` where the
    summary has no value."""
    table = summary.set_index([key, "year"])
    width = 10 if reps == 1 else 15
    lines = [f"{corner:40s}" + "".join(f"{y:>{width}s}" for y in years)]
    for name, label, dec in rows:
        cells = []
        for y in years:
            if (name, y) not in table.index or pd.isna(table.loc[(name, y), "mean"]):
                cells.append(f"{'-':>{width}s}")
                continue
            row = table.loc[(name, y)]
            text = f"{row['mean'] / divisor:,.{dec}f}"
            if reps > 1 and pd.notna(row["ci95"]):
                text += f" ±{row['ci95'] / divisor:,.{dec}f}"
            cells.append(f"{text:>{width}s}")
        lines.append(f"{label:40s}" + "".join(cells))
    return "\n".join(lines)


def columns(header: list[str], rows: list[list[str]], gap: int = 3) -> str:
    """Cells as text columns, each as wide as its widest cell and at least ``gap`` spaces from the
    next, so that no two ever run together: the first column (labels) left-aligned, the others
    right-aligned, under ``header``."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [f"{row[0]:<{widths[0]}s}"] + [f"{cell:>{w}s}" for cell, w in zip(row[1:], widths[1:])]
        lines.append((" " * gap).join(cells).rstrip())
    return "\n".join(lines)
