"""The DfE's code sets the returns use, the collection years journeysim writes, and how the model's
own words map onto the codes.

Sources: DfE, *Children looked after return 2025 to 2026: guide* and its technical specification
(the SSDA903 return), and *Children in need census 2025 to 2026: business and technical
specification*; the code lists are those the DfE's validation rules check
(``csc-validator-be-903`` and ``csc-validator-be-cin``, rule sets ``lac2025_26`` and
``cin2025_26``).
"""

from __future__ import annotations

import datetime as dt

#: Collection years journeysim writes: the DfE's current specifications.  Both returns' specifications
#: and validation rules are unchanged in what journeysim writes from 2025-26 to 2026-27.
YEARS = ("2025-26", "2026-27")

#: The county: Hampshire's DfE local authority number (CIN census <LEA>, UPN characters 2-4) and its
#: ONS code (the area the 903 tools compare placement postcodes with).
LA_NUMBER = "850"
LA_CODE = "E10000014"


def year_bounds(label: str) -> tuple[dt.date, dt.date]:
    """``"2025-26"`` -> (1 April 2025, 31 March 2026): the collection year's first and last days."""
    start = int(label[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


def check_year(label: str) -> str:
    """The collection year ``label`` if journeysim writes it; else a ValueError saying which it writes."""
    if label not in YEARS:
        raise ValueError(f"--year {label}: journeysim writes the returns of the collection years "
                         f"{', '.join(YEARS)} (the DfE's current specifications)")
    return label


# ------------------------------------------------------------------------------------------------ SSDA903
#: The 903's tables, each with its CSV file name and its columns in the DfE's order.
TABLES_903 = {
    "Header": ("header.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]),
    "Episodes": ("episodes.csv", ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                                  "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]),
    "UASC": ("uasc.csv", ["CHILD", "SEX", "DOB", "DUC"]),
    "Reviews": ("reviews.csv", ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]),
    "Missing": ("missing.csv", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]),
    "OC2": ("oc2.csv", ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                        "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                        "INTERVENTION_OFFERED"]),
    "OC3": ("oc3.csv", ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"]),
    "AD1": ("ad1.csv", ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
                        "LS_ADOPTR"]),
    "PlacedAdoption": ("placed_for_adoption.csv", ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED",
                                                   "REASON_PLACED_CEASED"]),
    "PrevPerm": ("previous_permanence.csv", ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"]),
    "SWEpisodes": ("sw_episodes.csv", ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"]),
    "DoLo": ("dolo.csv", ["CHILD", "DOB", "DOLO_START", "DOLO_END"]),
}

#: Legal status (903 LS) of the model's legal status on entering care.  An emergency protection order
#: (L2) lasts at most 8 days before an interim care order (C1), and an interim order at most 26 weeks
#: before the full care order (C2): see :data:`EPO_DAYS`, :data:`ICO_DAYS`.
LEGAL_STATUS = {"s20": "V2", "uasc_s20": "V2", "ico": "C1", "epo": "L2", "care_order": "C2"}
EPO_DAYS = 8  # Children Act 1989 s45: an EPO lasts up to 8 days
ICO_DAYS = 182  # Children and Families Act 2014: proceedings within 26 weeks
PLACEMENT_ORDER = "E1"  # a child placed for adoption is placed under a placement order

#: Reason episode ceased (903 REC) of the model's reasons for leaving care; the choice within a reason
#: (planned or not, order to a former foster carer or not) is made in :mod:`.ssda903`.
X1 = "X1"  # an episode ceases and a new one begins the same day

#: Reason for placement change (903 REASON_PLACE_CHANGE) of a move, England's mix (illustrative).
PLACE_CHANGE = {"CARPL": 0.40, "CREQB": 0.15, "CREQO": 0.10, "CHILD": 0.08, "LAREQ": 0.12, "CLOSE": 0.05,
                "ALLEG": 0.03, "STAND": 0.02, "OTHER": 0.05}

#: Social worker change (903 SW_REASON) of the model's reason for a WorkerAllocated (any other: OTHERS).
SW_REASON = {"new_case": "FCONTA", "team_transfer": "TSPROC", "permanence": "TSPROC", "leaving_care": "TSPROC",
             "worker_left": "LEFTRL", "cover_ended": "LEFTRL", "absence": "ABSENC", "absence_over": "ABSENC",
             "rebalancing": "MANAGE", "reallocation": "MANAGE"}

# ------------------------------------------------------------------------------------------------ CIN census
#: Reason for closure (CIN census) of the model's reasons for closing a journey; a journey closed after
#: leaving care by adoption or special guardianship takes the order's code.
CLOSURE = {"referral_nfa": "RC7", "no_further_action": "RC7", "plan_ended": "RC7", "age_18": "RC7",
           "moved_on": "RC7", "permanence": "RC7"}
CLOSURE_AFTER_ASSESSMENT = {"none": "RC8", "early_help": "RC9"}
CLOSURE_BY_EXIT = {"adoption": "RC1", "sgo": "RC4"}
