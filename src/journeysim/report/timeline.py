"""One child's journey as a timeline (``journeysim trace --figure``), for teaching.

:func:`timeline` folds the child's events into three small tables (what the figure
draws): the stages as bands, the social workers who held the child, and the
handoffs between them.  :func:`timeline_figure` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..events import Event as E
from ..projections import as_frame, child_events
from ..results.reader import ResultsError
from .figures import OKABE_ITO, SERIES, new_figure

#: The stage a child is in after each stage event (background events change nothing).
PHASE_AFTER = {
    E.REFERRAL_RECEIVED: "referral", E.UASC_ARRIVED: "referral", E.CASE_LOADED: "open at the start",
    E.ASSESSMENT_STARTED: "assessment", E.ASSESSMENT_COMPLETED: "assessment",
    E.STRATEGY_DISCUSSION_HELD: "s47 enquiry", E.S47_ENQUIRY_COMPLETED: "s47 enquiry", E.ICPC_HELD: "s47 enquiry",
    E.CIN_PLAN_STARTED: "Child in Need plan", E.CIN_PLAN_ENDED: "Child in Need plan",
    E.CP_PLAN_STARTED: "Child Protection plan", E.CP_REVIEW_HELD: "Child Protection plan",
    E.PLO_STARTED: "PLO / proceedings", E.CARE_PROCEEDINGS_ISSUED: "PLO / proceedings",
    E.CP_PLAN_ENDED: "Child Protection plan",
    E.CARE_ENTERED: "looked after", E.RETURN_HOME_BROKE_DOWN: "looked after", E.CARE_LEFT: "left care",
}
#: Stages in order of growing concern; their bands are greys, darker as the concern grows,
#: so that colour is left to tell the social workers apart.
PHASES = ["referral", "assessment", "Child in Need plan", "s47 enquiry", "Child Protection plan", "PLO / proceedings",
          "looked after", "left care", "open at the start"]
PHASE_SHADES = dict(zip(PHASES, ["#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525",
                                 "#bdbdbd", "#ffffff"]))
_PHASE_OF = {e.value: p for e, p in PHASE_AFTER.items()}


@dataclass
class Timeline:
    """The tables behind a child's timeline (dates are midnight Timestamps)."""

    child_id: int
    bands: pd.DataFrame      # journey, phase, start, end
    workers: pd.DataFrame    # journey, worker, team, start, end
    handoffs: pd.DataFrame   # journey, date, reason, worker (the new worker)
    hubs: pd.DataFrame       # journey, team, start, end
    end: pd.Timestamp        # the last date of the log (open journeys run to it)


def _spans(rows: pd.DataFrame, label_cols: list[str], closing: pd.Timestamp) -> pd.DataFrame:
    """Each row opens a span ending at the next row's date (the last at ``closing``); equal
    neighbours are merged."""
    out = rows[label_cols].assign(start=rows["date"].to_numpy(), end=list(rows["date"].iloc[1:]) + [closing])
    same = (out[label_cols].shift() == out[label_cols]).all(axis=1)
    out = out.assign(group=(~same).cumsum()).groupby("group").agg(
        **{c: (c, "first") for c in label_cols}, start=("start", "first"), end=("end", "last"))
    return out.reset_index(drop=True)


