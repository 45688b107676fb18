"""The ``journeysim`` command: thin wrappers that parse, call and print.

A command imports what it runs (the runner, calibration, the report, ...) inside itself: that keeps
``journeysim --help``, ``describe`` and ``validate`` from loading the model, matplotlib or Dask.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import shlex
import sys
import tempfile
import warnings
from pathlib import Path

import click
import pandas as pd

from . import __version__, pathway, spreadsheet, tables
from .calendar import fy_label
from .costs import format_costs
from .eventlog import LogFormatError, LogMigrationWarning, read_log
from .interrupts import RunError, RunInterrupted, sigterm_interrupts
from .knobs import CalibrationError, Settings
from .measure_rows import OFFICIAL_ROWS, SUMMARY_ROWS
from .ownership import OwnershipError, check_file, check_place, check_regular, claim, claim_file
from .progress import BatchProgress, progress_bar, replication_progress, stage_progress, stderr_is_terminal
from .results.reader import EditedResultsWarning, ResultsError, open_results
from .returns.output import ExportError
from .scenario import PARAMS, ScenarioError, describe_params, load, notes, reported_years
from .stability import warning_text, warnings_for
from .targets import TargetsError, load_targets


def user_errors(fn):
    """Turn the errors a user can cause into one message and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", LogMigrationWarning)
                warnings.simplefilter("always", EditedResultsWarning)
                warnings.showwarning = _note
                return fn(*args, **kwargs)
        except (ScenarioError, RunError, LogFormatError, TargetsError, CalibrationError, ResultsError,
                ExportError, OwnershipError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except RunInterrupted as exc:
            click.echo(f"interrupted: {exc}", err=True)
            sys.exit(128 + exc.signum)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was written to the output folder", err=True)
            sys.exit(130)
        except OSError as exc:  # a path that cannot be written (or read) as the command went on
            click.echo(f"error: {_os_error(exc)}", err=True)
            sys.exit(2)

    return wrapper


def _os_error(exc: OSError) -> str:
    """An operating-system error in one line: the path(s) it names and what went wrong."""
    why = exc.strerror or str(exc)
    if exc.filename is None:
        return why
    where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 is not None else "")
    return f"{where}: {why}"


def writable(path: Path, option: str, folder: bool = False, force: bool = False,
             inputs: list | tuple | None = None, replace: bool = False) -> None:
    """RunError or OwnershipError (one line naming ``option`` and ``path``) unless the command can write
    ``path`` (a file, or with ``folder`` a folder, made with any missing parent folders).

    Checked before any work, so that a long run never ends failing to write its output, and nothing
    already there is touched: what journeysim may write over (:mod:`journeysim.ownership`: a file only
    with ``force`` and only one it wrote; with ``inputs``, the files the command reads, a folder of
    results never at a place that holds them, the home or the current folder), then whether the
    operating system lets it, by making and removing an empty scratch file in the nearest folder on
    the way to ``path`` that exists (a file where a folder is needed, a read-only or special
    filesystem such as /proc).  With ``replace``, a file is refreshed in place whoever wrote it (checked
    only to be a regular file), for the outputs a command exists to refresh."""
    path = Path(path)
    if folder and inputs is not None:
        check_place(path, option, inputs)
    if not folder and replace:
        check_regular(path, option)
    elif not folder:
        check_file(path, option, force)
    if folder and path.exists() and not path.is_dir():
        raise RunError(f"{option} {path}: is a file, not a folder")
    base = path.parent
    while not base.exists() and base != base.parent:
        base = base.parent
    if base.exists() and not base.is_dir():
        raise RunError(f"{option} {path}: cannot write there: {base} is a file, not a folder")
    for where in ([path] if folder and path.is_dir() else []) + [base]:
        try:
            fd, scratch = tempfile.mkstemp(dir=where, prefix=".journeysim-write-check-")
            os.close(fd)
            os.unlink(scratch)
        except OSError as exc:
            raise RunError(f"{option} {path}: cannot write in {where} ({exc.strerror or exc})") from None


#: --no-verify: read a results folder whose files no longer match its manifest, with a note.
no_verify_option = click.option("--no-verify", is_flag=True,
                                help="Read the results folder even if its files no longer match the SHA-256 its "
                                     "manifest records (a note instead of an error).")


#: --yes: go on although the run's estimate does not fit the machine.
yes_option = click.option("--yes", is_flag=True,
                          help="Start even if the estimated event logs would not fit on the disk, or the workers in "
                               "the memory (the estimate is checked before any work).")


def _capped(workers: int | None, scheduler: str | None = None) -> int | None:
    """``--workers`` capped at the cores journeysim may use here (a note says so), unless on a cluster."""
    from .limits import usable_workers

    if scheduler:
        return workers
    workers, note = usable_workers(workers)
    if note:
        click.echo(f"note: {note}", err=True)
    return workers


def _check_limits(scenario, replications: int, workers: int | None, out: Path, yes: bool,
                  scheduler: str | None = None) -> None:
    """Refuse before any work a batch whose logs would not fit on the disk of ``out`` or whose workers would
    not fit in this machine's memory (:mod:`journeysim.limits`), unless ``yes``."""
    from . import limits

    at_once = workers or min(replications, os.cpu_count() or 1)
    est = limits.estimate(scenario, replications, at_once)
    if scheduler:  # the workers' memory is the cluster's, not this machine's: only the disk is checked here
        est = dataclasses.replace(est, memory_bytes=0)
    limits.check(est, out, yes)
    if est.seconds > limits.LONG_SECONDS:
        click.echo(f"note: estimate: {est.describe()}", err=True)


def seed_option(help: str):
    """--seed: the run seed, whose meaning ``help`` gives."""
    return click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0), help=help)


def set_option(help: str):
    """--set KEY=VALUE, repeatable: scenario overrides (into ``overrides``)."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=help)


def measures_option(help: str):
    """--measure, repeatable: measures (into ``measures``)."""
    return click.option("--measure", "measures", multiple=True, metavar="MEASURE", help=help)


def years_option(help: str):
    """--year, repeatable: financial years like 2018-19 (into ``years``)."""
    return click.option("--year", "years", multiple=True, metavar="YYYY-YY", help=help)


#: --workers: processes on this machine.
workers_option = click.option("--workers", type=click.IntRange(1, 256), default=None,
                              help="Processes [default: one per core].")


def executor_options(fn):
    """``--executor`` and ``--scheduler``: where a command's runs execute (see :mod:`journeysim.executors`)."""
    fn = click.option("--scheduler", metavar="ADDRESS", default=None,
                      help="Address of a running Dask scheduler (e.g. tcp://HOST:8786) to run on; implies "
                           "--executor dask. Its workers must run this journeysim and see --out at the same path.")(fn)
    return click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
                        help="Where runs execute: local processes, or a Dask cluster (--scheduler, or else a "
                             "LocalCluster of --workers processes) [default: local].")(fn)


def runs_folder_options(out_help: str, force_help: str):
    """``--out`` (a folder of runs), ``--workers``, ``--force`` and the executor options of a command that
    makes several runs."""

    def options(fn):
        fn = executor_options(fn)
        fn = click.option("--force", is_flag=True, help=force_help)(fn)
        fn = workers_option(fn)
        return click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help=out_help)(fn)

    return options


