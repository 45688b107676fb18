"""Checking a scenario's values: :class:`ScenarioError`, one checker for each kind of
parameter (:data:`CHECKERS`), and the checks that involve more than one key.

A checker takes the parameter's declaration, the value as the file (or ``--set``) gave
it and where it was set, and returns the value normalised (a float for a number, a
parsed distribution, ``None`` for a date of ``"never"``, ...), or raises one
:class:`ScenarioError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable

from .. import distributions as dists
from .params import BAND_NAMES, NEVER, Param


class ScenarioError(Exception):
    """A scenario that cannot be used; the message names the file and the key.

    The message is always one line: characters that do not print (a newline in a
    misspelt key, say) are shown escaped.
    """

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


def printable(text: str) -> str:
    """``text`` with the characters that do not print (a newline, say) escaped as Python writes them."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: Dates a scenario may use: wide enough for any study, narrow enough to catch a mistyped year.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(x: float) -> str:
    """A range bound as people write it: 10,000,000 rather than 1e+07."""
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) >= 1000 else f"{x:g}"


def _shown(v) -> str:
    """A value as the scenario file spells it, for messages."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return repr(v)


def _missing_unknown(missing: list[str], unknown: list[str]) -> str:
    """The end of a message about a table's keys: "; missing a, b; unknown c"."""
    return (f"; missing {', '.join(missing)}" if missing else "") + (f"; unknown {', '.join(unknown)}" if unknown else "")


def _probability(x, where: str, shown: Callable[[Any], str] = repr) -> float:
    """``x`` if it is a probability, else ScenarioError naming ``where``."""
    if not _is_num(x) or not 0.0 <= x <= 1.0:
        raise ScenarioError(f"{where} is a probability and must be between 0 and 1; got {shown(x)}")
    return float(x)


def _check_date(v, where: str, alternative: str = "") -> dt.date:
    """A TOML date (not a string, not a date-time) between FIRST_DATE and LAST_DATE."""
    if isinstance(v, dt.datetime):
        raise ScenarioError(f"{where} must be a date like 2018-04-01, without a time of day{alternative}; "
                            f"got {v.isoformat()}")
    if not isinstance(v, dt.date):
        raise ScenarioError(f"{where} must be a date like 2018-04-01 (no quotes){alternative}; got {v!r}")
    if not FIRST_DATE <= v <= LAST_DATE:
        raise ScenarioError(f"{where} must be a date from {FIRST_DATE} to {LAST_DATE}{alternative}; got {v}")
    return v


def _date_or_never(v, where: str) -> dt.date | None:
    return None if v == NEVER else _check_date(v, where, ' or "never"')


# ------------------------------------------------------------------------------------------ the checkers
def _check_number(p: Param, v, where: str) -> int | float:
    """float and int: a finite number within the parameter's range (a whole one for int)."""
    unit = f" {p.unit}" if p.unit else ""
    rng = f" between {_number(p.lo)} and {_number(p.hi)}{unit}" if p.lo is not None or p.hi is not None else ""
    if not _is_num(v) or (p.kind == "int" and isinstance(v, float) and not float(v).is_integer()):
        raise ScenarioError(f"{where} must be {'a whole number' if p.kind == 'int' else 'a number'}{rng}; "
                            f"got {_shown(v)}")
    if not math.isfinite(v) or (p.lo is not None and v < p.lo) or (p.hi is not None and v > p.hi):
        raise ScenarioError(f"{where} must be{rng}; got {_shown(v)}")
    return int(v) if p.kind == "int" else float(v)


def _check_prob(p: Param, v, where: str) -> float:
    return _probability(v, where, _shown)


def _check_str(p: Param, v, where: str) -> str:
    if not isinstance(v, str):
        raise ScenarioError(f"{where} must be a string; got {v!r}")
    return v


def _check_path(p: Param, v, where: str) -> str:
    """A file named relative to the scenario file that sets it (to the current folder for --set), and
    inside that folder: no absolute path, no '..', no drive or backslash; '' for none.  (The file
    itself is read, and checked not to lead outside the folder through a link, when a run starts.)"""
    if not isinstance(v, str):
        raise ScenarioError(f"{where} must be a file name in quotes, like \"snapshot.csv\"; got {v!r}")
    if v == "":
        return v
    parts = v.split("/")
    if v.startswith("/") or "\\" in v or ":" in v or ".." in parts or not v.isprintable():
        raise ScenarioError(f"{where} must be a path relative to the scenario file's folder and inside it "
                            f"(like \"snapshots/2019-03-31.csv\": no absolute path, no '..', no backslash); got {v!r}")
    return v


