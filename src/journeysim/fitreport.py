"""The calibration fit report: tables, goodness of fit, figures and the back-test.

Pure functions of a :class:`journeysim.knobs.Fit` (and the targets file); the
figures are written with matplotlib's Agg backend and linked from the Markdown.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .knobs import TREND_KNOBS, Fit  # noqa: E402
from .stats import prediction_table  # noqa: E402
from .targets import CASE_FILE_N, FIRM, target_sd  # noqa: E402

#: Okabe-Ito colours (safe for colour-blind readers).
BLUE, ORANGE, SKY, GREY = "#0072B2", "#E69F00", "#56B4E9", "#777777"

LABELS = {
    "cp_plans_started": "CP plans started",
    "cp_second_or_subsequent_pct": "CP second or subsequent %",
    "cla_starts": "CLA starts",
    "cla_at_31_march": "CLA at 31 March",
    "cla_ceased": "CLA ceased",
    "cla_ceased_adoption": "CLA ceased: adoption",
    "re_referral_12m_pct": "Re-referrals within 12 months %",
    "cin_at_31_march": "Children in need at 31 March",
    "cp_at_31_march": "CP plans at 31 March",
    "uasc_at_31_march": "UASC looked after at 31 March",
    "referrals": "Referrals",
    "referrals_nfa_pct": "Referrals ending in NFA %",
    "children_assessed_not_in_need_pct": "Assessed not in need % of referrals",
    "sw_caseload_children_mean": "Caseload per worker (children)",
    "positive_change_pct": "Families with positive change %",
    "cla_ceased_sgo": "CLA ceased: special guardianship",
}


def _percentile_coverage(n: int, q: float = 0.05) -> float:
    """About the chance that one more draw falls between the ``q`` and ``1 - q`` percentiles (linear
    interpolation) of ``n`` draws from a continuous distribution: (n + 1 - 2k) / (n + 1), with k the
    lower percentile's rank, 1 + q (n - 1).  One more draw is equally likely to fall in each of the
    n + 1 gaps between the ordered draws, so this is exact when k is whole, and near otherwise (for
    12 normal draws, 76% against 78%)."""
    k = 1 + q * (n - 1)
    return max(0.0, (n + 1 - 2 * k) / (n + 1))


def simulated(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Per measure and year: the ``mean`` over replications, the 90% interval a published figure falls
    in if the model is right (``lo``, ``hi``: :func:`journeysim.stats.prediction_interval`, not the 5th
    to 95th percentile of so few replications, which covers only about three points in four) and the
    number of replications ``n``."""
    return prediction_table(per_rep, {0.90: ("lo", "hi")})


def predictive(ensemble: pd.DataFrame, draws: int = 400, seed: int = 2018) -> pd.DataFrame:
    """The 90% predictive interval for an observed figure (``pr_lo``, ``pr_hi``) per measure and
    year: each replication of the plausible ensemble plus ``draws`` normal draws of the observation
    error and model discrepancy that the calibration assumed (:func:`journeysim.targets.target_sd`
    of the simulated value).  Seeded, so the same ensemble gives the same interval."""
    rng = np.random.default_rng(seed)
    rows = []
    for (measure, year), g in ensemble.groupby(["measure", "year"], sort=True):
        values = g["value"].dropna().to_numpy(float)
        if len(values) == 0:
            continue
        sd = np.array([target_sd(measure, abs(v)) for v in values])
        sample = (values[:, None] + sd[:, None] * rng.standard_normal((len(values), draws))).ravel()
        rows.append((measure, year, *np.quantile(sample, [0.05, 0.95])))
    return pd.DataFrame(rows, columns=["measure", "year", "pr_lo", "pr_hi"])


