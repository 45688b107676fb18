"""The parameters: every key a scenario may set, with its default, kind, range, units and meaning.

Each section of the scenario file is declared in its own table below; :data:`PARAMS`
merges them in the order ``journeysim describe`` prints them, the resolved
``scenario.toml`` lists them and the scenario digest reads them (so that order is part
of the results: a new key goes at the end of its table, or in a new table at the end).
A parameter's declaration is its documentation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .. import distributions as dists

NEVER = "never"  # a component date that never arrives (counterfactual runs)


@dataclass(frozen=True)
class Param:
    default: Any
    kind: str  # float, int, prob, date, cdate (date or "never"), dist, probs, str, yearly, dates, drives, rota, path, draws
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
# --- run ------------------------------------------------------------------------------------------
RUN: dict[str, Param] = {
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
    "run.parameter_draws": _p("none", "draws", "A CSV file of parameter draws from the calibration's plausible space "
                              "(calibration/plausible.csv, written by journeysim calibrate: a 'draw' column, then one "
                              "column per calibration knob), or 'none'. Each replication runs at one draw: replication "
                              "r at draw order[r mod N], order being a permutation of the N draws drawn from the run "
                              "seed (the same seed, the same draws; distinct draws while --reps is at most N; two "
                              "scenarios on one seed pair their draws), which replaces the knobs' values for that "
                              "replication, so that its results carry the parameters' uncertainty. A path relative to "
                              "the scenario file that sets it (with --set: to the current folder), within that file's "
                              "folder or the one above it. `journeysim forecast` sets it."),
}

# --- population -----------------------------------------------------------------------------------
POPULATION: dict[str, Param] = {
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
}

# --- arrivals -------------------------------------------------------------------------------------
ARRIVALS: dict[str, Param] = {
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
}

# --- front door and MASH --------------------------------------------------------------------------
FRONT_DOOR: dict[str, Param] = {
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
}

# --- referral and assessment ----------------------------------------------------------------------
REFERRAL_AND_ASSESSMENT: dict[str, Param] = {
    "referral.p_nfa": _p(0.12, "prob", "Chance a referral ends in no further action without an assessment."),
    "assessment.allocation_delay": _p(_ln(1.0, 3.0), "dist", "Referral to the start of assessment (allocation).", "days"),
    "assessment.duration": _p(_ln(27.0, 55.0), "dist", "Assessment length from its start (calendar days; 45 working days = 63).", "days"),
    "assessment.outcome": _p({"not_in_need": 0.29, "early_help": 0.13, "cin_plan": 0.34, "strategy_discussion": 0.24}, "probs",
                             "Conclusion of an assessment for a child with no earlier CP plan.",
                             keys=("not_in_need", "early_help", "cin_plan", "strategy_discussion")),
    "assessment.strategy_trend_per_year": _p(0.0, "float", "Drift of the child protection threshold: change per year, from "
                                             "run.start, in the log-odds that an assessment finding a child in need of a plan "
                                             "leads to a strategy discussion rather than a CIN plan; the not-in-need and early "
                                             "help shares are unchanged (negative: fewer children in need drawn into child "
                                             "protection over time, and as many more on CIN plans). Hampshire: CP plans "
                                             "started fell from 1,838 to 1,476 (2014-15 to 2018-19) while children in need "
                                             "held and the share assessed not in need stayed at 34-38%.",
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
}

# --- plans ----------------------------------------------------------------------------------------
PLANS: dict[str, Param] = {
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
}

# --- practice quality -----------------------------------------------------------------------------
PRACTICE: dict[str, Param] = {
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
    "practice.specialist_effect": _p(0.5, "float", "Further rise when a toxic-trio family gets a specialist (a hub's, or "
                                     "its district's FIT).", "log-odds", 0, 5),
    "practice.specialist_cp_odds": _p(0.85, "float", "Odds ratio on a section 47 enquiry leading to a conference, and on a "
                                      "conference making a CP plan, while specialists work with the family (a hub's or "
                                      "a FIT's): specialists change risk decisions (002: Hertfordshire's CP plans fell "
                                      "29.1% before and after Family Safeguarding, no comparator; discounted, weak "
                                      "evidence). 1: no effect.", "", 0, 5),
    "practice.specialist_care_odds": _p(1.15, "float", "Odds ratio on the decisions that take a child into care (an "
                                        "emergency at s47, a CIN plan ending in care, PLO going to proceedings) while "
                                        "specialists work with the family: better identification of risk (003: care "
                                        "entries rose 80% in the FIT teams against 53% county-wide, quarter on "
                                        "quarter, no denominators; weak evidence). 1: no effect.", "", 0, 5),
    "practice.p_change_engaged": _p(0.80, "prob", "Chance of positive change when the family is engaged."),
    "practice.p_change_disengaged": _p(0.20, "prob", "Chance of positive change when it is not."),
    "practice.p_return_change": _p(0.35, "prob", "Chance a family closed after positive change comes back to the front door."),
    "practice.p_return_no_change": _p(0.70, "prob", "Chance a family closed without positive change comes back."),
    "practice.p_return_no_plan": _p(0.50, "prob", "Chance a family closed without a plan (NFA, not in need) comes back."),
}

# --- teams ----------------------------------------------------------------------------------------
TEAMS: dict[str, Param] = {
    "teams.ra_posts": _p(9, "int", "Social worker posts in each district's Referral & Assessment team (model A).", "posts", 1, 500),
    "teams.cin_teams": _p(2, "int", "Long-term CIN teams per district (model A; 003 lists 17 county-wide).", "teams", 1, 20),
    "teams.cin_posts": _p(12, "int", "Posts in each CIN team (model A).", "posts", 1, 500),
    "teams.cic_posts": _p(7, "int", "Posts in each district's Children in Care team, under both operating models (model B "
                          "keeps it beside the CAST teams: 001 s3.2.4). Its looked-after children move to the Care "
                          "Leavers team at teams.care_leavers_age.", "posts", 1, 500),
    "teams.care_leavers_posts": _p(2, "int", "Posts in each district's Care Leavers team, under both operating models (001 "
                                   "s3.2.4). With teams.cic_posts, the 9 posts per district the Children in Care team "
                                   "had in earlier versions (judgement: about one looked-after child in eight is 16 "
                                   "or 17).", "posts", 1, 500),
    "teams.care_leavers_age": _p(17.5, "float", "Age at which a looked-after child moves to the Care Leavers team (both "
                                 "models), so that their leaving-care worker knows them before 18; 18 or more: never. "
                                 "Judgement: a personal adviser and pathway plan are due from 16 (Children (Leaving "
                                 "Care) Act 2000), and authorities hand over between 16 and 18.", "years", 0, 21),
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
    "teams.permanence_days": _p(182, "int", "Model B: days after a child enters care at which, if their plan is permanence "
                                "away from home (any route out of care but a return home) and they are still looked "
                                "after, the CAST worker hands them to the Children in Care team; a child going home "
                                "stays with the CAST worker (000 Q4: a sizeable share leave care still held by CAST). "
                                "Judgement from the 26 weeks the Public Law Outline allows for care proceedings; 0: "
                                "never (the CAST worker keeps every looked-after child).", "days", 0, 3650),
    "teams.rebalance_over": _p(1.2, "float", "Workload rebalancing at a team's caseload review: a worker whose caseload is "
                               "more than this multiple of their cap (workforce.soft_cap, or workforce.nq_cap in the "
                               "protected first year) hands their newest cases to colleagues with room below their own "
                               "cap until they are back at or under it. Both operating models. Judgement; 0: no "
                               "rebalancing.", "x cap", 0, 10),
    "teams.review_days": _p(28, "int", "Days between a team's caseload reviews (monthly supervision: judgement).", "days",
                            1, 365),
}

# --- workforce ------------------------------------------------------------------------------------
WORKFORCE: dict[str, Param] = {
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
    "workforce.handover_on_joining": _p(0.5, "prob", "A worker who joins a team (a recruit, an agency worker covering a "
                                        "vacancy, a worker back from a long absence) is handed this share of the team's "
                                        "mean caseload, within their cap, from the colleagues with the most children "
                                        "(their newest cases first): workload rebalancing on arrival. Judgement; 0: "
                                        "none."),
    "workforce.absence_rate": _p(0.08, "float", "Long absences (sickness of four weeks or more, parental leave) per worker-year; "
                                 "the absent worker's children are allocated again within the team. Hampshire lost 3.4% "
                                 "and 2.6% of working days to sickness (DfE workforce, 2017 and 2018); long-term spells "
                                 "are about two fifths of days lost in the public sector, some 0.05 spells a worker-year "
                                 "at about 50 working days each, and parental leave adds some 0.03 (judgement). 0: "
                                 "none.", "1/year", 0, 5),
    "workforce.absence_length": _p(_ln(60.0, 300.0), "dist", "Length of a long absence (calendar days; parental leave is "
                                   "the long tail).", "days"),
    "workforce.absence_handback_days": _p(42, "int", "A worker back within this many days of the start of their absence takes "
                                          "back the children still open and still held by the colleague who covered "
                                          "them (for a while); after a longer absence the children stay (for good). "
                                          "Judgement.", "days", 0, 3650),
    "workforce.drives": _p([{"date": dt.date(2019, 1, 15), "posts": 65, "nq_share": 0.8}], "drives",
                           "Recruitment drives: extra posts created on a date (spread over districts), with the newly "
                           "qualified share of their recruits (2019: +64.76 net FTE, 78.4 of 98.8 recruits newly qualified)."),
}

# --- hubs -----------------------------------------------------------------------------------------
HUBS: dict[str, Param] = {
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
}

# --- the old offer: services that existed before the transformation and continued (003) ----------
OLD_OFFER: dict[str, Param] = {
    "fit.start": _p(dt.date(2015, 10, 1), "cdate", "Date the Family Intervention Teams start: specialists (domestic abuse, "
                    "substance misuse, adult mental health) working beside each district's CIN teams with toxic-trio "
                    "families on a CIN or CP plan (003: piloted from October 2015, eight Hampshire teams). A district's "
                    "FIT takes no new families once its hub opens: the hubs replace it ('never': no FIT)."),
    "fit.workers": _p(3, "int", "Specialist workers in each district's FIT (003: teams of 3; only one of eight was fully "
                      "staffed, three recruited only a domestic abuse worker).", "workers", 0, 100),
    "fit.families_per_worker": _p(6, "int", "Families each FIT worker supports at once (judgement: 321 Hampshire families in "
                                  "January-June 2016 across eight teams, 003, with a few months' support each).",
                                  "families", 1, 50),
    "fit.p_refer_cp": _p(0.25, "prob", "Chance a toxic-trio family starting a CP plan is referred to its district's FIT "
                         "(judgement, to give about 640 families a year county-wide, 003)."),
    "fit.p_refer_cin": _p(0.15, "prob", "Chance a toxic-trio family starting a CIN plan is referred to its district's FIT."),
    "fit.support_duration": _p(_ln(90.0, 200.0), "dist", "Length of FIT support (judgement; 003 gives none).", "days"),
    "edge_of_care.start": _p(dt.date(2015, 10, 1), "cdate", "Date the edge-of-care service for adolescents starts (003: "
                             "piloted from October 2015; 'never': none)."),
    "edge_of_care.workers": _p(7, "int", "Edge-of-care workers county-wide (003: about 147 starts a year across 7 teams).",
                               "workers", 0, 1000),
    "edge_of_care.caseload": _p(11, "int", "Young people (with their families) each edge worker supports at once (003: "
                                "about 10-12).", "families", 1, 50),
    "edge_of_care.min_age": _p(14.0, "float", "Youngest age of the young person the service takes (003: 14+; 77% were "
                               "14-15).", "years", 0, 18),
    "edge_of_care.duration": _p(_ln(180.0, 300.0), "dist", "Length of edge-of-care support (judgement: 10-12 at a time and "
                                "about 21 starts a year per worker imply about six months; 003).", "days"),
    "edge_of_care.p_care": _p(0.5, "prob", "Chance a young person whose family had edge-of-care support enters care after "
                              "it, instead of the plan going on without care. The model sends only families whose plan "
                              "has already turned to care, so 1 - p_care is the share of decided entries the service "
                              "averts. 003 has no comparator: 12 of 110 starters (11%) entered care within 7-8 months "
                              "and 67% were judged at imminent risk (0.11 / 0.67 = 0.16 read as the whole effect), but "
                              "the county's entries at 14-18 still rose about 50% in the pilot's first year against "
                              "80% at all ages, which is a modest effect, not five in six entries averted. Default: "
                              "judgement between the two readings; fitted by journeysim calibrate (prior 0.16 to 1, where the support "
                              "would avert none; a fit at the earlier bound 0.9 showed the county's figures allow that) "
                              "to the CLA starts of the model-A years the service ran in."),
    "early_help.workers": _p(6, "int", "Early help family support workers per district, part of the old offer under both "
                             "operating models (judgement: the seeds give no capacity, and report cuts to early help "
                             "spending from 2015-16, 003).", "workers", 0, 1000),
    "early_help.families_per_worker": _p(8, "int", "Families each early help worker supports at once (judgement).",
                                         "families", 1, 100),
    "early_help.duration": _p(_ln(90.0, 180.0), "dist", "Length of early help support (judgement).", "days"),
    "early_help.return_odds": _p(0.8, "float", "Odds ratio on a family coming back to the front door after its case closed "
                                 "to early help that it received (judgement with weak evidence: the seeds report no "
                                 "early help outcome; 004's re-referral effect is of another intervention). A family "
                                 "stepped down to early help when it is full gets none.", "", 0, 5),
}

# --- care -----------------------------------------------------------------------------------------
CARE: dict[str, Param] = {
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
                                      "calibration, every year with the other parameters (prior range in knobs.KNOBS; "
                                      "knobs.PERMANENCE_DRIFTS); the default follows England's fall, 5,360 "
                                      "adoptions in 2014-15 to 3,600 in 2018-19 (DfE), after the 2013 Re B-S judgments.",
                                      "log/year", -2, 2),
    "care.adoption_time": _p(_ln(560.0, 950.0), "dist", "Time in care before an adoption order.", "days"),
    "care.p_sgo": _p({"under_1": 0.45, "1_4": 0.45, "5_9": 0.35, "10_15": 0.18, "16_17": 0.03}, "yearly",
                     "Chance a child going neither home nor to adoption leaves on a special guardianship order, by age band."),
    "care.sgo_trend_per_year": _p(0.0, "float", "Drift of the chance of special guardianship: change per year, from run.start, "
                                  "in its log (applied to children entering care). Fitted to Hampshire's special "
                                  "guardianship orders by calibration (prior range in knobs.KNOBS), every year with the "
                                  "other parameters (knobs.PERMANENCE_DRIFTS): 39, 43 and 51 in 2014-15 to 2016-17 (DfE "
                                  "SFR34/2015, SFR41/2016, SFR50/2017), then 56 and 93; England's rose from 3,470 "
                                  "(2017-18) to 3,870 (2018-19).", "log/year", -2, 2),
    "care.sgo_time": _p(_ln(420.0, 900.0), "dist", "Time in care before a special guardianship order.", "days"),
    "care.p_other_exit": _p(0.12, "prob", "Chance a child in long-term care leaves before 18 for another reason (independent living, moved away)."),
    "care.other_exit_time": _p(_ln(700.0, 2000.0), "dist", "Time in care before such an exit.", "days"),
    "care.placed_for_adoption_before": _p({"dist": "uniform", "low": 120, "high": 300}, "dist",
                                          "Time before the adoption order that the child is placed for adoption.", "days"),
    "care.leaving_age": _p(18.0, "float", "Age at which a child ceases to be looked after.", "years", 16, 21),
    "care.p_legal_s20": _p(0.6, "prob", "Share of voluntary (CIN-route) entries that are s20 (the rest go via an emergency order)."),
}

# --- UASC -----------------------------------------------------------------------------------------
UASC: dict[str, Param] = {
    "uasc.arrivals": _p({"2012": 27, "2013": 13, "2014": 6, "2015": 24, "2016": 72, "2017": 72, "2018": 78},
                        "yearly", "Unaccompanied asylum-seeking children arriving into care, by financial year (start year); "
                        "the last year given carries on. Hampshire: derived from the UASC looked after at 31 March "
                        "(DfE SFR 24 and 27 in 2013 and 2014; 000 Table 16: 20, 29, 80, 113, 133 in 2015-2019) with "
                        "the model's own exits (uasc.age, care.p_other_exit, care.other_exit_time at their defaults): "
                        "journeysim.derived.uasc_arrivals, which the tests recompute. 2012 also builds the stock the "
                        "initial stock does not hold.", "children/year"),
    "uasc.age": _p({"dist": "uniform", "low": 14.5, "high": 17.8}, "dist", "Age of a UASC on arrival.", "years"),
}

# --- initial stock --------------------------------------------------------------------------------
INITIAL: dict[str, Param] = {
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
# --- demand surge ---------------------------------------------------------------------------------
SURGE: dict[str, Param] = {
    "arrivals.surge_start": _p(NEVER, "cdate", "Date a surge in contacts about new families starts; it lasts to the end of "
                               "the run ('never': no surge)."),
    "arrivals.surge_factor": _p(1.2, "float", "Multiplier on the contact rate from arrivals.surge_start (1.2 = +20%; referrals "
                                "of new families rise in proportion).", "", 0, 10),
}

# --- year-to-year variation (src/journeysim/model/years.py) ---------------------------------------
def _variation(what: str, on: str, hi: float, none: str = "0 = none.") -> Param:
    """A channel of year-to-year variation: its size, 0 by default."""
    return _p(0.0, "float", f"Year-to-year variation in {what}: the standard deviation of the log of a multiplier with "
              f"mean 1, drawn once per financial year, on {on}. {none}", "log", 0, hi)


def _jump_off(channel: str, what: str, series: str) -> Param:
    """A channel's realised shift in the jump-off year (variation.jump_off_year): 1 by default."""
    return _p(1.0, "float", f"The jump-off year's {what}, in place of the year's draw of variation.{channel}_sd. "
              f"Estimated from the year's {series}.", "", 0.2, 5)