def _chosen_years(years: tuple[str, ...], reported: list[str]) -> list[str]:
    """The ``--year`` values given (default: the last reported year); RunError naming one not reported."""
    unknown = [y for y in years if y not in reported]
    if unknown:
        raise RunError(f"--year {unknown[0]}: not a reported year; the years are {', '.join(reported)}")
    return list(years) or reported[-1:]


@contextlib.contextmanager
def _executor(kind: str | None, scheduler: str | None, workers: int | None):
    """The executor asked for, closed (a LocalCluster it started stopped) when the block ends."""
    from .executors import open_executor, quiet_dask_logs

    if scheduler and workers:
        click.echo(f"note: --workers {workers} is not used with --scheduler: the cluster's workers run the jobs",
                   err=True)
    if (kind or ("dask" if scheduler else "local")) == "dask":
        quiet_dask_logs()  # their tracebacks (of a lost connection, say) would drown the one error line
    with open_executor(kind, workers, scheduler) as ex:
        if ex.kind != "local":
            click.echo(f"executor: {ex.describe()}", err=True)
        yield ex


def _note(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning as one ``note:`` line (an old event log read, say), without the source location."""
    click.echo(f"note: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="journeysim")
def main() -> None:
    """journeysim: simulate children's social care case journeys (Hampshire)."""


def _reported_years(scenario) -> list[str]:
    return [fy_label(y) for y in reported_years(scenario)]


def format_summary(summary: pd.DataFrame, years: list[str], reps: int) -> str:
    """The summary table: one row per official measure, one column per year (mean, +/- 95% CI half-width)."""
    return tables.yearly(summary, "measure", SUMMARY_ROWS, years, reps)


def _progress(result, done, total):
    click.echo(f"  replication {result.rep + 1}: {result.events:,} events in {result.seconds:.1f}s "
               f"({done}/{total} done)", err=True)


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reps", default=1, show_default=True, type=click.IntRange(1, 100_000), help="Replications.")
@seed_option("Run seed; replication seeds are spawned from it.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder [default: results/<scenario name>].")
@workers_option
@set_option("Override a scenario parameter (repeatable).")
@click.option("--force", is_flag=True, help="Replace the output folder (or an interrupted run's) if it exists.")
@click.option("--resume", is_flag=True, help="Finish an interrupted run into --out (same scenario, --reps, --seed).")
@yes_option
@executor_options
@user_errors
def run(scenario_file, reps, seed, out, workers, overrides, force, resume, yes, executor, scheduler):
    """Run SCENARIO_FILE and write event logs, measures and a manifest.

    The results are built in OUT.incomplete and renamed to OUT when complete. If the run is
    interrupted (Ctrl-C, SIGTERM), finished replications are kept there and --resume runs the rest.
    """
    from .runner import run as run_scenario

    scenario = load(scenario_file, overrides)
    for note in notes(scenario):
        click.echo(f"note: {note}", err=True)
    _draws_notes(scenario, reps)
    out = out or Path("results") / scenario.name
    writable(out, "--out", folder=True, inputs=scenario.files)
    workers = _capped(workers, scheduler)
    _check_limits(scenario, reps, workers, out, yes, scheduler)
    click.echo(f"journeysim {__version__}: {scenario.name}, {reps} replication(s), seed {seed} -> {out}", err=True)
    with sigterm_interrupts(), _executor(executor, scheduler, workers) as ex, \
            progress_bar(reps, "replications", "rep") as bar:
        progress = replication_progress(bar) if stderr_is_terminal() else _progress
        _, summary, manifest = run_scenario(scenario, out, reps, seed, workers, force, progress, resume,
                                            executor=ex)
    click.echo()
    click.echo(f"{scenario.name}: official measures by financial year "
               f"({'mean ± 95% CI over ' + str(reps) + ' replications' if reps > 1 else 'one replication'})")
    click.echo(format_summary(summary, _reported_years(scenario), reps))
    _echo_warnings(manifest.get("warnings", []))
    _echo_costs(out, _reported_years(scenario), reps)
    click.echo()
    kept = len(manifest["resumed_replications"])
    click.echo(f"Results: {out}  ({sum(e['events'] for e in manifest['event_logs']):,} events, "
               f"{manifest['wall_seconds']:.1f}s"
               + (f"; {kept} of {reps} replications kept from the interrupted run" if kept else "") + ")")


def _echo_warnings(findings: list[dict]) -> None:
    """Print a run's warnings (a queue growing without bound: its manifest's ``warnings``), after a blank line."""
    if findings:
        click.echo()
        click.echo(warning_text(findings))


def _draws_notes(scenario, reps: int | None = None) -> None:
    """Check the scenario's parameter draws before any work, and say which --set values they replace and
    whether ``reps`` replications outnumber them."""
    from .draws import KEY, read, replaced

    draws = read(scenario)
    for key in replaced(scenario, draws):
        click.echo(f"note: {key} (--set) is replaced in every replication by its parameter draw ({KEY}); "
                   f"set {KEY}=none to keep it", err=True)
    if draws is not None and reps is not None and reps > len(draws):
        n = len(draws)
        click.echo(f"note: {reps} replications and {n} parameter draw{'s' * (n != 1)} ({KEY}): replications "
                   f"{n + 1} on run at draws that earlier ones ran at", err=True)


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "origin", required=True, metavar="YYYY-04-01",
              help="Forecast origin: the 1 April from which the forecast looks ahead (published figures are "
                   "shown up to it; the trend's random walk starts there).")
@click.option("--years", required=True, type=click.IntRange(1, 100),
              help="Financial years to forecast from the origin.")
@click.option("--reps", default=20, show_default=True, type=click.IntRange(1, 100_000),
              help="Replications, each at its own parameter draw.")
@seed_option("Run seed; replication seeds and the order of the parameter draws come from it.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder [default: results/forecast-<scenario name>].")
@workers_option
@set_option("Override a scenario parameter (repeatable).")
@click.option("--draws", default=None, metavar="FILE|none",
              help="Parameter draws (a CSV as journeysim calibrate writes), or none [default: the scenario's "
                   "run.parameter_draws, else calibration/plausible.csv].")
