"""Run the DfE's validators over an exported year: ``python run.py 903 FOLDER YEAR [PREVIOUS_FOLDER]`` or
``python run.py cin FILE YEAR`` (YEAR as 2025-26).  Prints one JSON object: the errors found
per rule code (``errors``), the query rules that fired (``queries``), and the rules that could
not run on the data (``failed``, with the exception's type).

This script runs in the validators' own virtual environment (``.venv-validators``, made by
``make validators``): the DfE's packages pin old pandas and numpy, so they cannot share
journeysim's environment.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from pathlib import Path


def run_903(folder: Path, year: str, previous: Path | None = None) -> dict:
    from lac_validator import lac_validator
    from lac_validator.report import Report  # noqa: F401  (imports the report's rule helpers)
    from lac_validator.rules.ruleset_utils import get_year_ruleset

    files = [{"name": str(p), "description": "This year", "file_content": p.read_bytes()}
             for p in sorted(folder.glob("*.csv"))]
    if previous is not None:  # last year's return: the rules that compare the two years run too
        files += [{"name": str(p), "description": "Prev year", "file_content": p.read_bytes()}
                  for p in sorted(previous.glob("*.csv"))]
    collection = str(int(year[:4]) + 1)
    registry = get_year_ruleset(collection)
    with contextlib.redirect_stdout(io.StringIO()):
        v = lac_validator.LacValidator(metadata={"collectionYear": collection, "localAuthority": "E10000014"},
                                       files=files, registry=registry)
    errors = {}
    for table, df in v.ds_results.items():
        if table == "metadata":
            continue
        for col in df.columns:
            if col.startswith("ERR_"):
                n = int(df[col].fillna(False).astype(bool).sum())
                if n:
                    errors[col[4:]] = errors.get(col[4:], 0) + n
    return {"rules": len(registry), "errors": errors, "queries": {}, "failed": sorted(map(str, v.fails)),
            "skipped": sorted(map(str, v.skips))}


def run_cin(path: Path, year: str) -> dict:
    import xml.etree.ElementTree as ET
    from cin_validator import cin_validator
    import importlib

    ruleset = f"cin{year[:4]}_{year[5:7]}"
    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    root = ET.parse(path).getroot()
    data = cin_validator.process_data(cin_validator.convert_data(root))
    with contextlib.redirect_stdout(io.StringIO()):
        v = cin_validator.CinValidator(data, registry)
    counts = {}
    issues = v.full_issue_df
    if len(issues):
        per_rule = issues.drop_duplicates(["rule_code", "tables_affected", "row_id"]).groupby("rule_code").size()
        counts = {str(k): int(n) for k, n in per_rule.items()}
    for code in v.multichild_issues["rule_code"].unique() if len(v.multichild_issues) else []:
        counts[str(code)] = counts.get(str(code), 0) + 1
    errors = {k: n for k, n in counts.items() if not k.endswith("Q")}
    queries = {k: n for k, n in counts.items() if k.endswith("Q")}
    return {"rules": len(registry), "errors": errors, "queries": queries, "failed": [], "skipped": []}


def main() -> None:
    logging.disable(logging.CRITICAL)
    kind, path, year = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    previous = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    out = run_903(path, year, previous) if kind == "903" else run_cin(path, year)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
