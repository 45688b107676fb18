"""The open caseload at a date, from an authority's returns: the starting state of a run.

:func:`snapshot` reads the CIN census and the SSDA903 extracts (:mod:`.extracts`) and lists every
child who at the end of the date ``at`` is in need, on a CP plan or looked after (and, so that the
families who come back after a closure keep coming, every child whose case closed in the year
before it), with only what the model needs: a new synthetic id, the child's age, the stage they
are in and for how long, their legal status and placement if looked after, their CP plans and
referrals so far and the social workers they have had.  No identifier or date of birth from the
extracts is kept.  The snapshot is a CSV file (:data:`COLUMNS`) that a scenario names as
``run.start_state``; :mod:`journeysim.model.stock` loads it in place of the drawn initial stock.

A child is matched between the two returns by their id (an authority's LAchildID is usually its
903 CHILD); the census has no families, so each child is loaded as a family of one.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..scenario.files import not_regular
from .extracts import ExtractError, Report, read_903, read_cin

#: The snapshot's columns, in order.
COLUMNS = ["at", "id", "stage", "age", "days_in_stage", "legal_status", "placement", "days_in_placement", "uasc",
           "cp_plans", "referrals", "social_workers", "had_plan", "began_earlier"]

#: Columns a snapshot may lack (one written before they were added), with the value they then take.
#: ``began_earlier`` is 1 for a child in care whose period of care began before the earliest episode the
#: return holds (that episode's reason for new episode is a change, not S): a year's 903 lists only the
#: episodes open in that year, so ``days_in_stage`` is then only a lower bound on their time in care.
OPTIONAL = {"began_earlier": 0}

#: The 903's reasons for a new episode that are a change within a period of care, not its start (S).
CHANGES = ("L", "P", "T", "U", "B")

#: The stages a snapshot's child can be at (the order is the order of the file).
STAGES = ("care", "cp", "cin", "assessment", "closed")

#: The 903's legal statuses as the model's: remand (J1-J3) and the rarer orders are loaded as s20 or a
#: care order; short breaks (V3, V4) are not looked after in the model's sense and are left out.
LEGAL = {"V2": "s20", "C1": "ico", "C2": "care_order", "E1": "care_order", "D1": "care_order", "L1": "epo",
         "L2": "epo", "L3": "epo", "J1": "s20", "J2": "s20", "J3": "s20"}
SHORT_BREAKS = ("V3", "V4")

#: The 903's placement types as the model's kinds.
PLACEMENT = {**{k: "kinship" for k in ("U1", "U2", "U3")}, **{k: "foster" for k in ("U4", "U5", "U6")},
             **{k: "residential" for k in ("K1", "K2", "R1", "R2", "R3", "R5", "S1")},
             **{k: "independent" for k in ("K3", "H5", "P2", "P3")},
             **{k: "placed_for_adoption" for k in ("A3", "A4", "A5", "A6")}}


def snapshot(ssda903: Path | None, cin_census: Path | None, at) -> tuple[pd.DataFrame, Report]:
    """The snapshot at the end of ``at`` and the report of what could not be used."""
    at = pd.Timestamp(at)
    report = Report()
    if ssda903 is None and cin_census is None:
        raise ExtractError("give the extracts: --ssda903 FOLDER and/or --cin-census FILE")
    t903 = read_903(Path(ssda903), at, report) if ssda903 is not None else {}
    cin = read_cin(Path(cin_census), at, report) if cin_census is not None else None
    rows = []
    births: dict[str, pd.Timestamp] = {}
    if t903:
        births.update(t903["Header"].set_index("CHILD")["dob_date"].to_dict())
    if cin is not None:
        births.update(cin["children"].set_index("child")["dob"].to_dict())
    adult = {k: b + pd.DateOffset(years=18) for k, b in births.items()}
    in_care = _looked_after(t903, at, report) if t903 and "Episodes" in t903 else {}
    for child, care in in_care.items():
        if child in adult and adult[child] > at:
            rows.append({"child": child, **care})
    if cin is not None:
        rows += _in_need(cin, at, adult, set(in_care))
    snap = pd.DataFrame(rows)
    if snap.empty:
        snap = pd.DataFrame(columns=["child", *COLUMNS])
    snap["age"] = [math.floor((at - births[c]).days / 365.25 * 100) / 100 for c in snap["child"]]  # to 0.01 below
    workers = _workers(t903, at) if t903 else {}
    snap["social_workers"] = [workers.get(c, 0) for c in snap["child"]]
    snap["at"] = at.date().isoformat()
    snap["stage"] = pd.Categorical(snap["stage"], STAGES)
    snap = snap.sort_values(["stage", "age", "days_in_stage"], kind="stable").reset_index(drop=True)
    snap["id"] = range(1, len(snap) + 1)
    snap["stage"] = snap["stage"].astype(str)
    for col in COLUMNS:
        if col not in snap:
            snap[col] = None
    return snap[COLUMNS], report


def _looked_after(t: dict, at: pd.Timestamp, report: Report) -> dict[str, dict]:
    """Children looked after at the end of ``at``, from the 903's episodes."""
    ep = t["Episodes"].sort_values(["CHILD", "decom_date"])
    uasc = set()
    if "UASC" in t and len(t["UASC"]):
        u = t["UASC"]
        uasc = set(u.loc[u["duc_date"].isna() | (u["duc_date"] > at), "CHILD"])
    out = {}
    for child, g in ep.groupby("CHILD", sort=False):
        now = g[(g["decom_date"] <= at) & (g["dec_date"].isna() | (g["dec_date"] > at))]
        if now.empty:
            continue
        cur = now.iloc[-1]
        if cur["LS"] in SHORT_BREAKS:
            report.add(cur["file"], f"line {cur['line']}", "LS", "a short break (V3, V4): not looked after in the "
                       "model's sense", "child left out of the snapshot")
            continue
        before = g[g["decom_date"] <= cur["decom_date"]]
        start = cur["decom_date"]
        placed = cur["decom_date"] if cur["RNE"] != "L" else None
        first = cur["RNE"]
        for prev in before.iloc[:-1][::-1].itertuples(index=False):  # back along the chain of X1 episodes
            if prev.REC != "X1" or prev.dec_date != start:
                break
            start = prev.decom_date
            first = prev.RNE
            if placed is None and prev.RNE != "L":
                placed = prev.decom_date
        placed = placed if placed is not None else start
        legal = LEGAL.get(cur["LS"], "s20")
        is_uasc = child in uasc
        if is_uasc and legal == "s20":
            legal = "uasc_s20"
        out[child] = {"stage": "care", "days_in_stage": int((at - start).days), "legal_status": legal,
                      "placement": PLACEMENT.get(cur["PLACE"], "foster"),
                      "days_in_placement": int((at - placed).days), "uasc": int(is_uasc),
                      "cp_plans": 0, "referrals": 0, "had_plan": 1, "began_earlier": int(first in CHANGES)}
    return out


