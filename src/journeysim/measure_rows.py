"""The official measures as people read them: the rows of every printed summary (measure, label,
decimals), and the unit and definition of each, for the printed tables and ``summary.xlsx``.

The definitions are those of :mod:`journeysim.projections.measures`, in a sentence each:
financial years run April to March, stocks are counted at the end of 31 March.
"""

from __future__ import annotations

#: Rows of the printed summary: (measure, label, decimals).
SUMMARY_ROWS = [
    ("contacts", "Contacts (families)", 0),
    ("referrals", "Referrals", 0),
    ("re_referral_12m_pct", "Re-referrals within 12 months %", 1),
    ("referrals_nfa_pct", "Referrals ending in NFA %", 1),
    ("assessments_completed", "Assessments completed", 0),
    ("assessment_within_45wd_pct", "Assessments within 45 working days %", 1),
    ("children_assessed_not_in_need_pct", "Assessed not in need % of referrals", 1),
    ("cin_at_31_march", "Children in need at 31 March", 0),
    ("cp_plans_started", "CP plans started", 0),
    ("cp_at_31_march", "CP plans at 31 March", 0),
    ("cp_second_or_subsequent_pct", "CP second or subsequent %", 1),
    ("cla_starts", "CLA starts", 0),
    ("cla_at_31_march", "CLA at 31 March", 0),
    ("uasc_at_31_march", "  of whom UASC", 0),
    ("cla_ceased", "CLA ceased", 0),
    ("cla_ceased_returned_home", "  returned home", 0),
    ("cla_ceased_sgo", "  special guardianship", 0),
    ("cla_ceased_adoption", "  adoption", 0),
    ("cla_ceased_age_18", "  aged 18", 0),
    ("sw_caseload_children_mean", "Caseload per worker at 31 March", 1),
    ("social_workers_per_journey_pct_1", "Journeys with one social worker %", 1),
    ("social_workers_per_journey_mean", "Social workers per journey (mean)", 2),
    ("hub_starts", "Hub support started (families)", 0),
    ("hub_wait_days_mean", "Hub wait (days, mean)", 1),
]

#: The official measures (the rows of the summary without the model's own hub measures).
OFFICIAL_ROWS = [row for row in SUMMARY_ROWS if not row[0].startswith("hub_")]

#: Each measure of :data:`SUMMARY_ROWS`: (unit, definition).
DEFINITIONS = {
    "contacts": ("families", "Contacts received at the front door in the year (one per family contact)."),
    "referrals": ("referrals", "Referrals to children's social care accepted in the year."),
    "re_referral_12m_pct": ("%", "Referrals in the year of a child with an earlier referral in the 12 months before, "
                                 "as a share of the year's referrals."),
    "referrals_nfa_pct": ("%", "Referrals in the year that ended in no further action, as a share of the year's "
                               "referrals."),
    "assessments_completed": ("assessments", "Children's assessments completed in the year."),
    "assessment_within_45wd_pct": ("%", "Assessments completed in the year within 45 working days of the referral, as "
                                        "a share of those completed."),
    "children_assessed_not_in_need_pct": ("%", "Children assessed in the year and found not in need, as a share of the "
                                               "year's referrals."),
    "cin_at_31_march": ("children", "Children in need (on a CIN or CP plan, looked after, or being assessed) at the "
                                    "end of 31 March."),
    "cp_plans_started": ("children", "Child protection plans started in the year."),
    "cp_at_31_march": ("children", "Children on a child protection plan at the end of 31 March."),
    "cp_second_or_subsequent_pct": ("%", "CP plans started in the year that were a child's second or later, as a "
                                         "share of the plans started."),
    "cla_starts": ("children", "Children who started to be looked after in the year."),
    "cla_at_31_march": ("children", "Children looked after at the end of 31 March."),
    "uasc_at_31_march": ("children", "Unaccompanied asylum-seeking children among those looked after at 31 March."),
    "cla_ceased": ("children", "Children who ceased to be looked after in the year."),
    "cla_ceased_returned_home": ("children", "Of those, returned home to their family."),
    "cla_ceased_sgo": ("children", "Of those, left care under a special guardianship order."),
    "cla_ceased_adoption": ("children", "Of those, adopted."),
    "cla_ceased_age_18": ("children", "Of those, left care at 18."),
    "sw_caseload_children_mean": ("children per worker", "Children held per social worker in post, at the end of 31 "
                                                         "March."),
    "social_workers_per_journey_pct_1": ("%", "Journeys (plans closed in the year) that had one social worker from "
                                              "assessment to closure."),
    "social_workers_per_journey_mean": ("social workers", "Mean number of social workers a journey closed in the year "
                                                          "had."),
    "hub_starts": ("families", "Families starting intensive hub support in the year."),
    "hub_wait_days_mean": ("days", "Mean days from a family's referral to its hub to the start of support."),
}