def comparison(targets: pd.DataFrame, per_rep: pd.DataFrame, fitted_years: list[str],
               ensemble: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per observed figure with a model measure: observed (``value``), the calibrated
    point's simulated ``mean`` and 90% interval (``lo``, ``hi``), whether the observation is
    ``inside``, the percentage error, and whether the year was ``fitted`` (else forecast or a
    check).  With the plausible ``ensemble``, also its 90% interval (``e_lo``, ``e_hi``,
    ``e_inside``) and the predictive interval (``pr_lo``, ``pr_hi``, ``pr_inside``)."""
    obs = targets[targets["model_measure"].notna() & targets["year"].notna() & targets["use"].isin(["fit", "check"])]
    obs = obs.drop_duplicates(["model_measure", "year"])[["model_measure", "year", "value", "use", "weight", "source"]]
    sim = simulated(per_rep).rename(columns={"measure": "model_measure"})
    out = obs.merge(sim, on=["model_measure", "year"], how="inner")
    out["inside"] = (out["value"] >= out["lo"]) & (out["value"] <= out["hi"])
    if ensemble is not None:
        ens = simulated(ensemble).rename(columns={"measure": "model_measure", "mean": "e_mean", "lo": "e_lo", "hi": "e_hi"})
        out = out.merge(ens.drop(columns="n"), on=["model_measure", "year"], how="left")
        out["e_inside"] = (out["value"] >= out["e_lo"]) & (out["value"] <= out["e_hi"])
        pred = predictive(ensemble).rename(columns={"measure": "model_measure"})
        out = out.merge(pred, on=["model_measure", "year"], how="left")
        out["pr_inside"] = (out["value"] >= out["pr_lo"]) & (out["value"] <= out["pr_hi"])
    out["error_pct"] = 100.0 * (out["mean"] - out["value"]) / out["value"]
    out["firm"] = out["model_measure"].isin(FIRM) & (out["use"] == "fit")
    out["fitted"] = out["year"].isin(fitted_years) & (out["use"] == "fit")
    return out.sort_values(["model_measure", "year"]).reset_index(drop=True)


def goodness(comp: pd.DataFrame) -> pd.DataFrame:
    """Per measure: mean absolute percentage error of the simulated mean and the share of
    observed points inside the simulated 90% interval (and the ensemble's, when present)."""
    g = comp.groupby("model_measure")
    out = pd.DataFrame({
        "points": g.size(),
        "mape_pct": g["error_pct"].apply(lambda e: float(np.mean(np.abs(e)))),
        "inside_pct": g["inside"].mean() * 100.0,
    })
    if "e_inside" in comp:
        out["e_inside_pct"] = g["e_inside"].mean() * 100.0
        out["pr_inside_pct"] = g["pr_inside"].mean() * 100.0
    return out.reset_index()


def _by_rep(per_rep: pd.DataFrame, measure: str, years: list[str]) -> pd.DataFrame:
    """One measure's values, a row per replication and a column per year of ``years`` (in that
    order); replications missing a year are left out."""
    rows = per_rep[(per_rep["measure"] == measure) & per_rep["year"].isin(years)]
    x = rows.pivot_table(index="rep", columns="year", values="value", aggfunc="first")
    return x.reindex(columns=list(years)).dropna()


def noise_floor(per_rep: pd.DataFrame, measure: str, years: list[str]) -> float:
    """The mean absolute percentage error that the simulated mean scores against one of its own
    replications (each replication against the mean of the others, averaged): the error a model
    that were exactly right would still show against one county's published figures, from
    counting noise and year-to-year variation alone.  A replication's zero is left out (it has no
    percentage error); NaN with fewer than two replications."""
    x = _by_rep(per_rep, measure, years)
    n = len(x)
    if n < 2:
        return float("nan")
    others = (x.sum(axis=0) - x) / (n - 1)
    ratios = (np.abs(others - x) / x.where(x != 0)).to_numpy()  # a replication's zero has no percentage error
    return float(100.0 * np.nanmean(ratios)) if np.isfinite(ratios).any() else float("nan")


def mape_range(per_rep: pd.DataFrame, measure: str, observed: pd.Series, draws: int = 2000, seed: int = 2018,
               q: tuple[float, float] = (5.0, 95.0)) -> tuple[float, float]:
    """How far a measure's mean absolute percentage error moves with other draws of as many
    replications: the ``q`` percentiles of the error of the mean of replications resampled with
    replacement (a bootstrap), against ``observed`` (values by year).  Seeded."""
    x = _by_rep(per_rep, measure, list(observed.index)).to_numpy(float)
    if len(x) == 0:
        return float("nan"), float("nan")
    obs = observed.to_numpy(float)
    picks = np.random.default_rng(seed).integers(0, len(x), (draws, len(x)))
    errors = 100.0 * np.mean(np.abs(x[picks].mean(axis=1) - obs) / np.abs(obs), axis=1)
    lo, hi = np.percentile(errors, q)
    return float(lo), float(hi)


# ------------------------------------------------------------------------------------ figures
def small_multiples(comp: pd.DataFrame, per_rep: pd.DataFrame, measures: list[str], path: Path, title: str,
                    forecast_from: str | None = None, ensemble: pd.DataFrame | None = None) -> pd.DataFrame:
    """One panel per measure: observed points against the calibrated point's simulated mean and
    90% band (and the plausible ensemble's wider band), by year.  Returns the plotted data
    (measure, year, mean, lo, hi, [e_lo, e_hi, pr_lo, pr_hi,] observed)."""
    sim = simulated(per_rep)
    sim = sim[sim["measure"].isin(measures)].drop(columns="n")
    if ensemble is not None:
        ens = simulated(ensemble)[["measure", "year", "lo", "hi"]].rename(columns={"lo": "e_lo", "hi": "e_hi"})
        sim = sim.merge(ens, on=["measure", "year"], how="left").merge(predictive(ensemble), on=["measure", "year"], how="left")
    obs = comp[["model_measure", "year", "value"]].rename(columns={"model_measure": "measure", "value": "observed"})
    data = sim.merge(obs, on=["measure", "year"], how="left").sort_values(["measure", "year"])
    cols = 4
    rows = int(np.ceil(len(measures) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, m in zip(axes.flat, measures):
        d = data[data["measure"] == m]
        x = np.arange(len(d))
        if ensemble is not None:
            ax.fill_between(x, d["pr_lo"], d["pr_hi"], color=GREY, alpha=0.12, label="predictive 90%")
            ax.fill_between(x, d["e_lo"], d["e_hi"], color=SKY, alpha=0.3, label="plausible ensemble 90%")
        ax.fill_between(x, d["lo"], d["hi"], color=BLUE, alpha=0.3, label="calibrated point 90%")
        ax.plot(x, d["mean"], color=BLUE, label="calibrated point mean")
        ax.plot(x, d["observed"], "o", color=ORANGE, label="observed (Hampshire)")
        if forecast_from is not None and forecast_from in set(d["year"]):
            ax.axvline(list(d["year"]).index(forecast_from) - 0.5, color=GREY, ls="--", lw=1)
        ax.set_title(LABELS.get(m, m), fontsize=10)
        ax.set_xticks(x, [y[2:] for y in d["year"]], fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return data.reset_index(drop=True)


def workers_figure(per_rep: pd.DataFrame, targets: pd.DataFrame, path: Path, year: str = "2017-18") -> pd.DataFrame:
    """Social workers per journey in ``year``: simulated (mean, 90% interval) against 000 Table 9,
    with the sample's 95% interval.  Returns the plotted data."""
    bands = ["1", "2", "3", "4", "5plus"]
    names = [f"social_workers_per_journey_pct_{b}" for b in bands]
    sim = simulated(per_rep)
    sim = sim[(sim["year"] == year) & sim["measure"].isin(names)].set_index("measure").reindex(names)
    obs = targets[targets["model_measure"].isin(names) & (targets["year"] == year)]
    obs = obs.drop_duplicates("model_measure").set_index("model_measure").reindex(names)["value"]
    half = 1.96 * 100.0 * np.sqrt((obs / 100.0) * (1 - obs / 100.0) / CASE_FILE_N)
    data = pd.DataFrame({"workers": ["1", "2", "3", "4", "5+"], "simulated": sim["mean"].to_numpy(),
                         "lo": sim["lo"].to_numpy(), "hi": sim["hi"].to_numpy(), "observed": obs.to_numpy(),
                         "observed_half_95": half.to_numpy()})
    fig, ax = plt.subplots(figsize=(6, 3.6))
    x = np.arange(5)
    ax.bar(x - 0.2, data["observed"], 0.4, yerr=data["observed_half_95"], color=ORANGE, capsize=3,
           label="000 Table 9 (closed Nov 2017-Feb 2018, ~110 cases; 95% sampling interval)")
    ax.bar(x + 0.2, data["simulated"], 0.4, yerr=[data["simulated"] - data["lo"], data["hi"] - data["simulated"]],
           color=BLUE, capsize=3, label=f"simulated, journeys closed in {year} (90% interval)")
    ax.set_xticks(x, data["workers"])
    ax.set_xlabel("social workers in the journey")
    ax.set_ylabel("% of closed journeys with a plan")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return data


# ------------------------------------------------------------------------------------ text
METHOD = """## Method

**History matching in waves** (Craig et al. 1997; Vernon, Goldstein and Bower 2010; Andrianakis et al.
2015), implemented in `src/journeysim/historymatch.py`, over {knobs} uncertain parameters with the prior
ranges in the table below. Each wave runs {runs} design points (wave 1: a maximin Latin hypercube over
the prior box; later waves: a space-filling subset of the space not yet ruled out), all on common random
numbers, at `run.scale` x{scale} (counts scaled back up), plus {replicates} replicates at the wave's best
point to measure the simulator's own noise. A ridge-regression emulator is fitted to each of the {targets}
targets; a candidate parameter set is ruled out when its second-largest implausibility
|emulated - observed| / sd exceeds 3, where sd combines the emulator's error, the simulator's noise
(scaled to the full county), and the observation error and model discrepancy:

- published counts and stocks: 2% recording error and 5% model discrepancy;
- published percentages: 1.5 points and 5% of the value;
- case-file shares (000 Table 9, Table 13; about 110 cases): binomial sampling error and 2 points;
- the interview caseload (26.71): 10%.

The shipped point is the candidate not ruled out whose emulated outputs are closest to the targets:
the lowest sum of squared errors of the emulated mean, each divided by the observation error and model
discrepancy above and weighted by the `weight` column of `calibration/targets.csv`. The simulator's own
noise counts when a point is ruled out, because that compares one run with the county. It does not count
here, because the report judges the mean of many replications. Dividing by it would give the noisiest
outputs, the small counts such as adoptions, the least weight. The plausible ranges are the 5th to 95th
percentiles of the candidates not ruled out after the last wave.

**Why this method.** There are two dozen uncertain parameters and about seventy noisy targets, several of
which move from year to year for reasons the model does not hold (CLA starts fell to 507 in 2015-16 and rose
to 647 the year after). An optimiser would chase that noise to one point and say nothing about what else
fits; rejection ABC would need far more runs than two cores allow. History matching rules out the
implausible space in a few hundred runs, with every uncertainty stated, and leaves plausible ranges as
well as a point. The same seed and settings reproduce the fitted file exactly.
"""


def _method_numbers(f: Fit) -> dict:
    return {"knobs": len(f.knobs), "runs": f.settings.runs_per_wave, "scale": f"{f.settings.scale:g}",
            "replicates": f.settings.replicates, "targets": len(f.targets)}


def _table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _n(v: float, pct: bool = False) -> str:
    if pd.isna(v):
        return "-"
    if pct or abs(v) < 100:
        return f"{v:,.1f}"
    return f"{v:,.0f}"


def _comparison_table(comp: pd.DataFrame) -> str:
    rows = []
    for r in comp.itertuples(index=False):
        pct = r.model_measure.endswith("_pct") or r.model_measure.endswith("_mean")
        rows.append({
            "measure": LABELS.get(r.model_measure, r.model_measure), "year": r.year,
            "fitted or forecast": ("fitted" if r.fitted else ("forecast" if r.use == "fit" else "check")),
            "observed": _n(r.value, pct), "simulated mean": _n(r.mean, pct), "error %": f"{r.error_pct:+.1f}",
            "90% interval (point)": f"{_n(r.lo, pct)} to {_n(r.hi, pct)}" + ("" if r.inside else " **out**"),
            "90% interval (ensemble)": f"{_n(r.e_lo, pct)} to {_n(r.e_hi, pct)}" + ("" if r.e_inside else " **out**"),
            "90% interval (predictive)": f"{_n(r.pr_lo, pct)} to {_n(r.pr_hi, pct)}" + ("" if r.pr_inside else " **out**"),
        })
    return _table(pd.DataFrame(rows))


def _parameters_table(f: Fit) -> str:
    ranges = f.result.plausible_range()
    rows = []
    chosen = f.chosen if f.chosen is not None else f.result.best
    for knob, x, (lo, hi) in zip(f.knobs, chosen, ranges):
        rows.append({"parameter": f"`{knob.name}`", "meaning": knob.doc, "prior range": f"{_g(knob.lo)} to {_g(knob.hi)}",
                     "fitted": _g(knob.value(x)), "plausible range (5-95%)": f"{_g(knob.value(lo))} to {_g(knob.value(hi))}"})
    return _table(pd.DataFrame(rows))


def _g(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _waves_table(f: Fit) -> str:
    rows = []
    for i, w in enumerate(f.result.waves):
        row = {"wave": w.number, "design runs": len(w.design), "runs the emulator was fitted to": w.runs_used,
               "not ruled out": f"{100 * w.nroy_share:.2f}% of the region's candidates"
               + (" (none passed the cut-off: the least implausible kept)" if w.kept_least_implausible else "")}
        if f.losses is not None and i + 1 < len(f.losses):
            row["loss at the wave's centre (full scale)"] = f"{f.losses[i + 1]:,.0f}"
        rows.append(row)
    text = _table(pd.DataFrame(rows))
    if f.losses is not None:
        text += (f"\n\nLoss (weighted squared standardised error over the fitting targets) of the emulator's best "
                 f"point after the last wave, simulated at full scale: {f.losses[0]:,.0f}. Shipped: {f.chosen_from}.")
    return text


def _goodness_text(comp: pd.DataFrame, per_rep: pd.DataFrame) -> tuple[list[str], dict]:
    fitted = comp[comp["fitted"]]
    firm = fitted[fitted["firm"]]
    g = goodness(firm)
    years = sorted(set(firm["year"]))
    g["floor_pct"] = [noise_floor(per_rep, m, years) for m in g["model_measure"]]
    ranges = [mape_range(per_rep, m, firm[firm["model_measure"] == m].set_index("year")["value"])
              for m in g["model_measure"]]
    g["mape_lo"], g["mape_hi"] = [r[0] for r in ranges], [r[1] for r in ranges]
    lines = ["| measure | points | MAPE % | with other replications | noise floor % | inside the 90% interval: point "
             "| ensemble | predictive |",
             "|---|---|---|---|---|---|---|---|"]
    for r in g.itertuples(index=False):
        lines.append(f"| {LABELS.get(r.model_measure, r.model_measure)} | {r.points} | {r.mape_pct:.1f} | "
                     f"{r.mape_lo:.1f} to {r.mape_hi:.1f} | {r.floor_pct:.1f} | {r.inside_pct:.0f}% | "
                     f"{r.e_inside_pct:.0f}% | {r.pr_inside_pct:.0f}% |")
    worst = g.loc[g["mape_pct"].idxmax()]
    numbers = {"firm_points": len(firm), "firm_mape": float(np.mean(np.abs(firm["error_pct"]))),
               "firm_mape_max": float(worst["mape_pct"]), "firm_mape_worst": LABELS.get(worst["model_measure"]),
               "firm_floor_worst": float(worst["floor_pct"]), "firm_worst_lo": float(worst["mape_lo"]),
               "firm_worst_hi": float(worst["mape_hi"]),
               "firm_inside_pct": float(100 * firm["inside"].mean()), "firm_e_inside_pct": float(100 * firm["e_inside"].mean()),
               "firm_pr_inside_pct": float(100 * firm["pr_inside"].mean()),
               "all_points": len(fitted), "all_pr_inside_pct": float(100 * fitted["pr_inside"].mean()),
               "all_inside_pct": float(100 * fitted["inside"].mean())}
    lines += ["", "**Firm annual targets: {firm_points} points. Mean absolute percentage error of the calibrated mean "
              "{firm_mape:.1f}%; worst measure {firm_mape_max:.1f}% ({firm_mape_worst}; {firm_worst_lo:.1f} to "
              "{firm_worst_hi:.1f}% with other replications). Observed points inside the "
              "simulated 90% interval of the calibrated scenario: {firm_inside_pct:.0f}%** (with the parameter "
              "uncertainty of the plausible ensemble {firm_e_inside_pct:.0f}%; inside the predictive interval "
              "{firm_pr_inside_pct:.0f}%). All {all_points} fitting points: {all_inside_pct:.0f}% inside the simulated "
              "interval, {all_pr_inside_pct:.0f}% inside the predictive one.".format(**numbers), "",
              "**With other replications**: how far each error moves with another draw of as many replications "
              "(the 5th to 95th percentile of the error of the mean of replications resampled with replacement); "
              "an error whose range spans 10% meets or misses that target by the luck of the seeds.", "",
              "The **noise floor** is the error that the simulated mean scores against one of its own replications: "
              "what a model that were exactly right would still show against one county's published figures, from "
              "counting noise and year-to-year variation alone (each replication against the mean of the others, "
              "averaged). A measure's error near its floor is as close as its published series allows; for the worst "
              "measure the floor is {firm_floor_worst:.1f}%; small counts have the highest floors.".format(**numbers), "",
              "Three 90% intervals, each wider than the one before:",
              "",
              "- **point**: the spread of replications of the calibrated scenario, what a planner running "
              "`scenarios/hampshire.toml` sees: the simulator's own randomness and its year-to-year variation "
              "(see below). This is the simulated interval the coverage target refers to;",
              "- **ensemble**: adds the parameter uncertainty left after calibration (each replication's parameters "
              "drawn from the best-fitting tenth of the space not ruled out);",
              "- **predictive**: adds the observation error and model discrepancy that the history matching assumed "
              "(see Method). Part of that discrepancy was the year-to-year movement the simulated interval now holds, "
              "so this interval counts some of it twice and is wider than it need be."]
    return lines, numbers


def write_report(f: Fit, targets: pd.DataFrame, path: Path, command: str, backtest: tuple[Fit, list[str]] | None = None,
                 seconds: float | None = None, trends_from: Fit | None = None, rolling: pd.DataFrame | None = None,
                 sensitivity: pd.DataFrame | None = None, origin_weight: float = 1.0,
                 continuity: pd.DataFrame | None = None) -> dict:
    """Write the Markdown fit report at ``path`` and its figures beside it (``img/calibration/``);
    return the key numbers."""
    path = Path(path)
    img = path.parent / "img" / "calibration"
    img.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(img, path.parent)
    years = sorted(set(f.targets["year"]))
    comp = comparison(targets, f.per_rep, years, f.ensemble)
    present = set(comp["model_measure"])
    firm_measures = [m for m in FIRM if m in present]
    other = [m for m in OTHER if m in present]
    small_multiples(comp, f.per_rep, firm_measures, img / "firm.png", "Firm annual targets: observed and simulated",
                    ensemble=f.ensemble)
    small_multiples(comp, f.per_rep, other, img / "other.png", "Other published series", ensemble=f.ensemble)
    workers = workers_figure(f.per_rep, targets, img / "workers.png")
    goodness_lines, numbers = _goodness_text(comp, f.per_rep)
    sim = simulated(f.per_rep).set_index(["measure", "year"])
    lines = [
        "# Calibration: the fit to Hampshire",
        "",
        f"Written by `{command}`. **Fitted years: {years[0]} to {years[-1]}.** The simulated figures are "
        f"{f.settings.reps} replications of the calibrated Hampshire scenario at full scale (`calibration/hampshire.toml`, "
        "loaded by `scenarios/hampshire.toml`) and as many of the plausible ensemble. A 90% interval is the interval one "
        "more replication falls in nine times in ten (a prediction interval: the replications' mean plus or minus "
        "t(n-1) x sd x sqrt(1 + 1/n), on the log scale for counts and the logit scale for percentages), so that a "
        "published figure falls in it nine times in ten if the model is right. The 5th to 95th percentile of "
        f"{f.settings.reps} replications would not do: it holds one more replication only about "
        f"{100 * _percentile_coverage(f.settings.reps):.0f}% of the time.",
        "",
    ]
    if seconds is not None:
        lines += [f"Run time: {seconds / 60:.1f} minutes with {f.workers} worker processes.", ""]
    lines += ["## Goodness of fit (fitted years, firm annual targets)", "", *goodness_lines, ""]
    key = ("sw_caseload_children_mean", "2017-18")
    if key in sim.index:
        c = sim.loc[key]
        numbers["caseload_2017_18"] = float(c["mean"])
        lines += [f"Caseload per worker at 31 March 2018: {c['mean']:.1f} children (90% interval {c['lo']:.1f} to "
                  f"{c['hi']:.1f}); the interview figure for CAST workers in mid-2018 is 26.71.", ""]
    one = workers.iloc[0]
    numbers["one_worker_pct"] = float(one["simulated"])
    lines += [f"Journeys with one social worker (closed in 2017-18): {one['simulated']:.1f}% simulated against 10% in "
              "the 000 Table 9 baseline sample.", "",
              f"![Firm annual targets: observed points against the simulated mean and 90% intervals]({rel}/firm.png)", "",
              f"![Other published series against the simulation]({rel}/other.png)", "",
              f"![Social workers per journey: simulated against 000 Table 9]({rel}/workers.png)", ""]
    if continuity is not None and not continuity.empty:
        lines += continuity_section(continuity, numbers)
    lines += _jump_off_section(comp, years[-1], origin_weight, numbers, f.jump_off)
    if trends_from is not None:
        lines += _trends_section(trends_from, sensitivity is not None and not sensitivity.empty)
    lines += _variation_section(f)
    lines += METHOD.format(**_method_numbers(f)).splitlines() + [""]
    if rolling is not None and not rolling.empty:
        lines += _rolling_section(rolling, img, rel, numbers)
    if backtest is not None:
        lines += _backtest_section(backtest, targets, img, rel, firm_measures, numbers)
    if sensitivity is not None and not sensitivity.empty:
        lines += _sensitivity_section(sensitivity)
    lines += ["## Every observed figure", "", _comparison_table(comp), ""]
    lines += ["## Fitted parameters", "", _parameters_table(f), ""]
    lines += ["## The waves", "", _waves_table(f), ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return numbers


VARIATION_TEXT = {
    "front_door": "contacts from new families (a multiplier with mean 1)",
    "care_entry": "the odds of the decisions that take a child into care",
    "returns": "the odds of a closed family coming back",
    "repeat_cp": "the odds of a strategy discussion for a child with an earlier CP plan",
}


def continuity_section(per_rep: pd.DataFrame, numbers: dict | None = None) -> list[str]:
    """Continuity under CAST as the out-of-sample prediction it is: per closing window, the calibrated
    scenario and its counterfactual (model A kept), each band's mean share and 90% interval
    (``per_rep``: :func:`journeysim.continuity.predict`'s table)."""
    from .continuity import BASELINE, sampling_half_width, summary

    table = summary(per_rep, by=["scenario"])
    cell = lambda r: f"{r['mean']:.0f}% ({r['p5']:.0f}-{r['p95']:.0f})"  # noqa: E731
    rows = []
    for (window, name), g in table.groupby(["window", "scenario"], sort=False):
        g = g.set_index("band")
        rows.append(f"| {window} | {name} | {g['journeys'].iloc[0]:,.0f} | " + " | ".join(cell(g.loc[b]) for b in g.index) + " |")
    one = table[(table["band"] == "1")].set_index(["scenario", "window"])["mean"]
    programme = per_rep["scenario"].iloc[0]
    later = [w for w in dict.fromkeys(per_rep["window"]) if w != BASELINE[0]]
    if numbers is not None:
        for w in later:
            numbers[f"one_worker_pct {w}"] = float(one[(programme, w)])
    reps = per_rep["rep"].nunique()
    last = later[-1] if later else BASELINE[0]
    half = sampling_half_width(float(one[(programme, last)]), 110)
    return ["## Continuity under CAST: a prediction, not a fit", "",
            "Every change of a child's social worker has a cause in the model (docs/model.md 2.3): the teams of "
            "model A, a worker leaving, an agency cover ending, a long absence, a caseload review, a move into the "
            "teams that remain beside CAST. Their parameters come from the DfE workforce figures or are fitted "
            "with everything else, and the only figures on continuity the fit sees are the baseline case-file "
            f"sample's (000 Table 9: cases closed {BASELINE[0]}, nearly all under model A). The later windows "
            "below are therefore predictions of what CAST does to continuity, made before any figure from them is "
            "looked at; the evaluation's interim and final case-file samples read cases closed in such windows. "
            "(The parameters of the causes are fitted to every year with the rest, so figures from 2018-19 reach "
            "them through caseloads and queues, not through continuity.)", "",
            f"Journeys with a CIN or CP plan closed in each window, by the number of social workers across the "
            f"journey (`journeysim continuity`): mean and 90% interval over {reps} replications at full scale, the "
            "calibrated scenario and, on the same random numbers, its counterfactual (model A kept: "
            "`scenarios/counterfactual.toml`). A case-file sample of about 110 cases measures a share of "
            f"{float(one[(programme, last)]):.0f}% to within about {half:.0f} points (95%), so compare with it "
            "at that precision.", "",
            "| closed | scenario | journeys | 1 worker | 2 | 3 | 4 | 5+ |", "|---|---|---|---|---|---|---|---|",
            *rows, ""]


def _variation_section(f: Fit) -> list[str]:
    """How big each year's shift is, and the spreads it was sized from."""
    if not f.variation:
        return []
    rows = [f"| {v.channel} | {VARIATION_TEXT.get(v.channel, v.channel)} | {LABELS.get(v.measure, v.measure)} | "
            f"{v.observed:.3f} | {v.without:.3f} | {v.sd:.3g} | {v.achieved:.3f} |" for v in f.variation.values()]
    return ["## Year-to-year variation", "",
            "Published series move from one year to the next by more than chance: CLA starts were 600, 507 and 647 in "
            "three successive years. The model holds such movements as one random shift per financial year in four "
            "places (`variation.*_sd`, `src/journeysim/model/years.py`), each a factor with mean 1. Their sizes are set "
            "so that the series each one moves most directly spreads from year to year in the simulation as much as "
            "in the published figures (a one-step method of simulated moments). The spread of a series is its "
            "residual standard deviation about a straight line through the fitted years (log scale for counts, logit "
            "for percentages), for the published figures and for each replication alike (the root mean square over "
            "replications). The simulator's own noise explains part of the published spread; a trial run of each "
            f"shift alone ({min(f.settings.trial_reps, f.settings.reps)} replications, on the same seeds), shows how "
            "much variance it adds to every series, and the sizes are solved together (kept at 0 or above; where no "
            "such sizes match every series, each series' miss is weighed against its own published variance) to add "
            "the rest. The last column is the spread the replications "
            "of the fitted scenario reach with all four.", "",
            "Read these sizes as rough. Five years give each published spread three degrees of freedom (its 90% "
            "interval runs from about 0.6 to 2.9 times the estimate); a change of source or definition between "
            "years (re-referrals in 2015-16 come from 003, the other years from DfE) counts as movement; and the "
            "sizes are set on the same years whose coverage is reported above, so the back-test below is the "
            "out-of-sample check. The design runs of the history matching have no year-to-year variation, so that "
            "the fit follows each year's expected course rather than one draw of the years.", "",
            "| channel | shifts | series it is sized on | published spread | simulator alone | size (sd) | simulated with all four |",
            "|---|---|---|---|---|---|---|", *rows, ""]


OTHER = ["cp_at_31_march", "uasc_at_31_march", "referrals", "referrals_nfa_pct", "children_assessed_not_in_need_pct",
         "cla_ceased_sgo", "sw_caseload_children_mean", "positive_change_pct"]


def _backtest_section(backtest: tuple[Fit, list[str]], targets: pd.DataFrame, img: Path, rel: str,
                      firm_measures: list[str], numbers: dict) -> list[str]:
    bf, forecast_years = backtest
    fit_years = sorted(set(bf.targets["year"]))
    comp = comparison(targets, bf.per_rep, fit_years, bf.ensemble)
    firm = comp[comp["firm"] | (comp["model_measure"].isin(FIRM) & (comp["use"] == "fit"))]
    small_multiples(comp, bf.per_rep, firm_measures, img / "backtest.png",
                    f"Back-test: fitted to {fit_years[0]} to {fit_years[-1]}, forecast {forecast_years[0]} to "
                    f"{forecast_years[-1]} (right of the dashed line)", forecast_from=forecast_years[0], ensemble=bf.ensemble)
    ins = firm[firm["year"].isin(fit_years)]
    out = firm[firm["year"].isin(forecast_years)]
    rows = []
    for m in firm_measures:
        i, o = ins[ins["model_measure"] == m], out[out["model_measure"] == m]
        rows.append({"measure": LABELS.get(m, m), "in-sample MAPE %": f"{np.mean(np.abs(i['error_pct'])):.1f}",
                     "forecast MAPE %": f"{np.mean(np.abs(o['error_pct'])):.1f}",
                     "forecast points inside the simulated 90% interval": f"{o['inside'].sum()} of {len(o)}",
                     "inside the predictive interval": f"{o['pr_inside'].sum()} of {len(o)}"})
    numbers["backtest_insample_mape"] = float(np.mean(np.abs(ins["error_pct"])))
    numbers["backtest_forecast_mape"] = float(np.mean(np.abs(out["error_pct"])))
    return ["## Back-test: forecasting years the model was not fitted to", "",
            f"The same method, seed and settings, fitted **only to {', '.join(fit_years)}**; "
            f"**{' and '.join(forecast_years)} were not used** and are forecast (the Hampshire Approach's dated "
            "components still switch on at their dates).", "",
            _table(pd.DataFrame(rows)), "",
            f"Over all firm measures: in-sample MAPE {numbers['backtest_insample_mape']:.1f}%, forecast MAPE "
            f"{numbers['backtest_forecast_mape']:.1f}%; forecast points inside the simulated 90% interval: "
            f"{100 * out['inside'].mean():.0f}%, inside the predictive interval {100 * out['pr_inside'].mean():.0f}%. "
            "The back-test sizes its year-to-year variation from its three fitted years alone (one degree of freedom "
            "per series), so its intervals are rougher than the main fit's.", "",
            f"![Back-test: observed against simulated; forecast years right of the dashed line]({rel}/backtest.png)", ""]


#: What each realised shift of the jump-off moves, and the series it is estimated from.
JUMP_OFF_WORDS = {
    "front_door": ("the contacts from new families", "referrals"),
    "care_entry": ("the odds of the decisions that take a child into care", "CLA starts"),
    "returns": ("the odds of a closed family coming back", "re-referrals within 12 months"),
    "repeat_cp": ("the raised odds of a strategy discussion after an earlier CP plan", "second CP plans"),
    "court_pace": ("the pace of adoption and special guardianship orders", "adoptions"),
}


def _jump_off_section(comp: pd.DataFrame, year: str, origin_weight: float, numbers: dict,
                      factors: dict[str, float] | None = None) -> list[str]:
    """How close the last fitted year, where a forecast starts, sits to the published figures, and the
    realised shifts that put it there (``factors``: :func:`journeysim.calibrate.jump_off_factors`)."""
    rows = comp[comp["model_measure"].isin(FIRM) & (comp["year"] == year) & (comp["use"] == "fit")]
    if rows.empty:
        return []
    table = pd.DataFrame({"measure": [LABELS.get(m, m) for m in rows["model_measure"]],
                          "observed": [_n(v) for v in rows["value"]], "simulated": [_n(v) for v in rows["mean"]],
                          "error %": [f"{e:+.1f}" for e in rows["error_pct"]]})
    worst = float(np.max(np.abs(rows["error_pct"])))
    numbers["jump_off_max_error_pct"] = worst
    numbers["jump_off_under_5"] = int((np.abs(rows["error_pct"]) < 5).sum())
    published = comp[(comp["model_measure"] == "cla_ceased_adoption") & (comp["use"] == "fit")].sort_values("year")
    adoptions = (f": the county's adoptions were {', '.join(f'{v:,.0f}' for v in published['value'])} in "
                 f"{published['year'].iloc[0]} to {published['year'].iloc[-1]}, a movement from year to year no "
                 f"trend holds, and {published['value'].iloc[-1]:,.0f} is where a forecast starts" if len(published) > 2 else "")
    lines = [f"## The jump-off: {year}", "",
             f"A forecast starts from the last fitted year, as a population projection starts from the population "
             f"counted, not from a model of it. Two things put the model there. The history matching weights the "
             f"year: each of its targets counts {origin_weight:g} times as much as another year's, held to an error "
             f"{math.sqrt(origin_weight):g} times smaller, so that the levels and trends a forecast carries on are "
             f"the latest ones. And the year's shifts are not drawn at random, as another year's are, but estimated: "
             f"they are the county's realised ones (`variation.jump_off_year` and `variation.*_jump_off`, "
             f"model/years.py), the shifts that put the year's own flows on the published figures. Without them the "
             f"smaller series sit where the model's expectation is, not where the year went{adoptions}."]
    if factors:
        lines += ["", "The realised shifts of the year, estimated by two Newton steps from the fitted point: every factor "
                  "alone at a trial size (at the design runs' scale, on common random numbers) measures how far it "
                  "moves each series (a square matrix: the front door's volume also dilutes the share of "
                  "re-referrals), the factors solve it against what the fitted point misses by, and a second step "
                  "against what they still miss by. The next years draw their shifts afresh.", "",
                  _table(pd.DataFrame({"shift": [k for k in factors],
                                       "acts on": [JUMP_OFF_WORDS[k][0] for k in factors],
                                       "estimated from": [JUMP_OFF_WORDS[k][1] for k in factors],
                                       "factor": [f"{v:.3f}" for v in factors.values()]}))]
        numbers["jump_off_factors"] = dict(factors)
    lines += ["", f"The firm measures in {year}: {numbers['jump_off_under_5']} of {len(rows)} within 5% of the "
              f"published figure; the largest error {worst:.1f}%.", "", _table(table), ""]
    return lines


def _trends_section(early: Fit, with_sensitivity: bool = True) -> list[str]:
    """The trends and drifts, fitted to the years before the programme only (``with_sensitivity``: the
    report has the section on the effects' sensitivity to the fit window)."""
    years = sorted(set(early.targets["year"]))
    ranges = dict(zip([k.name for k in early.knobs], early.result.plausible_range()))
    rows = []
    for knob in early.knobs:
        if knob.name in TREND_KNOBS:
            lo, hi = ranges[knob.name]
            rows.append({"parameter": f"`{knob.name}`", "meaning": knob.doc,
                         "fitted": _g(early.scenario[knob.key]),
                         "plausible": f"{_g(knob.value(lo))} to {_g(knob.value(hi))}"})
    return ["## Trends from the years before the programme", "",
            f"The trends and drifts a counterfactual keeps are fitted to **{years[0]} to {years[-1]} only**, the years "
            "before the transformation (the CAST pilot began in one district in July 2017, the county-wide roll-out "
            "in 2018), and then held while every other parameter is fitted to every year. Fitted across the "
            "programme's own years, a drift can take up the programme's effect and credit it to the trend"
            + ("; the section on the effects' sensitivity below shows how much the estimated effect moves with the "
               "window." if with_sensitivity else " (a calibration with its back-tests, the default, also shows how "
               "much the estimated effect moves with the window; this one was run without them)."),
            "",
            "The drifts of adoption and special guardianship are not among them: they are fitted to every year with "
            "the other parameters (`knobs.PERMANENCE_DRIFTS`; their values are in the table of fitted parameters "
            "below). No part of the programme changes the chance of an adoption or a special guardianship order, "
            "which the courts decide, and the children given one in its first years entered care before it (the "
            "chance is drawn on entry, and an adoption comes a median of about a year and a half later), so the later years "
            "are evidence about these drifts, not about the programme.",
            "", _table(pd.DataFrame(rows)), ""]


def _rolling_section(rolling: pd.DataFrame, img: Path, rel: str, numbers: dict) -> list[str]:
    """Coverage and error of the rolling-origin forecasts, by horizon and by measure, and a figure."""
    by_h = rolling.groupby("horizon").agg(points=("inside", "size"), inside=("inside", "mean"),
                                          mape=("error_pct", lambda e: np.mean(np.abs(e))))
    h_rows = [{"horizon (years ahead)": h, "points": int(r["points"]), "inside the 90% interval":
               f"{100 * r['inside']:.0f}%", "MAPE %": f"{r['mape']:.1f}"} for h, r in by_h.iterrows()]
    by_m = rolling.groupby("measure").agg(points=("inside", "size"), inside=("inside", "sum"),
                                          mape=("error_pct", lambda e: np.mean(np.abs(e))))
    m_rows = [{"measure": LABELS.get(m, m), "inside the 90% interval": f"{int(r['inside'])} of {int(r['points'])}",
               "MAPE %": f"{r['mape']:.1f}"} for m, r in by_m.iterrows()]
    coverage = float(100 * rolling["inside"].mean())
    numbers["rolling_coverage_pct"] = coverage
    numbers["rolling_points"] = int(len(rolling))
    _rolling_figure(rolling, img / "rolling.png")
    origins = ", ".join(sorted(set(rolling["origin"])))
    return ["## Rolling-origin back-tests", "",
            f"The model fitted to the years up to each origin ({origins}) and forecast from there to the last published "
            "year; each replication draws its parameters from that fit's plausible space and, after the origin, the "
            "front door's volume and the care-entry threshold take their random walks, so the interval carries the "
            "parameters' uncertainty, each year's shift and the trends' drift, and widens with the horizon. A 90% "
            f"interval is right when about 90% of the published points fall inside it. **Over all firm measures and "
            f"horizons: {coverage:.0f}% of {len(rolling)} points inside.**", "",
            _table(pd.DataFrame(h_rows)), "", _table(pd.DataFrame(m_rows)), "",
            f"![Rolling-origin forecasts: each origin's mean and 90% interval against the published figures]"
            f"({rel}/rolling.png)", ""]


def _rolling_figure(rolling: pd.DataFrame, path: Path) -> None:
    measures = list(dict.fromkeys(rolling["measure"]))
    cols = 4
    rows_ = (len(measures) + cols - 1) // cols
    fig, axes = plt.subplots(rows_, cols, figsize=(3.2 * cols, 2.6 * rows_), squeeze=False)
    colours = dict(zip(sorted(set(rolling["origin"])), ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]))
    for ax, m in zip(axes.ravel(), measures):
        r = rolling[rolling["measure"] == m]
        for origin, g in r.groupby("origin"):
            g = g.sort_values("year")
            ax.fill_between(g["year"], g["lo"], g["hi"], color=colours[origin], alpha=0.15)
            ax.plot(g["year"], g["mean"], color=colours[origin], label=f"from {origin}")
        obs = r.drop_duplicates("year").sort_values("year")
        ax.plot(obs["year"], obs["observed"], "o", color="#D55E00", ms=4, label="published")
        ax.set_title(LABELS.get(m, m), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(measures):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=6, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _sensitivity_section(sens: pd.DataFrame) -> list[str]:
    """How the transformation's estimated effect moves with the window its trends are fitted to."""
    rows = []
    for (window, m, y), g in sens.groupby(["window", "measure", "year"], sort=False):
        r = g.iloc[0]
        rows.append({"trends fitted to": window, "measure": LABELS.get(m, m), "year": y,
                     "effect (programme - counterfactual)": f"{_n(r['effect'])} [{_n(r['ci_low'])}, {_n(r['ci_high'])}]"})
    return ["## The effects' sensitivity to the fit window", "",
            "The transformation's effect (the calibrated scenario against its counterfactual on common random numbers, "
            "95% paired intervals) with the trends fitted to each window and every other parameter at the calibrated "
            "point. Trends fitted through the programme's years (the last window) can take up part of its effect.", "",
            _table(pd.DataFrame(rows)), ""]
