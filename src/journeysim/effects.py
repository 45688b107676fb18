"""The effect of a programme of changes, component by component: each switched on alone and off alone.

A programme scenario (Hampshire with the transformation) and its counterfactual (the county
without it) differ in a few groups of keys, the programme's components (:data:`COMPONENTS`:
CAST, the MASH holding longer, the hubs, the reunification drive, the practice model, the
recruitment drive).  :func:`plan` builds, from the two scenarios given, a run with each
component **on alone** (the counterfactual with that component's keys taken from the
programme) and **off alone** (the programme with that component's keys taken from the
counterfactual).  Keys on which the two differ but that belong to no component form a
component of their own, ``other``, so that nothing is silently ignored; a component whose
keys do not differ is left out, with a note.

Every run shares the seed, so replication *r* of each sees the same families on the same
days (common random numbers), and :func:`decompose` estimates, per measure and year, with
paired 95% intervals (:func:`journeysim.compare.paired_differences`):

* the **total** effect, programme minus counterfactual;
* each component's effect **on alone** (on alone minus counterfactual) and **off alone**
  (programme minus the programme without it);
* the **interaction**: the total minus the sum of the effects on alone, replication by
  replication, (P - C) - sum_i (on_i - C); zero when the components' effects add up;
* each component's **off minus on**: (P - off_i) - (on_i - C), how much more (or less) the
  component does with the others there than alone; zero when it does not interact.

Every estimate is a paired difference of two tables in the ``measures.csv`` layout, some of
them sums of runs (the interaction compares the programme with the additive prediction
C + sum_i (on_i - C)), so all share one interval calculation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import runner
from .compare import (PAIRED_SETTINGS, _bound, _rows_with_costs, _scale, costs_as_measures,
                      paired_differences, stage_of, unpaired_settings)
from .executors import Executor
from .interrupts import RunError
from .ownership import check_folder
from .scenario import PARAMS, Scenario, ScenarioError, load
from .stability import warnings_for


@dataclass(frozen=True)
class Component:
    """A part of the programme: its name (folders, ``effects.csv``), its label in words, and the
    scenario keys that switch it."""

    name: str
    label: str
    keys: tuple[str, ...]


#: The Hampshire Approach's components, in the order the tables show them.
COMPONENTS = (
    Component("cast", "CAST", ("teams.cast_start", "teams.cast_start_by_district")),
    Component("mash", "MASH holding longer", ("mash.hold_longer_start",)),
    Component("hubs", "hubs", ("hubs.start",)),
    Component("reunification", "reunification drive", ("care.reunification_drive_start",)),
    Component("practice", "practice model", ("practice.model_start",)),
    Component("recruitment", "recruitment", ("workforce.drives",)),
)

#: The component that holds the keys on which the scenarios differ outside :data:`COMPONENTS`.
OTHER = "other"

#: Keys that name and describe a scenario and change nothing in the model.
IDENTITY_KEYS = ("name", "description")

#: Measures decomposed unless others are asked for.
DEFAULT_MEASURES = ["cp_plans_started", "cla_starts", "cin_at_31_march", "re_referral_12m_pct", "cost_total"]

#: The estimates of :func:`decompose`, as written in ``effects.csv``.
ESTIMATES = ("on_alone", "off_alone", "off_minus_on", "total", "interaction")

#: The columns of :func:`decompose`.
COLUMNS = ["component", "label", "estimate", "measure", "year", "mean_without", "mean_with", "effect", "ci_low",
           "ci_high", "includes_zero", "n"]


@dataclass
class Arm:
    """One run of the decomposition: its folder under the output folder, what it is, and its scenario."""

    folder: str
    kind: str  # programme, counterfactual, on, off
    component: str | None
    scenario: Scenario


@dataclass
class Plan:
    """The runs that decompose ``programme`` against ``counterfactual``."""

    programme: Scenario
    counterfactual: Scenario
    components: list[Component]
    left_out: list[Component] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)

    def notes(self) -> list[str]:
        """What the plan leaves out, in words."""
        p, c = self.programme.name, self.counterfactual.name
        return [f"{comp.label} ({', '.join(comp.keys)}) is left out: {p} and {c} set the same values"
                for comp in self.left_out]


def differing_keys(programme: Scenario, counterfactual: Scenario) -> list[str]:
    """The keys (other than :data:`IDENTITY_KEYS`) whose values differ between the two scenarios."""
    a, b = programme.raw(), counterfactual.raw()
    return [k for k in PARAMS if k not in IDENTITY_KEYS and a[k] != b[k]]


def components_of(programme: Scenario, counterfactual: Scenario) -> tuple[list[Component], list[Component]]:
    """(the components whose keys differ between the two scenarios, with ``other`` for differing keys that
    belong to none; the components left out because their keys do not differ)."""
    differ = differing_keys(programme, counterfactual)
    present = [c for c in COMPONENTS if any(k in differ for k in c.keys)]
    left_out = [c for c in COMPONENTS if c not in present]
    known = {k for c in COMPONENTS for k in c.keys}
    stray = tuple(k for k in differ if k not in known)
    if stray:
        present.append(Component(OTHER, f"other ({', '.join(stray)})", stray))
    return present, left_out


def plan(programme: Scenario, counterfactual: Scenario) -> Plan:
    """The runs that decompose ``programme`` against ``counterfactual``: the two themselves, and each
    component on alone and off alone.  Both scenarios come from :func:`journeysim.scenario.load`; each
    run is loaded the same way, from the scenario file it starts from with the other's values of the
    component's keys as ``--set`` overrides after its own, so that its manifest says how to remake it.
    RunError when the two cannot be paired or do not differ."""
    differ = unpaired_settings(counterfactual, programme, counterfactual.name, programme.name)
    if differ:
        raise RunError(f"{programme.name} and {counterfactual.name} cannot be paired: {differ}; give both the same "
                       f"{', '.join(PAIRED_SETTINGS)} (with --set, which applies to both)")
    present, left_out = components_of(programme, counterfactual)
    if not present:
        raise RunError(f"{programme.path} and {counterfactual.path} set the same value for every parameter (apart "
                       f"from {' and '.join(IDENTITY_KEYS)}): there is no effect to decompose")
    out = Plan(programme, counterfactual, present, left_out)
    out.arms = [Arm("programme", "programme", None, programme), Arm("counterfactual", "counterfactual", None, counterfactual)]
    for comp in present:
        out.arms.append(Arm(f"on-{comp.name}", "on", comp.name, _with_keys(
            counterfactual, programme, comp, f"{counterfactual.name}+{comp.name}",
            f"{counterfactual.name} with only {comp.label} switched on, as in {programme.name}")))
        out.arms.append(Arm(f"off-{comp.name}", "off", comp.name, _with_keys(
            programme, counterfactual, comp, f"{programme.name}-{comp.name}",
            f"{programme.name} with {comp.label} switched off, as in {counterfactual.name}")))
    return out


def _with_keys(base: Scenario, donor: Scenario, comp: Component, name: str, description: str) -> Scenario:
    """``base`` with the values of ``comp``'s keys taken from ``donor``, named ``name``."""
    donated = donor.raw()
    sets = [f"{k}={toml_value(donated[k])}" for k in comp.keys]
    sets += [f"name={toml_value(name)}", f"description={toml_value(description)}"]
    path = None if base.path == "<defaults>" else base.path
    try:
        made = load(path, [*base.overrides, *sets])
    except ScenarioError as exc:
        raise RunError(f"{description}: this combination is not a valid scenario: {exc}") from None
    want = {**base.raw(), **{k: donated[k] for k in comp.keys}}
    got = made.raw()
    wrong = [k for k in PARAMS if k not in IDENTITY_KEYS and got[k] != want[k]]
    if wrong:  # a value that did not survive being written as an override
        raise RunError(f"{description}: {wrong[0]} could not be set to {want[wrong[0]]!r} (got {got[wrong[0]]!r})")
    return made


