"""Reading an authority's own returns: the SSDA903 tables (CSV) and the CIN census (XML).

What cannot be used is reported row by row, never as a traceback: each :class:`Problem` names the
file, the row (a CSV line, or the n-th ``<Child>`` of the census and the group within it), the
column and what was expected, and what was done (the row dropped, the file ignored).  Whatever
can be used is used, and what was dropped is counted.

**Personal data.** An extract holds real identifiers and dates of birth.  No message, report or
output of this module ever contains a value from an identifier or date column: a problem says
*which* cell is wrong and what is allowed, not what it holds (a code, such as a legal status,
is shown, since a code is not personal).  Children are keyed internally by their extract id only
in memory; :mod:`.snapshot` gives them new synthetic ids.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..scenario.files import not_regular
from . import codes as C


@dataclass(frozen=True)
class Problem:
    """One thing in an extract that could not be used (no personal value in any field)."""

    file: str
    row: str  # "line 12", "Child 7, CINdetails 2", or "" for the whole file
    column: str
    problem: str  # what is wrong and what was expected
    action: str  # "row dropped", "file ignored", "read anyway", ...

    def line(self) -> str:
        where = ", ".join(x for x in (self.file, self.row, f"column {self.column}" if self.column else "") if x)
        return f"{where}: {self.problem} ({self.action})"


@dataclass
class Report:
    """Every problem found in the extracts, and what was read and used of each table."""

    problems: list[Problem] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)  # rows (or records) read, by table
    used: dict[str, int] = field(default_factory=dict)  # of which used

    def add(self, file, row, column, problem, action="row dropped") -> None:
        self.problems.append(Problem(str(file), row, column, problem, action))

    def dropped(self) -> dict[str, int]:
        return {k: self.read[k] - self.used.get(k, 0) for k in self.read if self.read[k] != self.used.get(k, 0)}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.__dict__ for p in self.problems], columns=["file", "row", "column", "problem", "action"])

    def summary(self) -> list[str]:
        out = []
        for table in self.read:
            out.append(f"{table}: {self.used.get(table, 0):,} of {self.read[table]:,} used")
        return out


class ExtractError(Exception):
    """Extracts that cannot be used at all (nothing to read): one line, no personal value."""


# ------------------------------------------------------------------------------------------------ text
def read_text(path: Path, report: Report) -> str | None:
    """The text of a file: UTF-8 (with or without a byte-order mark), UTF-16 with its mark, or else
    Windows-1252 with a note; None (and a problem) if the file cannot be read at all (a FIFO or a device
    among them: reading one would wait, or never end)."""
    kind = not_regular(path)
    if kind and kind != "a folder":
        report.add(path, "", "", f"is {kind}, not a file", "file ignored")
        return None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        report.add(path, "", "", "no such file", "file ignored")
        return None
    except IsADirectoryError:
        report.add(path, "", "", "is a folder, not a file", "file ignored")
        return None
    except OSError as exc:
        report.add(path, "", "", f"cannot be read ({exc.strerror or type(exc).__name__})", "file ignored")
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.add(path, "", "", "encoded as UTF-16; expected UTF-8", "read anyway")
        return raw.decode("utf-16")
    if b"\x00" in raw[:4096]:
        report.add(path, "", "", "not a text file (it holds zero bytes); expected a CSV or XML text file",
                   "file ignored")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add(path, "", "", f"not UTF-8 (byte {exc.start}); read as Windows-1252: save it as UTF-8",
                   "read anyway")
        return raw.decode("cp1252", errors="replace")


# ------------------------------------------------------------------------------------------------ 903
#: The 903 tables a snapshot or an estimate reads, and whether each must be there.
NEEDED_903 = {"Header": True, "Episodes": True, "UASC": False, "SWEpisodes": False}
_DATE_COLS = {"DOB", "DECOM", "DEC", "DUC", "SW_DECOM", "SW_DEC", "MC_DOB"}
_ID_COLS = {"CHILD", "UPN", "SW_ID"}
_CODES = {
    "LS": ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"),
    "RNE": ("S", "P", "L", "T", "U", "B"),
    "PLACE": ("A3", "A4", "A5", "A6", "K1", "K2", "K3", "P1", "P3", "R1", "R2", "R3", "R5", "S1", "T0", "T1", "T2",
              "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z11", "Z12", "Z13", "Z14", "H5", "P2", "R4", "Z1"),
    "REC": ("E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48", "E5", "E6", "E7", "E8",
            "E9", "E14", "E15", "E16", "E17", "X1"),
    "SEX": ("M", "F", "U", "1", "2"),
}


def _table_of(columns: list[str]) -> str | None:
    cols = set(columns)
    for name, (_, want) in C.TABLES_903.items():
        if cols == set(want):
            return name
    best = max(C.TABLES_903.items(), key=lambda kv: len(cols & set(kv[1][1])))
    return best[0] if len(cols & set(best[1][1])) >= 3 else None


def read_903(folder: Path, at: pd.Timestamp, report: Report) -> dict[str, pd.DataFrame]:
    """The 903 tables in ``folder`` (recognised by their columns, whatever the file names), checked row
    by row: each a DataFrame of strings with parsed ``*_date`` columns and the CSV line in ``line``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ExtractError(f"--ssda903 {folder}: no such folder (give the folder that holds the 903's CSV files)")
    found: dict[str, tuple[Path, str]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix.lower() != ".csv":
            report.add(path, "", "", "not a .csv file; the 903's tables are CSV files", "file ignored")
            continue
        text = read_text(path, report)
        if text is None:
            continue
        first = text.splitlines()[0] if text.strip() else ""
        columns = [c.strip().upper() for c in next(csv.reader([first]), [])]
        name = _table_of(columns)
        if name is None:
            report.add(path, "line 1", "", "the columns are not those of a 903 table (e.g. episodes.csv: "
                       + ", ".join(C.TABLES_903["Episodes"][1]) + ")", "file ignored")
            continue
        if name in found:
            report.add(path, "", "", f"a second {name} table (the first is {found[name][0].name})", "file ignored")
            continue
        found[name] = (path, text)
    out = {}
    for name, required in NEEDED_903.items():
        if name not in found:
            if required:
                report.add(folder / C.TABLES_903[name][0], "", "", f"the 903's {name} table is missing "
                           f"(columns {', '.join(C.TABLES_903[name][1])})", "nothing from the 903 can be used"
                           if name == "Header" else "no episodes: no child can be looked after")
            continue
        path, text = found[name]
        out[name] = _read_table(path, text, name, at, report)
    if "Header" not in out:
        return {}
    _link(out, report, {name: found[name][0] for name in out})
    return out


def _read_table(path: Path, text: str, name: str, at: pd.Timestamp, report: Report) -> pd.DataFrame:
    want = C.TABLES_903[name][1]
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, csv.Error) as exc:
        report.add(path, "", "", f"not readable as CSV ({str(exc).splitlines()[0][:120]})", "file ignored")
        report.read[name], report.used[name] = 0, 0
        return _empty(name)
    df.columns = [str(c).strip().upper() for c in df.columns]
    for col in df.columns:
        if col not in want:
            report.add(path, "line 1", col, f"not a column of the 903's {name} table", "column ignored")
    missing = [c for c in want if c not in df.columns]
    essential = {"Header": ["CHILD", "DOB"], "Episodes": ["CHILD", "DECOM", "LS", "PLACE"], "UASC": ["CHILD"],
                 "SWEpisodes": ["CHILD", "SW_ID", "SW_DECOM"]}[name]
    for col in missing:
        report.add(path, "line 1", col, f"column missing from the {name} table",
                   "file ignored" if col in essential else "read without it")
    report.read[name] = len(df)
    if any(c in missing for c in essential):
        report.used[name] = 0
        return _empty(name)
    for col in missing:
        df[col] = ""
    df = df[want].apply(lambda s: s.str.strip())
    df["line"] = range(2, len(df) + 2)
    df["file"] = str(path)
    keep = pd.Series(True, index=df.index)
    for col in want:
        values = df[col]
        blank = values.eq("")
        if col == "CHILD":
            bad = blank
            _flag(report, path, df, bad & keep, col, "child id missing")
            keep &= ~bad
        elif col in _DATE_COLS:
            parsed = pd.to_datetime(values.where(~blank), format="%d/%m/%Y", errors="coerce")
            required = col in ("DOB", "DECOM", "SW_DECOM")
            bad = (~blank & parsed.isna()) | (blank & required)
            _flag(report, path, df, bad & keep, col, "not a date of the form dd/mm/yyyy"
                  + (" (required)" if required else ""))
            keep &= ~bad
            future = parsed > at if col not in ("DUC",) else pd.Series(False, index=df.index)
            _flag(report, path, df, future & keep, col, f"a date after the extract's date ({at.date()})")
            keep &= ~future
            df[col.lower() + "_date"] = parsed
        elif col in _CODES:
            v = values.str.upper()
            bad = ~blank & ~v.isin(_CODES[col])
            required = col in ("LS", "PLACE")
            for code in sorted(set(v[bad & keep])):
                rows = bad & keep & v.eq(code)
                _flag(report, path, df, rows, col, f"unknown code '{code[:12]}'; allowed: {', '.join(_CODES[col])}")
            bad |= blank & required
            _flag(report, path, df, blank & required & keep, col, "code missing (required)")
            keep &= ~bad
            df[col] = v
    if name == "Header":
        dup = df["CHILD"].duplicated() & keep
        first_line = df.drop_duplicates("CHILD").set_index("CHILD")["line"]
        for i in df.index[dup]:
            report.add(path, f"line {df.at[i, 'line']}", "CHILD",
                       f"the same child id as line {first_line[df.at[i, 'CHILD']]} (a duplicate child)")
        keep &= ~dup
    if name == "Episodes":
        ok = df[keep].copy()
        ceased_before = ok["dec_date"].notna() & (ok["dec_date"] < ok["decom_date"])
        _flag(report, path, ok, ceased_before, "DEC", "ceased before it began (DEC before DECOM)")
        keep[ok.index[ceased_before]] = False
        ok = df[keep].sort_values(["CHILD", "decom_date", "line"])
        prev_end = ok.groupby("CHILD")["dec_date"].shift()
        prev_open = ok.groupby("CHILD")["dec_date"].shift().isna() & ok.groupby("CHILD").cumcount().gt(0)
        overlap = (ok["decom_date"] < prev_end) | prev_open
        _flag(report, path, ok, overlap, "DECOM", "overlaps the child's previous episode (it starts before that "
              "one ceased)")
        keep[ok.index[overlap]] = False
    report.used[name] = int(keep.sum())
    return df[keep].reset_index(drop=True)


