"""``journeysim animate --engine vidigi``: vidigi's interactive HTML animation of one district's
journeys (and the front-door cases that led to them), one icon per child or family moving
between the steps of :mod:`journeysim.animation_log`.

vidigi (the optional extra ``journeysim[animate]``) is the animation library of the health and
care simulation community: it draws each entity's place at every snapshot as a plotly figure
with a play button, which the file embeds whole (it opens offline).  The window shown starts
at vidigi's ``warm_up``, so that journeys already open then are on screen from the first frame:
the excerpt given to it holds every journey of the district up to the window's end, the
starting stock included.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..animation_log import STEP_LABELS, start_day, vidigi_log
from ..calendar import fy_label
from ..excerpt import Selection, excerpt
from ..interrupts import RunError
from ..results.reader import open_results
from ..scenario import reported_years

#: Where each step sits on vidigi's canvas (x, y: the front of its queue), a row per part of the
#: service: the front door and the wait for a worker, then assessment and enquiries, then plans and care.
LAYOUT = {
    "arrival": (160, 560), "in_mash": (520, 560), "awaiting_allocation": (880, 560),
    "assessment": (520, 400), "child_protection_enquiry": (880, 400),
    "cin_plan": (520, 240), "cp_plan": (880, 240), "looked_after": (520, 80), "left_care": (880, 80),
    "depart": (1180, 320),
}


def positions() -> pd.DataFrame:
    """vidigi's ``event_position_df``: each step's place and label."""
    labels = {"arrival": "Arrival", "depart": "Exit", **STEP_LABELS}
    return pd.DataFrame([{"event": step, "x": x, "y": y, "label": labels[step]} for step, (x, y) in LAYOUT.items()])


def animation_window(results, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The dates shown: by default the last reported financial year."""
    last = reported_years(results.scenario)[-1]
    start = start or dt.date(last, 4, 1)
    end = end or results.scenario["run.end"]
    if start >= end:
        raise RunError(f"--from {start} is not before --to {end}: the window is empty")
    return start, end


def write_vidigi_animation(results_path: str | Path, out: str | Path, district: str, rep: int = 0,
                           start: dt.date | None = None, end: dt.date | None = None, step_days: int = 7) -> Path:
    """Write vidigi's animation of ``district``'s journeys of replication ``rep`` (results folder at
    ``results_path``), one frame every ``step_days`` days from ``start`` to ``end``, as one HTML file."""
    try:
        from vidigi.animation import animate_activity_log
    except ImportError:
        raise RunError("--engine vidigi needs vidigi: pip install 'journeysim[animate]'") from None
    results = open_results(results_path)
    start, end = animation_window(results, start, end)
    df = excerpt(results.log(rep), Selection(end=end, district=district, with_stock=True))
    log = vidigi_log(df, rep)
    moves = log[~log["event_type"].isin(["resource_use", "resource_use_end"])]  # places, not the workers' use
    fig = animate_activity_log(
        moves, positions(), time_col_name="time", simulation_time_unit="days", every_x_time_units=step_days,
        warm_up=int(start_day(df, start)), limit_duration=int(start_day(df, end)), step_snapshot_max=40,
        wrap_queues_at=10, entity_icon_size=14, text_size=14, plotly_height=700, plotly_width=1100,
        gap_between_entities=11, gap_between_queue_rows=22, time_display_units="d",
        start_date=str((df["date"] - pd.to_timedelta(df["time"].astype(int), unit="D")).iloc[0].date()),
        frame_duration=300, frame_transition_duration=300, run_col_name="run")
    fig.update_layout(title=f"{results.name}, district {district}, replication {rep}: journeys from "
                            f"{start:%d %B %Y} to {end:%d %B %Y} ({fy_label(start.year)} on)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        fig.write_html(tmp, include_plotlyjs=True, full_html=True)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