def _in_need(cin: dict, at: pd.Timestamp, adult: dict, in_care: set) -> list[dict]:
    """Children in need (not looked after) at the end of ``at``, and those closed in the year before."""
    ep = cin["episodes"]
    cp = cin["cp_plans"]
    plans = cin["cin_plans"]
    out = []
    cp_so_far = cp.groupby("child")["previous"].max().add(1) if len(cp) else pd.Series(dtype=float)
    for child, g in ep.groupby("child", sort=False):
        if adult.get(child, at) <= at:
            continue
        g = g.sort_values("referral")
        open_ = g[g["closure"].isna() | (g["closure"] > at)]
        referrals = len(g) - 1
        common = {"legal_status": None, "placement": None, "days_in_placement": None, "uasc": 0, "began_earlier": 0}
        if child in in_care:
            continue
        if len(open_):
            e = open_.iloc[-1]
            cps = cp[(cp["child"] == child) & (cp["start"] <= at) & (cp["end"].isna() | (cp["end"] > at))]
            cins = plans[(plans["child"] == child) & (plans["start"] <= at) & (plans["end"].isna() | (plans["end"] > at))]
            if len(cps):
                p = cps.iloc[-1]
                stage, since, number = "cp", p["start"], int(p["previous"]) + 1
            elif len(cins):
                stage, since, number = "cin", cins.iloc[-1]["start"], int(cp_so_far.get(child, 0))
            else:
                stage, since, number = "assessment", e["referral"], int(cp_so_far.get(child, 0))
            out.append({"child": child, "stage": stage, "days_in_stage": int((at - since).days), **common,
                        "cp_plans": number, "referrals": referrals, "had_plan": int(stage in ("cin", "cp"))})
        else:
            e = g.iloc[-1]
            if (at - e["closure"]).days > 365:
                continue
            had_plan = bool(((plans["child"] == child) & (plans["start"] >= e["referral"])).any()
                            or ((cp["child"] == child) & (cp["start"] >= e["referral"])).any())
            out.append({"child": child, "stage": "closed", "days_in_stage": int((at - e["closure"]).days), **common,
                        "cp_plans": int(cp_so_far.get(child, 0)), "referrals": referrals + 1,
                        "had_plan": int(had_plan)})
    return out


