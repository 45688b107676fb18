"""The SSDA903 return (children looked after) of one collection year, as the DfE's CSV tables.

:func:`tables` makes every table from a log's :class:`~.history.Histories`; :func:`write` writes
them, one CSV file each under the DfE's file names (dates as dd/mm/yyyy, codes as the code sets
spell them).  Who is in each table, and how each field is derived, follows the DfE's guide to
the return; where the model holds nothing (sex, ethnicity, postcodes, health checks, care
leavers' outcomes) the field comes from :mod:`.synthetic`.

Each period of care becomes one or more episodes: a new episode starts when the placement
(and carer) changes (RNE P), when the legal status changes (L), or both (U).  The model records the legal
status at entry only, so its changes are derived the way the courts' timetable runs: an
emergency protection order (L2) turns into an interim care order (C1) after 8 days, an interim
order into a full care order (C2) after 26 weeks, and a child placed for adoption is placed under
a placement order (E1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import codes as C
from . import synthetic as syn
from .history import Histories

DATE = "%d/%m/%Y"


def _d(series) -> pd.Series:
    """Dates as dd/mm/yyyy strings (None where missing)."""
    s = pd.to_datetime(pd.Series(series))
    return s.dt.strftime(DATE).where(s.notna(), None)


def children_frame(h: Histories) -> pd.DataFrame:
    """Every child with their date of birth and synthetic characteristics (shared by both returns)."""
    ch = h.children.copy()
    ids = ch["child_id"].to_numpy()
    ch["sex"] = np.where(ch["uasc"], syn.choose(ids, "sex-uasc", syn.UASC_SEX), syn.choose(ids, "sex", syn.SEX))
    ch["ethnicity"] = np.where(ch["uasc"], syn.choose(ids, "ethnicity-uasc", syn.UASC_ETHNICITY),
                               syn.choose(ids, "ethnicity", syn.ETHNICITY))
    ch["upn"] = syn.upn(ids)
    district = h.workers.assign(d=h.workers["team"].str.extract(r"^D(\d+)-", expand=False)).dropna(subset=["d"])
    first = district.drop_duplicates("child_id").set_index("child_id")["d"].astype(int) - 1
    fallback = (syn.uniform(ids, "district") * len(syn.HOME_POSTCODES)).astype(int)
    ch["district"] = ch["child_id"].map(first).fillna(pd.Series(fallback, index=ch.index)).astype(int)
    ch["home_post"] = [syn.HOME_POSTCODES[d % len(syn.HOME_POSTCODES)] for d in ch["district"]]
    # primary need (CIN census) and category of need (903): N1 for a child protected or taken into care
    # by the courts, N8 for an unaccompanied child, else drawn (for a child looked after, never N9,
    # "cases other than children in need", which the 903 does not allow)
    looked_after = ch["child_id"].isin(h.care["child_id"]).to_numpy()
    abuse = ch["child_id"].isin(h.cp_plans["child_id"]) | ch["child_id"].isin(
        h.care.loc[h.care["entry_reason"].isin(["proceedings", "emergency"]), "child_id"])
    in_need = {k: v for k, v in syn.PRIMARY_NEED.items() if k != "N9"}
    ch["need"] = np.where(looked_after, syn.choose(ids, "need-looked-after", in_need),
                          syn.choose(ids, "primary-need", syn.PRIMARY_NEED))
    ch.loc[abuse.to_numpy(), "need"] = "N1"
    ch.loc[ch["uasc"], "need"] = "N8"
    return ch.set_index("child_id", drop=False)


def birthday(birth: pd.Series, years: int) -> pd.Series:
    """The date of each ``years``-th birthday (29 February births on 28 February)."""
    return pd.to_datetime(birth) + pd.DateOffset(years=years)


# ------------------------------------------------------------------------------------------------ episodes
def _place(kind: str, since_entry_days: float) -> str:
    """903 placement type of a model placement kind (long-term fostering after a year in care)."""
    long_term = since_entry_days >= 365
    return {"foster": "U4" if long_term else "U6", "kinship": "U1" if long_term else "U3", "residential": "K2",
            "independent": "K3", "placed_for_adoption": "A6"}[kind]


def _legal_changes(entry_ls: str, start: pd.Timestamp) -> list[tuple[pd.Timestamp, str]]:
    """The legal statuses of a period of care from its start, as the court timetable runs them."""
    ls = C.LEGAL_STATUS.get(entry_ls, "V2")
    out = [(start, ls)]
    if ls == "L2":
        start = start + pd.Timedelta(days=C.EPO_DAYS)
        out.append((start, "C1"))
        ls = "C1"
    if ls == "C1":
        out.append((start + pd.Timedelta(days=C.ICO_DAYS), "C2"))
    return out


def episodes(h: Histories, ch: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Every episode of the periods of care open at some time from ``start`` to ``end`` (inclusive)."""
    care = h.care[(h.care["start"] <= end) & (h.care["end"].isna() | (h.care["end"] >= start))]
    places = h.placements.merge(care[["child_id", "period"]], on=["child_id", "period"])
    places = {k: g for k, g in places.groupby(["child_id", "period"], sort=False)}
    rows = []
    for p in care.itertuples(index=False):
        child = ch.loc[p.child_id]
        stop = p.end
        if p.exit_reason == "age_18":  # a child ceases to be looked after on their 18th birthday
            stop = birthday(pd.Series([child["birth"]]), 18).iloc[0]
        changes = []  # (date, what, value)
        pl = places.get((p.child_id, p.period))
        if pl is not None and len(pl) and pl["start"].iloc[0] > p.start:  # a period loaded from a snapshot:
            first = pl.iloc[[0]].assign(start=p.start)  # its placement before the current one is not known,
            pl = pd.concat([first, pl])  # and is taken to be of the same kind
        for i, q in enumerate(pl.itertuples(index=False) if pl is not None else []):
            changes.append((q.start, "place", (q.kind, i, (q.start - p.start).days)))
            if q.kind == "placed_for_adoption":
                changes.append((q.start, "ls", C.PLACEMENT_ORDER))
        for date, ls in _legal_changes(p.legal_status, p.start):
            changes.append((date, "ls", ls))
        changes = [c for c in changes if pd.isna(stop) or c[0] < stop or c[0] == p.start]
        changes.sort(key=lambda c: (c[0], c[1] != "place"))
        state = {"place": None, "ls": None}
        eps = []
        for date, what, value in changes:
            if what == "ls" and state["place"] is not None and state["place"][0] == "placed_for_adoption" \
                    and value != C.PLACEMENT_ORDER:
                continue  # a placement order is not replaced by the care order's timetable
            new = dict(state, **{what: value})
            if eps and eps[-1]["DECOM"] == date:
                eps[-1].update(new=new, moved=eps[-1]["moved"] or what == "place", relegal=eps[-1]["relegal"] or what == "ls")
            else:
                eps.append({"DECOM": date, "new": new, "moved": what == "place", "relegal": what == "ls"})
            state = new
        for i, e in enumerate(eps):
            kind, k, since = e["new"]["place"]
            rne = "S" if i == 0 else ("U" if e["moved"] and e["relegal"] else ("P" if e["moved"] else "L"))
            last = i == len(eps) - 1
            dec = (stop if not pd.isna(stop) else pd.NaT) if last else eps[i + 1]["DECOM"]
            rows.append({"child_id": p.child_id, "period": p.period, "k": k, "kind": kind, "since": since,
                         "DECOM": e["DECOM"], "RNE": rne, "LS": e["new"]["ls"], "DEC": dec,
                         "exit": p.exit_reason if last else None, "moves_next": (not last) and eps[i + 1]["moved"],
                         "next_kind": None if last else eps[i + 1]["new"]["place"][0]})
    ep = pd.DataFrame(rows, columns=["child_id", "period", "k", "kind", "since", "DECOM", "RNE", "LS", "DEC", "exit",
                                     "moves_next", "next_kind"])
    ep = ep[(ep["DECOM"] <= end) & (ep["DEC"].isna() | (ep["DEC"] >= start))].reset_index(drop=True)
    ep.loc[ep["DEC"] > end, ["DEC", "exit"]] = [pd.NaT, None]
    return ep


