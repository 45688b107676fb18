"""What the page shows of a results folder: the report's own figures and tables, and the trainer views.

Everything here is drawn by the report (:mod:`journeysim.report`) from the same projections,
so a chart in the app and in ``journeysim report`` never disagree: the official measures as fan
charts against Hampshire's published figures, the costs by component with intervals, caseloads
and waits (the queues), and changes of social worker by reason.  The trainer views follow one
child's journey (the event log told as in ``journeysim trace``, and drawn as its timeline) and
play the animation of ``journeysim animate`` in the page.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import spreadsheet
from ..calendar import fy_label
from ..results.reader import Results, open_results
from ..scenario import reported_years


@dataclass
class RunView:
    """A results folder ready to show: its tables, and the report's figures (PNG bytes with captions)."""

    results: Results
    measures: pd.DataFrame  # Measure, Unit, Definition, one column per year (as the command line prints)
    costs: pd.DataFrame  # Component, Unit, Definition, one column per year (GBP million, ± the 95% half-width)
    fans: list  # ReportFigure of each official measure
    others: list  # ReportFigure: caseloads, waits (queues), handoffs by reason, costs


def years_of(results: Results) -> list[str]:
    return [fy_label(y) for y in reported_years(results.scenario)]


def table(rows: list[list[str]]) -> pd.DataFrame:
    """A sheet of :mod:`journeysim.spreadsheet` (header row first) as a DataFrame."""
    return pd.DataFrame(rows[1:], columns=rows[0])


def run_view(folder: Path) -> RunView:
    """The tables and figures of a run's results folder."""
    from ..report import build
    from ..report.collect import project
    from ..targets import observed

    results = open_results(folder)
    years = years_of(results)
    reps = len(results.reps)
    summary = pd.read_csv(Path(folder) / "summary.csv")
    costs = pd.read_csv(Path(folder) / "costs_summary.csv")
    proj = project(results)
    fans = build.measure_figures(results.measures, years, observed(), results.scenario["run.scale"])
    others = [build.caseload_figure(results, proj), build.waits_figure(proj), build.handoffs_figure(proj)]
    if results.costs is not None:
        others.append(build.costs_figure(results.costs, years))
    return RunView(results, table(spreadsheet.measures_rows(summary, years, reps)),
                   table(spreadsheet.costs_rows(costs, years, reps)), fans, others)


def comparison_view(folder: Path) -> tuple[pd.DataFrame, list[str], bytes]:
    """A comparison's folder: its table (as summary.xlsx's sheet), its statement (the warning first, when the
    replications are too few) and its figure."""
    from openpyxl import load_workbook

    book = load_workbook(Path(folder) / spreadsheet.FILE, read_only=True)
    rows = [[c for c in row] for row in book["Comparison"].values]
    statement = (Path(folder) / "statement.txt").read_text(encoding="utf-8").splitlines()
    return table(rows), statement, (Path(folder) / "comparison.png").read_bytes()


def zip_folder(folder: Path) -> bytes:
    """The results folder as a .zip (CSV, Parquet event logs, manifest, summary.xlsx)."""
    folder = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                z.write(path, f"{folder.name}/{path.relative_to(folder)}")
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ trainer views
def children_with_journeys(results: Results, rep: int = 0, most: int = 50) -> list[tuple[int, str]]:
    """Children worth following in a training room: those with the most steps in their journeys (care, a
    plan, changes of worker), as (child id, a few words), the busiest first."""
    from ..events import Event as E

    df = results.log(rep).select(["child_id", "event"]).to_pandas()
    df = df[df["child_id"] >= 0]
    counts = df.groupby("child_id")["event"].agg(["size", lambda e: (e.astype(str) == E.CARE_ENTERED.value).any()])
    counts.columns = ["events", "care"]
    top = counts.sort_values(["care", "events"], ascending=False).head(most)
    return [(int(child), f"child {int(child)}: {int(row.events)} events" + (", looked after" if row.care else ""))
            for child, row in top.iterrows()]


def journey(results: Results, child_id: int, rep: int = 0) -> tuple[list[str], bytes]:
    """One child's journey: the story told from the event log (as ``journeysim trace``) and its timeline (PNG)."""
    from ..narrative import tell
    from ..report.figures import png_bytes
    from ..report.timeline import timeline, timeline_figure

    log = results.log(rep)
    return tell(log, child_id), png_bytes(timeline_figure(timeline(log, child_id)))


def animation_gif(folder: Path, step_days: int = 30, fps: int = 6, dpi: int = 50) -> bytes:
    """The animation of stocks and queues (``journeysim animate``) as GIF bytes, which a page plays as an image."""
    from ..report.animate import write_animation

    with tempfile.TemporaryDirectory(prefix="journeysim-app-") as tmp:
        path = write_animation(folder, Path(tmp) / "animation.gif", step_days, fps, dpi)
        return path.read_bytes()