VARIATION: dict[str, Param] = {
    "variation.front_door_sd": _variation("demand", "the contacts from new families", 1,
                                          "0 = none: every year follows the trend and seasonality."),
    "variation.care_entry_sd": _variation("the threshold for care", "the odds of the three decisions that take a child "
                                          "into care (s47.p_emergency_care, cin.p_care_no_change, plo.p_proceedings)", 2),
    "variation.returns_sd": _variation("re-referral", "the odds of a closed family coming back (practice.p_return_*)", 2),
    "variation.repeat_cp_sd": _variation("repeat protection", "assessment.prior_cp_strategy_odds (the raised odds of a "
                                         "strategy discussion for a child with an earlier CP plan)", 2),
    "variation.walk_start": _p(NEVER, "cdate", "Forecast origin: from the financial year starting after this date, the "
                               "front door's volume and the care-entry threshold also take a random walk (one step a "
                               "year, growing with the horizon; see variation.*_walk_sd). 'never': none (a run that "
                               "reproduces the past). `journeysim forecast` sets it to its origin."),
    "variation.front_door_walk_sd": _p(0.0, "float", "Random walk of the front door's volume after variation.walk_start: "
                                       "the standard deviation of each year's step in the log of a multiplier on the "
                                       "contacts from new families (the multiplier's mean stays 1). Sized from the "
                                       "published year-to-year changes by calibration.", "log/year", 0, 1),
    "variation.care_entry_walk_sd": _p(0.0, "float", "Random walk of the care-entry threshold after variation.walk_start: "
                                       "the standard deviation of each year's step in the log of the odds multiplier on "
                                       "the decisions that take a child into care.", "log/year", 0, 2),
    "variation.jump_off_year": _p(0, "int", "The jump-off: a financial year already seen (2018 = 2018-19), whose shifts "
                                  "are the county's realised ones (variation.*_jump_off) instead of random draws, so that "
                                  "the year a forecast starts from sits on its published figures, as a population "
                                  "projection starts from the population counted. Estimated by calibration for the last "
                                  "fitted year; `journeysim forecast` drops it when its origin comes first. 0 = none.",
                                  "", 0, 2100),
    **{f"variation.{channel}_jump_off": _jump_off(channel, what, series) for channel, what, series in (
        ("front_door", "multiplier on the contacts from new families", "referrals"),
        ("care_entry", "odds multiplier on the decisions that take a child into care", "CLA starts"),
        ("returns", "odds multiplier on a closed family coming back", "re-referrals within 12 months"),
        ("repeat_cp", "multiplier on the raised odds of a strategy discussion for a child with an earlier CP plan",
         "share of CP plans that are second or subsequent"))},
    "variation.court_pace_jump_off": _p(1.0, "float", "The pace of the orders that end care in permanence (adoption, "
                                        "special guardianship) in the jump-off year: in that year a child's wait for the "
                                        "order runs this many times as fast (1.1: about a tenth more orders that year, "
                                        "each later one that much sooner). Adoption and special guardianship orders are "
                                        "made by the family court, whose pace moves from year to year (Family Court "
                                        "Statistics Quarterly: the mean time of a care case varied by weeks between "
                                        "2014 and 2019). Estimated from the year's adoptions.", "", 0.2, 5),
}

