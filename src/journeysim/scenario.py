"""Scenarios: the schema of every parameter, loading, inheritance, overrides, validation.

A scenario is a TOML file.  Every key it may set is declared once, below, in
:data:`PARAMS` with its default, type, allowed range, units and meaning; that
declaration is the parameter's documentation (``journeysim describe`` prints it).
A file may inherit another with ``extends = "other.toml"`` (a path relative to
the file) and override any key; the command line may override again with
``--set section.key=value``.

Anything a user can get wrong is reported as one :class:`ScenarioError` naming
the file, the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from . import distributions as dists
from .rng import Outcomes


class ScenarioError(Exception):
    """A scenario that cannot be used; the message names the file and the key.

    The message is always one line: characters that do not print (a newline in a
    misspelt key, say) are shown escaped.
    """

    def __init__(self, message: str) -> None:
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in message))


NEVER = "never"  # a component date that never arrives (counterfactual runs)


@dataclass(frozen=True)
class Param:
    default: Any
    kind: str  # float, int, prob, date, cdate (date or "never"), dist, probs, str, bool, yearly, dates, drives, rota
    doc: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    keys: tuple = ()  # for probs: the outcome names that must all be present


def _p(default, kind, doc, unit="", lo=None, hi=None, choices=(), keys=()):
    return Param(default, kind, doc, unit, lo, hi, tuple(choices), tuple(keys))


def _ln(median, p90):
    return {"dist": "lognormal", "median": median, "p90": p90}


# ------------------------------------------------------------------------------------------
# The parameters.  Defaults are the Hampshire baseline (model A, the county before 2018) with
# the Hampshire Approach components dated as in its evaluation (000 Appendix 3); sources are in
# docs/model.md.
# ------------------------------------------------------------------------------------------
PARAMS: dict[str, Param] = {
    # --- run --------------------------------------------------------------------------------
    "name": _p("unnamed", "str", "Short name of the scenario, shown in reports."),
    "description": _p("", "str", "One or two sentences saying what the scenario represents."),
    "run.start": _p(dt.date(2014, 4, 1), "date", "First day reported (start of the first financial year of results)."),
    "run.end": _p(dt.date(2020, 4, 1), "date", "Day after the last day simulated (exclusive)."),
    "run.warmup_days": _p(730, "int", "Days simulated before run.start so that stocks and histories fill; "
                          "their events are in the log but outside the reported years.", "days", 0, 36500),
    "run.scale": _p(1.0, "float", "Multiplier on every arrival rate, initial stock and staffing (1 = Hampshire). "
                    "From 2 up, the county grows as a larger authority does, by districts rather than by "
                    "ever larger teams: floor(scale) copies of each district, each with its own teams and "
                    "hubs staffed at scale / floor(scale) (at 4: 32 districts whose teams have Hampshire's "
                    "9 to 12 posts); a district's own settings (teams.cast_start_by_district) apply to its "
                    "copies.  Small values give quick runs for tests; but a team keeps at least two posts, "
                    "so below about 0.2 teams are overstaffed for their work (caseloads about 13 at 0.1, 25 at 1).",
                    "", 0.001, 100),
    # --- population ----------------------------------------------------------------------------
    "population.districts": _p(8, "int", "Number of districts (each has its own teams).", "", 1, 50),
    "population.children_per_family": _p({"dist": "empirical", "values": [1, 2, 3, 4, 5], "weights": [0.46, 0.31, 0.14, 0.06, 0.03]},
                                         "dist", "Children in a family when it is first referred.", "children"),
    "population.child_age_band": _p({"under_1": 0.09, "1_4": 0.21, "5_9": 0.26, "10_15": 0.32, "16_17": 0.12}, "probs",
                                    "Age band of a newly referred child (age uniform within the band).",
                                    keys=("under_1", "1_4", "5_9", "10_15", "16_17")),
    "population.prior_cp_share": _p(0.12, "prob", "Share of children in families new to the model who had a CP plan before "
                                    "(history before the log)."),
    "population.prior_referral_share": _p(0.6, "prob", "Share of children in families new to the model with an earlier referral "
                                          "(older than 12 months, before the log)."),
    "population.toxic_trio_share": _p(0.6, "prob", "Share of families with domestic abuse, substance misuse or parental mental "
                                      "health needs (000 Table 2: 54-61% each among plan cases)."),
    # --- arrivals --------------------------------------------------------------------------------
    "arrivals.contacts_per_year": _p(84000.0, "float", "Front-door contacts a year about families new to the model, at run.start.",
                                     "contacts/year", 0, 1e7),
    "arrivals.trend_per_year": _p(0.02, "float", "Proportional growth of that rate per year (0.03 = +3% a year), compounding "
                                  "from run.start (before it, the rate falls back).", "1/year", -0.5, 1.0),
    "arrivals.seasonality": _p(0.08, "float", "Amplitude of the annual cycle of contacts (0.08 = +/-8%).", "", 0, 0.9),
    "arrivals.seasonal_peak_month": _p(11, "int", "Month in which contacts peak (a cosine cycle: the trough is six months "
                                       "later).", "month", 1, 12),
    "arrivals.return_delay": _p({"dist": "exponential", "mean": 150}, "dist",
                                "Time from a family's case closure to its next contact, when it returns (families screened out "
                                "at the MASH do not return in the model).", "days"),
    # --- front door and MASH -------------------------------------------------------------------
    "frontdoor.triage": _p({"advice": 0.62, "early_help": 0.16, "mash": 0.22}, "probs",
                           "Triage of a contact from a new family: advice/no further action, early help, or MASH screening.",
                           keys=("advice", "early_help", "mash")),
    "mash.outcome": _p({"nfa": 0.38, "early_help": 0.30, "referral": 0.32}, "probs",
                       "MASH decision on a new family's contact.", keys=("nfa", "early_help", "referral")),
    "mash.outcome_known": _p({"nfa": 0.10, "early_help": 0.12, "referral": 0.78}, "probs",
                             "MASH decision on a returning (known) family's contact.", keys=("nfa", "early_help", "referral")),
    "mash.screening": _p(_ln(1.0, 3.0), "dist", "MASH screening time before the Hampshire Approach.", "days"),
    "mash.screening_hold_longer": _p(_ln(2.5, 6.0), "dist", "MASH screening time once the MASH holds cases longer.", "days"),
    "mash.hold_longer_start": _p(dt.date(2018, 4, 1), "cdate", "Date the MASH starts holding cases longer ('never' to keep the old practice)."),
    "mash.hold_longer_nfa_factor": _p(0.8, "float", "Multiplier on referral.p_nfa once the MASH holds longer (better-informed referrals).",
                                      "", 0, 5),
    # --- referral and assessment ----------------------------------------------------------------
    "referral.p_nfa": _p(0.12, "prob", "Chance a referral ends in no further action without an assessment."),
    "assessment.allocation_delay": _p(_ln(1.0, 3.0), "dist", "Referral to the start of assessment (allocation).", "days"),
    "assessment.duration": _p(_ln(27.0, 55.0), "dist", "Assessment length from its start (calendar days; 45 working days = 63).", "days"),
    "assessment.outcome": _p({"not_in_need": 0.29, "early_help": 0.13, "cin_plan": 0.34, "strategy_discussion": 0.24}, "probs",
                             "Conclusion of an assessment for a child with no earlier CP plan.",
                             keys=("not_in_need", "early_help", "cin_plan", "strategy_discussion")),
    "assessment.strategy_trend_per_year": _p(0.0, "float", "Drift of the child protection threshold: change per year, from "
                                             "run.start, in the log-odds that an assessment leads to a strategy discussion "
                                             "(negative: fewer children drawn into child protection over time).",
                                             "log-odds/year", -2, 2),
    "assessment.prior_cp_strategy_odds": _p(2.0, "float", "Odds ratio on a strategy discussion when a child had an earlier CP plan.", "", 0, 100),
    "assessment.prior_cp_trend_per_year": _p(0.0, "float", "Drift of repeat protection: change per year, from run.start, in "
                                             "the log of prior_cp_strategy_odds (positive: a child with an earlier CP plan "
                                             "is ever more likely to go back into child protection).",
                                             "log/year", -2, 2),
    "strategy.delay": _p(_ln(1.0, 3.0), "dist", "Assessment's conclusion (or a step up) to the strategy discussion.", "days"),
    "strategy.p_s47": _p(0.85, "prob", "Chance a strategy discussion leads to a section 47 enquiry (else a CIN plan)."),
    "s47.duration": _p(_ln(8.0, 20.0), "dist", "Section 47 enquiry length.", "days"),
    "s47.outcome": _p({"icpc": 0.48, "cin_plan": 0.32, "no_further_action": 0.20}, "probs", "Outcome of a section 47 enquiry.",
                      keys=("icpc", "cin_plan", "no_further_action")),
    "s47.p_emergency_care": _p(0.03, "prob", "Chance a section 47 enquiry ends in emergency care (EPO or police protection) instead."),
    "icpc.delay": _p(_ln(10.0, 18.0), "dist", "End of the s47 enquiry to the initial child protection conference "
                     "(strategy discussion to ICPC: 15 working days is the standard).", "days"),
    "icpc.outcome": _p({"cp_plan": 0.88, "cin_plan": 0.10, "no_plan": 0.02}, "probs", "Decision of the ICPC.",
                       keys=("cp_plan", "cin_plan", "no_plan")),
    # --- plans ----------------------------------------------------------------------------------
    "cin.duration": _p(_ln(110.0, 330.0), "dist", "Length of a Child in Need plan.", "days"),
    "cin.p_step_up_no_change": _p(0.14, "prob", "Chance a CIN plan without positive change steps up to a strategy discussion."),
    "cin.p_care_no_change": _p(0.07, "prob", "Chance a CIN plan without positive change ends in voluntary (s20) care."),
    "cin.p_early_help_on_close": _p(0.45, "prob", "Chance a closed plan steps down to early help (else no service)."),
    "cp.duration": _p(_ln(130.0, 380.0), "dist", "Length of a Child Protection plan.", "days"),
    "cp.first_review_days": _p(90.0, "float", "Days from the ICPC to the first review conference.", "days", 1, 365),
    "cp.review_interval_days": _p(182.0, "float", "Days between later review conferences.", "days", 1, 730),
    "cp.end_with_change": _p({"step_down": 0.62, "closed": 0.36, "plo": 0.02}, "probs",
                             "How a CP plan ends when the family made positive change.", keys=("step_down", "closed", "plo")),
    "cp.end_without_change": _p({"step_down": 0.45, "closed": 0.10, "plo": 0.45}, "probs",
                                "How a CP plan ends without positive change.", keys=("step_down", "closed", "plo")),
    "plo.duration": _p(_ln(85.0, 180.0), "dist", "Length of the Public Law Outline pre-proceedings stage.", "days"),
    "plo.p_proceedings": _p(0.55, "prob", "Chance PLO leads to care proceedings (else a CIN plan)."),
    "proceedings.to_care": _p(_ln(7.0, 30.0), "dist", "Issue of proceedings to the child entering care (interim care order).", "days"),
    # --- practice quality -----------------------------------------------------------------------
    "practice.base_engagement": _p(0.74, "prob", "Engagement of a family at the reference caseload, with no handoffs, no hub and "
                                   "before the practice model. Set so that at the baseline's caseloads (~27 children) and "
                                   "handoffs (~1.7 a journey) mean engagement is ~58%, as in 000's baseline case files."),
    "practice.model_start": _p(dt.date(2019, 4, 1), "cdate", "Date the strengths-based practice model takes effect (training Oct 2018-Mar 2019)."),
    "practice.model_effect": _p(0.30, "float", "Change in the log-odds of engagement under the practice model.", "log-odds", -5, 5),
    "practice.handoff_penalty": _p(0.18, "float", "Fall in the log-odds of engagement per change of worker in the journey.", "log-odds", 0, 5),
    "practice.caseload_reference": _p(18.0, "float", "Caseload at which there is no pressure penalty (national average 16.9).",
                                      "children", 1, 100),
    "practice.caseload_penalty": _p(0.8, "float", "Fall in the log-odds of engagement per 100% of caseload above the reference.",
                                    "log-odds", 0, 10),
    "practice.hub_effect": _p(0.8, "float", "Rise in the log-odds of engagement with intensive hub support.", "log-odds", 0, 5),
    "practice.specialist_effect": _p(0.5, "float", "Further rise when a toxic-trio family gets a hub specialist.", "log-odds", 0, 5),
    "practice.p_change_engaged": _p(0.80, "prob", "Chance of positive change when the family is engaged."),
    "practice.p_change_disengaged": _p(0.20, "prob", "Chance of positive change when it is not."),
    "practice.p_return_change": _p(0.35, "prob", "Chance a family closed after positive change comes back to the front door."),
    "practice.p_return_no_change": _p(0.70, "prob", "Chance a family closed without positive change comes back."),
    "practice.p_return_no_plan": _p(0.50, "prob", "Chance a family closed without a plan (NFA, not in need) comes back."),
    # --- teams and workforce --------------------------------------------------------------------
    "teams.ra_posts": _p(9, "int", "Social worker posts in each district's Referral & Assessment team (model A).", "posts", 1, 500),
    "teams.cin_teams": _p(2, "int", "Long-term CIN teams per district (model A; 003 lists 17 county-wide).", "teams", 1, 20),
    "teams.cin_posts": _p(12, "int", "Posts in each CIN team (model A).", "posts", 1, 500),
    "teams.cic_posts": _p(9, "int", "Posts in each district's Children in Care team (model A).", "posts", 1, 500),
    "teams.cast_teams": _p(4, "int", "CAST teams per district (model B); the intake rota is one week in this many.", "teams", 1, 12),
    "teams.intake_rota": _p([], "rota", "Model B intake rota: one list of CAST team numbers (1..teams.cast_teams) per week "
                            "of the cycle, repeating; a district's new referrals that week go to the listed team with the "
                            "most room. [] = one team a week in turn, i.e. one week in teams.cast_teams "
                            "([[1], [2], [3], [4]]); [[1, 2], [3, 4]] = each team one week in two.", "teams per week"),
    "teams.cast_start": _p(dt.date(2018, 5, 1), "cdate", "Date each district switches to CAST (model B); 'never' keeps model A."),
    "teams.cast_start_by_district": _p({"D1": dt.date(2017, 7, 1)}, "dates",
                                       "Per-district switch dates overriding teams.cast_start (the 2017 pilot district)."),
    "teams.ra_keeps_cin_p": _p(0.12, "prob", "Model A: chance the R&A team keeps a case that goes on to a CIN plan "
                               "(short-term work) instead of handing it to a CIN team."),
    "teams.reallocation_rate": _p(0.3, "float", "Rate at which an allocated journey changes worker within the team for reasons "
                                  "other than a stage change or the worker leaving (absence, workload balancing, "
                                  "reorganisation); 0 for none.", "1/year", 0, 10),
    "teams.reallocation_p": _p(0.35, "prob", "Chance of a reallocation within the team at each stage change of a journey."),
    "workforce.vacancy_share": _p(0.12, "prob", "Share of posts vacant at the start of the run."),
    "workforce.agency_share": _p(0.15, "prob", "Share of filled posts held by agency workers at the start."),
    "workforce.nq_share": _p(0.10, "prob", "Share of permanent workers in their newly qualified year at the start."),
    "workforce.turnover_permanent": _p(0.15, "float", "Leaving rate of permanent social workers (DfE 12.5-17.5%).", "1/year", 0, 5),
    "workforce.turnover_agency": _p(0.45, "float", "Leaving rate of agency social workers.", "1/year", 0, 10),
    "workforce.recruitment_delay": _p(_ln(110.0, 240.0), "dist", "Time to fill a vacated post with a permanent worker.", "days"),
    "workforce.p_agency_cover": _p(0.6, "prob", "Chance a vacated post is covered by an agency worker until it is filled."),
    "workforce.agency_delay": _p(_ln(25.0, 60.0), "dist", "Time to get agency cover for a vacancy.", "days"),
    "workforce.p_newly_qualified_recruit": _p(0.45, "prob", "Chance a permanent recruit is newly qualified."),
    "workforce.nq_cap": _p(15, "int", "Protected caseload of a newly qualified worker in their first year.", "children", 1, 100),
    "workforce.nq_days": _p(365, "int", "Length of the protected newly qualified year.", "days", 1, 3650),
    "workforce.soft_cap": _p(30, "int", "Caseload at which allocation prefers other workers (never refused).", "children", 1, 500),
    "workforce.hard_cap": _p(0, "int", "Caseload a worker may never exceed; new work waits for a place (0 = no hard cap).", "children", 0, 500),
    "workforce.drives": _p([{"date": dt.date(2019, 1, 15), "posts": 65, "nq_share": 0.8}], "drives",
                           "Recruitment drives: extra posts created on a date (spread over districts), with the newly "
                           "qualified share of their recruits (2019: +64.76 net FTE, 78.4 of 98.8 recruits newly qualified)."),
    # --- hubs -------------------------------------------------------------------------------------
    "hubs.count": _p(4, "int", "Multi-disciplinary hubs (one per two districts).", "hubs", 0, 50),
    "hubs.start": _p(dt.date(2019, 4, 1), "cdate", "Date the first hub opens ('never': no hubs)."),
    "hubs.stagger_days": _p(60, "int", "Days between hub openings (April-September 2019).", "days", 0, 3650),
    "hubs.family_workers": _p(6, "int", "Intensive family support workers per hub.", "workers", 0, 500),
    "hubs.families_per_worker": _p(5, "int", "Families each family support worker supports at once.", "families", 1, 50),
    "hubs.specialists": _p(3, "int", "Specialists per hub (domestic abuse, substance misuse, mental health). A hub with any gives "
                              "its families practice.specialist_effect; specialists are not a separate capacity.", "workers", 0, 50),
    "hubs.p_refer_cp": _p(0.45, "prob", "Chance a priority (toxic-trio) family starting a CP plan is referred to its hub (when one is open)."),
    "hubs.p_refer_cin": _p(0.15, "prob", "Chance a priority (toxic-trio) family starting a CIN plan is referred to its hub."),
    "hubs.support_duration": _p(_ln(120.0, 240.0), "dist", "Length of intensive hub support.", "days"),
    # --- care -------------------------------------------------------------------------------------
    "care.placement": _p({"foster": 0.72, "kinship": 0.15, "residential": 0.08, "independent": 0.05}, "probs",
                         "First placement of a child entering care (independent living only from 16).",
                         keys=("foster", "kinship", "residential", "independent")),
    "care.placement_moves_per_year": _p(0.35, "float", "Rate of placement changes while in care.", "1/year", 0, 20),
    "care.p_return_home": _p({"under_1": 0.20, "1_4": 0.30, "5_9": 0.36, "10_15": 0.36, "16_17": 0.25}, "yearly",
                             "Chance a child entering care is on a path home, by age band at entry."),
    "care.return_home_time": _p(_ln(140.0, 620.0), "dist", "Time in care before a return home.", "days"),
    "care.reunification_drive_start": _p(dt.date(2018, 10, 1), "cdate", "Date of the reunification drive ('never' for none)."),
    "care.reunification_drive_factor": _p(1.25, "float", "Multiplier on the chance of a path home during the drive.", "", 0, 4),
    "care.p_breakdown": _p(0.22, "prob", "Chance a return home breaks down and the child re-enters care."),
    "care.breakdown_time": _p(_ln(110.0, 300.0), "dist", "Time from a return home to its breakdown.", "days"),
    "care.after_return_cin": _p(_ln(150.0, 320.0), "dist", "CIN plan after a return home, before the case closes.", "days"),
    "care.p_adoption": _p({"under_1": 0.70, "1_4": 0.50, "5_9": 0.06, "10_15": 0.0, "16_17": 0.0}, "yearly",
                          "Chance a child not going home is adopted, by age band at entry."),
    "care.adoption_trend_per_year": _p(-0.10, "float", "Drift of the chance of adoption: change per year, from run.start, in its "
                                      "log (applied to children entering care). Fitted to Hampshire's adoptions by "
                                      "calibration (prior range in calibrate.KNOBS); the default follows England's fall, 5,360 "
                                      "adoptions in 2014-15 to 3,600 in 2018-19 (DfE), after the 2013 Re B-S judgments.",
                                      "log/year", -2, 2),
    "care.adoption_time": _p(_ln(560.0, 950.0), "dist", "Time in care before an adoption order.", "days"),
    "care.p_sgo": _p({"under_1": 0.45, "1_4": 0.45, "5_9": 0.35, "10_15": 0.18, "16_17": 0.03}, "yearly",
                     "Chance a child going neither home nor to adoption leaves on a special guardianship order, by age band."),
    "care.sgo_time": _p(_ln(420.0, 900.0), "dist", "Time in care before a special guardianship order.", "days"),
    "care.p_other_exit": _p(0.12, "prob", "Chance a child in long-term care leaves before 18 for another reason (independent living, moved away)."),
    "care.other_exit_time": _p(_ln(700.0, 2000.0), "dist", "Time in care before such an exit.", "days"),
    "care.placed_for_adoption_before": _p({"dist": "uniform", "low": 120, "high": 300}, "dist",
                                          "Time before the adoption order that the child is placed for adoption.", "days"),
    "care.leaving_age": _p(18.0, "float", "Age at which a child ceases to be looked after.", "years", 16, 21),
    "care.p_legal_s20": _p(0.6, "prob", "Share of voluntary (CIN-route) entries that are s20 (the rest go via an emergency order)."),
    # --- UASC ---------------------------------------------------------------------------------------
    "uasc.arrivals": _p({"2012": 12, "2013": 12, "2014": 18, "2015": 45, "2016": 75, "2017": 65, "2018": 60, "2019": 60},
                        "yearly", "Unaccompanied asylum-seeking children arriving into care, by financial year (start year); "
                        "the last year given carries on.", "children/year"),
    "uasc.age": _p({"dist": "uniform", "low": 14.5, "high": 17.8}, "dist", "Age of a UASC on arrival.", "years"),
    # --- initial stock -------------------------------------------------------------------------------
    "initial.cin_children": _p(3600, "int", "Children on CIN plans when the run starts (before warm-up).", "children", 0, 1_000_000),
    "initial.cp_children": _p(950, "int", "Children on CP plans when the run starts.", "children", 0, 1_000_000),
    "initial.cla_children": _p(1103, "int", "Children looked after when the run starts (before warm-up). Hampshire: "
                               "1,103 at 31 March 2012 (DfE SFR20/2012), then 1,131 in 2013 and 1,267 in 2014. "
                               "Their routes out of care are drawn as a stock, not as entries (model.md 4.1).",
                               "children", 0, 1_000_000),
    "initial.cla_s20_share": _p(0.3, "prob", "Share of the children looked after at the start who are accommodated "
                                "under s20 (the rest under care orders)."),
    "initial.cla_age_band": _p({"under_1": 0.05, "1_4": 0.15, "5_9": 0.20, "10_15": 0.38, "16_17": 0.22}, "probs",
                               "Age band of the children looked after at the start.",
                               keys=("under_1", "1_4", "5_9", "10_15", "16_17")),
}

# ------------------------------------------------------------------------------------------
# What-if mechanisms and unit costs.  Every mechanism below is switched off at its default
# (a date of "never", or an elasticity of 0), so the Hampshire baseline is unchanged by it.
# Costs never change the simulation: they price its event log (journeysim.costs).
# ------------------------------------------------------------------------------------------
PARAMS.update({
    # --- demand surge -----------------------------------------------------------------------
    "arrivals.surge_start": _p(NEVER, "cdate", "Date a surge in contacts about new families starts; it lasts to the end of "
                               "the run ('never': no surge)."),
    "arrivals.surge_factor": _p(1.2, "float", "Multiplier on the contact rate from arrivals.surge_start (1.2 = +20%; referrals "
                                "of new families rise in proportion).", "", 0, 10),
    # --- year-to-year variation (src/journeysim/model/years.py) ---------------------------------
    "variation.front_door_sd": _p(0.0, "float", "Year-to-year variation in demand: the standard deviation of the log of a "
                                  "multiplier with mean 1, drawn once per financial year, on the contacts from new "
                                  "families. 0 = none: every year follows the trend and seasonality.", "log", 0, 1),
    "variation.care_entry_sd": _p(0.0, "float", "Year-to-year variation in the threshold for care: the standard deviation of "
                                  "the log of a multiplier with mean 1, drawn once per financial year, on the odds of the "
                                  "three decisions that take a child into care (s47.p_emergency_care, cin.p_care_no_change, "
                                  "plo.p_proceedings). 0 = none.", "log", 0, 2),
    "variation.returns_sd": _p(0.0, "float", "Year-to-year variation in re-referral: the standard deviation of the log of a "
                               "multiplier with mean 1, drawn once per financial year, on the odds of a closed family "
                               "coming back (practice.p_return_*). 0 = none.", "log", 0, 2),
    "variation.repeat_cp_sd": _p(0.0, "float", "Year-to-year variation in repeat protection: the standard deviation of the log "
                                 "of a multiplier with mean 1, drawn once per financial year, on "
                                 "assessment.prior_cp_strategy_odds (the raised odds of a strategy discussion for a child "
                                 "with an earlier CP plan). 0 = none.", "log", 0, 2),
    # --- backfill (002, Crewe) ------------------------------------------------------------------
    "mash.backfill_elasticity": _p(0.0, "float", "Backfill: freed capacity refills with referrals (002, Crewe). The MASH's "
                                   "chance of referring is multiplied by 1 + elasticity x spare, where spare = "
                                   "max(0, 1 - pressure / mash.backfill_caseload) and pressure is the county's children held "
                                   "or waiting per social worker in post (weighted for PA time). 0 = no backfill.", "", 0, 10),
    "mash.backfill_caseload": _p(26.71, "float", "The county's usual caseload: the pressure below which spare capacity draws "
                                 "in referrals (000: 26.71 children per CAST worker, mid-2018).", "children", 1, 100),
    # --- PA admin support (003) -----------------------------------------------------------------
    "workforce.pa_start": _p(NEVER, "cdate", "Date personal assistants (PAs) start supporting social workers ('never': no "
                             "PAs). From then the caseload pressure on engagement uses the PA-weighted caseload "
                             "(practice.family_time) and PAs are costed."),
    "workforce.pa_ratio": _p(1 / 3, "float", "PAs per social worker once PA support starts (003 pilot: one per three). "
                             "Below one per three the time freed is in proportion; above it, no more.", "PAs/worker", 0, 2),
    "practice.family_time": _p(0.34, "prob", "Share of a social worker's time with families without PA support (003: 34%)."),
    "practice.family_time_with_pa": _p(0.58, "prob", "Share with one PA per three social workers (003: 58%, administration "
                                       "36% -> 14%). Caseload pressure uses caseload x family_time / the share now."),
    # --- recruitment freeze ---------------------------------------------------------------------
    "workforce.freeze_start": _p(NEVER, "cdate", "Date a recruitment freeze starts: permanent recruits, for vacated posts and "
                                 "for drive posts, stop arriving; agency cover carries on ('never': no freeze)."),
    "workforce.freeze_end": _p(NEVER, "cdate", "Date the freeze ends; frozen posts are then recruited after the usual delay "
                               "('never': it lasts to the end of the run)."),
    # --- unit costs (003 Appendix 4, 002; placement costs are illustrative) ----------------------
    "costs.social_worker": _p(40913.0, "float", "Annual salary of a social worker, before overheads (003 Appendix 4).",
                              "GBP/year", 0, 1e7),
    "costs.overhead_rate": _p(0.20, "float", "Overheads added to the salaries of social workers, team managers, PAs and hub "
                              "family support workers (003: 20%).", "", 0, 5),
    "costs.agency_premium": _p(0.5, "float", "Extra cost of an agency social worker over a permanent one, as a share of the "
                               "permanent cost. ILLUSTRATIVE default: not in the sources.", "", 0, 10),
    "costs.team_manager": _p(50789.0, "float", "Annual salary of a team manager (003 Appendix 4).", "GBP/year", 0, 1e7),
    "costs.social_workers_per_manager": _p(10.0, "float", "Social workers per team manager: managers are costed as social "
                                           "worker FTE / this (the model has no managers; 42 posts per district in 4 "
                                           "teams).", "workers", 1, 100),
    "costs.pa": _p(25380.0, "float", "Annual salary of a PA (003 Appendix 4).", "GBP/year", 0, 1e7),
    "costs.family_support_worker": _p(31709.0, "float", "Annual salary of a hub family support worker (003's edge worker, "
                                      "the nearest published figure).", "GBP/year", 0, 1e7),
    "costs.specialist_domestic_abuse": _p(34825.0, "float", "Annual cost of a domestic abuse worker, overheads included "
                                          "(003 Appendix 4).", "GBP/year", 0, 1e7),
    "costs.specialist_substance_misuse": _p(47511.0, "float", "Annual cost of a substance misuse worker, overheads included "
                                            "(003 Appendix 4).", "GBP/year", 0, 1e7),
    "costs.specialist_mental_health": _p(37853.0, "float", "Annual cost of a mental health worker, overheads included "
                                         "(003 Appendix 4). A hub specialist costs the mean of the three.", "GBP/year", 0, 1e7),
    "costs.edge_of_care_intervention": _p(3273.40, "float", "Cost of one edge-of-care intervention (003 Table 23).",
                                          "GBP", 0, 1e7),
    "costs.edge_of_care_per_year": _p(147.0, "float", "Edge-of-care interventions started a year (003: about 147 across 7 "
                                      "teams). An input, not simulated: the model has no edge-of-care service.",
                                      "starts/year", 0, 1e6),
    "costs.edge_of_care_start": _p(dt.date(2015, 10, 1), "cdate", "Date the edge-of-care offer began (003 pilot, October "
                                   "2015; 'never': none)."),
    "costs.placement_foster": _p(35000.0, "float", "Annual cost of a foster placement. ILLUSTRATIVE default: placement costs "
                                 "are not in the sources; use the county's own.", "GBP/year", 0, 1e7),
    "costs.placement_kinship": _p(15000.0, "float", "Annual cost of a kinship placement. ILLUSTRATIVE default.",
                                  "GBP/year", 0, 1e7),
    "costs.placement_residential": _p(250000.0, "float", "Annual cost of a residential placement. ILLUSTRATIVE default.",
                                      "GBP/year", 0, 1e7),
    "costs.placement_independent": _p(45000.0, "float", "Annual cost of an independent-living placement. ILLUSTRATIVE "
                                      "default.", "GBP/year", 0, 1e7),
    "costs.placement_adoption": _p(20000.0, "float", "Annual cost of a placement for adoption before the order. "
                                   "ILLUSTRATIVE default.", "GBP/year", 0, 1e7),
})

AGE_BANDS = {"under_1": (0.0, 1.0), "1_4": (1.0, 5.0), "5_9": (5.0, 10.0), "10_15": (10.0, 16.0), "16_17": (16.0, 18.0)}

# Groups of keys that make up one section (for describe and docs).
SECTIONS = sorted({k.split(".")[0] for k in PARAMS if "." in k})


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


def _check_value(key: str, p: Param, v, source: str):
    """Validate and normalise one value; raise ScenarioError naming the file and key."""
    where = f"{source}: {key}"
    unit = f" {p.unit}" if p.unit else ""
    rng = ""
    if p.lo is not None or p.hi is not None:
        rng = f" between {_number(p.lo)} and {_number(p.hi)}{unit}"
    if p.kind in ("float", "int"):
        if not _is_num(v) or (p.kind == "int" and isinstance(v, float) and not float(v).is_integer()):
            raise ScenarioError(f"{where} must be {'a whole number' if p.kind == 'int' else 'a number'}{rng}; "
                                f"got {_shown(v)}")
        if not math.isfinite(v) or (p.lo is not None and v < p.lo) or (p.hi is not None and v > p.hi):
            raise ScenarioError(f"{where} must be{rng}; got {_shown(v)}")
        return int(v) if p.kind == "int" else float(v)
    if p.kind == "prob":
        if not _is_num(v) or not 0.0 <= v <= 1.0:
            raise ScenarioError(f"{where} is a probability and must be between 0 and 1; got {_shown(v)}")
        return float(v)
    if p.kind == "str":
        if not isinstance(v, str):
            raise ScenarioError(f"{where} must be a string; got {v!r}")
        return v
    if p.kind == "date":
        return _check_date(v, where)
    if p.kind == "cdate":
        return None if v == NEVER else _check_date(v, where, ' or "never"')
    if p.kind == "dist":
        try:
            return dists.parse(v, where)
        except dists.DistributionError as exc:
            raise ScenarioError(str(exc)) from None
    if p.kind == "probs":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where} must be a table of probabilities for {', '.join(p.keys)}; got {v!r}")
        unknown = sorted(set(v) - set(p.keys))
        missing = [k for k in p.keys if k not in v]
        if unknown or missing:
            raise ScenarioError(
                f"{where} must give a probability for each of {', '.join(p.keys)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        for k in p.keys:
            if not _is_num(v[k]) or not 0.0 <= v[k] <= 1.0:
                raise ScenarioError(f"{where}.{k} is a probability and must be between 0 and 1; got {v[k]!r}")
        total = sum(v[k] for k in p.keys)
        if abs(total - 1.0) > 1e-6:
            raise ScenarioError(f"{where}: the probabilities of {', '.join(p.keys)} must sum to 1; they sum to {total:g}")
        return {k: float(v[k]) for k in p.keys}
    if p.kind == "yearly":  # a table keyed by age band or by year, of numbers
        if not isinstance(v, dict) or not v:
            raise ScenarioError(f"{where} must be a non-empty table; got {v!r}")
        allowed = set(p.default)
        if set(p.default) <= set(AGE_BANDS):
            unknown = sorted(set(v) - allowed)
            missing = sorted(allowed - set(v))
            if unknown or missing:
                raise ScenarioError(f"{where} must give a value for each age band {', '.join(AGE_BANDS)}"
                                    + (f"; missing {', '.join(missing)}" if missing else "")
                                    + (f"; unknown {', '.join(unknown)}" if unknown else ""))
            for k, x in v.items():
                if not _is_num(x) or not 0.0 <= x <= 1.0:
                    raise ScenarioError(f"{where}.{k} is a probability and must be between 0 and 1; got {x!r}")
        else:
            for k, x in v.items():
                if not str(k).isdigit() or not FIRST_DATE.year <= int(k) <= LAST_DATE.year:
                    raise ScenarioError(f"{where}: keys must be financial start years like \"2016\" "
                                        f"({FIRST_DATE.year}-{LAST_DATE.year}); got {k!r}")
                if not _is_num(x) or not 0 <= x <= 1e6:
                    raise ScenarioError(f"{where}.{k} must be a number from 0 to 1,000,000; got {_shown(x)}")
        return {str(k): float(x) for k, x in v.items()}
    if p.kind == "dates":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where} must be a table of district = date; got {v!r}")
        return {str(k): None if x == NEVER else _check_date(x, f"{where}.{k}", ' or "never"') for k, x in v.items()}
    if p.kind == "rota":
        return _check_rota(v, where)
    if p.kind == "drives":
        if not isinstance(v, list):
            raise ScenarioError(f"{where} must be a list of tables {{ date = 2019-01-15, posts = 65, nq_share = 0.8 }}; got {v!r}")
        out = []
        for i, d in enumerate(v):
            fields = ("date", "posts", "nq_share")
            if not isinstance(d, dict) or set(d) != set(fields):
                missing = [f for f in fields if not isinstance(d, dict) or f not in d]
                unknown = sorted(set(d) - set(fields)) if isinstance(d, dict) else []
                raise ScenarioError(f"{where}[{i}] must be a table with exactly date, posts and nq_share"
                                    + (f"; missing {', '.join(missing)}" if missing else "")
                                    + (f"; unknown {', '.join(unknown)}" if unknown else ""))
            _check_date(d["date"], f"{where}[{i}].date")
            if not _is_num(d["posts"]) or not float(d["posts"]).is_integer() or abs(d["posts"]) > 10_000:
                raise ScenarioError(f"{where}[{i}].posts must be a whole number of posts from -10000 to 10000 "
                                    f"(negative to cut posts); got {d['posts']!r}")
            if not _is_num(d["nq_share"]) or not 0 <= d["nq_share"] <= 1:
                raise ScenarioError(f"{where}[{i}].nq_share is a probability and must be between 0 and 1; got {d['nq_share']!r}")
            out.append({"date": d["date"], "posts": int(d["posts"]), "nq_share": float(d["nq_share"])})
        return out
    raise AssertionError(f"unknown parameter kind {p.kind}")  # pragma: no cover


#: Dates a scenario may use: wide enough for any study, narrow enough to catch a mistyped year.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


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


def _check_rota(v, where: str) -> list[list[int]]:
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


def _flatten(doc: dict, prefix: str = "") -> dict[str, Any]:
    """Flatten nested TOML tables to dotted keys, stopping at keys declared in PARAMS."""
    out: dict[str, Any] = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if key in PARAMS or not isinstance(v, dict):
            out[key] = v
        else:
            out.update(_flatten(v, key + "."))
    return out


def _suggest(key: str) -> str:
    """The hint after an unknown key: the same name in another section, or the closest key."""
    if key in SECTIONS:
        keys = [k.split(".", 1)[1] for k in PARAMS if k.startswith(key + ".")]
        return f"; '{key}' is a section: write [{key}] on its own line, then its keys ({', '.join(keys[:4])}, ...)"
    leaf = key.rsplit(".", 1)[-1]
    same = [k for k in PARAMS if k.rsplit(".", 1)[-1] == leaf]
    if leaf == "extends":
        return "; extends must come first in the file, before any [section]"
    if key in _RUN_OPTIONS:
        return f"; it is not a scenario parameter: give it on the command line (journeysim run {_RUN_OPTIONS[key]})"
    close = same if len(same) == 1 else difflib.get_close_matches(key, PARAMS.keys(), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else "; see 'journeysim describe' for the keys"


#: Keys people put in a scenario that are options of ``journeysim run``.
_RUN_OPTIONS = {"seed": "--seed", "reps": "--reps", "replications": "--reps", "out": "--out", "workers": "--workers"}

_BARE = r"[A-Za-z0-9_-]+"
_PART = rf"(?:{_BARE}|\"[^\"]*\"|'[^']*')"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")


def _dotted(text: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in re.findall(_PART, text))


def key_lines(text: str) -> dict[str, int]:
    """Line number (from 1) of every key and table header in a TOML text, as dotted keys.

    Python's TOML reader gives no positions for values, so this reads the text again:
    a ``key =`` line inside ``[section]`` is ``section.key``.  Lines of multi-line
    strings or arrays may be misread; the numbers only help a message point at a line.
    """
    lines: dict[str, int] = {}
    section = ""
    for n, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            section = _dotted(header.group(1))
            lines.setdefault(section, n)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = _dotted(assign.group(1))
            lines.setdefault(f"{section}.{key}" if section else key, n)
    return lines


def _line_of(key: str, lines: dict[str, int]) -> int | None:
    """The line of ``key``, or of the nearest enclosing table that has one."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        n = lines.get(".".join(parts[:i]))
        if n is not None:
            return n
    return None


