"""The model's rates estimated from an authority's returns, each with its 95% interval.

:func:`estimate` reads the CIN census and the SSDA903 extracts of one collection year (1 April to
the census's reference date, 31 March) and estimates: the referrals in the year and their trend
within it; the conversion along the pathway (referrals closed with no further action, section 47
enquiries going to a conference, conferences starting a CP plan); the timing of assessments and
of CP reviews; the lengths of CIN and CP plans; entries to care; and exits from care by reason
and by age, with the time in care before a return home.  Counts get Poisson intervals and a
trend the Poisson regression's normal interval.  Proportions, medians and 90th percentiles get a
cluster bootstrap's percentile interval: brothers and sisters are referred, assessed, protected
and taken into care together, so their records are not independent, and the returns do not say
who is whose sibling; children with the same referral date (or the same date of entering care)
are resampled together, a cautious stand-in for a family.

:func:`write` writes the estimates twice: a CSV table of every one (its scenario key where it has
one, the estimate, the interval, the number it rests on and how it was made), and a TOML file of
the ones that are scenario parameters, in the scenario file's own form (a scenario can take them
from it), each with its interval as a comment.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .extracts import ExtractError, Report, read_903, read_cin
from .ssda903 import birthday

Z = 1.959964  # the normal quantile of a 95% interval

COLUMNS = ["quantity", "scenario_key", "estimate", "low", "high", "n", "unit", "how"]


def poisson(n: int) -> tuple[float, float]:
    """95% interval of a Poisson count (the square-root transform)."""
    return max(0.0, (math.sqrt(n) - Z / 2) ** 2) if n > 0 else 0.0, (math.sqrt(n + 1) + Z / 2) ** 2


BOOTSTRAP = 400  # resamples of the cluster bootstrap


def boot(values, clusters, stat) -> tuple[float, float, float]:
    """``stat`` of ``values`` and its 95% percentile interval from resampling ``clusters`` (records with
    the same cluster key go together), with a fixed seed so that an estimate is reproducible."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    codes, index = np.unique(np.asarray(clusters).astype(str), return_inverse=True)
    groups = [v[index == i] for i in range(len(codes))]
    rng = np.random.default_rng(20240331)
    draws = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, len(groups), len(groups))
        draws.append(stat(np.concatenate([groups[i] for i in pick])))
    lo, hi = np.nanquantile(draws, [0.025, 0.975])
    return float(stat(v)), float(lo), float(hi)


def _median(x):
    return float(np.median(x))


def _p90(x):
    return float(np.quantile(x, 0.9))


def _mean(x):
    return float(np.mean(x))


def estimate(ssda903: Path | None, cin_census: Path | None, year: str | None = None) -> tuple[pd.DataFrame, Report]:
    """Every estimate (:data:`COLUMNS`) and the report of what in the extracts could not be used."""
    report = Report()
    if year is not None and not (re.fullmatch(r"\d{4}-\d{2}", year) and int(year[5:]) == (int(year[:4]) + 1) % 100):
        raise ExtractError(f"--year {year}: not a collection year (YYYY-YY, the years consecutive: 2025-26)")
    if cin_census is None and ssda903 is None:
        raise ExtractError("give the extracts: --ssda903 FOLDER and/or --cin-census FILE")
    far = pd.Timestamp("2199-12-31")
    cin = read_cin(Path(cin_census), far, report) if cin_census is not None else None
    if year is not None:
        last = pd.Timestamp(int(year[:4]) + 1, 3, 31)
    elif cin is not None and cin["reference"] is not None:
        last = cin["reference"]
    else:
        raise ExtractError("give --year (the census's reference date is missing)")
    first = last - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    rows: list[dict] = []

    def add(quantity, key, est, low, high, n, unit, how):
        rows.append({"quantity": quantity, "scenario_key": key, "estimate": est, "low": low, "high": high,
                     "n": int(n), "unit": unit, "how": how})

    if cin is not None:
        _from_census(cin, first, last, add)
    if ssda903 is not None:
        t903 = read_903(Path(ssda903), far, report)
        if t903:
            _from_903(t903, first, last, add)
    return pd.DataFrame(rows, columns=COLUMNS), report


def _in(dates: pd.Series, first, last) -> pd.Series:
    return dates.notna() & (dates >= first) & (dates <= last)