def _workers(t: dict, at: pd.Timestamp) -> dict[str, int]:
    """Social workers each child has had (903 social worker episodes started by ``at``)."""
    if "SWEpisodes" not in t or t["SWEpisodes"].empty:
        return {}
    sw = t["SWEpisodes"]
    sw = sw[sw["sw_decom_date"] <= at]
    return sw.groupby("CHILD")["SW_ID"].nunique().astype(int).to_dict()


def write(snap: pd.DataFrame, path: Path) -> None:
    """Write a snapshot (CSV, one row per child)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    snap.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)


class SnapshotError(ValueError):
    """A snapshot file that cannot be loaded: the message names the file, the row and the column."""


def read(path: Path) -> pd.DataFrame:
    """A snapshot file, checked (SnapshotError naming the file, line and column otherwise)."""
    path = Path(path)
    kind = not_regular(path)
    if kind:
        raise SnapshotError(f"{path}: is {kind}, not a snapshot file (a CSV file journeysim snapshot wrote)")
    try:
        df = pd.read_csv(path, dtype={"at": str, "stage": str, "legal_status": str, "placement": str})
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot file (make one with `journeysim snapshot`)") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SnapshotError(f"{path}: not a snapshot CSV file ({type(exc).__name__})") from None
    missing = [c for c in COLUMNS if c not in df.columns and c not in OPTIONAL]
    if missing:
        raise SnapshotError(f"{path}: not a journeysim snapshot: column(s) {', '.join(missing)} missing")
    for col, value in OPTIONAL.items():
        if col not in df.columns:
            df[col] = value
    if df.empty:
        return df
    if df["at"].nunique() != 1:
        raise SnapshotError(f"{path}: column at: every row must give the same date")
    try:
        pd.Timestamp(df["at"].iloc[0])
    except ValueError:
        raise SnapshotError(f"{path}, line 2, column at: not a date (yyyy-mm-dd)") from None
    checks = [("stage", df["stage"].isin(STAGES), f"one of {', '.join(STAGES)}"),
              ("age", df["age"].between(0, 18, inclusive="left"), "an age from 0 to under 18"),
              ("days_in_stage", df["days_in_stage"].ge(0), "0 or more days"),
              ("began_earlier", df["began_earlier"].isin([0, 1]), "0 or 1"),
              ("legal_status", ~df["stage"].eq("care") | df["legal_status"].isin(
                  ["s20", "ico", "epo", "care_order", "uasc_s20"]), "s20, ico, epo, care_order or uasc_s20"),
              ("placement", ~df["stage"].eq("care") | df["placement"].isin(set(PLACEMENT.values())),
               "foster, kinship, residential, independent or placed_for_adoption")]
    for col, ok, allowed in checks:
        bad = ~ok.fillna(False).astype(bool)
        if bad.any():
            line = int(bad.to_numpy().nonzero()[0][0]) + 2
            raise SnapshotError(f"{path}, line {line}, column {col}: expected {allowed}")
    return df