_NOT_TOML_HINTS = {".md": "Markdown", ".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".csv": "CSV",
                   ".xlsx": "Excel", ".ini": "INI", ".parquet": "Parquet", ".txt": "plain text"}


def _read_toml(path: Path, shown: str) -> tuple[dict, str]:
    """The parsed TOML document of a scenario file and its text; ``shown`` names it in messages."""
    if path.is_dir():
        raise ScenarioError(f"{shown}: is a folder, not a scenario file (a scenario is a .toml file)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such scenario file") from None
    except OSError as exc:
        raise ScenarioError(f"{shown}: cannot read the scenario file ({exc.strerror or exc.__class__.__name__})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{shown}: not a text file (byte {exc.start} is not UTF-8); "
                            f"a scenario is a TOML text file of key = value lines") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        kind = _NOT_TOML_HINTS.get(path.suffix.lower())
        hint = f" (this looks like a {kind} file; journeysim reads TOML scenarios)" if kind else ""
        where = re.search(r"\(at line (\d+), column (\d+)\)$", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)$|\s*\(at end of document\)$", "", str(exc))
        at = f", line {where.group(1)}, column {where.group(2)}" if where else ""
        raise ScenarioError(f"{shown}{at}: not valid TOML: {reason[:1].lower()}{reason[1:]}{hint}") from None