@click.option("--force", is_flag=True, help="Replace the output folder (or an interrupted run's) if it exists.")
@yes_option
@executor_options
@user_errors
def forecast(scenario_file, origin, years, reps, seed, out, workers, overrides, draws, force, yes, executor,
             scheduler):
    """Forecast SCENARIO_FILE YEARS financial years ahead from the origin, with intervals that carry
    chance, the parameters' uncertainty (one draw of the calibration's plausible parameters per
    replication) and the trend's (a random walk from the origin).

    Writes a results folder (as run does) with forecast.csv and forecast.png (a fan chart of each
    official measure, published figures up to the origin), and prints the forecast years.
    """
    from . import forecast as fc

    start = fc.parse_origin(origin)
    scenario = load(scenario_file, fc.settings(scenario_file, start, years, overrides, draws))
    for note in notes(scenario) + fc.notes(scenario):
        click.echo(f"note: {note}", err=True)
    _draws_notes(scenario, reps)
    out = out or Path("results") / f"forecast-{scenario.name}"
    writable(out, "--out", folder=True, inputs=scenario.files)
    workers = _capped(workers, scheduler)
    _check_limits(scenario, reps, workers, out, yes, scheduler)
    click.echo(f"journeysim {__version__}: {scenario.name}, forecast from {start} for {years} year(s), {reps} "
               f"replication(s), seed {seed} -> {out}", err=True)
    with sigterm_interrupts(), _executor(executor, scheduler, workers) as ex, \
            progress_bar(reps, "replications", "rep") as bar:
        progress = replication_progress(bar) if stderr_is_terminal() else _progress
        result = fc.run_forecast(scenario, start, out, reps, seed, workers, force, progress, executor=ex)
    scaled = "; published counts x run.scale" if scenario["run.scale"] != 1 else ""
    click.echo()
    click.echo(f"{scenario.name}: forecast from {start}, mean [90% prediction interval] of {reps} replications{scaled}")
    click.echo(fc.format_table(result.table, start))
    _echo_warnings(result.manifest.get("warnings", []))
    click.echo()
    click.echo(f"Results: {out}  (forecast.csv, forecast.png, and the run's measures and event logs; "
               f"{sum(e['events'] for e in result.manifest['event_logs']):,} events, "
               f"{result.manifest['wall_seconds']:.1f}s)")


def _echo_costs(out: Path, years: list[str], reps: int) -> None:
    """Print the run's annual costs (``costs_summary.csv``)."""
    click.echo()
    click.echo("Annual cost by component (unit costs from the scenario's costs.*; placement costs are illustrative)")
    click.echo(format_costs(pd.read_csv(out / "costs_summary.csv"), years, reps))


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@set_option("Override a scenario parameter (repeatable).")
@user_errors
def describe(scenario_file, overrides):
    """Print the pathway and every parameter of SCENARIO_FILE with its value and where it was set."""
    scenario = load(scenario_file, overrides)
    click.echo(f"Scenario: {scenario.name}")
    if scenario["description"]:
        click.echo(f"  {scenario['description']}")
    click.echo(f"  files: {' <- '.join(Path(f).name for f in scenario.files) or 'defaults'}")
    click.echo("\nPathway (stage events; a change of worker, a placement move or hub support can happen between them):")
    for line in pathway.describe(pathway.build(scenario)):
        click.echo(f"  {line}")
    click.echo("\nParameters (value, [where set], meaning):")
    raw = scenario.raw()
    section = None
    for key, _default, unit, doc in describe_params():
        top = key.split(".")[0] if "." in key else "scenario"
        if top != section:
            section = top
            click.echo(f"\n[{section}]")
        src = scenario.sources.get(key)
        where = f"  [{Path(src).name if src and not src.startswith('--set') else src}]" if src else ""
        unit_text = f" {unit}" if unit and PARAMS[key].kind in ("float", "int") else ""
        click.echo(f"  {key} = {_fmt(raw[key])}{unit_text}{where}")
        click.echo(f"      {doc}")