def _empty(name: str) -> pd.DataFrame:
    """A table of ``name`` with no rows (and its parsed date columns)."""
    want = C.TABLES_903[name][1]
    out = pd.DataFrame(columns=[*want, "line", "file"], dtype=str)
    for col in want:
        if col in _DATE_COLS:
            out[col.lower() + "_date"] = pd.Series(dtype="datetime64[ns]")
    return out


def _flag(report: Report, path: Path, df: pd.DataFrame, mask, column: str, problem: str) -> None:
    for line in df.loc[mask[mask].index, "line"] if hasattr(mask, "index") else []:
        report.add(path, f"line {line}", column, problem)


def _link(tables: dict[str, pd.DataFrame], report: Report, paths: dict[str, Path]) -> None:
    """Rows of other tables whose child is not in the header (or was dropped from it) are dropped."""
    known = set(tables["Header"]["CHILD"])
    for name, df in tables.items():
        if name == "Header" or df.empty:
            continue
        orphan = ~df["CHILD"].isin(known)
        for line in df.loc[orphan, "line"]:
            report.add(paths[name], f"line {line}", "CHILD",
                       "no such child in the header (or the header's row was dropped)")
        report.used[name] = report.used.get(name, 0) - int(orphan.sum())
        tables[name] = df[~orphan].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ CIN census
