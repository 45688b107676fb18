"""The data dictionary of a results folder, and the rounding of its tables to each measure's precision.

``measures_dictionary.csv`` (written into every results folder) says for each measure of
``measures.csv`` and each cost component of ``costs.csv`` its human name, its unit, its
definition and its precision: the decimal places its per-replication values are written to.
The summaries (``summary.csv``, ``costs_summary.csv``) give their mean, interval and range one
decimal place finer (pence for costs), since an average of whole numbers is not one.

Rounding happens only as the tables are written, so that no float noise
(``50245.87699999999``) reaches a planner's spreadsheet; what a run prints is computed from the
unrounded values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..costs import COMPONENTS, LABELS as COST_LABELS
from ..projections.measures import AGE_BANDS, CEASED_REASONS, MEASURES

FILE = "measures_dictionary.csv"
#: Cost components as measures (``cost_<component>``), as compare, sweep and effects name them.
COST_PREFIX = "cost_"


@dataclass(frozen=True)
class Entry:
    """One measure: what a planner reads in the dictionary."""

    measure: str
    name: str
    unit: str
    definition: str
    precision: int  # decimal places of a per-replication value


def _count(measure: str, name: str, unit: str, definition: str) -> Entry:
    return Entry(measure, name, unit, definition, 0)


def _pct(measure: str, name: str, definition: str) -> Entry:
    return Entry(measure, name, "%", definition, 2)


_CEASED = {"returned_home": "returned home to live with parents or relatives", "sgo": "a special guardianship order",
           "adoption": "adopted", "age_18": "turned 18", "other": "any other reason"}
_AGES = {"under_1": "under 1", "1_4": "aged 1 to 4", "5_9": "aged 5 to 9", "10_15": "aged 10 to 15",
         "16_plus": "aged 16 and over"}
_CLOSED = ("child journeys closed in the year that had a CIN or CP plan and at least one allocated worker")

ENTRIES = [
    _count("contacts", "Contacts", "contacts", "ContactReceived events in the financial year (a family's contact "
           "with the front door)."),
    _count("referrals", "Referrals", "referrals", "ReferralReceived events in the financial year."),
    _pct("re_referral_12m_pct", "Re-referrals within 12 months", "Referrals whose child had an earlier referral 1 to "
         "365 days before, as % of the year's referrals."),
    _pct("referrals_nfa_pct", "Referrals ending in no further action", "Referrals whose journey closed with no "
         "further action at referral, as % of the year's referrals."),
    _count("assessments_completed", "Assessments completed", "assessments", "AssessmentCompleted events in the year."),
    Entry("assessment_duration_median_wd", "Assessment duration (median)", "working days",
          "Median working days (Monday to Friday) from referral to the assessment's completion, not counting the "
          "day of referral, over assessments completed in the year.", 1),
    _pct("assessment_within_45wd_pct", "Assessments within 45 working days", "Assessments completed in the year "
         "within 45 working days of referral, as % of those with a referral in the log."),
    _pct("children_assessed_not_in_need_pct", "Assessed not in need", "Assessments concluding the child is not in "
         "need (or is for early help), as % of the year's referrals."),
    _count("cin_at_31_march", "Children in need at 31 March", "children", "Children with an open journey at the end "
           "of 31 March."),
    _count("cp_plans_started", "CP plans started", "plans", "Child protection plans started in the year (plans open "
           "when the run began are not counted)."),
    _count("cp_at_31_march", "CP plans at 31 March", "children", "Children on a child protection plan at the end of "
           "31 March."),
    _pct("cp_second_or_subsequent_pct", "CP plans for the second or later time", "CP plans started in the year whose "
         "child had an earlier plan, as % of CP plans started."),
    _pct("cp_second_within_2y_pct", "CP plans within 2 years of the last", "CP plans started in the year whose child's "
         "previous plan ended within 2 years before, as % of CP plans started."),
    _count("cla_starts", "Children starting to be looked after", "children", "CareEntered events in the year, "
           "re-entries included (children looked after when the run began are not counted)."),
    _count("cla_at_31_march", "Children looked after at 31 March", "children", "Children looked after at the end of "
           "31 March."),
    _count("uasc_at_31_march", "Unaccompanied asylum-seeking children looked after at 31 March", "children",
           "Children looked after at the end of 31 March whose latest legal status is section 20 as UASC."),
    _count("cla_ceased", "Children ceasing to be looked after", "children", "CareLeft events in the year."),
    *[_count(f"cla_ceased_{r}", f"Ceased to be looked after: {r.replace('_', ' ')}", "children",
             f"CareLeft events in the year whose reason is {_CEASED[r]}.") for r in CEASED_REASONS],
    *[_count(f"cla_ceased_age_{b}", f"Ceased to be looked after {_AGES[b]}", "children",
             f"CareLeft events in the year of children {_AGES[b]} (whole years) when they left care.")
      for b in AGE_BANDS],
    *[_pct(f"social_workers_per_journey_pct_{k}", f"Journeys with {k.replace('plus', ' or more')} social worker"
           f"{'' if k == '1' else 's'}", f"Of {_CLOSED}: % with {k.replace('plus', ' or more')} distinct social "
           f"worker{'' if k == '1' else 's'}.") for k in ("1", "2", "3", "4", "5plus")],
    Entry("social_workers_per_journey_mean", "Social workers per journey (mean)", "workers",
          f"Mean distinct social workers per journey, over {_CLOSED}.", 3),
    Entry("handoffs_per_journey_mean", "Changes of worker per journey (mean)", "changes",
          f"Mean allocations after the first per journey, over {_CLOSED}.", 3),
    _pct("positive_change_pct", "Journeys closing with positive change", f"Of {_CLOSED}: % whose family had made "
         "positive change at closure."),
    Entry("sw_caseload_children_mean", "Caseload per social worker at 31 March (mean)", "children per worker",
          "Mean children held per social worker in post holding at least one child, at the end of 31 March.", 2),
    _count("awaiting_allocation_at_31_march", "Children awaiting allocation at 31 March", "children",
           "Children referred and neither allocated a worker nor closed at the end of 31 March."),
    _count("hub_referrals", "Families referred to a hub", "families", "Families (cases) referred to a hub in the year."),
    _count("hub_starts", "Families starting hub support", "families", "Families (cases) starting hub support in the "
           "year."),
    Entry("hub_wait_days_mean", "Wait for a hub place (mean)", "days", "Mean days from hub referral to support "
          "starting, over families starting hub support in the year.", 2),
    *[Entry(COST_PREFIX + c, f"Cost: {COST_LABELS[c].strip()}", "GBP",
            ("Sum of every component's cost in the year." if c == "total" else
             f"Cost of {COST_LABELS[c].strip().lower()} in the financial year, at the prices the scenario states "
             "(costs.csv's component " + c + ")."), 2) for c in COMPONENTS],
]
BY_MEASURE = {e.measure: e for e in ENTRIES}


def precision(measure: str) -> int:
    """Decimal places of a per-replication value of ``measure`` (a cost component, bare or as ``cost_<c>``)."""
    entry = BY_MEASURE.get(measure) or BY_MEASURE.get(COST_PREFIX + measure)
    return entry.precision if entry is not None else 3


def summary_precision(measure: str) -> int:
    """Decimal places of a summary's statistics: one finer than the values (an average of whole
    numbers is not one), and pence for costs."""
    entry = BY_MEASURE.get(measure) or BY_MEASURE.get(COST_PREFIX + measure)
    return 2 if entry is not None and entry.unit == "GBP" else precision(measure) + 1


def _formatted(values: pd.Series, places: pd.Series) -> list[str]:
    """Each value at its number of decimal places; '' where it is missing (as pandas writes NaN)."""
    return ["" if pd.isna(v) else _no_negative_zero(f"{v:.{p}f}") for v, p in zip(values, places)]


def _no_negative_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def rounded(per_rep: pd.DataFrame, key: str = "measure") -> pd.DataFrame:
    """A ``measures.csv`` / ``costs.csv`` table with its ``value`` written to each measure's precision."""
    places = per_rep[key].map(precision)
    return per_rep.assign(value=_formatted(per_rep["value"], places))