def toml_value(value) -> str:
    """``value`` (a scenario value in file form: :meth:`Scenario.raw`) as an inline TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {value!r} as TOML")


# ------------------------------------------------------------------------------------------ arithmetic
def _combined(per_rep: dict[str, pd.DataFrame], weights: dict[str, int]) -> pd.DataFrame:
    """The sum of ``weights[arm]`` (a whole number) x each arm's values, replication by replication, in the
    ``measures.csv`` layout; a value missing from any arm leaves the sum missing.

    Each sum is exact before its one rounding (:func:`math.fsum` of every term, an arm counted as
    often as its weight), so that where the arms' values add up exactly (a year before any component
    starts, a cost the scenario fixes) the sum equals the run it is compared with to the last bit, and
    an interval of zero width around a rounding error cannot pass for an interaction."""
    keys = ["rep", "measure", "year"]
    columns = {arm: per_rep[arm].set_index(keys)["value"] for arm in weights}
    wide = pd.concat(columns, axis=1, join="outer")
    terms = [sign * wide[arm].to_numpy(dtype=float) for arm, w in weights.items() for sign in [np.sign(w)] * abs(w)]
    total = [math.fsum(row) for row in zip(*terms)]
    return pd.DataFrame({"value": total}, index=wide.index).reset_index()


def decompose(per_rep: dict[str, pd.DataFrame], components: list[str]) -> pd.DataFrame:
    """The estimates of the decomposition (:data:`ESTIMATES`) for every measure and year.

    ``per_rep`` maps ``programme``, ``counterfactual``, ``on-<component>`` and ``off-<component>`` to
    their per-replication results (``rep``, ``measure``, ``year``, ``value``), paired on ``rep``.
    Columns :data:`COLUMNS`: ``effect`` is the mean paired difference ``mean_with`` - ``mean_without``
    with its 95% t interval; for the interaction ``mean_without`` is the additive prediction
    C + sum of (on_i - C) and ``mean_with`` the programme."""
    p, c = "programme", "counterfactual"
    frames = [_estimate(per_rep[c], per_rep[p], "all", "total")]
    for comp in components:
        on, off = per_rep[f"on-{comp}"], per_rep[f"off-{comp}"]
        frames.append(_estimate(per_rep[c], on, comp, "on_alone"))
        frames.append(_estimate(off, per_rep[p], comp, "off_alone"))
        # (P - off) - (on - C) = P - (off + on - C)
        both = _combined(per_rep, {f"off-{comp}": 1, f"on-{comp}": 1, c: -1})
        frames.append(_estimate(both, per_rep[p], comp, "off_minus_on"))
    # (P - C) - sum (on_i - C) = P - (C + sum (on_i - C))
    additive = _combined(per_rep, {c: 1 - len(components), **{f"on-{comp}": 1 for comp in components}})
    frames.append(_estimate(additive, per_rep[p], "all", "interaction"))
    return pd.concat(frames, ignore_index=True)[[c for c in COLUMNS if c != "label"]]


def _estimate(without: pd.DataFrame, with_: pd.DataFrame, component: str, estimate: str) -> pd.DataFrame:
    d = paired_differences(without, with_)
    return d.rename(columns={"mean_a": "mean_without", "mean_b": "mean_with", "diff": "effect"}).assign(
        component=component, estimate=estimate)


# ------------------------------------------------------------------------------------------ running
@dataclass
class Effects:
    """A decomposition: the plan, every run's per-replication results and the estimates."""

    plan: Plan
    per_rep: dict[str, pd.DataFrame]
    table: pd.DataFrame
    years: list[str]
    reps: int
    seed: int

    @property
    def components(self) -> list[Component]:
        return self.plan.components