def _fmt(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_fmt(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


class WholeNumber(click.ParamType):
    """An integer, also written as a float with nothing after the point ("475.0", as pandas prints an
    id column that holds missing values)."""

    name = "integer"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return int(value)
        except ValueError:
            pass
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not number.is_integer():
            self.fail(f"{value!r} is not a whole number", param, ctx)
        return int(number)



@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.argument("child_id", type=WholeNumber())
@click.option("--rep", default=0, show_default=True, help="Replication whose event log to read.")
@click.option("--figure", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw the journey as a timeline (.png, .svg or .pdf).")
@click.option("--force", is_flag=True, help="Replace a file journeysim wrote earlier (never one it did not write).")
@no_verify_option
@user_errors
def trace(results, child_id, rep, figure, force, no_verify):
    """Tell one child's journey from a results folder's event log (and draw it with --figure)."""
    from .narrative import tell

    if figure is not None:  # a figure that cannot be written is said before the story, not after it
        from .report.timeline import check_figure_path

        check_figure_path(figure)
        writable(figure, "--figure", force=force)
    if not 0 <= child_id < 2**63:
        raise RunError(f"CHILD_ID {child_id}: not a child id; ids are whole numbers from 0 (see the event log)")
    path = open_results(results, verify=not no_verify).log_path(rep) if results.is_dir() else results
    log = read_log(path)
    lines = tell(log, child_id)
    if not lines:
        raise RunError(f"{path}: no events for child {child_id}")
    for line in lines:
        click.echo(line)
    if figure is not None:
        from .report.timeline import save_timeline

        save_timeline(log, child_id, figure)
        claim_file(figure)
        click.echo(f"\nTimeline: {figure}")


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--closed", "windows", multiple=True, metavar="FROM..TO",
              help="A window of closing dates (both inclusive), e.g. 2019-11-01..2020-04-30 (repeatable) "
                   "[default: the evaluation's baseline sample, Nov 2017 - Feb 2018, and the same months of "
                   "the next two years, those the run covers].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table as CSV: window, band, mean, p5, p95, journeys, replications.")
@click.option("--force", is_flag=True, help="Replace a file journeysim wrote earlier (never one it did not write).")
@user_errors
def continuity(results, windows, out, force):
    """Social workers per journey among journeys with a plan that closed in a window of dates, as a
    case-file sample counts them: the share with 1, 2, 3, 4 and 5+ workers (mean and 90% interval
    across replications) and how many journeys closed in the window."""
    from . import continuity as ct

    run = open_results(results)
    if out is not None:
        writable(out, "--out", force=force)
    try:
        chosen = [ct.parse_window(w) for w in windows]
    except ct.WindowError as exc:
        raise RunError(str(exc)) from None
    first, last = run.scenario["run.start"], run.scenario["run.end"]
    if not chosen:
        chosen = [w for w in ct.PREDICTION_WINDOWS if w[1] >= first and w[2] < last]
    outside = [label for label, start, end in chosen if start < first or end >= last]
    if outside:
        raise RunError(f"--closed {outside[0]}: outside the run ({first} to {last - dt.timedelta(days=1)}); "
                       "give a window within it")
    if not chosen:
        raise RunError(f"{results}: the run ({first} to {last}) holds none of the default windows; give one with --closed")
    table = ct.summary(ct.shares(run.logs(), chosen))
    scaled = f" (a run at run.scale {run.scenario['run.scale']:g}: journeys not scaled up)" if run.scenario["run.scale"] != 1 else ""
    click.echo(f"{run.name}: journeys with a CIN or CP plan closed in each window, by social workers across "
               f"the journey; mean [90% interval] over {len(run.reps)} replication(s){scaled}")
    click.echo(ct.format_table(table))
    if out is not None:
        table.round(3).to_csv(out, index=False)
        claim_file(out)
        click.echo(f"\nTable: {out}")


# --------------------------------------------------------------------------- report, pictures, exports
@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--compare", "other", type=click.Path(path_type=Path), default=None, metavar="OTHER_RESULTS",
              help="Another results folder (same --seed and replications) to show paired differences from.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write [default: RESULTS/report.html].")
@click.option("--force", is_flag=True, help="Replace a file journeysim wrote earlier (never one it did not write).")
@no_verify_option
@user_errors
def report(results, other, out, force, no_verify):
    """Write one self-contained HTML report (figures embedded) of a results folder."""
    from .report import write_report
    from .report.build import pairing

    out = out or Path(results) / "report.html"
    writable(out, "--out", force=force)
    runs = [open_results(folder, verify=not no_verify) for folder in (results, *([other] if other is not None else []))]
    for run in runs:  # a table that cannot be read is said before the long pass over the logs
        _ = (run.measures, run.costs)
    if other is not None:
        note = pairing(*runs)
        if note:
            click.echo(f"note: {note}", err=True)
    path = write_report(results, out, other, verify=not no_verify)
    claim_file(path)
    click.echo(f"Report: {path}  ({path.stat().st_size / 1e6:.1f} MB, open it in any browser)")
    for warning in warnings_for([(run.name, run.measures) for run in runs]):
        click.echo()
        click.echo(warning + "\n  (the report shows this first)")


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Animation to write: .gif, or .mp4 where ffmpeg is installed; .html with --engine vidigi.")
@click.option("--engine", type=click.Choice(["matplotlib", "vidigi"]), default="matplotlib", show_default=True,
              help="matplotlib: stocks and queues over time; vidigi: one district's children and families moving "
                   "through the service, an interactive HTML page (needs the extra journeysim[animate]).")
@click.option("--step-days", default=None, type=click.IntRange(1, 366),
              help="Days between frames [default: 14; 7 with --engine vidigi].")
@click.option("--fps", default=8, show_default=True, type=click.IntRange(1, 60), help="Frames per second.")
@click.option("--dpi", default=100, show_default=True, type=click.IntRange(20, 300),
              help="Resolution: 100 gives 1280 x 720 pixels.")
@click.option("--district", default=None, metavar="D3", help="With --engine vidigi: the district [default: D1].")
@click.option("--rep", default=0, show_default=True, help="With --engine vidigi: the replication.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="With --engine vidigi: the first day shown [default: the last reported year's 1 April].")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="With --engine vidigi: the day the animation stops [default: run.end].")
@click.option("--force", is_flag=True, help="Replace a file journeysim wrote earlier (never one it did not write).")
@no_verify_option
@user_errors
def animate(results, out, engine, step_days, fps, dpi, district, rep, start, end, force, no_verify):
    """Animate stocks and queues over time (for a training room or a projector), or with --engine vidigi
    one district's journeys, child by child."""
    writable(out, "--out", force=force)
    if engine != "vidigi" and (district or start or end):
        raise RunError("--district, --from and --to choose what --engine vidigi shows; the matplotlib animation "
                       "shows the whole run's stocks and queues")
    if engine == "vidigi":
        from .excerpt import ExcerptError
        from .report.vidigi_animation import write_vidigi_animation

        try:
            path = write_vidigi_animation(results, out, (district or "D1").strip().upper(), rep, start and start.date(),
                                          end and end.date(), step_days or 7)
        except ExcerptError as exc:
            raise RunError(str(exc)) from None
        claim_file(path)
        click.echo(f"Animation: {path}  ({path.stat().st_size / 1e6:.1f} MB, open it in any browser)")
        return
    from .report.animate import write_animation

    path = write_animation(results, out, step_days or 14, fps, dpi, verify=not no_verify)
    claim_file(path)
    click.echo(f"Animation: {path}  ({path.stat().st_size / 1e6:.1f} MB)")


def _excerpt_options(fn):
    """The process-mining exports' choice of events (:class:`journeysim.excerpt.Selection`)."""
    options = [
        click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
                     help="Cases that start on or after this date [default: run.start, so no warm-up]."),
        click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
                     help="Cases that start before this date, and their events before it [default: run.end]."),
        click.option("--sample", type=click.IntRange(1), default=None, metavar="N",
                     help="N child journeys at random, the front-door cases that led to them and the same share "
                          "of the others [default: all]."),
        click.option("--sample-seed", type=int, default=0, show_default=True, help="Seed of --sample's draw."),
        click.option("--district", default=None, metavar="D3",
                     help="Only the journeys of one district (their first team's), the front-door cases that led "
                          "to them and the district's teams' events."),
        click.option("--events", "only", default=None, metavar="A,B",
                     help="Only these event types (comma-separated) [default: all]."),
        click.option("--drop-events", "drop", default=None, metavar="A,B",
                     help="Leave out these event types (comma-separated), e.g. WorkerAllocated."),
        click.option("--with-stock", is_flag=True,
                     help="Include the journeys loaded open when the run began (with a --from before run.start)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _selection(found, start, end, sample, sample_seed, district, only, drop, with_stock):
    """The excerpt the export options ask for; dates default to the run's reported period."""
    from .excerpt import Selection

    def names(text):
        return frozenset(n.strip() for n in text.split(",") if n.strip()) if text is not None else None

    scenario = found.scenario
    return Selection(start=start.date() if start else scenario["run.start"],
                     end=end.date() if end else scenario["run.end"], sample=sample, seed=sample_seed,
                     district=district.strip().upper() if district else None, events=names(only),
                     drop=names(drop) or frozenset(), with_stock=with_stock)


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--format", "fmt", required=True,
              type=click.Choice(["pm4py-csv", "xes", "ocel2-json", "vidigi", "ssda903", "cin-census"]),
              help="pm4py-csv / xes: one case per child journey or front-door case; ocel2-json: every event, "
                   "object-centric; vidigi: the cases as entities in vidigi's event log (CSV); "
                   "ssda903: the children looked after return (CSV tables, --out a folder); cin-census: the "
                   "children in need census (XML, --out a file); both for one collection year (--year).")
@click.option("--rep", default=0, show_default=True, help="Replication whose event log to export.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to write (a folder for ssda903).")
@click.option("--year", metavar="YYYY-YY", default=None,
              help="Collection year of a statutory return, e.g. 2025-26 (the run must cover it).")
@click.option("--force", is_flag=True, help="Replace files an earlier journeysim export wrote there (never others).")
@_excerpt_options
@no_verify_option
@user_errors
def export(results, fmt, rep, out, year, force, start, end, sample, sample_seed, district, only, drop, with_stock,
           no_verify):
    """Export one replication's event log for process-mining tools (pm4py, ProM, Disco, OCEL 2.0 tools),
    or one year of it as the DfE's statutory returns (SSDA903, CIN census)."""
    from .returns import FORMATS as RETURNS

    found = open_results(results, verify=not no_verify)
    if fmt in RETURNS:
        if any(x is not None for x in (start, end, sample, district, only, drop)) or with_stock:
            raise RunError(f"--from, --to, --sample, --district, --events, --drop-events and --with-stock choose "
                           f"events for the process-mining formats, not --format {fmt} (a whole collection year)")
        from .returns import export_return

        if year is None:
            raise RunError(f"--format {fmt}: give the collection year with --year (e.g. --year 2025-26)")
        writable(out, "--out", folder=fmt == "ssda903", force=force)
        counts = export_return(found.log(rep), fmt, year, out, force)
        what = "children" if fmt == "cin-census" else "rows"
        click.echo(f"Exported the {year} {'SSDA903 return' if fmt == 'ssda903' else 'CIN census'} of replication "
                   f"{rep} to {out}:")
        for name, n in counts.items():
            click.echo(f"  {name}: {n:,} {what}")
        return
    from .excerpt import ExcerptError
    from .export import export as write_export

    if year is not None:
        raise RunError(f"--year: only for the statutory returns (ssda903, cin-census), not --format {fmt}")
    if out.is_dir():
        raise RunError(f"--out {out}: is a folder; give a file name")
    writable(out, "--out", force=force)
    selection = _selection(found, start, end, sample, sample_seed, district, only, drop, with_stock)
    try:
        n = write_export(found.log(rep), fmt, out, name=f"{found.name} replication {rep}", selection=selection,
                         rep=rep)
    except ExcerptError as exc:
        raise RunError(str(exc)) from None
    claim_file(out)
    click.echo(f"Exported {n:,} {'rows' if fmt == 'vidigi' else 'events'} ({fmt}) to {out}, cases starting {selection.start} to {selection.end}"
               + (f", district {selection.district}" if selection.district else "")
               + (f", a sample of {sample:,} journeys (seed {sample_seed})" if sample else ""))


# ------------------------------------------------------------------------------ an authority's own returns
def _extract_options(fn):
    fn = click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="Also write every problem found in the extracts (file, row, column, what was expected) "
                           "to this CSV file.")(fn)
    fn = click.option("--cin-census", "cin_census", type=click.Path(path_type=Path), default=None,
                      help="The CIN census (its XML file).")(fn)
    return click.option("--ssda903", type=click.Path(path_type=Path), default=None,
                        help="The folder of the SSDA903 return's CSV files.")(fn)


def _echo_report(report, report_file: Path | None) -> None:
    """What was used of the extracts, and what could not be (never a value from them)."""
    for line in report.summary():
        click.echo(f"  {line}", err=True)
    if report.problems:
        shown = report.problems[:20]
        click.echo(f"{len(report.problems):,} problem(s) in the extracts"
                   + (f" (the first {len(shown)}; all in {report_file})" if report_file and len(report.problems) > 20
                      else ""), err=True)
        for problem in shown:
            click.echo(f"  {problem.line()}", err=True)
    if report_file is not None:
        _write_atomic(report_file, report.frame().to_csv(index=False, lineterminator="\n"))
        claim_file(report_file)


@main.command()
@_extract_options
@click.option("--at", "at", required=True, metavar="YYYY-MM-DD", help="The date (its end) whose open caseload to take.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Snapshot file to write (CSV).")
@click.option("--force", is_flag=True, help="Replace a snapshot an earlier journeysim snapshot wrote.")
@user_errors
def snapshot(ssda903, cin_census, report_file, at, out, force):
    """The open caseload at the end of a date, from an authority's SSDA903 and CIN census extracts (or
    exported ones), as a starting state for a scenario (run.start_state)."""
    from .returns import output
    from .returns.extracts import ExtractError
    from .returns.snapshot import snapshot as take, write

    try:
        when = dt.date.fromisoformat(at)
    except ValueError:
        raise RunError(f"--at {at}: not a date (YYYY-MM-DD)") from None
    if report_file is not None:
        writable(report_file, "--report", force=force)
    writable(out, "--out", force=force)
    try:
        snap, report = take(ssda903, cin_census, when)
    except ExtractError as exc:
        raise RunError(str(exc)) from None
    write(snap, out)
    output.record(out.parent, [out.name])
    _echo_report(report, report_file)
    counts = snap["stage"].value_counts()
    click.echo(f"Snapshot at the end of {when}: {len(snap):,} children -> {out}")
    for stage, label in (("care", "looked after"), ("cp", "on a CP plan"), ("cin", "on a CIN plan"),
                         ("assessment", "in need, being assessed"), ("closed", "closed in the year before (may come back)")):
        click.echo(f"  {label:<45} {int(counts.get(stage, 0)):>7,}")
        if stage == "care":
            earlier = int(snap["began_earlier"].fillna(0).astype(int).sum())
            click.echo(f"    {'of whom in care before the return begins':<43} {earlier:>7,}")
    click.echo(f"Start a run from it: run.start_state = \"{out.name}\" (beside the scenario file), run.start = "
               f"{when + dt.timedelta(days=1)}, run.warmup_days = 0")


@main.command()
@_extract_options
@click.option("--year", "year", default=None, metavar="YYYY-YY",
              help="Collection year of the extracts (one year's returns) [default: the year ending on the last "
                   "31 March the census covers].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Parameter file to write (TOML; the same estimates with their intervals go to a CSV beside it).")
@click.option("--force", is_flag=True, help="Replace files an earlier journeysim estimate wrote.")
@user_errors
def estimate(ssda903, cin_census, report_file, year, out, force):
    """Estimate the model's rates (referrals and their trend, conversion, plan lengths, exits from care
    by reason and age) from an authority's extracts, each with its 95% interval."""
    from .returns import output
    from .returns.estimate import estimate as run_estimate, shown, write
    from .returns.extracts import ExtractError

    writable(out, "--out", force=force)
    if report_file is not None:
        writable(report_file, "--report", force=force)
    table_file = out.with_suffix(".csv")
    output.check(out.parent, [out.name, table_file.name], force)
    try:
        table, report = run_estimate(ssda903, cin_census, year)
    except (ExtractError, ValueError) as exc:
        raise RunError(str(exc)) from None
    write(table, out, table_file)
    output.record(out.parent, [out.name, table_file.name])
    _echo_report(report, report_file)
    click.echo(f"Estimates ({len(table)}), with 95% intervals -> {out} and {table_file}")
    for row in table.itertuples(index=False):
        click.echo(f"  {row.quantity:<44} {shown(row.estimate):>10}   ({shown(row.low)} to {shown(row.high)}; n = {row.n:,})")


@main.command()
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("scenarios/hampshire.toml"), show_default=True, help="Scenario whose uncertain parameters are fitted.")
@click.option("--targets", "targets_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Targets file [default: calibration/targets.csv].")
@click.option("--budget", type=click.IntRange(16, 100_000), default=None,
              help="Simulation runs per fit for the history-matching waves [default: 236; 69 with --quick].")