#: The statistics of a summary table (and of comparison.csv) written to :func:`summary_precision`.
STATISTICS = ("mean", "ci95", "p5", "p95", "sd", "mean_a", "mean_b", "diff", "ci_low", "ci_high")
#: Decimal places of a percentage change (comparison.csv's ``pct_change``).
CHANGE_PRECISION = 2


#: The bounds of an interval: written with as many more places as it takes not to round to zero
#: (:func:`places_off_zero`), so that the side of zero they are on, which says whether the interval
#: includes it (comparison.csv's ``includes_zero``), survives the rounding.
BOUNDS = ("ci_low", "ci_high")
#: The most places :func:`places_off_zero` adds.
MORE_PLACES = 6
#: A value smaller than this is the rounding of floating point (two means of the same numbers summed
#: in another order), not a difference: it is written as 0 like one that is exactly 0.
FLOAT_NOISE = 1e-9


def places_off_zero(value: float, places: int) -> int:
    """``places``, or as many more (up to :data:`MORE_PLACES`) as keep ``value`` from being written
    as 0 when it is not zero (nor floating-point noise)."""
    extra = 0
    if not pd.isna(value) and abs(value) > FLOAT_NOISE:
        while round(float(value), places + extra) == 0 and extra < MORE_PLACES:
            extra += 1
    return places + extra


def rounded_summary(summary: pd.DataFrame, key: str = "measure") -> pd.DataFrame:
    """A ``summary.csv`` / ``costs_summary.csv`` / ``comparison.csv`` table with its statistics to
    :func:`summary_precision` (an interval's bounds with more where they would round to zero:
    :data:`BOUNDS`) and its % changes to :data:`CHANGE_PRECISION` places."""
    places = summary[key].map(summary_precision)
    bound_places = {c: pd.Series([places_off_zero(v, p) for v, p in zip(summary[c], places)], index=summary.index)
                    for c in BOUNDS if c in summary}
    stats = {c: _formatted(summary[c], bound_places.get(c, places)) for c in STATISTICS if c in summary}
    if "pct_change" in summary:
        stats["pct_change"] = _formatted(summary["pct_change"], pd.Series(CHANGE_PRECISION, index=summary.index))
    return summary.assign(**stats)


def dictionary() -> pd.DataFrame:
    """The data dictionary: measure, name, unit, definition, precision (decimal places in measures.csv)."""
    return pd.DataFrame([vars(e) for e in ENTRIES], columns=["measure", "name", "unit", "definition", "precision"])


def write_dictionary(folder: Path) -> None:
    dictionary().to_csv(Path(folder) / FILE, index=False)