def _check_draws(p: Param, v, where: str) -> str:
    """A file of parameter draws: ``"none"``, or a path relative to the scenario file that sets it (where
    it leads, and what the file holds, are checked when a run reads it: journeysim.draws)."""
    example = f"a path relative to the scenario file, like \"../calibration/plausible.csv\", or \"{p.default}\""
    if not isinstance(v, str) or not v.strip():
        raise ScenarioError(f"{where} must be {example}; got {_shown(v)}")
    if not v.isprintable():
        raise ScenarioError(f"{where} must be {example}; got {v!r}")
    if v.startswith(("/", "\\")) or (len(v) > 1 and v[1] == ":"):
        raise ScenarioError(f"{where} must be {example}, not an absolute path; got {v!r}")
    return v


def _check_plain_date(p: Param, v, where: str) -> dt.date:
    return _check_date(v, where)


def _check_cdate(p: Param, v, where: str) -> dt.date | None:
    """A component's date, or "never" (None)."""
    return _date_or_never(v, where)


def _check_dist(p: Param, v, where: str):
    """A distribution table, parsed (:func:`journeysim.distributions.parse`)."""
    try:
        return dists.parse(v, where)
    except dists.DistributionError as exc:
        raise ScenarioError(str(exc)) from None


def _check_probs(p: Param, v, where: str) -> dict[str, float]:
    """A table of probabilities of the outcomes ``p.keys``, each of them, summing to 1."""
    if not isinstance(v, dict):
        raise ScenarioError(f"{where} must be a table of probabilities for {', '.join(p.keys)}; got {v!r}")
    unknown = sorted(set(v) - set(p.keys))
    missing = [k for k in p.keys if k not in v]
    if unknown or missing:
        raise ScenarioError(f"{where} must give a probability for each of {', '.join(p.keys)}"
                            + _missing_unknown(missing, unknown))
    for k in p.keys:
        _probability(v[k], f"{where}.{k}")
    total = sum(v[k] for k in p.keys)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(f"{where}: the probabilities of {', '.join(p.keys)} must sum to 1; they sum to {total:g}")
    return {k: float(v[k]) for k in p.keys}


def _check_yearly(p: Param, v, where: str) -> dict[str, float]:
    """A table of numbers keyed by age band (probabilities, one for every band, when the default is
    keyed so) or by financial start year (counts)."""
    if not isinstance(v, dict) or not v:
        raise ScenarioError(f"{where} must be a non-empty table; got {v!r}")
    allowed = set(p.default)
    if set(p.default) <= set(BAND_NAMES):
        unknown = sorted(set(v) - allowed)
        missing = sorted(allowed - set(v))
        if unknown or missing:
            raise ScenarioError(f"{where} must give a value for each age band {', '.join(BAND_NAMES)}"
                                + _missing_unknown(missing, unknown))
        for k, x in v.items():
            _probability(x, f"{where}.{k}")
    else:
        for k, x in v.items():
            if not str(k).isdigit() or not FIRST_DATE.year <= int(k) <= LAST_DATE.year:
                raise ScenarioError(f"{where}: keys must be financial start years like \"2016\" "
                                    f"({FIRST_DATE.year}-{LAST_DATE.year}); got {k!r}")
            if not _is_num(x) or not 0 <= x <= 1e6:
                raise ScenarioError(f"{where}.{k} must be a number from 0 to 1,000,000; got {_shown(x)}")
    return {str(k): float(x) for k, x in v.items()}


def _check_dates(p: Param, v, where: str) -> dict[str, dt.date | None]:
    """A table of district = date (or "never")."""
    if not isinstance(v, dict):
        raise ScenarioError(f"{where} must be a table of district = date; got {v!r}")
    return {str(k): _date_or_never(x, f"{where}.{k}") for k, x in v.items()}


def _check_rota(p: Param, v, where: str) -> list[list[int]]:
    """The intake rota: a non-empty list of team numbers for every week of the cycle."""
    example = "like [[1], [2], [3], [4]] ([] for one team a week in turn)"
    if isinstance(v, list) and v and all(_is_num(t) for t in v):
        raise ScenarioError(f"{where} must be a list of weeks, each itself a list of CAST team numbers: "
                            f"write {[[t] for t in v]!r} rather than {v!r}")
    if not isinstance(v, list) or not all(isinstance(week, list) for week in v):
        raise ScenarioError(f"{where} must be a list of weeks, each a list of CAST team numbers, {example}; got {v!r}")
    if len(v) > 520:
        raise ScenarioError(f"{where}: a rota cycle may last at most 520 weeks; this one has {len(v)}")
    for i, week in enumerate(v):
        if not week:
            raise ScenarioError(f"{where}: week {i + 1} of the rota has no team; every week needs at least one")
        if not all(_is_num(t) and float(t).is_integer() and 1 <= t <= 12 for t in week):
            raise ScenarioError(f"{where}: week {i + 1} must list whole team numbers from 1 to 12; got {week!r}")
        if len(set(week)) != len(week):
            raise ScenarioError(f"{where}: week {i + 1} lists a team more than once; got {week!r}")
    return [[int(t) for t in week] for week in v]