@click.option("--reps", type=click.IntRange(2, 10_000), default=None,
              help="Full-scale replications of the chosen point, and as many of the plausible ensemble, for the report "
                   "(the trials of year-to-year variation use the first 12 of them) [default: 24; 4 with --quick].")
@workers_option
@seed_option("Seed of the designs and the runs.")
@click.option("--quick", is_flag=True, help="Fit 8 key parameters with a small design (a few minutes on 2 cores); "
              "writes to results/calibration-quick unless --out is given.")
@click.option("--backtest/--no-backtest", default=None,
              help="Also the rolling-origin back-tests (fits to the years up to 2015-16, 2016-17 and 2017-18, each "
                   "forecast to 2018-19) and the sensitivity of the effects to the trends' fit window [default: on; off "
                   "with --quick].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for hampshire.toml, fit.csv, plausible.csv, backtest.csv, rolling.csv, sensitivity.csv "
                   "[default: calibration].")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fit report (Markdown; figures go in img/calibration beside it) [default: docs/calibration.md].")
@set_option("Override a scenario parameter (repeatable).")
@executor_options
@user_errors
def calibrate(scenario_file, targets_file, budget, reps, workers, seed, quick, backtest, out, report, overrides,
              executor, scheduler):
    """Fit the uncertain parameters to Hampshire's published figures (history matching)."""
    from . import refit

    scenario = load(scenario_file, overrides)
    targets = load_targets(targets_file)
    settings = Settings.quick() if quick else Settings()
    backtest = (not quick) if backtest is None else backtest
    if budget is not None:
        settings = settings.with_budget(budget)
    if reps is not None:
        settings.reps = reps
    out = out or (Path("results/calibration-quick") if quick else Path("calibration"))
    report = report or (out / "report.md" if quick else Path("docs/calibration.md"))
    # a calibration refreshes its outputs in place (the shipped calibration/, which the scenario reads, and
    # docs/calibration.md among them), so they are checked only to be files: never a link, a folder, a device
    # or a FIFO; and --out never the root, home or current folder
    writable(out, "--out", folder=True, inputs=())
    for name in refit.OUTPUT_FILES:
        check_regular(out / name, "--out")
    writable(report, "--report", replace=True)
    workers = _capped(workers, scheduler)
    command = "journeysim calibrate" + (" --quick" if quick else "") + (f" --budget {budget}" if budget else "") \
        + (f" --reps {reps}" if reps else "") + f" --seed {seed}" + "".join(f" --set {o}" for o in overrides) \
        + ("" if backtest == (not quick) else (" --backtest" if backtest else " --no-backtest"))
    fits = "the fits (trends, then every year; with the back-tests, one for each rolling origin and one for the "\
        "sensitivity)" if backtest else "2 fits (trends, then every year)"
    with _executor(executor, scheduler, workers) as ex, BatchProgress() as progress:
        click.echo(f"journeysim {__version__}: calibrating {scenario.name}: {len(settings.knobs)} parameters, "
                   f"{fits} of {settings.waves} waves x {settings.runs_per_wave + settings.replicates} runs at "
                   f"scale x{settings.scale:g}, then {settings.reps} full-scale replications each; {ex.workers} worker(s)",
                   err=True)
        numbers = refit.run_calibration(scenario, targets, settings, out, report, command, seed, ex.workers, backtest,
                                        progress=progress, executor=ex)
    click.echo(f"Fitted parameters: {out / 'hampshire.toml'}")
    click.echo(f"Fit report: {report}")
    click.echo(f"Firm targets: MAPE {numbers['firm_mape']:.1f}% (worst measure {numbers['firm_mape_max']:.1f}%); "
               f"observed points inside the simulated 90% interval: {numbers['firm_inside_pct']:.0f}% (calibrated point), "
               f"{numbers['firm_e_inside_pct']:.0f}% (plausible ensemble), {numbers['firm_pr_inside_pct']:.0f}% (predictive); "
               f"one-worker journeys {numbers['one_worker_pct']:.1f}% (000 Table 9: 10%)"
               + (f"; back-test forecast MAPE {numbers['backtest_forecast_mape']:.1f}% "
                  f"(in-sample {numbers['backtest_insample_mape']:.1f}%)" if "backtest_forecast_mape" in numbers else ""))
    click.echo(f"Took {numbers['seconds'] / 60:.1f} minutes.")


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@set_option("Override a scenario parameter (repeatable).")
@user_errors
def validate(scenario_file, overrides):
    """Check SCENARIO_FILE (with any --set) without running it: exit 0 and a one-line summary when it
    can run, exit 2 and one message naming the file, key and line when it cannot."""
    scenario = load(scenario_file, overrides)
    for note in notes(scenario):
        click.echo(f"note: {note}", err=True)
    _draws_notes(scenario)
    in_files = sum(1 for src in scenario.sources.values() if not src.startswith("--set"))
    last = scenario["run.end"] - dt.timedelta(days=1)
    click.echo(f"OK: {scenario_file}: scenario '{scenario.name}', {len(PARAMS)} parameters "
               f"({in_files} set in {len(scenario.files)} file(s), {len(overrides)} by --set); "
               f"reports {scenario['run.start']} to {last} after {scenario['run.warmup_days']} warm-up days")


