"""The children in need census of one collection year, as the DfE's XML message.

Every child with a CIN episode open at some time in the year is in it.  A child's journey
(referral to closure) is one ``CINdetails`` episode, holding the journey's assessments, CIN plans,
section 47 enquiries and CP plans (with their reviews) that were open at some time in the year.
The model's section 47 enquiry starts at the strategy discussion that decides on it; its target
date for the initial conference is 15 working days later (*Working together to safeguard
children*).  Fields the model does not hold come from :mod:`.synthetic`.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .. import __version__
from . import codes as C
from . import synthetic as syn
from .history import Histories
from .ssda903 import birthday, children_frame


def _iso(ts) -> str | None:
    return None if pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _open_in(frame: pd.DataFrame, first, last, end: str = "end") -> pd.DataFrame:
    """Records begun by ``last`` and not ended before ``first``."""
    return frame[(frame["start"] <= last) & (frame[end].isna() | (frame[end] >= first))]


def episodes(h: Histories, first: pd.Timestamp, last: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """The CIN episodes (journeys, until the child is 18) open at some time in the year, with the
    census's own fields; and each child's 18th birthday."""
    adult = pd.Series(birthday(h.children["birth"], 18).to_numpy(), index=h.children["child_id"].to_numpy())
    journeys = _until_18(h.journeys, adult)
    j = _open_in(journeys, first, last).copy()
    # when a journey of a child looked after (or protected) ends by leaving care, how it left
    exits = h.care.sort_values("start").drop_duplicates("case_id", keep="last").set_index("case_id")["exit_reason"]
    j["exit"] = j["case_id"].map(exits)
    closed = j["end"].notna() & (j["end"] <= last)
    reason = j["closing_reason"].map(C.CLOSURE).fillna("RC7")
    reason = reason.where(j["closing_reason"] != "not_in_need",
                          j["closing_outcome"].map(C.CLOSURE_AFTER_ASSESSMENT).fillna("RC8"))
    reason = reason.where(~(j["closing_reason"].eq("permanence") & j["exit"].isin(list(C.CLOSURE_BY_EXIT))),
                          j["exit"].map(C.CLOSURE_BY_EXIT))
    reason = reason.where(~j["at_18"], "RC7")  # ended by the child's 18th birthday
    j["closure"] = np.where(closed, j["end"], pd.NaT)
    j["reason"] = np.where(closed, reason, None)
    j["nfa"] = j["closing_reason"].eq("referral_nfa") & closed & ~j["at_18"]
    return j, adult


def _until_18(frame: pd.DataFrame, adult: pd.Series, end: str = "end") -> pd.DataFrame:
    """``frame``'s records of children before their 18th birthday (``adult``, by child), those still
    open then ending on it: a child in need is a child (Children Act 1989 s17 and s105), and the model
    may keep a plan open past the 18th birthday (a long plan that began at 17)."""
    at = frame["child_id"].map(adult)
    frame = frame[frame["start"] < at].copy()
    at = at[frame.index]
    past = frame[end].isna() | (frame[end] > at)
    frame.loc[past, end] = at[past]
    frame["at_18"] = past
    return frame


def continued(plans: pd.DataFrame) -> pd.DataFrame:
    """CIN plans with a plan that starts the day the one before it ended (a step up that the strategy
    discussion turned back) joined to it: one plan that went on, as the census records it (its rule
    4014 allows no two plans of an episode to share a day)."""
    plans = plans.sort_values(["case_id", "child_id", "start"]).reset_index(drop=True)
    prev_end = plans.groupby(["case_id", "child_id"])["end"].shift()
    joins = plans["start"].eq(prev_end)
    group = (~joins).cumsum()
    return plans.groupby(group).agg(case_id=("case_id", "first"), child_id=("child_id", "first"),
                                    start=("start", "first"), end=("end", lambda x: x.iloc[-1]),
                                    start_reason=("start_reason", "first"), end_reason=("end_reason", lambda x: x.iloc[-1]))


def _group(frame: pd.DataFrame) -> dict:
    return {k: g for k, g in frame.groupby(["case_id", "child_id"], sort=False)}


def children_xml(h: Histories, year: str) -> tuple[str, dict[str, int]]:
    """The census's XML message for collection year ``year`` ("2025-26"), and counts of what is in it."""
    first, last = (pd.Timestamp(d) for d in C.year_bounds(C.check_year(year)))
    ch = children_frame(h)
    j, adult = episodes(h, first, last)
    ids = j["child_id"].to_numpy()
    keys = j["case_id"].to_numpy()
    j["source"] = syn.choose(ids, "referral-source", syn.REFERRAL_SOURCE, keys)
    assessments = _group(_open_in(_until_18(h.assessments, adult), first, last))
    plans = _group(_open_in(_until_18(continued(h.cin_plans), adult), first, last))
    s47 = h.s47[h.s47["start"] < h.s47["child_id"].map(adult)].copy()
    late = s47["icpc"] >= s47["child_id"].map(adult)  # the conference came after the 18th birthday: none
    s47.loc[late, ["icpc", "outcome"]] = [pd.NaT, "none"]
    s47["end"] = s47["end"].where(~late, np.minimum(s47["end"], s47["child_id"].map(adult)))
    s47 = _group(_open_in(s47.assign(done=s47["icpc"].fillna(s47["end"])), first, last, end="done"))
    cp = _open_in(_until_18(h.cp_plans, adult), first, last)
    reviews = h.cp_reviews[(h.cp_reviews["date"] >= first) & (h.cp_reviews["date"] <= last)]
    reviews = {k: g["date"].tolist() for k, g in reviews.groupby("plan")}
    cp = _group(cp)
    counts = {"children": 0, "episodes": 0, "assessments": 0, "cin_plans": 0, "section47": 0, "cp_plans": 0}
    out = [_header(year, last)]
    out.append("  <Children>\n")
    for child_id, eps in j.groupby("child_id", sort=True):
        c = ch.loc[child_id]
        counts["children"] += 1
        out.append("    <Child>\n")
        out.append(_block("ChildIdentifiers", [("LAchildID", str(child_id)), ("UPN", c["upn"]),
                                               ("PersonBirthDate", _iso(c["birth"])), ("Sex", c["sex"])], 6))
        disability = syn.choose([child_id], "disability", syn.DISABILITY)[0]
        out.append(f"      <ChildCharacteristics>\n        <Ethnicity>{c['ethnicity']}</Ethnicity>\n"
                   f"        <Disabilities>\n          <Disability>{disability}</Disability>\n"
                   f"        </Disabilities>\n      </ChildCharacteristics>\n")
        for e in eps.sort_values("start").itertuples(index=False):
            counts["episodes"] += 1
            key = (e.case_id, e.child_id)
            out.append("      <CINdetails>\n")
            out.append(_fields([("CINreferralDate", _iso(e.start)), ("ReferralSource", e.source),
                                ("PrimaryNeedCode", None if e.nfa else c["need"]),
                                ("CINclosureDate", _iso(e.closure)), ("ReasonForClosure", e.reason)], 8))
            for a in (assessments.get(key, pd.DataFrame()).itertuples(index=False)):
                counts["assessments"] += 1
                done = not pd.isna(a.end) and a.end <= last
                out.append("        <Assessments>\n")
                out.append(_fields([("AssessmentActualStartDate", _iso(a.start)),
                                    ("AssessmentAuthorisationDate", _iso(a.end) if done else None)], 10))
                if done:
                    out.append("          <FactorsIdentifiedAtAssessment>\n")
                    for f in _factors(child_id, a.start):
                        out.append(f"            <AssessmentFactors>{f}</AssessmentFactors>\n")
                    out.append("          </FactorsIdentifiedAtAssessment>\n")
                out.append("        </Assessments>\n")
            for p in plans.get(key, pd.DataFrame()).itertuples(index=False):
                counts["cin_plans"] += 1
                out.append(_block("CINPlanDates", [("CINPlanStartDate", _iso(p.start)),
                                                   ("CINPlanEndDate", _iso(p.end) if p.end <= last else None)], 8))
            for s in s47.get(key, pd.DataFrame()).itertuples(index=False):
                counts["section47"] += 1
                icpc = s.icpc if not pd.isna(s.icpc) and s.icpc <= last else pd.NaT
                not_required = s.outcome is not None and s.outcome != "icpc" and s.end <= last
                target = np.busday_offset(np.datetime64(s.start.date()), 15, roll="forward")
                out.append(_block("Section47", [("S47ActualStartDate", _iso(s.start)),
                                                ("InitialCPCtarget", _iso(pd.Timestamp(target))),
                                                ("DateOfInitialCPC", _iso(icpc)),
                                                ("ICPCnotRequired", "true" if not_required else "false")], 8))
            out.append(f"        <ReferralNFA>{'1' if e.nfa else '0'}</ReferralNFA>\n")
            for p in cp.get(key, pd.DataFrame()).itertuples(index=False):
                counts["cp_plans"] += 1
                abuse = syn.choose([child_id], "abuse", syn.ABUSE, p.plan)[0]
                out.append("        <ChildProtectionPlans>\n")
                out.append(_fields([("CPPstartDate", _iso(p.start)),
                                    ("CPPendDate", _iso(p.end) if p.end <= last else None),
                                    ("InitialCategoryOfAbuse", abuse), ("LatestCategoryOfAbuse", abuse),
                                    ("NumberOfPreviousCPP", str(max(0, int(p.number) - 1)))], 10))
                for date in reviews.get(p.plan, []):
                    if date > p.start and (pd.isna(p.end) or date <= p.end):
                        out.append(f"          <Reviews>\n            <CPPreviewDate>{_iso(date)}</CPPreviewDate>\n"
                                   f"          </Reviews>\n")
                out.append("        </ChildProtectionPlans>\n")
            out.append("      </CINdetails>\n")
        out.append("    </Child>\n")
    out.append("  </Children>\n</Message>\n")
    return "".join(out), counts


