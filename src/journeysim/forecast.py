"""Forecasts from the latest year forward, with intervals that carry every source of uncertainty
(``journeysim forecast``).

A forecast is a run of a scenario from its first reported year to ``--years`` financial years
after an origin (a 1 April), whose intervals hold three sources of uncertainty:

- **chance**: each replication has its own random numbers (as every run does);
- **the parameters**: each replication runs at its own draw from the space the calibration's
  history matching did not rule out (``run.parameter_draws``: the scenario's own, or else the
  project's ``calibration/plausible.csv``; :mod:`journeysim.draws`);
- **the trend**: from the origin, the front door's volume and the care-entry threshold take a
  random walk (``variation.walk_start`` set to the origin; the steps' sizes are the scenario's
  ``variation.*_walk_sd``; :mod:`journeysim.model.years`), so that the interval widens the further
  the forecast looks.

The year-to-year shifts the scenario already draws (``variation.*_sd``) are there as in any run,
and so is the jump-off, the last year seen, whose shifts are the county's realised ones
(``variation.jump_off_year``): a forecast starts from where the county was.  A forecast from an
earlier origin does not know that year yet, so it draws its shifts like any other.
:func:`run_forecast` writes a normal results folder (:func:`journeysim.runner.run`) with
``forecast.csv`` (each measure's mean and 50% and 90% intervals by year, the published figure before
the origin, the horizon) and ``forecast.png`` (a fan chart of each measure, with the published
figures up to the origin and a line at it) added before the folder takes its place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import draws as parameter_draws
from . import tables
from .calendar import fy_label, fy_of, fy_start_year
from .interrupts import RunError
from .scenario import LAST_DATE, Scenario, load, reported_years
from .stats import prediction_table
from .targets import DEFAULT_PATH as TARGETS_PATH
from .targets import FIRM
from .targets import observed as observed_targets

#: The project's parameter draws, written by ``journeysim calibrate`` beside the fitted parameters.
PLAUSIBLE_PATH = TARGETS_PATH.with_name("plausible.csv")

#: The keys of the walk's step sizes (a forecast without them has no trend uncertainty).
WALK_KEYS = ("variation.front_door_walk_sd", "variation.care_entry_walk_sd")
#: The year whose shifts are the county's realised ones (model/years.py): only a year before the origin.
JUMP_OFF_KEY = "variation.jump_off_year"

#: forecast.csv's columns.
COLUMNS = ["measure", "year", "mean", "p5", "p25", "p75", "p95", "observed", "horizon"]


def measures() -> list[tuple[str, str, str, int]]:
    """The measures a forecast shows, as the report draws them ((measure, title, unit, decimals), in
    the report's order): referrals and the firm official series (:data:`journeysim.targets.FIRM`)."""
    from .report.build import FAN_MEASURES

    return [row for row in FAN_MEASURES if row[0] == "referrals" or row[0] in FIRM]


def parse_origin(text: str) -> dt.date:
    """The forecast origin given as ``--from``: a date that is 1 April (RunError otherwise)."""
    try:
        origin = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise RunError(f"--from {text}: not a date; give the first day of a financial year, like 2019-04-01") from None
    if (origin.month, origin.day) != (4, 1):
        raise RunError(f"--from {text}: a forecast starts at the start of a financial year, which is 1 April; "
                       f"give {origin.year if origin.month >= 4 else origin.year - 1}-04-01 or another 1 April")
    return origin


def _quoted(text: str) -> str:
    """``text`` as a TOML string (for a ``--set`` value)."""
    return json.dumps(text, ensure_ascii=False)


def _command_line_path(path: Path) -> str:
    """``path`` relative to the current folder, as ``--set run.parameter_draws`` reads it."""
    return os.path.relpath(os.path.abspath(path))


def settings(scenario_file: Path, origin: dt.date, years: int, overrides: list[str] | tuple[str, ...] = (),
             draws: str | None = None) -> list[str]:
    """The ``--set`` overrides that make a forecast of ``scenario_file`` (with the user's ``overrides``
    first): ``run.end`` ``years`` financial years after ``origin``, ``variation.walk_start`` at it,
    and ``run.parameter_draws``: ``draws`` (a file, or ``"none"``) when given, else the scenario's own,
    else the project's ``calibration/plausible.csv``.

    RunError (one line) when the origin is outside what the scenario can run or the default draws are
    missing; ScenarioError for a scenario that cannot be used."""
    base = load(scenario_file, overrides)
    start = base["run.start"]
    if origin < start:
        raise RunError(f"--from {origin}: before the first year {scenario_file} reports ({fy_label(fy_of(start))}, "
                       f"from run.start = {start}); a forecast origin is the 1 April of a year it reports or later")
    if origin.year + years > LAST_DATE.year:
        raise RunError(f"--years {years}: a forecast from {origin} would end after {LAST_DATE}, the last date a "
                       f"scenario may use")
    out = [*overrides, f"run.end={origin.year + years}-04-01", f"variation.walk_start={origin.isoformat()}"]
    if 0 < base[JUMP_OFF_KEY] >= fy_of(origin):  # a year the forecast does not know yet: drawn, not realised
        out.append(f"{JUMP_OFF_KEY}=0")
    key = parameter_draws.KEY
    if draws is not None and draws.strip().lower() == parameter_draws.NONE:
        out.append(f"{key}={_quoted(parameter_draws.NONE)}")
    elif draws is not None:
        if not Path(draws).is_file():
            raise RunError(f"--draws {draws}: no such file of parameter draws"
                           + (" (it is a folder)" if Path(draws).is_dir() else "")
                           + "; give a CSV file as journeysim calibrate writes (plausible.csv), or --draws none")
        out.append(f"{key}={_quoted(_command_line_path(Path(draws)))}")
    elif base[key] == parameter_draws.NONE:
        if not PLAUSIBLE_PATH.is_file():
            raise RunError(f"{PLAUSIBLE_PATH}: no parameter draws to forecast with (the calibration writes them): "
                           f"run journeysim calibrate, or pass --draws none (or --draws FILE)")
        out.append(f"{key}={_quoted(_command_line_path(PLAUSIBLE_PATH))}")
    return out


def notes(scenario: Scenario) -> list[str]:
    """What a forecast probably does not mean: no trend uncertainty, or no parameter uncertainty."""
    out = []
    if all(scenario[k] == 0 for k in WALK_KEYS):
        out.append(f"{' and '.join(WALK_KEYS)} are 0 in this scenario: the intervals carry no trend uncertainty "
                   f"(journeysim calibrate sizes them; or set them, e.g. --set {WALK_KEYS[0]}=0.157)")
    if scenario[parameter_draws.KEY] == parameter_draws.NONE:
        out.append("no parameter draws (--draws none): the intervals carry no parameter uncertainty")
    return out


# ------------------------------------------------------------------------------------------ the results
def horizon(year: str, origin: dt.date) -> int:
    """Years from the origin to the end of financial year ``year`` (``"2020-21"``): 1 for the year
    that starts at the origin, 0 for the years before it."""
    return max(0, fy_start_year(year) - fy_of(origin) + 1)


def forecast_table(per_rep: pd.DataFrame, scenario: Scenario, origin: dt.date,
                   observed: pd.DataFrame | None = None) -> pd.DataFrame:
    """forecast.csv: for each measure and reported year the mean over replications; the 5th, 25th,
    75th and 95th percentiles of what the figure will be (the bounds of the 90% and 50% prediction
    intervals, :func:`journeysim.stats.prediction_interval`: the percentiles of a score of
    replications would hold the figure less often than they say); the published figure for the
    years before the origin (counts multiplied by ``run.scale``, as the report compares them) and
    the horizon in years."""
    from .report import data

    observed = observed_targets() if observed is None else observed
    before = observed[[fy_start_year(y) < fy_of(origin) for y in observed["year"]]]
    years = [fy_label(y) for y in reported_years(scenario)]
    bounds = prediction_table(per_rep, {0.90: ("p5", "p95"), 0.50: ("p25", "p75")}).set_index(["measure", "year"])
    frames = []
    for measure, *_ in measures():
        fan = data.fan(per_rep, measure, years, before, scenario["run.scale"])
        own = bounds.reindex(pd.MultiIndex.from_product([[measure], fan["year"]]))
        for column in ("p5", "p25", "p75", "p95"):
            fan[column] = own[column].to_numpy()
        fan.insert(0, "measure", measure)
        fan["horizon"] = [horizon(y, origin) for y in fan["year"]]
        frames.append(fan)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def figure(table: pd.DataFrame, scenario: Scenario, origin: dt.date, reps: int):
    """forecast.png: a fan chart of each measure, with the published figures up to the origin and a
    line at it."""
    from .report import figures as draw

    years = list(table["year"].drop_duplicates())
    at = sum(fy_start_year(y) < fy_of(origin) for y in years) - 0.5
    panels = [(table[table["measure"] == m].reset_index(drop=True), title, unit) for m, title, unit, _ in measures()]
    scaled = f" (counts x {scenario['run.scale']:g}, the run's scale)" if scenario["run.scale"] != 1 else ""
    title = (f"{scenario.name}: forecast from {origin.day} {origin:%B %Y}: mean and 50% and 90% prediction intervals of "
             f"{reps} replications; published figures to the origin{scaled}")
    return draw.fan_grid(panels, title, mark=(at, "forecast origin"))


def format_table(table: pd.DataFrame, origin: dt.date) -> str:
    """The forecast years of each measure, mean [90% prediction interval], with the last published figure before the origin."""
    from .report.build import interval
    from .report.words import number

    ahead = [y for y in table["year"].drop_duplicates() if horizon(y, origin) > 0]
    last = fy_label(fy_of(origin) - 1)
    header = ["", f"{last} published", *ahead]
    rows = []
    for measure, title, _unit, dec in measures():
        own = table[table["measure"] == measure].set_index("year")
        seen = own["observed"].get(last, float("nan"))
        rows.append([title, number(seen, dec), *(interval(r, dec) for r in own.loc[ahead].itertuples())])
    return tables.columns(header, rows)


@dataclass
class Forecast:
    """A finished forecast: its results folder, forecast.csv's table and the run's manifest."""

    out: Path
    table: pd.DataFrame
    manifest: dict


def run_forecast(scenario: Scenario, origin: dt.date, out: Path, reps: int, seed: int, workers: int | None = None,
                 force: bool = False, progress=None, executor=None) -> Forecast:
    """Run ``scenario`` (made with :func:`settings`) into ``out`` and add forecast.csv and forecast.png
    to the folder before it takes its place."""
    from .report import figures as draw
    from .runner import run

    observed = observed_targets()
    made: dict[str, pd.DataFrame] = {}

    def add(folder: Path, per_rep: pd.DataFrame) -> None:
        made["table"] = table = forecast_table(per_rep, scenario, origin, observed)
        table.to_csv(folder / "forecast.csv", index=False)
        (folder / "forecast.png").write_bytes(draw.png_bytes(figure(table, scenario, origin, reps)))

    _, _, manifest = run(scenario, out, reps, seed, workers, force, progress, executor=executor, also=add)
    return Forecast(Path(out), made["table"], manifest)
