"""The fields the returns require that the model does not hold, drawn from documented distributions.

The model knows a child's age, journey, plans, placements and workers; it does not know their
sex, ethnicity, pupil number, disability, why they were referred and by whom, the category of
abuse on a CP plan, where they lived or were placed, or the health checks and care-leaver
outcomes the looked-after return asks about.  A return may not leave a required field empty,
so each such field is filled here from a stated distribution (``docs/user-guide.md``,
"Exporting the statutory returns", lists them all with their sources).

Every draw is a pure function of the child's id and the field's name (a counter-based hash,
not a random stream), so an export is reproducible, does not depend on the order children are
written in, and leaves the simulation's own random streams untouched.  The ids written to a
return are the model's own synthetic ids; nothing here resembles a real person's identifier
except in form.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-mixed 64-bit hash of each element."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _M64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        return x ^ (x >> np.uint64(31))


def uniform(ids, field: str, k=0) -> np.ndarray:
    """A uniform number in [0, 1) for each id, fixed by the id, the field's name and ``k``."""
    ids = np.asarray(ids, dtype=np.int64).astype(np.uint64)
    salt = np.uint64(zlib.crc32(field.encode()))
    k = np.asarray(k, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = _mix(_mix(ids ^ (salt << np.uint64(32))) + k)
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def choose(ids, field: str, table: dict[str, float], k=0) -> np.ndarray:
    """A code for each id drawn from ``table`` (code -> weight)."""
    codes = list(table)
    cum = np.cumsum(np.array(list(table.values()), dtype=float))
    u = uniform(ids, field, k) * cum[-1]
    return np.array(codes, dtype=object)[np.minimum(np.searchsorted(cum, u, side="right"), len(codes) - 1)]


# ------------------------------------------------------------------------------------------------ the tables
#: Sex (CIN census <Sex>, 903 SEX): children in need in England are 52-53% boys (DfE, Characteristics
#: of children in need 2024, by sex).
SEX = {"M": 0.53, "F": 0.47}

#: Ethnicity codes (DfE code set), in the shape of Hampshire's children (2021 Census, age 0-17: about
#: 85% white British) with the slight over-representation of mixed ethnicity among children in need.
ETHNICITY = {"WBRI": 0.80, "WIRI": 0.003, "WIRT": 0.002, "WOTH": 0.04, "WROM": 0.004, "MWBC": 0.02,
             "MWBA": 0.008, "MWAS": 0.015, "MOTH": 0.02, "AIND": 0.01, "APKN": 0.003, "ABAN": 0.003,
             "AOTH": 0.01, "BCRB": 0.002, "BAFR": 0.01, "BOTH": 0.003, "CHNE": 0.002, "OOTH": 0.01,
             "REFU": 0.005, "NOBT": 0.03}

#: Unaccompanied asylum-seeking children: by far most of England's are boys from Afghanistan, Sudan,
#: Eritrea, Iran, Iraq, Syria and Vietnam (DfE, Children looked after in England 2024, UASC by
#: nationality); in the DfE's ethnicity codes mostly "any other Asian", "Black African" and "any other".
UASC_SEX = {"M": 0.93, "F": 0.07}
UASC_ETHNICITY = {"AOTH": 0.35, "BAFR": 0.30, "OOTH": 0.25, "WOTH": 0.05, "BOTH": 0.05}

#: Disability (CIN census): about one child in need in eight has one (DfE, Characteristics of children
#: in need 2024: 12.6%); among those, the code set's categories in a plausible mix.
DISABILITY = {"NONE": 0.874, "LD": 0.03, "AUT": 0.03, "BEH": 0.02, "COMM": 0.015, "MOB": 0.01, "HAND": 0.005,
              "PC": 0.005, "CON": 0.005, "HEAR": 0.002, "VIS": 0.002, "INC": 0.002}

#: Source of referral (CIN census code set), England 2023-24 (DfE, Characteristics of children in need:
#: police 29%, schools 21%, health 14%, local authority services 13%, individuals 8%, other).
REFERRAL_SOURCE = {"6": 0.29, "2A": 0.19, "2B": 0.02, "3A": 0.03, "3B": 0.02, "3C": 0.01, "3D": 0.02, "3E": 0.03,
                   "3F": 0.03, "5A": 0.06, "5B": 0.03, "5C": 0.02, "5D": 0.02, "1A": 0.05, "1B": 0.01, "1C": 0.01,
                   "1D": 0.01, "4": 0.02, "7": 0.03, "8": 0.05, "9": 0.01, "10": 0.02}

#: Primary need at assessment (CIN census code set), England 2023-24 episodes (DfE: abuse or neglect
#: 57%, family dysfunction 16%, acute stress 8%, disability 4%, parental illness 3%, absent parenting
#: 2%, behaviour 2%, cases other than children in need 6%, low income under 1%); a child on a CP plan
#: or brought into care by the courts is coded N1, an unaccompanied asylum-seeking child N8.
PRIMARY_NEED = {"N1": 0.57, "N2": 0.04, "N3": 0.03, "N4": 0.08, "N5": 0.16, "N6": 0.02, "N7": 0.005, "N8": 0.02,
                "N9": 0.075}

#: Category of abuse of a CP plan (CIN census), England at 31 March 2024 (DfE: neglect 50%, emotional
#: abuse 37%, physical 7%, sexual 4%, multiple 2%).
ABUSE = {"NEG": 0.50, "EMO": 0.37, "PHY": 0.07, "SAB": 0.04, "MUL": 0.02}

#: Factors identified at assessment: the commonest in England 2023-24 (DfE, factors identified at the
#: end of assessment: domestic abuse concerning the parent and the child, parental and child mental
#: health, drug and alcohol misuse, emotional abuse); each completed assessment records one to three.
FACTORS = {"3B": 0.20, "3A": 0.17, "4B": 0.18, "4A": 0.10, "2B": 0.09, "1B": 0.07, "2A": 0.03, "1A": 0.02,
           "5B": 0.03, "6A": 0.03, "7A": 0.02, "10A": 0.02, "11A": 0.02, "22A": 0.02}

#: Participation in looked-after reviews (903 REVIEW_CODE) of children aged 4 or more; PN0 is for a
#: child under 4 (903 guide).  Shares illustrative: most children attend and speak for themselves.
PARTICIPATION = {"PN1": 0.50, "PN2": 0.04, "PN3": 0.04, "PN4": 0.12, "PN5": 0.18, "PN6": 0.09, "PN7": 0.03}

#: Adopters (903 AD1): couples 85% (opposite sex 76%, same sex 9%), single adopters 15% (DfE, Children
#: looked after in England 2024: adoptions by adopters' status).
ADOPTERS = {"MF": 0.76, "FF": 0.05, "MM": 0.04, "F1": 0.13, "M1": 0.02}
ADOPTER_STATUS = {"MF": "L11", "FF": "L12", "MM": "L12", "F1": "L0", "M1": "L0"}

#: Care leavers' activity and accommodation (903 OC3), England 2024 for 19-21 year olds (DfE: 56% in
#: education, training or employment); codes of the 903 code set, accommodation all "suitable" (suffix 1).
ACTIVITY = {"F1": 0.20, "P1": 0.06, "F2": 0.16, "P2": 0.06, "F4": 0.04, "F5": 0.30, "P5": 0.04, "G4": 0.06,
            "G5": 0.04, "G6": 0.04}
ACCOMMODATION = {"B1": 0.18, "C1": 0.15, "D1": 0.10, "E1": 0.10, "G1": 0.12, "H1": 0.05, "K1": 0.10, "R1": 0.05,
                 "U1": 0.10, "T1": 0.05}

#: Placement providers: foster care split 70/30 between the county's own carers (PR1) and
#: independent agencies (PR4); children's homes mostly private (PR4) -- England 2024 (DfE: 71% of
#: children's home places private).
FOSTER_PROVIDER = {"PR1": 0.70, "PR4": 0.30}
HOME_PROVIDER = {"PR1": 0.20, "PR4": 0.70, "PR5": 0.10}

#: Share of children's home placements outside the county (England 2024: 43% of children in
#: children's homes were placed outside their authority's boundary).
OUT_OF_COUNTY_HOME = 0.45

#: Postcodes: the model has no addresses.  A child's home is given the postcode of the offices of a
#: district council of Hampshire (the model's district d the d-th of these, in turn); a placement in
#: the county the postcode of the offices of another of the county's councils (any but the home's);
#: a children's home outside the county the postcode of a neighbouring authority's offices.  Each is
#: a real postcode (in the ONS Postcode Directory, so that the DfE's tools can work out distances and
#: placement authorities) of a public building, never of anyone's home.
HOME_POSTCODES = ("RG21 4AH", "GU51 4AE", "GU14 7JU", "SP10 3AJ", "SO43 7PN", "SO50 9YN", "PO16 7AZ",
                  "GU31 4EX")
COUNTY_POSTCODES = (*HOME_POSTCODES, "SO23 8UJ", "PO12 1EB", "PO9 2AX")
OUT_OF_COUNTY_POSTCODES = ("SO14 7LY", "PO1 2AL", "BA14 8JN", "PO19 1RQ", "KT1 2EE", "DT1 1XJ", "RG1 2LU")


def upn(ids) -> np.ndarray:
    """A unique pupil number of the temporary form, made from the child's synthetic id: a check letter,
    the county's LA number 850, "00", six digits and a letter (a temporary UPN ends in a letter, so
    this can never be a real child's permanent UPN)."""
    out = []
    for i in np.asarray(ids, dtype=np.int64):
        body = f"85000{i % 1_000_000:06d}{_LETTERS[(i // 1_000_000) % 23]}"  # characters 2-13
        out.append(_check_letter(body) + body)
    return np.array(out, dtype=object)


_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _check_letter(body: str) -> str:
    """The UPN check letter of characters 2-13 (DfE, Unique pupil numbers guidance): weights 2..13,
    modulo 23; a letter in position 13 counts as its place in the check-letter alphabet."""
    total = sum(((_LETTERS.index(c) if c.isalpha() else int(c)) * w) for c, w in zip(body, range(2, 14)))
    return _LETTERS[total % 23]


def urn(ids, k) -> np.ndarray:
    """A synthetic Ofsted unique reference number ("SC" and six digits) for a placement."""
    n = (uniform(ids, "urn", k) * 1_000_000).astype(np.int64)
    return np.array([f"SC{x:06d}" for x in n], dtype=object)


def dates_between(ids, field: str, low: pd.Series, high: pd.Series, k=0) -> pd.Series:
    """A date uniformly between ``low`` and ``high`` (whole days) for each id."""
    span = (high - low).dt.days.clip(lower=0).to_numpy()
    off = np.floor(uniform(ids, field, k) * (span + 1)).astype(np.int64)
    return low + pd.to_timedelta(off, unit="D")