# --- backfill (002, Crewe) ------------------------------------------------------------------------
BACKFILL: dict[str, Param] = {
    "mash.backfill_elasticity": _p(0.0, "float", "Backfill: freed capacity refills with referrals (002, Crewe). The MASH's "
                                   "chance of referring is multiplied by 1 + elasticity x spare, where spare = "
                                   "max(0, 1 - pressure / mash.backfill_caseload) and pressure is the county's children held "
                                   "or waiting per social worker in post (weighted for PA time). 0 = no backfill.", "", 0, 10),
    "mash.backfill_caseload": _p(26.71, "float", "The county's usual caseload: the pressure below which spare capacity draws "
                                 "in referrals (000: 26.71 children per CAST worker, mid-2018).", "children", 1, 100),
}

# --- PA admin support (003) -----------------------------------------------------------------------
PA_SUPPORT: dict[str, Param] = {
    "workforce.pa_pilot_start": _p(dt.date(2015, 10, 1), "cdate", "Date the PA pilot's personal assistants started in "
                                   "district teams (003: the innovation pilots ran from October 2015), part of the old "
                                   "offer that continued ('never': none). The seeds report the pilot, not whether it "
                                   "continued: that it did is the assumption the evaluation of 2018-20 (001 s3.2.4: PAs "
                                   "in district teams) supports."),
    "workforce.pa_pilot_ratio": _p(0.094, "float", "PAs per social worker county-wide from workforce.pa_pilot_start: 32 "
                                   "PAs in Hampshire's pilot teams (003, costed at 32), about one per three social "
                                   "workers in those teams, among some 340 posts.", "PAs/worker", 0, 2),
    "workforce.pa_start": _p(NEVER, "cdate", "Date PA support is extended to workforce.pa_ratio PAs per social worker "
                             "('never': the pilot's PAs only). While PAs support social workers the caseload pressure on "
                             "engagement uses the PA-weighted caseload (practice.family_time) and PAs are costed."),
    "workforce.pa_ratio": _p(1 / 3, "float", "PAs per social worker once PA support is extended (003 pilot: one per three). "
                             "Below one per three the time freed is in proportion; above it, no more.", "PAs/worker", 0, 2),
    "practice.family_time": _p(0.34, "prob", "Share of a social worker's time with families without PA support (003: 34%)."),
    "practice.family_time_with_pa": _p(0.58, "prob", "Share with one PA per three social workers (003: 58%, administration "
                                       "36% -> 14%). Caseload pressure uses caseload x family_time / the share now."),
}