def _results(folder: Path) -> pd.DataFrame:
    measures = pd.read_csv(folder / "measures.csv", dtype={"year": str})
    costs = pd.read_csv(folder / "costs.csv", dtype={"year": str})
    return pd.concat([measures, costs_as_measures(costs)], ignore_index=True)


def run_effects(the_plan: Plan, out: Path, reps: int, seed: int, workers: int | None = None, force: bool = False,
                progress=None, executor: Executor | None = None, stage=None) -> Effects:
    """Run every arm of ``the_plan`` with the same seed into ``out/<arm>`` and write ``effects.csv``.

    The output folder follows ``journeysim compare``'s rules: it must not exist unless ``force``, and
    then each run's folder in it is replaced as ``journeysim run --force`` replaces one.  Progress as
    :func:`journeysim.compare.run_comparison` reports it, one labelled batch per run."""
    out = Path(out)
    if out.exists() and not force:
        raise RunError(f"{out}: output folder already exists; choose another --out or pass --force to replace it")
    if out.exists():  # --force: only a folder of journeysim's own runs and tables is written over
        check_folder(out)
    per_rep = {}
    for i, arm in enumerate(the_plan.arms):
        label = f"{i + 1}/{len(the_plan.arms)} {arm.folder}"
        with stage_of(stage, progress, label, reps) as callback:
            runner.run(arm.scenario, out / arm.folder, reps, seed, workers, force=True, progress=callback,
                       executor=executor)
        per_rep[arm.folder] = _results(out / arm.folder)
    names = [comp.name for comp in the_plan.components]
    table = decompose(per_rep, names)
    labels = {comp.name: comp.label for comp in the_plan.components} | {"all": "all components"}
    table.insert(1, "label", table["component"].map(labels))
    table.to_csv(out / "effects.csv", index=False)
    years = list(per_rep["programme"]["year"].drop_duplicates())
    return Effects(the_plan, per_rep, table, years, reps, seed)