def _from_census(cin: dict, first, last, add) -> None:
    ep = cin["episodes"]
    refs = ep[_in(ep["referral"], first, last)]
    n = len(refs)
    add("referrals_per_year", "", float(n), *poisson(n), n, "referrals", "CINdetails with a referral date in the year")
    # trend within the year: Poisson regression of monthly counts on time (years)
    months = ((refs["referral"].dt.year - first.year) * 12 + refs["referral"].dt.month - first.month).clip(0, 11)
    counts = np.bincount(months.to_numpy(dtype=int), minlength=12)
    slope, se = _poisson_slope(counts)
    add("referral_trend_per_year", "", slope, slope - Z * se, slope + Z * se, n, "log/year",
        "Poisson regression of the year's monthly referrals on time (seasonality not removed)")
    add("referrals_nfa_share", "referral.p_nfa", *boot(refs["nfa"], refs["referral"], _mean), n, "share",
        "referrals with ReferralNFA true (the model's referral.p_nfa, after any MASH factor)")
    a = cin["assessments"]
    done = a[_in(a["end"], first, last) & a["start"].notna()]
    days = (done["end"] - done["start"]).dt.days
    add("assessment_days_median", "assessment.duration.median", *boot(days, done["start"], _median), len(days), "days",
        "assessments authorised in the year: start to authorisation")
    add("assessment_days_p90", "assessment.duration.p90", *boot(days, done["start"], _p90), len(days), "days",
        "the same, 90th percentile")
    s47 = cin["s47"]
    concluded = s47[_in(s47["icpc"].fillna(s47["start"]), first, last) & (s47["icpc"].notna() | s47["not_required"])]
    add("s47_to_conference_share", "", *boot(concluded["icpc"].notna(), concluded["start"], _mean),
        len(concluded), "share", "section 47 enquiries concluded in the year that went to an initial conference")
    conf = s47[_in(s47["icpc"], first, last)][["child", "episode", "icpc"]]
    cp = cin["cp_plans"]
    started = conf.merge(cp[["child", "episode", "start"]], left_on=["child", "episode", "icpc"],
                         right_on=["child", "episode", "start"], how="left")
    add("conference_to_cp_plan_share", "icpc.outcome.cp_plan", *boot(started["start"].notna(), started["icpc"], _mean),
        len(conf), "share",
        "initial conferences in the year with a CP plan starting that day")
    reviews = cin["reviews"].merge(cp[["plan", "start"]], on="plan").sort_values(["plan", "date"])
    firsts = reviews.drop_duplicates("plan")
    firsts = firsts[_in(firsts["start"], first, last)]
    gap = (firsts["date"] - firsts["start"]).dt.days
    add("cp_first_review_days", "cp.first_review_days", *boot(gap, firsts["start"], _median), len(gap), "days",
        "CP plans started in the year: start to first review (median)")
    later = reviews.assign(prev=reviews.groupby("plan")["date"].shift())
    later = later[later["prev"].notna() & _in(later["date"], first, last)]
    gaps = (later["date"] - later["prev"]).dt.days
    add("cp_review_interval_days", "cp.review_interval_days", *boot(gaps, later["prev"], _median), len(gaps), "days",
        "gaps between a CP plan's later reviews held in the year (median)")
    ended = cp[_in(cp["end"], first, last)]
    length = (ended["end"] - ended["start"]).dt.days
    add("cp_plan_days_median", "", *boot(length, ended["start"], _median), len(length), "days",
        "CP plans ended in the year (median length)")
    plans = cin["cin_plans"]
    ended = plans[_in(plans["end"], first, last)]
    length = (ended["end"] - ended["start"]).dt.days
    add("cin_plan_days_median", "", *boot(length, ended["start"], _median), len(length), "days",
        "CIN plans ended in the year (median length)")
    n = int(_in(cp["start"], first, last).sum())
    add("cp_plans_started_per_year", "", float(n), *poisson(n), n, "plans", "CP plans started in the year")


def _poisson_slope(counts: np.ndarray) -> tuple[float, float]:
    """Slope (per year) of log(count) on time in a Poisson regression of monthly counts, and its SE."""
    t = (np.arange(len(counts)) + 0.5) / 12.0
    beta = np.array([math.log(max(counts.mean(), 1e-9)), 0.0])
    X = np.column_stack([np.ones_like(t), t])
    for _ in range(25):  # Newton-Raphson
        mu = np.exp(X @ beta)
        info = X.T @ (X * mu[:, None])
        step = np.linalg.solve(info, X.T @ (counts - mu))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    mu = np.exp(X @ beta)
    cov = np.linalg.inv(X.T @ (X * mu[:, None]))
    return float(beta[1]), float(math.sqrt(cov[1, 1]))


#: Reasons episode ceased, as the model's reasons for leaving care.
EXIT = {"E4A": "returned_home", "E4B": "returned_home", "E11": "adoption", "E12": "adoption", "E45": "sgo",
        "E46": "sgo", "E47": "sgo", "E48": "sgo"}
BANDS = [("under_1", 1), ("1_4", 5), ("5_9", 10), ("10_15", 16), ("16_17", 200)]