@dataclass
class _Raw:
    """Flattened values of a scenario file and its parents, with where each key was set."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _load_raw(path: Path, seen: tuple[Path, ...] = ()) -> _Raw:
    """Flattened values and, per key, the file (and line) that set it; following ``extends``."""
    real = path.resolve()
    doc, text = _read_toml(path, str(path))
    lines = key_lines(text)
    parent = doc.pop("extends", None)
    raw = _Raw()
    if parent is not None:
        at = f"{path}, line {lines['extends']}" if "extends" in lines else str(path)
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(f"{at}: extends must be a file name in quotes, like \"hampshire.toml\"; got {parent!r}")
        ppath = path.parent / parent
        looked = f" (looked for {ppath})" if str(ppath) != parent else ""
        if ppath.is_dir():
            raise ScenarioError(f"{at}: extends: '{parent}' is a folder, not a scenario file{looked}")
        if not ppath.is_file():
            raise ScenarioError(f"{at}: extends: no such scenario file '{parent}'{looked}")
        if ppath.resolve() in (*seen, real):
            chain = " -> ".join(p.name for p in (*seen, real, ppath.resolve()))
            raise ScenarioError(f"{at}: extends: circular inheritance ({chain})")
        raw = _load_raw(ppath, (*seen, real))
    raw.files.append(path)
    for k, v in _flatten(doc).items():
        line = _line_of(k, lines)
        if k not in PARAMS:
            raise ScenarioError(f"{path}{f', line {line}' if line else ''}: unknown key '{k}'{_suggest(k)}")
        raw.values[k] = v
        raw.sources[k] = str(path)
        if line:
            raw.lines[k] = line
        else:
            raw.lines.pop(k, None)
    return raw


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``section.key=value`` (the value in TOML syntax, or a bare word)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text}: expected KEY=VALUE, e.g. --set workforce.hard_cap=18")
    key, raw = (s.strip() for s in text.split("=", 1))
    if key not in PARAMS:
        raise ScenarioError(f"--set {text}: unknown key '{key}'{_suggest(key)}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as never
    return key, value


@dataclass
class Scenario:
    """A validated scenario: every parameter with its value, and where each came from."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    path: str = "<defaults>"
    files: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    def __getitem__(self, key: str):
        return self.values[key]

    @property
    def name(self) -> str:
        return self.values["name"]

    def ns(self) -> SimpleNamespace:
        """Nested attribute access for the model: ``sc.ns().care.p_breakdown``.  Tables of
        probabilities come as :class:`~journeysim.rng.Outcomes` (dicts that draw fast)."""
        root = SimpleNamespace()
        for key, v in self.values.items():
            if PARAMS[key].kind == "probs":
                v = Outcomes(v)
            node = root
            *parts, last = key.split(".")
            for part in parts:
                if not hasattr(node, part):
                    setattr(node, part, SimpleNamespace())
                node = getattr(node, part)
            setattr(node, last, v)
        return root

    def raw(self) -> dict[str, Any]:
        """Values in scenario-file form (distributions as tables, 'never' for absent dates)."""
        out = {}
        for k, v in self.values.items():
            kind = PARAMS[k].kind
            if kind == "dist":
                v = dists.to_table(v)
            elif kind == "cdate" and v is None:
                v = NEVER
            elif kind == "dates":
                v = {d: (NEVER if x is None else x) for d, x in v.items()}
            out[k] = v
        return out