def timeline(log, child_id: int) -> Timeline:
    """The stages, workers, handoffs and hub support of every journey of ``child_id``."""
    df = as_frame(log)
    events = child_events(df, child_id)
    last = df["date"].max()
    bands, workers, handoffs, hubs = [], [], [], []
    for journey, rows in events.groupby("case_id", sort=False):
        closed = rows[rows["event"] == E.CASE_CLOSED.value]
        closing = closed["date"].iloc[0] if not closed.empty else last
        stages = rows[rows["event"].isin(_PHASE_OF) | (rows["event"] == E.CASE_CLOSED.value)]
        open_rows = stages[stages["event"] != E.CASE_CLOSED.value].assign(phase=lambda r: r["event"].map(_PHASE_OF))
        if not open_rows.empty:
            bands.append(_spans(open_rows, ["phase"], closing).assign(journey=int(journey)))
        alloc = rows[rows["event"] == E.WORKER_ALLOCATED.value]
        if not alloc.empty:
            workers.append(_spans(alloc.astype({"worker": int}), ["worker", "team"], closing).assign(journey=int(journey)))
            moved = alloc[alloc["reason"] != "new_case"]
            handoffs.append(pd.DataFrame({"journey": int(journey), "date": moved["date"], "reason": moved["reason"],
                                          "worker": moved["worker"].astype(int)}))
        hub = rows[rows["event"].isin([E.HUB_SUPPORT_STARTED.value, E.HUB_SUPPORT_ENDED.value])]
        started = hub[hub["event"] == E.HUB_SUPPORT_STARTED.value]
        for _, row in started.iterrows():
            after = hub[(hub["event"] == E.HUB_SUPPORT_ENDED.value) & (hub["seq"] > row["seq"])]
            hubs.append(pd.DataFrame({"journey": [int(journey)], "team": [row["team"]], "start": [row["date"]],
                                      "end": [after["date"].iloc[0] if not after.empty else closing]}))
    return Timeline(child_id, _concat(bands, ["journey", "phase", "start", "end"]),
                    _concat(workers, ["journey", "worker", "team", "start", "end"]),
                    _concat(handoffs, ["journey", "date", "reason", "worker"]),
                    _concat(hubs, ["journey", "team", "start", "end"]), last)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def timeline_figure(t: Timeline) -> Figure:
    """Stages as grey bands (darker as the concern grows), the social worker holding the child as
    coloured bars beneath, one pair of lanes per journey; handoffs are marked with their reason."""
    journeys = list(dict.fromkeys(t.bands["journey"].tolist() + t.workers["journey"].tolist()))
    fig = new_figure(12, 1.6 + 1.5 * len(journeys))
    ax = fig.add_subplot()
    first = min([t.bands["start"].min(), t.workers["start"].min()])
    span = max(t.end - first, pd.Timedelta(days=30))
    wide = span * 0.06  # bars narrower than this get no label
    workers = list(dict.fromkeys(t.workers["worker"]))
    colour = {w: SERIES[i % len(SERIES)] for i, w in enumerate(workers)}
    hatch = {w: [None, "//", ".."][(i // len(SERIES)) % 3] for i, w in enumerate(workers)}
    ticks, labels = [], []
    for i, journey in enumerate(journeys):
        y = -3.0 * i
        for _, b in t.bands[t.bands["journey"] == journey].iterrows():
            shade = PHASE_SHADES[b["phase"]]
            _bar(ax, b["start"], b["end"], y + 1, shade, edge="#444444")
            if b["end"] - b["start"] > span * 0.0075 * len(b["phase"]):
                ax.text(b["start"] + (b["end"] - b["start"]) / 2, y + 1, b["phase"], ha="center", va="center",
                        fontsize=7.5, color="white" if _dark(shade) else "black", clip_on=True)
        for _, h in t.hubs[t.hubs["journey"] == journey].iterrows():
            ax.broken_barh([(h["start"], _days(h["start"], h["end"]))], (y + 1.45, 0.2), facecolor="white",
                           edgecolor="black", hatch="xxx", linewidth=0.6)
        for _, w in t.workers[t.workers["journey"] == journey].iterrows():
            _bar(ax, w["start"], w["end"], y, colour[w["worker"]], edge="white", hatch=hatch[w["worker"]])
            if w["end"] - w["start"] > wide:
                ax.text(w["start"] + (w["end"] - w["start"]) / 2, y, f"{w['worker']}", ha="center", va="center",
                        fontsize=7.5, clip_on=True,
                        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        previous, row = None, 0
        for _, h in t.handoffs[t.handoffs["journey"] == journey].iterrows():
            ax.plot([h["date"]], [y + 0.5], marker="v", color=OKABE_ITO["black"], markersize=8)
            # a label close to the one before goes on the other row, so the two never overlap
            row = 1 - row if previous is not None and h["date"] - previous < wide else 0
            ax.annotate(h["reason"].replace("_", " "), (h["date"], y - 0.5 - 0.45 * row), fontsize=7, ha="center",
                        va="top")
            previous = h["date"]
        ticks += [y + 1, y]
        labels += [f"journey {journey}:\nstage", "social worker"]
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_ylim(-3.0 * len(journeys) + 1.6, 1.8)
    ax.set_xlim(first - span * 0.02, t.end + span * 0.02)
    ax.xaxis_date()
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Patch(facecolor=PHASE_SHADES[p], edgecolor="#444444", label=p)
               for p in PHASES if p in set(t.bands["phase"])]
    handles += [Patch(facecolor=colour[w], hatch=hatch[w], edgecolor="white", label=f"worker {w} ({_team_of(t, w)})")
                for w in workers]
    if not t.hubs.empty:
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="xxx", label="hub support"))
    handles.append(ax.plot([], [], marker="v", linestyle="none", color="black", label="handoff (new worker)")[0])
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7.5, frameon=False)
    n = len(workers)
    ax.set_title(f"Child {t.child_id}: {len(journeys)} journey{'s' if len(journeys) != 1 else ''}, "
                 f"{n} social worker{'s' if n != 1 else ''}, {len(t.handoffs)} handoff{'s' if len(t.handoffs) != 1 else ''}")
    return fig


def _team_of(t: Timeline, worker: int) -> str:
    """The teams a worker held the child in, in order."""
    return ", ".join(dict.fromkeys(t.workers.loc[t.workers["worker"] == worker, "team"]))


def _dark(colour: str) -> bool:
    return int(colour[1:3], 16) < 0x80


def _days(start: pd.Timestamp, end: pd.Timestamp) -> pd.Timedelta:
    return max(end - start, pd.Timedelta(days=1))


def _bar(ax, start: pd.Timestamp, end: pd.Timestamp, y: float, colour: str, edge: str, hatch: str | None = None) -> None:
    ax.broken_barh([(start, _days(start, end))], (y - 0.4, 0.8), facecolor=colour, edgecolor=edge, linewidth=0.6,
                   hatch=hatch)


#: File types ``trace --figure`` can write.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def check_figure_path(path: Path) -> None:
    """ResultsError unless ``path`` ends in a picture type :func:`save_timeline` draws."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise ResultsError(f"--figure {path}: unknown picture type '{path.suffix}'; use {', '.join(FIGURE_SUFFIXES)}")


def save_timeline(log, child_id: int, path: Path) -> Path:
    """Draw the timeline of ``child_id`` into ``path`` (its suffix picks the format), in one step: a
    failed write leaves a file already at ``path`` as it was."""
    path = Path(path)
    check_figure_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        timeline_figure(timeline(log, child_id)).savefig(tmp, dpi=110)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
