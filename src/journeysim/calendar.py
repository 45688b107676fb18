"""Calendar arithmetic: simulation days, dates, financial years and working days.

Simulation time is a float number of days since the scenario's start date.
Official measures are reported by financial year (1 April to 31 March), with
stocks counted at 31 March.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

DAYS_PER_YEAR = 365.25


def fy_label(start_year: int) -> str:
    """``2014`` -> ``"2014-15"``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def fy_start_year(label: str) -> int:
    """``"2014-15"`` -> ``2014``."""
    return int(label[:4])


def fy_of(date: dt.date) -> int:
    """Start year of the financial year containing ``date``."""
    return date.year if date.month >= 4 else date.year - 1


class Calendar:
    """Converts between simulation days and calendar dates for one scenario."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        if end <= start:
            raise ValueError("end date must be after start date")
        self.start = start
        self.end = end
        self.horizon = float((end - start).days)

    def day(self, date: dt.date) -> float:
        """Simulation day of a date (may be negative, before the start)."""
        return float((date - self.start).days)

    def date(self, day: float) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def financial_years(self) -> list[int]:
        """Start years of the financial years wholly or partly inside the run."""
        return list(range(fy_of(self.start), fy_of(self.end - dt.timedelta(days=1)) + 1))

    def week_index(self, day: float) -> int:
        """Whole weeks since the first Monday on or before the start date."""
        offset = self.start.weekday()  # Monday = 0
        return int((day + offset) // 7)

    def to_working_day(self, day: float) -> float:
        """Days from ``day`` to the same time on the next working day: 0 on a weekday, 2 on a
        Saturday, 1 on a Sunday (bank holidays are not counted)."""
        weekday = (self.start.weekday() + int(day // 1)) % 7  # Monday = 0
        return float(max(0, 7 - weekday)) if weekday >= 5 else 0.0

    def next_monday(self, day: float) -> float:
        """Simulation day of the first Monday strictly after ``day`` (start of the next rota week)."""
        offset = self.start.weekday()
        return (self.week_index(day) + 1) * 7.0 - offset


def working_days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days (Monday to Friday) from ``start`` to ``end`` (datetime64[D] arrays).

    The count excludes the start day and includes the end day, so a referral on a
    Monday completed on the following Monday takes 5 working days.  Bank holidays
    are not excluded (documented approximation).
    """
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    return np.busday_count(start + 1, end + 1)
