"""The event log as one normalised pandas DataFrame, plus date and year helpers.

Every projection starts from :func:`as_frame`, which converts an Arrow table (or a
DataFrame such as ``pandas.read_parquet`` of a log returns) once:

* rows sorted by ``seq`` (the order events happened; ties in time keep it),
* the dictionary columns (``event``, ``team``, ...) as plain strings,
* the id and small-integer columns as nullable ``Int64``,
* ``date`` as ``datetime64[ns]``.

A frame already converted is returned as it is, so public functions can call
``as_frame`` freely and pass the result between each other.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from ..calendar import fy_label

_MARK = "journeysim.frame"
_STRINGS = ["event", "team", "outcome", "reason", "legal_status"]
_INTEGERS = ["case_id", "child_id", "family_id", "worker", "count"]

#: The key of a child's journey.
JOURNEY = ["case_id", "child_id"]


def as_frame(log: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """The log as a seq-ordered DataFrame with string, Int64 and datetime64 columns."""
    if isinstance(log, pd.DataFrame):
        if log.attrs.get(_MARK):
            return log
        df = log.copy()
    else:
        df = log.to_pandas(date_as_object=False)
    for col in _STRINGS:
        df[col] = df[col].astype("str")
    for col in _INTEGERS:
        df[col] = df[col].astype("Int64")
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df = df.sort_values("seq", kind="stable").reset_index(drop=True)
    df.attrs[_MARK] = True
    return df


def of(df: pd.DataFrame, *events) -> pd.DataFrame:
    """The rows of the given event types (Event members or names), in seq order."""
    names = [getattr(e, "value", e) for e in events]
    return df[df["event"].isin(names)]


def timestamp(date) -> pd.Timestamp:
    """A date, datetime, string or Timestamp as a midnight Timestamp."""
    return pd.Timestamp(date).normalize()


def fy_of(dates: pd.Series) -> pd.Series:
    """Start year of the financial year (1 April - 31 March) of each date."""
    return dates.dt.year - (dates.dt.month < 4).astype(int)


def fy_end(year: int) -> pd.Timestamp:
    """31 March closing the financial year that starts in ``year``."""
    return pd.Timestamp(dt.date(year + 1, 3, 31))


def all_years(df: pd.DataFrame) -> list[int]:
    """Start years of every financial year with at least one event."""
    return sorted(int(y) for y in fy_of(df["date"]).dropna().unique())


def by_year(values: pd.Series, dates: pd.Series, years: list[int], how: str) -> pd.Series:
    """Aggregate ``values`` by the financial year of ``dates`` (``how``: sum/mean/median).

    Counts and sums of a year with no rows are 0; means and medians are NaN.
    """
    grouped = pd.Series(values.to_numpy(dtype=float), index=dates.index).groupby(fy_of(dates).to_numpy())
    out = getattr(grouped, how)().reindex(years)
    return out.fillna(0.0) if how == "sum" else out


def count_by_year(dates: pd.Series, years: list[int]) -> pd.Series:
    """Number of dates in each financial year."""
    return by_year(pd.Series(1.0, index=dates.index), dates, years, "sum")


def pct(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """100 * numerator / denominator, NaN where the denominator is 0."""
    return 100.0 * numerator / denominator.replace(0, np.nan)


def label(year: int) -> str:
    return fy_label(year)
