"""Plain-text tables for the terminal: a summary's mean (and its 95% confidence interval) by year;
columns of any cells, each as wide as it needs, so that no two ever run together."""

from __future__ import annotations

import pandas as pd


def yearly(summary: pd.DataFrame, key: str, rows: list[tuple[str, str, int]], years: list[str], reps: int,
           corner: str = "", divisor: float = 1.0) -> str:
    """One line per row ``(value of key, label, decimals)`` of ``summary`` (columns ``key``, ``year``,
    ``mean``, ``ci95``), one column per year: the mean divided by ``divisor``, and ``±`` its
    confidence interval's half-width when there is more than one replication; ``-`` where the
    summary has no value.  Each column is as wide as its widest cell (see :func:`columns`)."""
    table = summary.set_index([key, "year"])
    body = [[label, *(_cell(table, (name, y), dec, reps, divisor) for y in years)] for name, label, dec in rows]
    return columns([corner, *years], body)


def _cell(table: pd.DataFrame, at: tuple[str, str], dec: int, reps: int, divisor: float) -> str:
    if at not in table.index or pd.isna(table.loc[at, "mean"]):
        return "-"
    row = table.loc[at]
    text = f"{row['mean'] / divisor:,.{dec}f}"
    if reps > 1 and pd.notna(row["ci95"]):
        text += f" ±{row['ci95'] / divisor:,.{dec}f}"
    return text


def columns(header: list[str], rows: list[list[str]], gap: int = 3, left: tuple[int, ...] = (0,)) -> str:
    """Cells as text columns, each as wide as its widest cell and at least ``gap`` spaces from the
    next, so that no two ever run together: the columns numbered in ``left`` (the labels, first)
    left-aligned, the others right-aligned, under ``header``."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [f"{cell:<{w}s}" if i in left else f"{cell:>{w}s}" for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append((" " * gap).join(cells).rstrip())
    return "\n".join(lines)