def _validate_whole(values: dict[str, Any], at) -> None:
    """Checks that involve more than one key; ``at(key)`` names the file (and line) that set a key."""
    start, end = values["run.start"], values["run.end"]
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


def from_values(raw: dict[str, Any], sources: dict[str, str] | None = None, path: str = "<defaults>",
                files: list[str] | None = None, overrides: list[str] | None = None,
                lines: dict[str, int] | None = None) -> Scenario:
    """Validate a flat dict of raw values laid over the defaults.

    ``sources`` and ``lines`` say which file (or ``--set``) and line set each key, for messages.
    """
    sources = dict(sources or {})
    lines = lines or {}

    def at(key: str) -> str:
        src = sources.get(key, path if key in raw else "defaults")
        return f"{src}, line {lines[key]}" if key in lines and not src.startswith("--set") else src

    values: dict[str, Any] = {}
    for key, p in PARAMS.items():
        values[key] = _check_value(key, p, raw.get(key, p.default), at(key))
    _validate_whole(values, at)
    return Scenario(values, sources, path, files or [], overrides or [])


def load(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, inherit, override and validate a scenario file (None: the defaults)."""
    raw = _load_raw(Path(path)) if path is not None else _Raw()
    for text in overrides:
        key, value = parse_override(text)
        raw.values[key] = value
        raw.sources[key] = f"--set {text}"
    return from_values(raw.values, raw.sources, str(path) if path else "<defaults>", [str(f) for f in raw.files],
                       list(overrides), raw.lines)


def notes(scenario: Scenario) -> list[str]:
    """Things that are allowed but probably not meant: a partial first or last financial year,
    and dated components that never start because their date is on or after run.end."""
    out = []
    start, end = scenario["run.start"], scenario["run.end"]
    if (start.month, start.day) != (4, 1):
        out.append(f"run.start ({start}) is not 1 April: the first financial year is reported in part")
    if (end.month, end.day) != (4, 1):
        out.append(f"run.end ({end}) is not 1 April: the last financial year is reported in part")
    for key, p in PARAMS.items():
        date = scenario[key]
        if p.kind == "cdate" and date is not None and date >= end:
            out.append(f"{key} ({date}) is on or after run.end ({end}): it never takes effect in this run")
    for d, date in scenario["teams.cast_start_by_district"].items():
        if date is not None and date >= end:
            out.append(f"teams.cast_start_by_district.{d} ({date}) is on or after run.end ({end}): "
                       f"{d} never switches to CAST in this run")
    return out


def describe_params() -> list[tuple[str, str, str, str]]:
    """(key, default, unit, meaning) for every parameter, for docs and ``describe``."""
    rows = []
    for key, p in PARAMS.items():
        d = p.default
        if p.kind == "dist":
            d = dists.describe(dists.parse(d))
        rows.append((key, str(d), p.unit, p.doc))
    return rows


# ------------------------------------------------------------------------------------------
# Typed sections: each part of the model reads its parameters through a frozen, typed object
# made by :func:`section_type` from the keys it names, and filled once per replication by
# :func:`section`.
# ------------------------------------------------------------------------------------------
#: The Python type of a value of each kind, once validated.
KIND_TYPES = {"float": float, "int": int, "prob": float, "date": dt.date, "cdate": dt.date | None,
              "dist": dists.Distribution, "probs": Outcomes, "str": str, "bool": bool, "yearly": dict[str, float],
              "dates": dict[str, dt.date | None], "drives": list[dict], "rota": list[list[int]]}


def section_type(own: str | None, *more: str) -> type:
    """A frozen dataclass of the scenario keys a part of the model reads: every key of section
    ``own`` under its own name (``care.p_breakdown`` as ``p_breakdown``), and each of ``more`` (a
    whole section, or one key) under its section's name and its own (``uasc.age`` as ``uasc_age``).
    Each field has the type of its key's values; ``KEYS`` maps each field to its key."""
    keys: dict[str, str] = {}
    for name in (own, *more):
        if name is None:
            continue
        chosen = [k for k in PARAMS if k.startswith(name + ".")] if "." not in name else [name]
        if not chosen or any(k not in PARAMS for k in chosen):
            raise KeyError(f"no scenario section or key {name!r}")
        for k in chosen:
            section_name, leaf = k.split(".", 1)
            keys[leaf if section_name == own else f"{section_name}_{leaf}"] = k
    cls = dataclasses.make_dataclass("Params", [(f, KIND_TYPES[PARAMS[k].kind]) for f, k in keys.items()],
                                     frozen=True, slots=True)
    cls.KEYS = keys
    cls.__doc__ = ("The scenario keys a part of the model reads (meaning and source of each: "
                   "journeysim describe): " + ", ".join(keys.values()) + ".")
    return cls


def section(scenario: Scenario, cls: type) -> Any:
    """``cls`` (made by :func:`section_type`) filled with ``scenario``'s values; a table of outcome
    probabilities comes as an :class:`Outcomes` (a dict that draws fast)."""
    values = {}
    for name, k in cls.KEYS.items():
        value = scenario.values[k]
        values[name] = Outcomes(value) if PARAMS[k].kind == "probs" else value
    return cls(**values)