def read_cin(path: Path, at: pd.Timestamp, report: Report) -> dict[str, pd.DataFrame]:
    """The CIN census's children, episodes, CIN plans, CP plans (with their reviews) and section 47
    enquiries, checked record by record.  Every table keys its rows by ``child`` (the extract's id,
    kept in memory only) and ``episode`` (the n-th CINdetails of the child)."""
    path = Path(path)
    text = read_text(path, report)
    if text is None:
        why = next((p.problem for p in reversed(report.problems) if p.file == str(path)), "cannot be read")
        raise ExtractError(f"--cin-census {path}: {why}; expected the CIN census's XML message")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # the text is decoded already: its declared encoding is not
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise ExtractError(f"--cin-census {path}: not a well-formed XML file (line {exc.position[0]}, column "
                           f"{exc.position[1]}); expected the CIN census's XML message") from None
    children = root.find("Children")
    if root.tag != "Message" or children is None:
        raise ExtractError(f"--cin-census {path}: not a CIN census message (expected <Message> holding <Header> and "
                           f"<Children>; found <{root.tag}>)")
    rows = {k: [] for k in ("children", "episodes", "cin_plans", "cp_plans", "reviews", "s47", "assessments")}
    seen: dict[str, int] = {}
    n_children = 0
    for n, child in enumerate(children.findall("Child"), start=1):
        n_children += 1
        where = f"Child {n}"
        ident = child.find("ChildIdentifiers")
        cid = (ident.findtext("LAchildID") if ident is not None else None) or ""
        cid = cid.strip()
        if not cid:
            report.add(path, where, "LAchildID", "child id missing")
            continue
        if cid in seen:
            report.add(path, where, "LAchildID", f"the same child id as Child {seen[cid]} (a duplicate child)")
            continue
        dob = _dated(ident, "PersonBirthDate", at, report, path, where)
        if dob is None:
            continue
        seen[cid] = n
        sex = (ident.findtext("Sex") or "").strip().upper()
        rows["children"].append({"child": cid, "dob": dob, "sex": sex})
        for e, det in enumerate(child.findall("CINdetails"), start=1):
            w = f"{where}, CINdetails {e}"
            ref = _dated(det, "CINreferralDate", at, report, path, w)
            if ref is None:
                continue
            closed = _date(det.findtext("CINclosureDate"))
            if closed is not None and closed < ref:
                report.add(path, w, "CINclosureDate", "before the referral date")
                continue
            nfa = (det.findtext("ReferralNFA") or "").strip().lower() in ("1", "true")
            rows["episodes"].append({"child": cid, "episode": e, "referral": ref, "closure": closed,
                                     "reason": (det.findtext("ReasonForClosure") or "").strip().upper() or None,
                                     "nfa": nfa})
            for a in det.findall("Assessments"):
                start = _date(a.findtext("AssessmentActualStartDate"))
                if start is not None and start <= at:
                    rows["assessments"].append({"child": cid, "episode": e, "start": start,
                                                "end": _date(a.findtext("AssessmentAuthorisationDate"))})
            for k, p in enumerate(det.findall("CINPlanDates"), start=1):
                start, end = _plan_dates(p, "CINPlanStartDate", "CINPlanEndDate", at, report, path,
                                         f"{w}, CINPlanDates {k}")
                if start is None:
                    continue
                rows["cin_plans"].append({"child": cid, "episode": e, "start": start, "end": end})
            for k, s in enumerate(det.findall("Section47"), start=1):
                start = _date(s.findtext("S47ActualStartDate"))
                if start is None or start > at:
                    report.add(path, f"{w}, Section47 {k}", "S47ActualStartDate",
                               "missing or after the extract's date")
                    continue
                rows["s47"].append({"child": cid, "episode": e, "start": start,
                                    "icpc": _date(s.findtext("DateOfInitialCPC")),
                                    "not_required": (s.findtext("ICPCnotRequired") or "").strip().lower()
                                    in ("1", "true")})
            for k, p in enumerate(det.findall("ChildProtectionPlans"), start=1):
                start, end = _plan_dates(p, "CPPstartDate", "CPPendDate", at, report, path,
                                         f"{w}, ChildProtectionPlans {k}")
                if start is None:
                    continue
                try:
                    previous = int((p.findtext("NumberOfPreviousCPP") or "0").strip())
                except ValueError:
                    report.add(path, f"{w}, ChildProtectionPlans {k}", "NumberOfPreviousCPP",
                               "not a whole number", "read as 0")
                    previous = 0
                plan = len(rows["cp_plans"])
                rows["cp_plans"].append({"child": cid, "episode": e, "plan": plan, "start": start, "end": end,
                                         "previous": previous})
                for rv in p.findall("Reviews"):
                    d = _date(rv.findtext("CPPreviewDate"))
                    if d is not None and d <= at:
                        rows["reviews"].append({"plan": plan, "date": d})
    out = {k: pd.DataFrame(v) for k, v in rows.items()}
    out["reference"] = _date(root.findtext("Header/CollectionDetails/ReferenceDate"))
    out = {k: v if not isinstance(v, pd.DataFrame) or len(v) else pd.DataFrame(columns=_CIN_COLUMNS[k])
           for k, v in out.items()}
    for table in out.values():
        if isinstance(table, pd.DataFrame):
            for col in ("dob", "referral", "closure", "start", "end", "icpc", "date"):
                if col in table:
                    table[col] = pd.to_datetime(table[col])
    # overlapping CP plans of a child: the later one is dropped
    cp = out["cp_plans"].sort_values(["child", "start"])
    prev_end = cp.groupby("child")["end"].shift()
    prev_open = cp.groupby("child").cumcount().gt(0) & prev_end.isna()
    overlap = (cp["start"] < prev_end) | prev_open
    for r in cp[overlap].itertuples(index=False):
        report.add(path, f"Child {seen[r.child]}, CINdetails {r.episode}", "CPPstartDate",
                   "overlaps the child's previous CP plan (it starts before that one ended)")
    out["cp_plans"] = cp[~overlap].reset_index(drop=True)
    report.read["CIN census children"] = n_children
    report.used["CIN census children"] = len(out["children"])
    return out