# ------------------------------------------------------------------------------------------ presentation
def _rows(measures: list[str], rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """(measure, label, decimals) for each of ``measures``, from ``rows`` and the cost rows, or made up."""
    known = {m: (m, label.strip(), dec) for m, label, dec in _rows_with_costs(rows)}
    return [known.get(m, (m, m, 1 if m.endswith(("_pct", "_mean")) else 0)) for m in measures]


def _cell(r, dec: int, k: float) -> str:
    if r is None or pd.isna(r["effect"]):
        return "-"
    half = (r["ci_high"] - r["ci_low"]) / 2
    text = _bound(r["effect"] / k, dec, sign=True)
    return text if pd.isna(half) else f"{text} ±{_bound(half / k, dec)}"


def format_table(eff: Effects, measures: list[str], years: list[str], rows: list[tuple[str, str, int]],
                 estimate: str = "on_alone") -> str:
    """A table of one estimate (``on_alone`` or ``off_alone``): a line per measure and year, a column per
    component (effect ± 95% half-width), then the total and the interaction; costs in GBP million."""
    t = eff.table.set_index(["component", "estimate", "measure", "year"])
    heads = [comp.name for comp in eff.components] + ["total", "interaction"]
    keys = [(comp.name, estimate) for comp in eff.components] + [("all", "total"), ("all", "interaction")]
    body = []
    for measure, label, dec in _rows(measures, rows):
        k = _scale(measure)
        for y in years:
            cells = []
            for comp, est in keys:
                key = (comp, est, measure, y)
                cells.append(_cell(t.loc[key] if key in t.index else None, dec, k))
            body.append((f"{label} {y}", cells))
    first = max([len(name) for name, _ in body] + [10])
    widths = [max(len(h), *(len(cells[i]) for _, cells in body)) for i, h in enumerate(heads)]
    lines = [" " * first + "".join(f"  {h:>{w}s}" for h, w in zip(heads, widths))]
    for name, cells in body:
        lines.append(f"{name:<{first}s}" + "".join(f"  {c:>{w}s}" for c, w in zip(cells, widths)))
    return "\n".join(lines)


def interactions(eff: Effects, measures: list[str], years: list[str], rows: list[tuple[str, str, int]]) -> list[str]:
    """Where the components interact, in words: each measure and year whose interaction interval excludes
    zero, and each component whose effect with the others differs clearly from its effect alone."""
    t = eff.table.set_index(["component", "estimate", "measure", "year"])
    labels = {comp.name: comp.label for comp in eff.components}
    out = []
    for measure, label, dec in _rows(measures, rows):
        k = _scale(measure)
        for y in years:
            key = ("all", "interaction", measure, y)
            if key not in t.index or t.loc[key, "includes_zero"]:
                continue
            r, total = t.loc[key], t.loc[("all", "total", measure, y)]
            out.append(f"{label} {y}: the components together change it by {_bound(total['effect'] / k, dec, sign=True)}, "
                       f"their effects alone add up to {_bound((r['mean_without'] - total['mean_without']) / k, dec, sign=True)}; "
                       f"the interaction is {_bound(r['effect'] / k, dec, sign=True)} "
                       f"[{_bound(r['ci_low'] / k, dec)}, {_bound(r['ci_high'] / k, dec)}].")
            for comp in eff.components:
                gap = t.loc[(comp.name, "off_minus_on", measure, y)] if (comp.name, "off_minus_on", measure, y) in t.index else None
                if gap is None or gap["includes_zero"]:
                    continue
                on, off = t.loc[(comp.name, "on_alone", measure, y)], t.loc[(comp.name, "off_alone", measure, y)]
                out.append(f"  {labels[comp.name]}: {_bound(on['effect'] / k, dec, sign=True)} alone, "
                           f"{_bound(off['effect'] / k, dec, sign=True)} with the others; the difference, "
                           f"{_bound(gap['effect'] / k, dec, sign=True)} [{_bound(gap['ci_low'] / k, dec)}, "
                           f"{_bound(gap['ci_high'] / k, dec)}], is its share of the interaction.")
    return out


def text(eff: Effects, measures: list[str], years: list[str], rows: list[tuple[str, str, int]]) -> str:
    """What ``journeysim effects`` prints and writes to ``effects.txt``: the tables on alone and off alone,
    where the components interact, what the plan left out, and any run that is not a steady state."""
    p, c = eff.plan.programme.name, eff.plan.counterfactual.name
    words = interactions(eff, measures, years, rows)
    unstable = warnings_for([(arm.scenario.name, eff.per_rep[arm.folder]) for arm in eff.plan.arms], eff.years)
    lines = [f"{p} against {c}, by component ({eff.reps} paired replications, seed {eff.seed}; effect ± 95% "
             f"half-width; costs in GBP million)", "",
             "Each component on alone (the counterfactual with only it switched on, minus the counterfactual):",
             format_table(eff, measures, years, rows, "on_alone"), "",
             "Each component off alone (the programme minus the programme with only it switched off):",
             format_table(eff, measures, years, rows, "off_alone"), "",
             "Where the components interact (total minus the sum of the effects alone, its interval excluding zero):",
             *(words or ["  nowhere clearly: in these measures and years every interaction interval includes zero."]),
             *[f"\nnote: {n}" for n in eff.plan.notes()], *[f"\n{w}" for w in unstable]]
    return "\n".join(lines)


def figure(eff: Effects, path: Path, measures: list[str], years: list[str], rows: list[tuple[str, str, int]]) -> Path:
    """For each measure and year, a horizontal bar per component (its effect on alone, with its 95%
    interval), its effect off alone (a diamond with its interval), the total and the interaction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = eff.table.set_index(["component", "estimate", "measure", "year"])
    panels = [(m, label, y) for m, label, _ in _rows(measures, rows) for y in years]
    cols = min(3, len(panels))
    nrows = math.ceil(len(panels) / cols)
    names = [comp.name for comp in eff.components]
    ticks = [comp.label for comp in eff.components] + ["total", "interaction"]
    fig, axes = plt.subplots(nrows, cols, figsize=(4.4 * cols, 0.9 + 0.42 * len(ticks) * nrows + 0.5 * nrows),
                             squeeze=False)
    for ax, (measure, label, year) in zip(axes.flat, panels):
        k = _scale(measure)
        ypos = np.arange(len(ticks))[::-1]
        bars = [(name, "on_alone") for name in names] + [("all", "total"), ("all", "interaction")]
        for y, (comp, est) in zip(ypos, bars):
            key = (comp, est, measure, year)
            if key not in t.index:
                continue
            r = t.loc[key]
            colour = {"total": "#000000", "interaction": "#CC79A7"}.get(est, "#0072B2")
            ax.barh(y, r["effect"] / k, height=0.6, color=colour, alpha=0.35 if r["includes_zero"] else 0.9)
            ax.errorbar(r["effect"] / k, y, xerr=[[(r["effect"] - r["ci_low"]) / k], [(r["ci_high"] - r["effect"]) / k]],
                        fmt="none", ecolor="#333333", capsize=2, lw=0.8)
            off = (comp, "off_alone", measure, year)
            if est == "on_alone" and off in t.index:
                o = t.loc[off]
                ax.errorbar(o["effect"] / k, y - 0.3, xerr=[[(o["effect"] - o["ci_low"]) / k], [(o["ci_high"] - o["effect"]) / k]],
                            fmt="D", ms=3.5, color="#D55E00", ecolor="#D55E00", capsize=2, lw=0.8)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ypos, ticks, fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(f"{label}, {year}", fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    axes.flat[0].legend(handles=[Patch(color="#0072B2", label="on alone"),
                                 Line2D([], [], color="#D55E00", marker="D", ms=3.5, label="off alone"),
                                 Patch(color="#000000", label="total"), Patch(color="#CC79A7", label="interaction")],
                        fontsize=6, loc="lower right")
    p, c = eff.plan.programme.name, eff.plan.counterfactual.name
    fig.suptitle(f"Effect of each component of {p} against {c}: bars, on alone; diamonds, off alone (the "
                 f"programme minus the programme without it); 95% intervals, pale where they include zero; "
                 f"{eff.reps} paired replications", fontsize=8, wrap=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