def _rec(ep: pd.DataFrame, ch: pd.DataFrame) -> pd.Series:
    """Reason episode ceased: X1 within a period, else the period's exit in the 903's codes."""
    ids = ep["child_id"].to_numpy()
    k = ep["period"].to_numpy()
    u = syn.uniform(ids, "rec", k)
    age = ((ep["DEC"] - ch.loc[ep["child_id"], "birth"].to_numpy()).dt.days / 365.25).to_numpy()
    place = ep["PLACE"].to_numpy()
    out = []
    for i, exit_ in enumerate(ep["exit"]):
        if pd.isna(ep["DEC"].iat[i]):
            out.append(None)
        elif exit_ is None or pd.isna(exit_):
            out.append(C.X1)
        elif exit_ == "returned_home":
            out.append("E4A" if u[i] < 0.9 else "E4B")  # Hampshire 2018-19: 173 of 193 returns planned
        elif exit_ == "adoption":
            out.append("E11" if u[i] < 0.55 else "E12")
        elif exit_ == "sgo":
            out.append("E45" if place[i] in ("U1", "U3") else ("E46" if place[i] in ("U4", "U6") else "E47"))
        elif exit_ == "age_18":
            out.append("E17" if place[i].startswith("U") and u[i] < 0.5 else "E5")
        else:  # another exit: independent living from 16, else to live with relatives
            out.append("E5" if age[i] >= 16 else "E13")
    return pd.Series(out, index=ep.index, dtype=object)