# --- recruitment freeze ---------------------------------------------------------------------------
FREEZE: dict[str, Param] = {
    "workforce.freeze_start": _p(NEVER, "cdate", "Date a recruitment freeze starts: permanent recruits, for vacated posts and "
                                 "for drive posts, stop arriving; agency cover carries on ('never': no freeze)."),
    "workforce.freeze_end": _p(NEVER, "cdate", "Date the freeze ends; frozen posts are then recruited after the usual delay "
                               "('never': it lasts to the end of the run)."),
}

# --- a service that responds when it is full (each off by default: 0) ----------------------------
FULL: dict[str, Param] = {
    "workforce.hard_cap_start": _p(dt.date(1900, 1, 1), "cdate", "Date workforce.hard_cap starts to apply (before it, no "
                                   "cap; 'never': none). A cap is a policy with a start date, not a fact of the warm-up."),
    "responses.full_caseload": _p(26.71, "float", "The caseload at which the service counts itself full: the pressure "
                                  "(children held or waiting per social worker in post, weighted for PA time) above "
                                  "which the responses below act, in proportion to the excess (pressure / this - 1). "
                                  "000: 26.71 children per CAST worker, mid-2018.", "children", 1, 100),
    "responses.threshold_elasticity": _p(0.0, "float", "Thresholds that tighten with the queue: the odds of the MASH "
                                         "referring, and of an assessment finding a need for a plan or a strategy "
                                         "discussion, are multiplied by exp(-elasticity x excess). The backfill trap "
                                         "of 002 in reverse; judgement. 0: thresholds do not move.", "", 0, 20),
    "responses.close_early_elasticity": _p(0.0, "float", "Earlier closure: a CIN or CP plan starting while the service is "
                                           "full is shortened by the factor exp(-elasticity x excess); judgement. 0: "
                                           "plans keep their length.", "", 0, 20),
    "responses.queue_agency": _p(0, "int", "Agency cover for a queue: a team with at least this many children waiting "
                                 "for a worker brings in an agency worker (after workforce.agency_delay), up to "
                                 "responses.queue_agency_max more than its posts. 0: never.", "children", 0, 10000),
    "responses.queue_agency_max": _p(2, "int", "Agency workers a team may bring in for its queue, beyond its posts.",
                                     "workers", 0, 100),
    "responses.manager_holds": _p(0, "int", "Children a team manager may hold when no worker has room under the hard "
                                  "cap; a caseload review hands them to a worker when one has room (reason "
                                  "rebalancing). 0: managers hold no cases.", "children", 0, 500),
}