# ------------------------------------------------------------------------------------------ what-ifs
def _told_apart(a, b, file_a: Path, file_b: Path, overrides_a, overrides_b):
    """Two scenarios of one name (the same file with --set-b, or two files named alike) renamed so that
    the comparison's labels, folders and statement tell them apart: by the keys each overrides
    ("hampshire+arrivals.surge_size"), else by their files' names."""
    if a.name != b.name:
        return a, b
    from .scenario import parse_override

    def keys(overrides) -> list[str]:
        return list(dict.fromkeys(parse_override(text)[0] for text in overrides))

    ka, kb = keys(overrides_a), keys(overrides_b)
    if ka or kb:
        names = ("+".join([a.name, *ka]), "+".join([b.name, *kb]))
    elif file_a.stem != file_b.stem:
        names = (file_a.stem, file_b.stem)
    else:
        names = (f"{a.name}-a", f"{b.name}-b")

    def renamed(s, name: str):
        return s.with_values({"name": name})

    return renamed(a, names[0]), renamed(b, names[1])


def _split_years(text: str | None) -> list[str] | None:
    return [y.strip() for y in text.split(",") if y.strip()] if text else None


@main.command()
@click.argument("scenario_a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("scenario_b", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reps", default=5, show_default=True, type=click.IntRange(1, 100_000), help="Paired replications.")
@seed_option("Run seed, shared by both scenarios.")
@set_option("Override a parameter in both scenarios.")
@click.option("--set-a", "overrides_a", multiple=True, metavar="KEY=VALUE", help="Override a parameter in A only.")
@click.option("--set-b", "overrides_b", multiple=True, metavar="KEY=VALUE", help="Override a parameter in B only.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for both runs and the comparison [default: results/compare-<A>-vs-<B>].")
@click.option("--years", default=None, metavar="Y1,Y2", help="Years to print, e.g. 2018-19,2019-20 [default: all].")
@click.option("--statement", "with_statement", is_flag=True,
              help="Also print the counterfactual statement: B is the scenario with the change, A without it.")