def _check_drives(p: Param, v, where: str) -> list[dict]:
    """Recruitment drives: a list of tables of exactly date, posts and nq_share."""
    if not isinstance(v, list):
        raise ScenarioError(f"{where} must be a list of tables {{ date = 2019-01-15, posts = 65, nq_share = 0.8 }}; got {v!r}")
    out = []
    for i, d in enumerate(v):
        fields = ("date", "posts", "nq_share")
        if not isinstance(d, dict) or set(d) != set(fields):
            missing = [f for f in fields if not isinstance(d, dict) or f not in d]
            unknown = sorted(set(d) - set(fields)) if isinstance(d, dict) else []
            raise ScenarioError(f"{where}[{i}] must be a table with exactly date, posts and nq_share"
                                + _missing_unknown(missing, unknown))
        _check_date(d["date"], f"{where}[{i}].date")
        if not _is_num(d["posts"]) or not float(d["posts"]).is_integer() or abs(d["posts"]) > 10_000:
            raise ScenarioError(f"{where}[{i}].posts must be a whole number of posts from -10000 to 10000 "
                                f"(negative to cut posts); got {d['posts']!r}")
        _probability(d["nq_share"], f"{where}[{i}].nq_share")
        out.append({"date": d["date"], "posts": int(d["posts"]), "nq_share": float(d["nq_share"])})
    return out


#: The checker of each kind of parameter (:attr:`Param.kind`).
CHECKERS: dict[str, Callable[[Param, Any, str], Any]] = {
    "float": _check_number,
    "int": _check_number,
    "prob": _check_prob,
    "str": _check_str,
    "date": _check_plain_date,
    "cdate": _check_cdate,
    "dist": _check_dist,
    "probs": _check_probs,
    "yearly": _check_yearly,
    "dates": _check_dates,
    "rota": _check_rota,
    "drives": _check_drives,
    "path": _check_path,
    "draws": _check_draws,
}


def check_value(key: str, p: Param, v, source: str):
    """Validate and normalise one value; raise ScenarioError naming the file and key."""
    return CHECKERS[p.kind](p, v, f"{source}: {key}")


def check_whole(values: dict[str, Any], at) -> None:
    """Checks that involve more than one key; ``at(key)`` names the file (and line) that set a key."""
    start, end = values["run.start"], values["run.end"]
    anchor = values["run.trends_from"]
    if anchor is not None and anchor > start:
        raise ScenarioError(f"{at('run.trends_from')}: run.trends_from ({anchor}) must be on or before run.start "
                            f"({start}), or 'never' to count the drifts from run.start")
    if end <= start:
        raise ScenarioError(f"{at('run.end')}: run.end ({end}) must be after run.start ({start}); "
                            f"the run covers run.start up to the day before run.end")
    name = values["name"]
    if not name.strip() or not name.isprintable() or "/" in name or "\\" in name or name.startswith(".") or len(name) > 100:
        raise ScenarioError(f"{at('name')}: name must be 1 to 100 printable characters with no / or \\ and not "
                            f"start with '.' (it is the default results folder name); got {name!r}")
    teams = values["teams.cast_teams"]
    rota = values["teams.intake_rota"]
    if rota:
        listed = {t for week in rota for t in week}
        beyond = sorted(t for t in listed if t > teams)
        if beyond:
            raise ScenarioError(f"{at('teams.intake_rota')}: teams.intake_rota names team {beyond[0]} but there are only "
                                f"teams.cast_teams = {teams} CAST teams per district (numbers 1..{teams})")
        never = sorted(set(range(1, teams + 1)) - listed)
        if never:
            raise ScenarioError(f"{at('teams.intake_rota')}: teams.intake_rota never puts team {never[0]} on intake; "
                                f"every team 1..{teams} must appear in some week")
    if values["care.placement"]["independent"] >= 1.0:
        raise ScenarioError(f"{at('care.placement')}: care.placement gives every child independent living, which "
                            f"is only for children from 16; give foster, kinship or residential some probability")
    n = values["population.districts"]
    valid = {f"D{i + 1}" for i in range(n)}
    for d in values["teams.cast_start_by_district"]:
        if d not in valid:
            raise ScenarioError(f"{at('teams.cast_start_by_district')}: teams.cast_start_by_district: unknown district "
                                f"'{d}'; districts are D1..D{n}")
    start, end = values["workforce.freeze_start"], values["workforce.freeze_end"]
    if end is not None and (start is None or end <= start):
        raise ScenarioError(f"{at('workforce.freeze_end')}: workforce.freeze_end ({end}) needs a workforce.freeze_start "
                            f"before it; got freeze_start = {start or NEVER!r}")