def episodes_table(ep: pd.DataFrame, ch: pd.DataFrame) -> pd.DataFrame:
    """The 903 Episodes table of :func:`episodes`."""
    ids = ep["child_id"].to_numpy()
    key = ep["period"].to_numpy() * 1000 + ep["k"].to_numpy()
    ep = ep.copy()
    ep["PLACE"] = [_place(kind, since) for kind, since in zip(ep["kind"], ep["since"])]
    uasc = ch.loc[ep["child_id"], "uasc"].to_numpy()
    home = ch.loc[ep["child_id"], "home_post"].to_numpy()
    out_of_county = (ep["PLACE"] == "K2").to_numpy() & (syn.uniform(ids, "out-of-county", key) < syn.OUT_OF_COUNTY_HOME)
    county = np.array(syn.COUNTY_POSTCODES, dtype=object)
    pick = (syn.uniform(ids, "placement-postcode", key) * (len(county) - 1)).astype(int)
    home_i = np.array([syn.COUNTY_POSTCODES.index(x) for x in home])
    in_county = county[pick + (pick >= home_i)]  # any of the county's postcodes but the home's
    away = np.array(syn.OUT_OF_COUNTY_POSTCODES, dtype=object)[
        (syn.uniform(ids, "away-postcode", key) * len(syn.OUT_OF_COUNTY_POSTCODES)).astype(int)]
    provider = np.where(ep["PLACE"].isin(["U4", "U6"]), syn.choose(ids, "foster-provider", syn.FOSTER_PROVIDER, key),
                        np.where(ep["PLACE"] == "K2", syn.choose(ids, "home-provider", syn.HOME_PROVIDER, key),
                                 np.where(ep["PLACE"] == "K3", "PR4", "PR1")))
    provider = np.where(out_of_county & (provider == "PR1"), "PR4", provider)  # the county's own homes are in it
    change = syn.choose(ids, "place-change", C.PLACE_CHANGE, key)
    change = np.where(ep["next_kind"].eq("placed_for_adoption"), "CARPL", change)
    table = pd.DataFrame({
        "CHILD": ep["child_id"].astype(str),
        "DECOM": _d(ep["DECOM"]).to_numpy(),
        "RNE": ep["RNE"].to_numpy(),
        "LS": ep["LS"].to_numpy(),
        "CIN": ch.loc[ep["child_id"], "need"].to_numpy(),
        "PLACE": ep["PLACE"].to_numpy(),
        "PLACE_PROVIDER": provider,
        "DEC": _d(ep["DEC"]).to_numpy(),
        "REC": _rec(ep, ch).to_numpy(),
        "REASON_PLACE_CHANGE": np.where(ep["moves_next"].astype(bool).to_numpy() & ep["DEC"].notna().to_numpy(),
                                        change, None),
        "HOME_POST": np.where(uasc, None, home),
        "PL_POST": np.where(out_of_county, away, in_county),
        "URN": syn.urn(ids, key),
    })
    return table