@workers_option
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@yes_option
@executor_options
@user_errors
def compare(scenario_a, scenario_b, reps, seed, overrides, overrides_a, overrides_b, out, years, with_statement,
            workers, force, yes, executor, scheduler):
    """Run SCENARIO_A and SCENARIO_B on common random numbers and report B - A per measure and year."""
    from . import compare as cmp_mod
    from .replications import comparison_shortfall

    a = load(scenario_a, [*overrides, *overrides_a])
    b = load(scenario_b, [*overrides, *overrides_b])
    a, b = _told_apart(a, b, scenario_a, scenario_b, overrides_a, overrides_b)
    shown = _split_years(years)
    common = [y for y in _reported_years(a) if y in _reported_years(b)]
    unknown = [y for y in shown or [] if y not in common]
    if unknown:
        raise RunError(f"--years: {unknown[0]} is not a year both scenarios report; they report {', '.join(common)}")
    out = out or Path("results") / f"compare-{a.name}-vs-{b.name}"
    writable(out, "--out", folder=True, inputs=[*a.files, *b.files])
    workers = _capped(workers, scheduler)
    _check_limits(a, 2 * reps, workers, out, yes, scheduler)
    click.echo(f"journeysim {__version__}: {b.name} against {a.name}, {reps} paired replication(s), seed {seed} -> {out}",
               err=True)
    with _executor(executor, scheduler, workers) as ex:
        result = cmp_mod.run_comparison(a, b, out, reps, seed, workers, force, executor=ex, stage=stage_progress)
    table = cmp_mod.format_table(result, SUMMARY_ROWS, shown)
    words = cmp_mod.statement(result, OFFICIAL_ROWS, shown)
    unstable = warnings_for([(a.name, result.per_rep_a), (b.name, result.per_rep_b)], result.years)
    short = comparison_shortfall(result.per_rep_a, result.per_rep_b, (a.name, b.name), years=shown)
    if short is not None:  # said first, in the files too: the figures below depend on it
        unstable.insert(0, short.text(shlex.join([str(scenario_b), *(a for o in (*overrides, *overrides_b)
                                                                      for a in ("--set", o))])))
    (out / "comparison.txt").write_text(table + "\n" + "".join(f"\n{w}\n" for w in unstable), encoding="utf-8")
    first = unstable[:1] if short is not None else []
    (out / "statement.txt").write_text("\n".join([*first, *words, *unstable[len(first):]]) + "\n", encoding="utf-8")
    labels = {m: label for m, label, _ in SUMMARY_ROWS}
    cmp_mod.figure(result, out / "comparison.png", labels)
    spreadsheet.write_comparison_summary(out, result, words, unstable)
    claim(out, ["comparison.csv", "comparison.txt", "statement.txt", "comparison.png", "summary.xlsx"])
    click.echo()
    click.echo(f"{b.name} minus {a.name}: mean of each, paired difference with 95% interval, % change "
               f"({reps} paired replications; 'includes 0' marks no clear difference)")
    if short is not None:
        click.echo(unstable[0] + "\n")
    click.echo(table)
    for warning in unstable[len(first):]:
        click.echo()
        click.echo(warning)
    if with_statement:
        click.echo()
        click.echo("\n".join(words))
    click.echo()
    click.echo(f"Results: {out}  (comparison.csv, comparison.txt, statement.txt, comparison.png, summary.xlsx; "
               f"a-{a.name}/ and b-{b.name}/ hold the runs)")


@main.command()
@click.argument("programme_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("counterfactual_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reps", default=5, show_default=True, type=click.IntRange(1, 100_000),
              help="Paired replications of every run.")
@seed_option("Run seed, shared by every run.")
@set_option("Override a parameter in both scenarios (so in every run).")
@measures_option("Measure to decompose (repeatable; a measures.csv name or cost_<component>) [default: "
                 "cp_plans_started, cla_starts, cin_at_31_march, re_referral_12m_pct, cost_total].")
@years_option("Year(s) to decompose [default: the last reported year].")
@runs_folder_options("Folder for every run and the decomposition [default: results/effects-<PROGRAMME>-vs-"
                     "<COUNTERFACTUAL>].", "Replace the output folder's runs and tables if it exists.")
@yes_option
@user_errors
def effects(programme_file, counterfactual_file, reps, seed, overrides, measures, years, out, workers, force, yes,
            executor, scheduler):
    """The effect of PROGRAMME_FILE against COUNTERFACTUAL_FILE by component: each component (CAST, the MASH
    holding longer, hubs, the reunification drive, the practice model, recruitment, and any other keys on which
    the two differ) switched on alone and off alone, on common random numbers, with the total and the
    interaction."""
    from . import effects as fx
    from .sweep import check_measures

    measures = list(measures) or fx.DEFAULT_MEASURES
    check_measures(measures)
    programme = load(programme_file, overrides)
    counterfactual = load(counterfactual_file, overrides)
    the_plan = fx.plan(programme, counterfactual)
    years = _chosen_years(years, [y for y in _reported_years(programme) if y in _reported_years(counterfactual)])
    out = out or Path("results") / f"effects-{programme.name}-vs-{counterfactual.name}"
    writable(out, "--out", folder=True, inputs=[*programme.files, *counterfactual.files])
    workers = _capped(workers, scheduler)
    _check_limits(programme, len(the_plan.arms) * reps, workers, out, yes, scheduler)
    for note in the_plan.notes():
        click.echo(f"note: {note}", err=True)
    click.echo(f"journeysim {__version__}: {programme.name} against {counterfactual.name} by component "
               f"({', '.join(c.name for c in the_plan.components)}): {len(the_plan.arms)} runs x {reps} paired "
               f"replication(s), seed {seed} -> {out}", err=True)
    with _executor(executor, scheduler, workers) as ex:
        result = fx.run_effects(the_plan, out, reps, seed, workers, force, executor=ex, stage=stage_progress)
    fx.figure(result, out / "effects.png", measures, years, SUMMARY_ROWS)
    text = fx.text(result, measures, years, SUMMARY_ROWS)
    (out / "effects.txt").write_text(text + "\n", encoding="utf-8")
    claim(out, ["effects.csv", "effects.txt", "effects.png"])
    click.echo()
    click.echo(text)
    click.echo()
    click.echo(f"Results: {out}  (effects.csv, effects.txt, effects.png; {', '.join(a.folder for a in the_plan.arms[:3])}, "
               f"... hold the runs)")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vary", "varies", multiple=True, required=True, metavar="KEY=V1,V2,...",
              help="A parameter and its values (repeat for a second key, or more with --one-at-a-time).")
@measures_option("Measure to plot (repeatable; a measures.csv name or cost_<component>) [default: cla_starts, "
                 "cp_plans_started, sw_caseload_children_mean].")
@years_option("Year(s) to plot [default: the last year].")
@click.option("--one-at-a-time", is_flag=True, help="Vary each key alone around the scenario and draw a tornado.")
@click.option("--reps", default=3, show_default=True, type=click.IntRange(1, 100_000), help="Replications per point.")
@seed_option("Run seed, shared by every point.")
@set_option("Override a parameter at every point.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the points and the sweep [default: results/sweep-<scenario name>].")
@workers_option
@click.option("--force", is_flag=True, help="Replace the output folder if it exists.")
@yes_option
@executor_options
@user_errors
def sweep(scenario_file, varies, measures, years, one_at_a_time, reps, seed, overrides, out, workers, force, yes,
          executor, scheduler):
    """Run SCENARIO_FILE at each value of one or two parameters and plot the chosen measures."""
    from . import sweep as sw

    parsed = [sw.parse_vary(v) for v in varies]
    measures = list(measures) or ["cla_starts", "cp_plans_started", "sw_caseload_children_mean"]
    sw.check_measures(measures)
    base = load(scenario_file, overrides)
    all_years = _reported_years(base)
    years = list(years) or all_years[-1:]
    unknown = [y for y in years if y not in all_years]
    if unknown:
        raise RunError(f"--year {unknown[0]}: not a reported year; the years are {', '.join(all_years)}")
    out = out or Path("results") / f"sweep-{base.name}"
    writable(out, "--out", folder=True, inputs=base.files)
    n = len(sw.points(parsed, one_at_a_time))
    workers = _capped(workers, scheduler)
    _check_limits(base, n * reps, workers, out, yes, scheduler)
    click.echo(f"journeysim {__version__}: sweep of {base.name}, {n} point(s) x {reps} replication(s), seed {seed} -> {out}",
               err=True)
    with _executor(executor, scheduler, workers) as ex:
        result = sw.run_sweep(scenario_file, list(overrides), parsed, out, reps, seed, workers, force, one_at_a_time,
                              executor=ex, stage=stage_progress)
    title = f"{base.name}: {', '.join(v.key for v in parsed)} ({reps} replications per point, seed {seed})"
    if one_at_a_time:
        figure = sw.tornado(result, parsed, measures, years[0], out / "sweep.png", title)
    elif len(parsed) == 1:
        figure = sw.line_plot(result, parsed[0], measures, years, out / "sweep.png", title)
    else:
        figure = sw.heatmap(result, parsed, measures, years[0], out / "sweep.png", title)
    claim(out, ["sweep.csv", figure.name])
    keys = [v.key for v in parsed]
    shown = result[result["measure"].isin(measures) & result["year"].isin(years)]
    table = shown.pivot_table(index=keys, columns=["measure", "year"], values="mean", sort=False)
    click.echo()
    click.echo(f"Mean of each measure at each point ({reps} replications; 95% half-widths in sweep.csv)")
    click.echo(table.round(2).to_string())
    click.echo()
    click.echo(f"Results: {out}  (sweep.csv, {figure.name}; point-NN/ hold the runs)")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@measures_option("Measure to judge (repeatable; a measures.csv name or cost_<component>) [default: "
                 "cp_plans_started, cla_starts, re_referral_12m_pct].")