# --- unit costs (003 Appendix 4, 002; placement costs are illustrative) ---------------------------
def _cost(default: float, doc: str) -> Param:
    """An annual cost in pounds (at most ten million)."""
    return _p(default, "float", doc, "GBP/year", 0, 1e7)


COSTS: dict[str, Param] = {
    "costs.social_worker": _cost(40913.0, "Annual salary of a social worker, before overheads (003 Appendix 4)."),
    "costs.overhead_rate": _p(0.20, "float", "Overheads added to the salaries of social workers, team managers, PAs and hub "
                              "family support workers (003: 20%).", "", 0, 5),
    "costs.agency_premium": _p(0.5, "float", "Extra cost of an agency social worker over a permanent one, as a share of the "
                               "permanent cost. ILLUSTRATIVE default: not in the sources.", "", 0, 10),
    "costs.team_manager": _cost(50789.0, "Annual salary of a team manager (003 Appendix 4)."),
    "costs.social_workers_per_manager": _p(10.0, "float", "Social workers per team manager: managers are costed as social "
                                           "worker FTE / this (the model has no managers; 42 posts per district in 4 "
                                           "teams).", "workers", 1, 100),
    "costs.pa": _cost(25380.0, "Annual salary of a PA (003 Appendix 4)."),
    "costs.family_support_worker": _cost(31709.0, "Annual salary of a hub family support worker (003's edge worker, "
                                                  "the nearest published figure)."),
    "costs.specialist_domestic_abuse": _cost(34825.0, "Annual cost of a domestic abuse worker, overheads included "
                                                      "(003 Appendix 4)."),
    "costs.specialist_substance_misuse": _cost(47511.0, "Annual cost of a substance misuse worker, overheads included "
                                                        "(003 Appendix 4)."),
    "costs.specialist_mental_health": _cost(37853.0, "Annual cost of a mental health worker, overheads included "
                                                     "(003 Appendix 4). A hub specialist costs the mean of the three."),
    "costs.edge_of_care_intervention": _p(3273.40, "float", "Cost of one edge-of-care intervention, on top of social "
                                          "work (003 Table 23: edge worker, activities programme, volunteer mentor), "
                                          "for each one the model starts.", "GBP", 0, 1e7),
    "costs.placement_foster": _cost(35000.0, "Annual cost of a foster placement. ILLUSTRATIVE default: placement costs "
                                             "are not in the sources; use the county's own."),
    "costs.placement_kinship": _cost(15000.0, "Annual cost of a kinship placement. ILLUSTRATIVE default."),
    "costs.placement_residential": _cost(250000.0, "Annual cost of a residential placement. ILLUSTRATIVE default."),
    "costs.placement_independent": _cost(45000.0, "Annual cost of an independent-living placement. ILLUSTRATIVE "
                                                  "default."),
    "costs.placement_adoption": _cost(20000.0, "Annual cost of a placement for adoption before the order. "
                                               "ILLUSTRATIVE default."),
}


