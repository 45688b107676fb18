"""Stocks and queues over time as an animation for a training room (``journeysim animate``).

Each frame shows one date: how many children are in need, on a plan and looked after,
how many wait for a worker or a hub place, and the history so far, with the service
changes of the scenario marked.  Fonts are large enough to read on a projector.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

from ..progress import progress_bar
from ..projections import queue_lengths, stock_series
from ..results.reader import Results, ResultsError, open_results
from . import data
from .figures import OKABE_ITO, new_figure
from .words import scenario_events

#: What the animation shows: column, label, colour.
STOCKS = [("cin", "Children in need", OKABE_ITO["blue"]), ("cp", "on a CP plan", OKABE_ITO["vermillion"]),
          ("cla", "looked after", OKABE_ITO["orange"])]
QUEUES = [("awaiting_allocation", "Waiting for a worker", OKABE_ITO["purple"]),
          ("hub_waiting", "Waiting for a hub", OKABE_ITO["sky_blue"]),
          ("hub_supported", "In hub support", OKABE_ITO["green"])]


def frame_dates(results: Results, step_days: int) -> list[pd.Timestamp]:
    """Every ``step_days`` days from the first reported day to the last."""
    s = results.scenario
    return list(pd.date_range(s["run.start"], s["run.end"] - dt.timedelta(days=1), freq=f"{step_days}D"))


def animation_data(results: Results, step_days: int = 14) -> pd.DataFrame:
    """Stocks and queues at each frame's date, averaged over replications (one row per date)."""
    dates = frame_dates(results, step_days)
    stocks, queues = [], []
    with progress_bar(len(results.reps), "reading event logs", "rep") as bar:
        for logs in results.logs().batches():
            stocks.append(stock_series(logs, dates))
            queues.append(queue_lengths(logs, dates))
            bar.update(len(logs.reps))
    return data.stock_frames(pd.concat(stocks), pd.concat(queues))


def _writer(path: Path, fps: int):
    suffix = path.suffix.lower()
    if suffix == ".gif":
        return PillowWriter(fps=fps)
    if suffix == ".mp4":
        if shutil.which("ffmpeg") is None:
            raise ResultsError(f"--out {path}: writing .mp4 needs ffmpeg, which is not installed; "
                               "install it (Debian: apt-get install ffmpeg) or write a .gif")
        return FFMpegWriter(fps=fps, codec="libx264", extra_args=["-pix_fmt", "yuv420p"])
    raise ResultsError(f"--out {path}: unknown animation type '{path.suffix}'; use .gif (or .mp4 with ffmpeg)")


class _Scene:
    """The figure and the artists each frame updates."""

    def __init__(self, frames: pd.DataFrame, changes: list[tuple[dt.date, str]], title: str, dpi: int) -> None:
        self.frames = frames
        self.changes = [(pd.Timestamp(d), text) for d, text in changes]
        self.fig = new_figure(12.8, 7.2)
        self.fig.set_dpi(dpi)
        grid = self.fig.add_gridspec(2, 2, height_ratios=[1, 1.15])
        self.title = self.fig.suptitle("", fontsize=26, fontweight="bold", va="top")
        self.stock_ax = self.fig.add_subplot(grid[0, 0])
        self.queue_ax = self.fig.add_subplot(grid[0, 1])
        self.stock_bars = self._bars(self.stock_ax, STOCKS, "children")
        self.queue_bars = self._bars(self.queue_ax, QUEUES, "children or families")
        # history so far: children in need on the left, the (smaller) plan and care stocks on the right
        self.lines = {}
        for pos, series in ((grid[1, 0], STOCKS[:1]), (grid[1, 1], STOCKS[1:])):
            ax = self.fig.add_subplot(pos)
            for col, label, colour in series:
                (self.lines[col],) = ax.plot([], [], color=colour, linewidth=3.5, label=label)
            ax.set_xlim(frames.index[0], frames.index[-1])
            ax.set_ylim(0, 1.15 * frames[[c for c, _, _ in series]].to_numpy().max())
            ax.tick_params(labelsize=13)
            ax.spines[["top", "right"]].set_visible(False)
            ax.legend(fontsize=14, frameon=False, loc="lower left", ncols=len(series))
            for when, _text in self.changes:
                ax.axvline(when, color="#999999", linewidth=1, linestyle="--")
        self.change_text = self.fig.text(0.5, 0.905, "", ha="center", va="top", fontsize=17,
                                         bbox={"boxstyle": "round,pad=0.3", "facecolor": "#fff7e0", "edgecolor": "#E69F00"})
        self.fig.text(0.005, 0.995, title, fontsize=11, color="#555555", va="top")
        self.fig.get_layout_engine().set(rect=(0, 0, 1, 0.86))
        self.draw(len(frames) - 1)  # lay the figure out once, with the widest numbers, then keep it fixed
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")
        self.title.set_y(0.985)

    def _bars(self, ax, series, unit: str):
        labels = [label for _, label, _ in series]
        top = max(1.0, self.frames[[c for c, _, _ in series]].to_numpy().max())
        bars = ax.barh(labels[::-1], [0] * len(series), color=[c for _, _, c in series][::-1])
        ax.set_xlim(0, top * 1.3)
        ax.tick_params(axis="y", labelsize=17)
        ax.tick_params(axis="x", labelsize=12)
        ax.set_xlabel(unit, fontsize=13)
        ax.spines[["top", "right"]].set_visible(False)
        texts = [ax.text(0, bar.get_y() + bar.get_height() / 2, "", va="center", fontsize=20, fontweight="bold")
                 for bar in bars]
        return list(zip([c for c, _, _ in series][::-1], bars, texts))

    def draw(self, i: int):
        date = self.frames.index[i]
        row = self.frames.iloc[i]
        self.title.set_text(f"{date:%B %Y}")
        for bars in (self.stock_bars, self.queue_bars):
            for col, bar, text in bars:
                bar.set_width(row[col])
                text.set_x(row[col])
                text.set_text(f" {row[col]:,.0f}")
        for col, line in self.lines.items():
            line.set_data(self.frames.index[: i + 1], self.frames[col].iloc[: i + 1])
        latest = [text for when, text in self.changes if when <= date]
        self.change_text.set_text(f"Latest change: {latest[-1]}" if latest else "The service as at the start")
        return []


def write_animation(results_path: str | Path, out: str | Path, step_days: int = 14, fps: int = 8,
                    dpi: int = 100, verify: bool = True) -> Path:
    """Write the animation of the results folder at ``results_path`` to ``out`` (.gif, or .mp4 with ffmpeg),
    the folder checked against its manifest unless ``verify`` is False."""
    out = Path(out)
    writer = _writer(out, fps)
    results = open_results(results_path, verify)
    frames = animation_data(results, step_days)
    scene = _Scene(frames, scenario_events(results.scenario), f"journeysim: {results.name}, mean of {len(results.reps)} replication(s)", dpi)
    animation = FuncAnimation(scene.fig, scene.draw, frames=len(frames), blit=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.partial{out.suffix}")
    try:
        with progress_bar(len(frames), "drawing frames", "frame") as bar:
            animation.save(str(tmp), writer=writer, dpi=dpi, progress_callback=lambda i, n: bar.update(1))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)  # a failed or interrupted write leaves nothing behind
    return out