def _from_903(t: dict, first, last, add) -> None:
    ep = t["Episodes"].sort_values(["CHILD", "decom_date"]).copy()
    # the start of each episode's period of care: back along the chain of X1 episodes
    starts = []
    current, start, prev_dec = None, None, None
    for r in ep.itertuples(index=False):
        if r.CHILD != current or not (prev_rec == "X1" and prev_dec == r.decom_date):  # noqa: F821
            start = r.decom_date
        starts.append(start)
        current, prev_dec, prev_rec = r.CHILD, r.dec_date, r.REC  # noqa: F841
    ep["period_start"] = starts
    entries = ep[(ep["RNE"] == "S") & _in(ep["decom_date"], first, last)]
    n = len(entries)
    add("cla_starts_per_year", "", float(n), *poisson(n), n, "children", "periods of care starting in the year (RNE S)")
    if "UASC" in t:
        u = set(t["UASC"]["CHILD"])
        k = int(entries["CHILD"].isin(u).sum())
        add("uasc_starts_per_year", "uasc.arrivals", float(k), *poisson(k), k, "children",
            "of which unaccompanied asylum-seeking children (in the UASC table)")
    ceased = ep[ep["REC"].notna() & (ep["REC"] != "X1") & _in(ep["dec_date"], first, last)].copy()
    dob = t["Header"].set_index("CHILD")["dob_date"]
    ceased["age"] = (ceased["dec_date"] - ceased["CHILD"].map(dob)).dt.days / 365.25
    eighteen = birthday(ceased["CHILD"].map(dob), 18)
    ceased["reason"] = ceased["REC"].map(EXIT).where(ceased["REC"].isin(list(EXIT)),
                                                     np.where(ceased["dec_date"] >= eighteen, "age_18", "other"))
    total = len(ceased)
    add("cla_ceased_per_year", "", float(total), *poisson(total), total, "children", "periods of care ceased in the year")
    for reason in ("returned_home", "adoption", "sgo", "age_18", "other"):
        add(f"cla_ceased_{reason}_share", "", *boot(ceased["reason"] == reason, ceased["period_start"], _mean), total,
            "share", f"ceased in the year: {reason.replace('_', ' ')} (903 reasons episode ceased)")
    lo = 0
    for band, hi in BANDS:
        add(f"cla_ceased_age_{band}_share", "", *boot((ceased["age"] >= lo) & (ceased["age"] < hi),
                                                        ceased["period_start"], _mean), total, "share",
            f"ceased in the year aged {band.replace('_', '-')}")
        lo = hi
    home = ceased[ceased["reason"] == "returned_home"]
    days = (home["dec_date"] - home["period_start"]).dt.days
    add("return_home_days_median", "care.return_home_time.median", *boot(days, home["period_start"], _median),
        len(days), "days", "time in care of the children who returned home in the year (median)")
    add("return_home_days_p90", "care.return_home_time.p90", *boot(days, home["period_start"], _p90), len(days), "days",
        "the same, 90th percentile")


#: Estimates written into the TOML file as scenario values: key -> (quantity, how to write it).
_SCENARIO = {"referral.p_nfa": "referrals_nfa_share", "cp.first_review_days": "cp_first_review_days",
             "cp.review_interval_days": "cp_review_interval_days"}
_DISTS = {"assessment.duration": ("assessment_days_median", "assessment_days_p90"),
          "care.return_home_time": ("return_home_days_median", "return_home_days_p90")}


def shown(x: float) -> str:
    """An estimate or a bound as the command and the comments show it: four significant figures,
    a count of thousands in full with separators (20,134, not 2.013e+04)."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def write(table: pd.DataFrame, toml_path: Path, csv_path: Path) -> None:
    """The CSV of every estimate, and the TOML of the scenario parameters among them."""
    by = table.set_index("quantity")
    lines = ["# Written by journeysim estimate: parameters estimated from an authority's returns.",
             "# Each is a scenario value (a scenario may take it from here); its 95% interval is in the comment,",
             f"# and every estimate, with its interval and the number it rests on, is in {csv_path.name}.", ""]
    sections: dict[str, list[str]] = {}
    for key, q in _SCENARIO.items():
        if q in by.index and not math.isnan(by.at[q, "estimate"]):
            r = by.loc[q]
            section, leaf = key.split(".", 1)
            sections.setdefault(section, []).append(f"{leaf} = {r['estimate']:.6g}  # 95% interval {shown(r['low'])} to "
                                                    f"{shown(r['high'])} (n = {int(r['n'])})")
    for key, (qm, q9) in _DISTS.items():
        if qm in by.index and q9 in by.index and by.at[qm, "estimate"] > 0 and by.at[q9, "estimate"] > by.at[qm, "estimate"]:
            m, p9 = by.loc[qm], by.loc[q9]
            section, leaf = key.split(".", 1)
            sections.setdefault(section, []).append(
                f'{leaf} = {{ dist = "lognormal", median = {m["estimate"]:.6g}, p90 = {p9["estimate"]:.6g} }}'
                f"  # 95% intervals: median {shown(m['low'])} to {shown(m['high'])}, p90 {shown(p9['low'])} to {shown(p9['high'])}"
                f" (n = {int(m['n'])})")
    for section, items in sections.items():
        lines += [f"[{section}]", *items, ""]
    for path, text in ((csv_path, table.to_csv(index=False, lineterminator="\n")), (toml_path, "\n".join(lines) + "\n")):
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