_CIN_COLUMNS = {"children": ["child", "dob", "sex"], "episodes": ["child", "episode", "referral", "closure", "reason", "nfa"],
                "cin_plans": ["child", "episode", "start", "end"], "s47": ["child", "episode", "start", "icpc", "not_required"],
                "cp_plans": ["child", "episode", "plan", "start", "end", "previous"], "reviews": ["plan", "date"],
                "assessments": ["child", "episode", "start", "end"]}


def _plan_dates(element, start_tag: str, end_tag: str, at, report: Report, path: Path, where: str):
    """A plan's start and end dates; (None, None), with the problem reported, unless it has a start on or
    before ``at`` and no end before its start."""
    start, end = _date(element.findtext(start_tag)), _date(element.findtext(end_tag))
    if start is None or start > at or (end is not None and end < start):
        report.add(path, where, start_tag, "missing, after the extract's date, or after the plan's end")
        return None, None
    return start, end


def _dated(element, tag: str, at: pd.Timestamp, report: Report, path: Path, where: str) -> pd.Timestamp | None:
    """The required date ``tag`` of ``element``; None, with the problem reported, if it is missing, not a
    date, or after the extract's date ``at``."""
    date = _date(element.findtext(tag))
    if date is None:
        report.add(path, where, tag, "missing or not a date of the form yyyy-mm-dd")
    elif date > at:
        report.add(path, where, tag, f"a date after the extract's date ({at.date()})")
        return None
    return date


def _date(text: str | None) -> pd.Timestamp | None:
    if text is None or not text.strip():
        return None
    try:
        return pd.Timestamp(pd.to_datetime(text.strip(), format="%Y-%m-%d"))
    except (ValueError, TypeError):
        return None