@years_option("Year(s) to judge [default: every reported year].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table (measure, year, replications needed, ...) to this CSV file.")
@click.option("--precision", default=0.05, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Target relative half-width of the 95% confidence interval (0.05 = within 5% of the mean).")
@click.option("--k-limit", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="Look-ahead: replications that must confirm a candidate.")
@click.option("--max-reps", default=100, show_default=True, type=click.IntRange(3, 100_000), help="Stop after this many.")
@seed_option("Run seed (the replications journeysim run would make).")
@set_option("Override a scenario parameter (repeatable).")
@workers_option
@click.option("--force", is_flag=True, help="Replace a file journeysim wrote earlier (never one it did not write).")
@executor_options
@user_errors
def reps(scenario_file, measures, years, precision, k_limit, max_reps, seed, overrides, out, workers, force, executor,
         scheduler):
    """How many replications SCENARIO_FILE needs for a given precision (Hoad, Robinson and Davies 2010)."""
    from . import replications as rp
    from .sweep import check_measures

    measures = list(measures) or ["cp_plans_started", "cla_starts", "re_referral_12m_pct"]
    check_measures(measures)
    scenario = load(scenario_file, overrides)
    all_years = _reported_years(scenario)
    years = list(years) or all_years
    unknown = [y for y in years if y not in all_years]
    if unknown:
        raise RunError(f"--year {unknown[0]}: not a reported year; the years are {', '.join(all_years)}")
    chosen = [(m, y) for m in measures for y in years]
    if out:
        writable(out, "--out", force=force)
    workers = _capped(workers, scheduler)
    click.echo(f"journeysim {__version__}: replications for {scenario.name} to a relative 95% half-width of "
               f"{precision:.0%}, look-ahead {k_limit}, seed {seed}", err=True)
    with _executor(executor, scheduler, workers) as ex, stage_progress(scenario.name) as progress:
        guidance = rp.run_until_precise(scenario, chosen, precision, seed, k_limit, max_reps, progress=progress,
                                        executor=ex)
    table = guidance.table()
    if out:
        _write_atomic(out, table.to_csv(index=False))
        claim_file(out)
    shown = table.astype({"replications_needed": object})
    shown["replications_needed"] = [f"more than {run}" if pd.isna(n) else f"{int(n)}"
                                    for n, run in zip(table["replications_needed"], table["replications_run"])]
    click.echo()
    click.echo(f"Replications needed for a 95% half-width within {precision:.0%} of the mean "
               f"(Hoad, Robinson and Davies 2010; look-ahead {k_limit}):")
    click.echo(shown.to_string(index=False, float_format=lambda x: f"{x:,.3f}", na_rep="-"))
    click.echo()
    if guidance.needed is None:
        click.echo(f"Not settled within {max_reps} replications: raise --max-reps or relax --precision.")
    else:
        click.echo(f"Run at least {guidance.needed} replications (--reps {guidance.needed}).")


# ------------------------------------------------------------------------------------------ the web app
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this machine (127.0.0.1, localhost, ::1) needs --allow-remote.")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--allow-remote", is_flag=True,
              help="Allow a --host other than this machine's loopback: the app has no log-in, and whoever reaches it "
                   "can run simulations and save scenarios here.")
@click.option("--scenarios", "scenario_folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("scenarios"), show_default=True,
              help="Scenario folder: the files a scenario can start from, the only files an uploaded scenario may "
                   "extend, and the library the app saves scenarios into.")
@click.option("--results", "results_folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("results/app"), show_default=True, help="Folder for the app's runs and comparisons.")
@click.option("--preview-scale", default=0.1, show_default=True, type=click.FloatRange(0.001, 1),
              help="run.scale of a quick preview (its counts are this share of the county's).")
@click.option("--preview-reps", default=2, show_default=True, type=click.IntRange(1, 20),
              help="Replications of a quick preview.")
@workers_option
@user_errors
def app(host, port, allow_remote, scenario_folder, results_folder, preview_scale, preview_reps, workers):
    """Start the web app for planners and trainers (needs the app extra: pip install 'journeysim[app]'):
    build a scenario with plain controls, run it, compare two, follow one family, animate the service."""
    import importlib.util
    import subprocess

    from .app.config import AppConfig
    from .app.limits import check_host

    check_host(host, allow_remote)
    if importlib.util.find_spec("streamlit") is None:
        raise RunError("journeysim app needs Streamlit: install the app extra (pip install 'journeysim[app]')")
    if not scenario_folder.is_dir() or not any(scenario_folder.glob("*.toml")):
        raise RunError(f"--scenarios {scenario_folder}: no scenario files (*.toml) there; give the scenario folder")
    writable(results_folder, "--results", folder=True)
    settings = AppConfig(scenario_folder, results_folder, preview_scale, preview_reps, workers)
    page = Path(__file__).parent / "app" / "page.py"
    command = [sys.executable, "-m", "streamlit", "run", str(page), "--server.address", host, "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.maxUploadSize", "1",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false", "--global.developmentMode", "false",
               "--client.toolbarMode", "minimal", "--theme.base", "light", "--logger.level", "error"]
    click.echo(f"journeysim app on http://{host}:{port}  (scenarios: {scenario_folder}, runs: {results_folder}; "
               f"Ctrl-C stops it)", err=True)
    server = subprocess.Popen(command, env={**os.environ, **settings.environment()})
    try:
        with sigterm_interrupts():  # a stop by SIGTERM stops the server too, never leaving it running alone
            code = server.wait()
    except (KeyboardInterrupt, RunInterrupted):
        server.terminate()
        server.wait()
        click.echo("stopped", err=True)
        return
    sys.exit(code)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step: a failed write leaves the file that was there untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


if __name__ == "__main__":  # pragma: no cover
    main()