# --- starting from an authority's own caseload (journeysim snapshot) --------------------------------
START: dict[str, Param] = {
    "run.start_state": _p("", "path", "A snapshot of an open caseload (written by journeysim snapshot from an authority's "
                          "SSDA903 and CIN census extracts) to start the run from, in place of the drawn initial "
                          "stock (initial.*): a CSV file named relative to the scenario file that sets it (to the "
                          "current folder for --set), inside that folder. The snapshot is of the end of a day, so "
                          "the run starts the next day: run.start minus run.warmup_days must be the day after "
                          "the snapshot's date (run.warmup_days = 0 for no warm-up). '' = none."),
    "run.trends_from": _p(NEVER, "cdate", "Date from which the drifts (arrivals.trend_per_year and the other "
                          "*_trend_per_year keys) are counted; 'never' = run.start. A run started from a snapshot "
                          "of a run sets it to that run's run.start, so that its trends carry on where they were."),
}


#: The sections' tables in the order of :data:`PARAMS`: the county's service, then the what-if
#: mechanisms and unit costs.
TABLES = (RUN, POPULATION, ARRIVALS, FRONT_DOOR, REFERRAL_AND_ASSESSMENT, PLANS, PRACTICE, TEAMS, WORKFORCE, HUBS,
          OLD_OFFER, CARE, UASC, INITIAL, SURGE, VARIATION, BACKFILL, PA_SUPPORT, FREEZE, FULL, COSTS, START)

#: Every parameter, by its dotted key.
PARAMS: dict[str, Param] = {key: p for table in TABLES for key, p in table.items()}
assert len(PARAMS) == sum(len(table) for table in TABLES), "a key is declared in two tables"

#: The names of the age bands by which some tables are keyed (the ages each covers are the
#: model's: journeysim.model.population.AGE_BANDS).
BAND_NAMES = ("under_1", "1_4", "5_9", "10_15", "16_17")

# Groups of keys that make up one section (for describe and docs).
SECTIONS = sorted({k.split(".")[0] for k in PARAMS if "." in k})


def describe_params() -> list[tuple[str, str, str, str]]:
    """(key, default, unit, meaning) for every parameter, for docs and ``describe``."""
    rows = []
    for key, p in PARAMS.items():
        d = p.default
        if p.kind == "dist":
            d = dists.describe(dists.parse(d))
        rows.append((key, str(d), p.unit, p.doc))
    return rows