def _factors(child_id: int, start) -> list[str]:
    """One to three factors identified at the end of an assessment (:data:`.synthetic.FACTORS`)."""
    k = int(pd.Timestamp(start).toordinal())
    n = 1 + int(syn.uniform([child_id], "factor-count", k)[0] * 3)
    chosen: list[str] = []
    for i in range(n):
        f = syn.choose([child_id], "factor", syn.FACTORS, k * 10 + i)[0]
        if f not in chosen:
            chosen.append(f)
    return chosen


def _fields(pairs, indent: int) -> str:
    pad = " " * indent
    return "".join(f"{pad}<{k}>{escape(str(v))}</{k}>\n" for k, v in pairs if v is not None and not pd.isna(v))


def _block(tag: str, pairs, indent: int) -> str:
    pad = " " * indent
    return f"{pad}<{tag}>\n" + _fields(pairs, indent + 2) + f"{pad}</{tag}>\n"


def _header(year: str, last: pd.Timestamp) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
            f"      <Collection>CIN</Collection>\n      <Year>{last.year}</Year>\n"
            f"      <ReferenceDate>{_iso(last)}</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n"
            f"      <SourceLevel>L</SourceLevel>\n      <LEA>{C.LA_NUMBER}</LEA>\n"
            f"      <SoftwareCode>journeysim</SoftwareCode>\n      <Release>{escape(__version__)}</Release>\n"
            f"      <SerialNo>001</SerialNo>\n      <DateTime>{_iso(last)}T00:00:00</DateTime>\n"
            "    </Source>\n  </Header>\n")


def write(h: Histories, year: str, path: Path) -> dict[str, int]:
    """Write the census of ``year`` to ``path``; returns counts of what it holds."""
    text, counts = children_xml(h, year)
    Path(path).write_text(text, encoding="utf-8")
    return counts