# ------------------------------------------------------------------------------------------------ the return
def tables(h: Histories, year: str) -> dict[str, pd.DataFrame]:
    """Every table of the 903 return of collection year ``year`` ("2025-26")."""
    first, last = (pd.Timestamp(d) for d in C.year_bounds(C.check_year(year)))
    ch = children_frame(h)
    ep = episodes(h, ch, first, last)
    eps = episodes_table(ep, ch)
    looked_after = ep["child_id"].unique()
    out = {"Episodes": eps}
    out["UASC"] = _uasc(ch, looked_after)
    out["Reviews"] = _reviews(h, ch, first, last)
    out["OC2"] = _oc2(h, ch, first, last)
    out["OC3"] = _oc3(h, ch, first, last)
    adopted = ep.loc[ep["exit"].eq("adoption") & ep["DEC"].notna()]
    out["AD1"], out["PlacedAdoption"] = _adoption(h, ep, adopted, ch, first, last)
    starts = ep[(ep["RNE"] == "S") & (ep["DECOM"] >= first)]["child_id"].unique()
    out["PrevPerm"] = pd.DataFrame({"CHILD": starts.astype(str), "DOB": _d(ch.loc[starts, "birth"]).to_numpy(),
                                    "PREV_PERM": "Z1", "LA_PERM": None, "DATE_PERM": None})
    out["SWEpisodes"] = _sw_episodes(h, ch, looked_after, first, last)
    out["Missing"] = pd.DataFrame(columns=C.TABLES_903["Missing"][1])
    out["DoLo"] = pd.DataFrame(columns=C.TABLES_903["DoLo"][1])
    everyone = pd.unique(np.concatenate([looked_after, out["OC3"]["CHILD"].astype(np.int64).to_numpy()]))
    out["Header"] = _header(ch, everyone, looked_after)
    return {name: out[name].reindex(columns=cols) for name, (_, cols) in C.TABLES_903.items()}


def _header(ch: pd.DataFrame, ids, looked_after) -> pd.DataFrame:
    """One row per child in any table; a girl looked after during the year is recorded as not a
    mother (the model has no births to children in care)."""
    c = ch.loc[ids]
    mother = (c["sex"] == "F").to_numpy() & c["child_id"].isin(looked_after).to_numpy()
    return pd.DataFrame({"CHILD": c["child_id"].astype(str).to_numpy(), "SEX": c["sex"].to_numpy(),
                         "DOB": _d(c["birth"]).to_numpy(), "ETHNIC": c["ethnicity"].to_numpy(),
                         "UPN": c["upn"].to_numpy(), "MOTHER": np.where(mother, "0", None), "MC_DOB": None})


def _uasc(ch: pd.DataFrame, looked_after) -> pd.DataFrame:
    c = ch.loc[looked_after]
    c = c[c["uasc"]]
    return pd.DataFrame({"CHILD": c["child_id"].astype(str).to_numpy(), "SEX": c["sex"].to_numpy(),
                         "DOB": _d(c["birth"]).to_numpy(), "DUC": _d(birthday(c["birth"], 18)).to_numpy()})


def _reviews(h: Histories, ch: pd.DataFrame, first, last) -> pd.DataFrame:
    """Looked-after reviews: the first within 20 working days of entering care, the second three
    months later, then every six months (Care Planning Regulations 2010, reg. 33)."""
    rows = []
    care = h.care[(h.care["start"] <= last) & (h.care["end"].isna() | (h.care["end"] >= first))]
    for p in care.itertuples(index=False):
        date, n = p.start + pd.Timedelta(days=28), 0
        while date <= last and (pd.isna(p.end) or date < p.end):
            if date >= first:
                rows.append((p.child_id, date, n, p.period))
            date += pd.Timedelta(days=91 if n == 0 else 182)
            n += 1
    r = pd.DataFrame(rows, columns=["child_id", "date", "n", "period"])
    birth = ch.loc[r["child_id"], "birth"].to_numpy()
    under4 = (r["date"] < birthday(pd.Series(birth), 4).to_numpy()).to_numpy()
    code = syn.choose(r["child_id"].to_numpy(), "participation", syn.PARTICIPATION, r["period"] * 100 + r["n"])
    return pd.DataFrame({"CHILD": r["child_id"].astype(str), "DOB": _d(birth).to_numpy(), "REVIEW": _d(r["date"]),
                         "REVIEW_CODE": np.where(under4, "PN0", code)})


