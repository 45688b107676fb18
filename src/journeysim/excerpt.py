"""An excerpt of an event log for the process-mining exports: a window of dates, a sample of
journeys, one district, some event types; and the front door's cases, linked to the journeys
they lead to.

A **case** is either a child's journey (``"<case_id>-<child_id>"``) or a family's passage through
the front door (``"door-<family_id>-<seq>"``, ``seq`` that of its ``ContactReceived``): the
contact and, when the contact went to the MASH, the MASH's decision.  The child is not yet known
there, so the family is the case; a journey that a MASH referral started names the front-door case
it came through (its ``door``).

:func:`excerpt` keeps, in this order:

* cases that **start** in the window ``[start, end)`` (a journey's first event, a contact), with
  their events before ``end``: a case is whole from its beginning, and the warm-up's cases are
  left out;
* unless ``with_stock``, no journey loaded open when the run began (``CaseLoaded``, the starting
  stock, whose earlier events are not in the log);
* with ``district``, the journeys whose first team is one of the district's (``D3-RA``...), the
  front-door cases that led to them (a contact that led to no referral has no district in the
  log) and the district's teams' workforce events;
* with ``sample``, that many journeys drawn at random (``seed``), the front-door cases that led to
  them, and the same share of the front-door cases that led to no journey;
* of what remains, the event types ``events`` (all when None) less ``drop``.

Events of no case (workforce, system) are kept when they fall in the window (and the district).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .events import Event

JOURNEY, DOOR = "journey", "door"
_CONTACT, _MASH = Event.CONTACT_RECEIVED.value, Event.MASH_SCREENING_COMPLETED.value
_REFERRAL, _LOADED = Event.REFERRAL_RECEIVED.value, Event.CASE_LOADED.value


class ExcerptError(ValueError):
    """An excerpt asked for that the log cannot give (an unknown event type or district, an empty window)."""


@dataclass(frozen=True)
class Selection:
    """What to keep of a log (see the module's doc); the defaults keep everything but the starting stock."""

    start: dt.date | None = None
    end: dt.date | None = None
    sample: int | None = None
    seed: int = 0
    district: str | None = None
    events: frozenset[str] | None = None
    drop: frozenset[str] = field(default_factory=frozenset)
    with_stock: bool = False

    def check(self) -> None:
        """ExcerptError naming the first thing asked for that cannot be."""
        known = {e.value for e in Event}
        for option, names in (("--events", self.events or ()), ("--drop-events", self.drop)):
            unknown = sorted(set(names) - known)
            if unknown:
                raise ExcerptError(f"{option}: unknown event type {unknown[0]!r}; event types are "
                                   f"{', '.join(e.value for e in Event)}")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ExcerptError(f"--from {self.start} is not before --to {self.end}: the window is empty")
        if self.sample is not None and self.sample < 1:
            raise ExcerptError(f"--sample {self.sample}: give a number of journeys of at least 1")


#: A row of no case, in the integer keys below.
NONE = np.iinfo(np.int64).min


def _keys(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer keys of each row's case (a journey: ``case_id << 32 | child_id``; a front-door case:
    ``-1 - seq`` of its contact; else :data:`NONE`) and of the front-door case a journey came through
    (its contact's ``seq``, else -1): grouping on integers, not on millions of strings."""
    event = df["event"].to_numpy()
    child = (df["case_id"].notna() & df["child_id"].notna()).to_numpy()
    journey = np.where(child, (df["case_id"].fillna(0).to_numpy(np.int64) << 32) | df["child_id"].fillna(0).to_numpy(np.int64),
                       NONE)
    seq = df["seq"].to_numpy(np.int64)
    front = np.isin(event, [_CONTACT, _MASH])
    family = df["family_id"].where(front)
    opened = pd.Series(np.where(event == _CONTACT, seq, np.nan), index=df.index)
    door = opened.where(front).groupby(family).ffill()  # a MASH decision belongs to the family's latest contact
    # a referral comes through the family's latest MASH decision to refer
    referred = front & (event == _MASH) & (df["outcome"].astype(str).to_numpy() == "referral")
    on_referral = referred | (event == _REFERRAL)
    via = door.where(referred).where(on_referral).groupby(df["family_id"].where(on_referral)).ffill()
    via = via.where(event == _REFERRAL)
    first_via = pd.Series(via.to_numpy(), index=journey).dropna()
    first_via = first_via[~first_via.index.duplicated()]
    came = pd.Series(journey).map(first_via).to_numpy()
    case = np.where(front & door.notna().to_numpy(), -1 - door.fillna(0).to_numpy(np.int64), journey)
    through = np.where(front, door.fillna(-1).to_numpy(), np.where(np.isnan(came), -1, came)).astype(np.int64)
    return case, through


def cases(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a seq-ordered log frame) with a ``journey`` column (the child journey of each of its
    events, ``"<case_id>-<child_id>"``, else None) and a ``door`` column (the front-door case of each
    contact and MASH decision, ``"door-<family_id>-<seq>"``, and on a journey's events the front-door
    case it came through, else None).  The keys are those of ``_case`` and ``_through`` when ``df`` has
    them (worked out on the whole log before some of its events were left out), else worked out here."""
    if {"_case", "_through"} <= set(df.columns):
        case, through = df["_case"].to_numpy(), df["_through"].to_numpy()
    else:
        case, through = _keys(df)
    out = df.drop(columns=["_case", "_through"], errors="ignore")
    journey = (df["case_id"].astype("string") + "-" + df["child_id"].astype("string")).to_numpy(dtype=object)
    out[JOURNEY] = np.where(case >= 0, journey, None)
    # the contact was the same family's: a journey's family, or the front-door event's own
    door = ("door-" + df["family_id"].astype("string") + "-" + pd.Series(through, index=df.index).astype("string"))
    out[DOOR] = np.where(through >= 0, door.to_numpy(dtype=object), None)
    return out


def excerpt(log, selection: Selection) -> pd.DataFrame:
    """The events of ``log`` that ``selection`` keeps (see the module's doc), with the :func:`cases` columns."""
    from .projections import as_frame

    selection.check()
    df = as_frame(log)
    if selection.end is not None:
        df = df[df["date"] < pd.Timestamp(selection.end)]  # nothing after the window is written
    case, through = _keys(df)
    df = df.assign(_case=case, _through=through)
    in_case = case != NONE
    cased = df[in_case]
    starts = cased.groupby("_case", sort=False).agg(start=("date", "first"), opened=("event", "first"))
    keep_case = pd.Series(True, index=starts.index)
    if selection.start is not None:
        keep_case &= starts["start"] >= pd.Timestamp(selection.start)
    if not selection.with_stock:
        keep_case &= starts["opened"] != _LOADED
    if selection.district is not None:
        keep_case &= _in_district(df, selection.district, keep_case.index)
    if selection.sample is not None:
        keep_case &= _sampled(df, keep_case, selection.sample, selection.seed)
    keep = np.isin(case, keep_case.index[keep_case].to_numpy()) & in_case
    keep |= ~in_case & _in_window(df, selection).to_numpy() & _district_rows(df, selection.district).to_numpy()
    if selection.events is not None:
        keep &= df["event"].isin(selection.events).to_numpy()
    keep &= ~df["event"].isin(selection.drop).to_numpy()
    return cases(df[keep].reset_index(drop=True))


def _in_window(df: pd.DataFrame, selection: Selection) -> pd.Series:
    keep = pd.Series(True, index=df.index)
    if selection.start is not None:
        keep &= df["date"] >= pd.Timestamp(selection.start)
    if selection.end is not None:
        keep &= df["date"] < pd.Timestamp(selection.end)
    return keep


def district_of(team: pd.Series) -> pd.Series:
    """``D3-CIN2`` -> ``D3``: the district of a district team (None for MASH, hubs and the front door)."""
    found = team.astype(str).str.extract(r"^(D\d+)-", expand=False)
    return found.astype(object).where(found.notna(), None)


def _district_rows(df: pd.DataFrame, district: str | None) -> pd.Series:
    if district is None:
        return pd.Series(True, index=df.index)
    return district_of(df["team"]) == district


def _in_district(df: pd.DataFrame, district: str, index: pd.Index) -> pd.Series:
    """For each case (key): its journey's first district team is ``district``'s; a front-door case, when it
    led to such a journey."""
    teams = district_of(df["team"])
    journeys = df["_case"] >= 0
    home = teams[journeys].groupby(df.loc[journeys, "_case"]).first()  # first non-missing district team
    if district not in set(teams.dropna()):
        raise ExcerptError(f"--district {district}: the log has no such district; it has "
                           f"{', '.join(sorted(set(teams.dropna()), key=_district_number))}")
    known = home.index[home == district]
    led = df.loc[journeys & df["_case"].isin(known) & (df["_through"] >= 0), "_through"]
    return pd.Series(index.isin(known) | index.isin(-1 - led.unique()), index=index)


def _district_number(name: str) -> int:
    return int(name[1:])


def _sampled(df: pd.DataFrame, keep_case: pd.Series, n: int, seed: int) -> pd.Series:
    """``n`` of the kept journeys at random (all if fewer), the front-door cases that led to them, and the
    same share of the kept front-door cases that led to no journey."""
    rng = np.random.default_rng(seed)
    candidates = np.sort(keep_case.index[keep_case].to_numpy())
    journeys = candidates[candidates >= 0]
    chosen = rng.choice(journeys, size=min(n, len(journeys)), replace=False) if len(journeys) else journeys
    share = len(chosen) / len(journeys) if len(journeys) else 0.0
    linked = df.loc[(df["_case"] >= 0) & (df["_through"] >= 0), ["_case", "_through"]].drop_duplicates()
    led = -1 - linked["_through"].to_numpy()
    doors = candidates[candidates < 0]
    alone = doors[~np.isin(doors, led)]
    picked = rng.choice(alone, size=int(round(share * len(alone))), replace=False) if len(alone) else alone
    chosen = np.concatenate([chosen, -1 - linked.loc[linked["_case"].isin(chosen), "_through"].to_numpy(), picked])
    return pd.Series(keep_case.index.isin(chosen), index=keep_case.index)
