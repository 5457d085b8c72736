"""The period a results page covers: any run of whole days in the organisation's time zone.

Money is kept by month (costs are monthly entries), so the P&L is asked for the whole months the
period touches and the page says so when the period is not whole months (``Span.whole_months``).
"""

from __future__ import annotations

import calendar
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kosmmos.lib.dates import FIRST_YEAR, LAST_YEAR
from kosmmos.links.stats import Period

LONGEST_DAYS = 3 * 366  # a longer range is cut to its last three years


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Span:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    tz: zoneinfo.ZoneInfo

    @classmethod
    def month_of(cls, day: date, tz: zoneinfo.ZoneInfo) -> Span:
        first = day.replace(day=1)
        return cls(first, month_end(first), tz)

    @classmethod
    def from_query(cls, query: Mapping[str, str], tz_name: str, today: date | None = None) -> Span:
        """``?month=YYYY-MM`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (``YYYY-MM`` also read as
        the month's first / last day); this month by default. Unreadable values are ignored."""
        tz = zoneinfo.ZoneInfo(tz_name)
        today = today or datetime.now(tz).date()
        month = _day(query.get("month"))
        if month is not None:
            return cls.month_of(month, tz)
        start, end = _day(query.get("from")), _day(query.get("to"), last=True)
        if start is None and end is None:
            return cls.month_of(today, tz)
        start = start or (end or today).replace(day=1)
        end = end or month_end(start)
        if start > end:
            start, end = end, start
        if (end - start).days >= LONGEST_DAYS:
            start = end - timedelta(days=LONGEST_DAYS - 1)
        return cls(start, end, tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)

    @property
    def single_month(self) -> bool:
        return self.whole_months and self.start.replace(day=1) == self.end.replace(day=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) as aware datetimes in the organisation's zone."""
        after = self.end + timedelta(days=1)
        return (datetime(self.start.year, self.start.month, self.start.day, tzinfo=self.tz),
                datetime(after.year, after.month, after.day, tzinfo=self.tz))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def months(self) -> list[date]:
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(day)
            day = add_months(day, 1)
        return out

    def pnl_period(self) -> Period:
        """The P&L's period: the whole months this span touches."""
        return Period(self.start.replace(day=1), self.end.replace(day=1), self.tz)

    def previous(self) -> Span:
        """The period just before, as long (whole months stay whole months)."""
        if self.whole_months:
            n = len(self.months())
            first = add_months(self.start, -n)
            return Span(first, month_end(add_months(first, n - 1)), self.tz)
        return Span(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.tz)

    def year_before(self) -> Span:
        def back(day: date, last: bool) -> date:
            if last and day == month_end(day):
                return month_end(date(day.year - 1, day.month, 1))
            return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else 31))
        return Span(back(self.start, False), back(self.end, True), self.tz)

    def query(self) -> str:
        if self.single_month:
            return f"month={self.start:%Y-%m}"
        return f"from={self.start:%Y-%m-%d}&to={self.end:%Y-%m-%d}"


def _day(text: str | None, *, last: bool = False) -> date | None:
    text = (text or "").strip()[:10]
    if not text:
        return None
    try:
        if len(text) == 7:
            day = datetime.strptime(text, "%Y-%m").date()
            day = month_end(day) if last else day
        else:
            day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None