def _oc2(h: Histories, ch: pd.DataFrame, first, last) -> pd.DataFrame:
    """Children looked after continuously for the 12 months to 31 March: health and offending
    (shares illustrative, in the shape of England 2024: immunisations 84%, teeth checks 78%,
    health assessments 89%, substance misuse 3%, convictions 2% of those aged 10+)."""
    c = h.care[(h.care["start"] <= first) & (h.care["end"].isna() | (h.care["end"] > last))]
    ids = c["child_id"].unique()
    birth = ch.loc[ids, "birth"].reset_index(drop=True)
    age_end = ((last - birth).dt.days / 365.25).to_numpy()
    u = lambda field: syn.uniform(ids, "oc2-" + field)  # noqa: E731
    yes = lambda field, p: np.where(u(field) < p, "1", "0")  # noqa: E731
    substance = np.where(age_end >= 10, yes("substance", 0.03), "0")
    received = np.where(substance == "1", yes("received", 0.6), None)
    offered = np.where(received == "0", yes("offered", 0.5), None)
    sdq_due = (birthday(birth, 4) <= last).to_numpy() & (birthday(birth, 17) >= first).to_numpy()
    scored = u("sdq") < 0.78
    score = np.floor(np.clip(syn.uniform(ids, "sdq-score") * 28 + 2, 0, 40)).astype(int).astype(str)
    reason = syn.choose(ids, "sdq-reason", {"SDQ2": 0.4, "SDQ3": 0.2, "SDQ4": 0.3, "SDQ5": 0.1})
    return pd.DataFrame({
        "CHILD": ids.astype(str), "DOB": _d(birth).to_numpy(),
        "SDQ_SCORE": np.where(sdq_due & scored, score, None), "SDQ_REASON": np.where(sdq_due & ~scored, reason, None),
        "CONVICTED": np.where(age_end >= 10, yes("convicted", 0.02), None),
        "HEALTH_CHECK": np.where(age_end < 5, yes("health-check", 0.9), None),
        "IMMUNISATIONS": yes("immunisations", 0.84), "TEETH_CHECK": yes("teeth", 0.78),
        "HEALTH_ASSESSMENT": yes("health-assessment", 0.89), "SUBSTANCE_MISUSE": substance,
        "INTERVENTION_RECEIVED": received, "INTERVENTION_OFFERED": offered,
    })


def _oc3(h: Histories, ch: pd.DataFrame, first, last) -> pd.DataFrame:
    """Care leavers (left care at 16 or over, at 18 or another way) whose 19th, 20th or 21st birthday
    falls in the year: in touch (93%, DfE 2024 about 92%), with their activity and accommodation."""
    left = h.care[h.care["exit_reason"].isin(["age_18", "other"]) & h.care["end"].notna()]
    left = left.drop_duplicates("child_id", keep="last")
    birth = ch.loc[left["child_id"], "birth"].to_numpy()
    age_left = ((left["end"] - birth).dt.days / 365.25).to_numpy()
    keep = age_left >= 16
    b = pd.Series(birth)
    in_year = np.zeros(len(left), dtype=bool)
    for n in (19, 20, 21):
        day = birthday(b, n).to_numpy()
        in_year |= (day >= np.datetime64(first)) & (day <= np.datetime64(last))
    ids = left["child_id"].to_numpy()[keep & in_year]
    touch = syn.choose(ids, "oc3-touch", {"YES": 0.93, "NO": 0.04, "REFU": 0.03})
    return pd.DataFrame({"CHILD": ids.astype(str), "DOB": _d(ch.loc[ids, "birth"]).to_numpy(), "IN_TOUCH": touch,
                         "ACTIV": np.where(touch == "YES", syn.choose(ids, "oc3-activity", syn.ACTIVITY), "0"),
                         "ACCOM": np.where(touch == "YES", syn.choose(ids, "oc3-accommodation", syn.ACCOMMODATION), "0")})


def adoption_decisions(h: Histories) -> pd.DataFrame:
    """The decision that a child should be placed for adoption (agency decision maker), for every
    period of care with a placement for adoption: 2 to 8 months before the placement and after the
    period began (illustrative), with the date the child was matched with the adopters between the
    two.  Columns: child_id, period, decision, match, placed."""
    pfa = h.placements[h.placements["kind"] == "placed_for_adoption"].drop_duplicates(["child_id", "period"])
    pfa = pfa.merge(h.care[["child_id", "period", "start"]].rename(columns={"start": "entry"}),
                    on=["child_id", "period"])
    ids, k = pfa["child_id"].to_numpy(), pfa["period"].to_numpy()
    gap = pd.to_timedelta(np.floor(60 + syn.uniform(ids, "adm-decision", k) * 180), unit="D")
    decision = np.maximum((pfa["start"] - gap).to_numpy(), (pfa["entry"] + pd.Timedelta(days=1)).to_numpy())
    decision = pd.Series(np.minimum(decision, pfa["start"].to_numpy()), index=pfa.index)
    match = syn.dates_between(ids, "adopter-match", decision, pfa["start"], k)
    return pd.DataFrame({"child_id": ids, "period": k, "decision": decision.to_numpy(), "match": match.to_numpy(),
                         "placed": pfa["start"].to_numpy()})


def _adoption(h: Histories, ep: pd.DataFrame, adopted: pd.DataFrame, ch: pd.DataFrame, first, last):
    """AD1 for the year's adoptions, and the decisions that a child should be placed for adoption made
    by the end of the year for the children looked after during it (:func:`adoption_decisions`)."""
    d = adoption_decisions(h).merge(ep[["child_id", "period"]].drop_duplicates(), on=["child_id", "period"])
    d = d[d["decision"] <= last]
    ids = d["child_id"].to_numpy()
    pa = pd.DataFrame({"CHILD": ids.astype(str), "DOB": _d(ch.loc[ids, "birth"]).to_numpy(),
                       "DATE_PLACED": _d(d["decision"]).to_numpy(), "DATE_PLACED_CEASED": None,
                       "REASON_PLACED_CEASED": None})
    a = adopted.merge(d, on=["child_id", "period"])
    aid = a["child_id"].to_numpy()
    sex = syn.choose(aid, "adopters", syn.ADOPTERS)
    ad1 = pd.DataFrame({"CHILD": aid.astype(str), "DOB": _d(ch.loc[aid, "birth"]).to_numpy(),
                        "DATE_INT": _d(a["decision"]).to_numpy(), "DATE_MATCH": _d(a["match"]).to_numpy(),
                        "FOSTER_CARE": "0", "NB_ADOPTR": np.where(np.isin(sex, ["F1", "M1"]), "1", "2"),
                        "SEX_ADOPTR": sex, "LS_ADOPTR": [syn.ADOPTER_STATUS[s] for s in sex]})
    return ad1, pa


def _sw_episodes(h: Histories, ch: pd.DataFrame, looked_after, first, last) -> pd.DataFrame:
    """Social worker episodes of the children looked after during the year, from a year before it
    (903 guide: every episode of the year for a child looked after at 31 March)."""
    w = h.workers[h.workers["child_id"].isin(looked_after)].copy()
    # an allocation that lasted under three days (a duty worker's, or one changed at once) is not an
    # episode: the allocation that held is (the DfE's check SW09 asks for episodes of a day or more)
    while True:
        nxt = w.groupby("child_id")["date"].shift(-1)
        short = (nxt - w["date"]).dt.days.lt(3) & w.groupby("child_id")["case_id"].shift(-1).eq(w["case_id"])
        if not short.any():
            break
        w = w[~short]
    j = h.journeys.set_index(["case_id", "child_id"])["end"]
    w["journey_end"] = j.reindex(list(zip(w["case_id"], w["child_id"]))).to_numpy()
    nxt = w.groupby("child_id")["date"].shift(-1)
    same = w.groupby("child_id")["case_id"].shift(-1).eq(w["case_id"])
    w["end"] = nxt.where(same, w["journey_end"])
    w.loc[w["end"] > last, "end"] = pd.NaT
    w = w[(w["date"] <= last) & (w["end"].isna() | (w["end"] >= first - pd.Timedelta(days=365)))]
    w = w[(w["end"].isna()) | ((w["end"] - w["date"]).dt.days >= 3)]  # a journey closed within days
    prev_case = w.groupby("child_id")["case_id"].shift(1)
    reason = w["reason"].map(C.SW_REASON).fillna("OTHERS").where(prev_case.eq(w["case_id"]), "FCONTA")
    return pd.DataFrame({"CHILD": w["child_id"].astype(str), "DOB": _d(ch.loc[w["child_id"], "birth"]).to_numpy(),
                         "SW_ID": "SW" + w["worker"].astype(str).str.zfill(6), "SW_DECOM": _d(w["date"]), "SW_DEC": _d(w["end"]),
                         "SW_REASON": reason.to_numpy()})


def write(h: Histories, year: str, folder: Path) -> dict[str, int]:
    """Write the 903 tables of ``year`` into ``folder``; returns the rows written per file."""
    out = {}
    for name, table in tables(h, year).items():
        file = C.TABLES_903[name][0]
        table.to_csv(folder / file, index=False, encoding="utf-8", lineterminator="\n")
        out[file] = len(table)
    return out

