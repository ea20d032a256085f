"""Dates and days a text names, and the days a date value denotes.

`stated_dates`: dates written out in words with their year, in ISO form (for grounding in a context).
The rest reduces to days of the year, years aside:
A request says "from April 4th to April 8th" or "starting from 15th October,2023"; a right answer writes
"2023-04-04" or "15-10-2023" (the format its field asks for), with a year the request may never state.
Both sides reduce to (month, day) pairs, so any written form of a day supports any numeric one."""

import calendar
import re
from datetime import date, datetime

MONTHS = [name.lower() for name in calendar.month_name[1:]]
DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?: of)? ([A-Za-z]+),? (\d{4})\b")
MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]+) (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b")


def _month(word: str) -> int | None:
    """The month a name or its abbreviation of three letters or more names ("Oct" → 10)."""
    word = word.lower()
    if len(word) < 3:
        return None
    return next((i + 1 for i, name in enumerate(MONTHS) if name.startswith(word)), None)


def stated_dates(context: str) -> list[str]:
    """Dates the context writes out in words ("14 March 2025", "March 14th, 2025"), in ISO form."""
    found = []
    for day, month, year in DAY_MONTH_YEAR.findall(context) + [
        (d, m, y) for m, d, y in MONTH_DAY_YEAR.findall(context)
    ]:
        if (number := _month(month)) is not None:
            try:
                found.append(date(int(year), number, int(day)).isoformat())
            except ValueError:
                continue
    return found


DAY_THEN_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+([A-Za-z]{3,12})\b")
MONTH_THEN_DAY = re.compile(r"\b([A-Za-z]{3,12})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")
NUMERIC_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y.%m.%d")
Day = tuple[int, int]  # (month, day)


def stated_days(text: str) -> set[Day]:
    """(month, day) of every day the text writes with a month name ("4th April", "April 4", "Oct. 15th"),
    and of every numeric date in it."""
    days = set()
    pairs = [(m, d) for d, m in DAY_THEN_MONTH.findall(text)] + MONTH_THEN_DAY.findall(text)
    for month_word, day in pairs:
        month = _month(month_word)
        if month is not None and 1 <= int(day) <= 31:
            days.add((month, int(day)))
    for token in re.findall(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b", text):
        days |= value_days(token)
    return days


def value_days(value: str) -> set[Day]:
    """(month, day) a date value can mean: every numeric format it parses in ("04-05-2023" is 4 May or
    5 April); none for a value that is not a date."""
    head = re.split(r"[T ]", value.strip(), maxsplit=1)[0]
    days = set()
    for pattern in NUMERIC_FORMATS:
        try:
            parsed = datetime.strptime(head, pattern)
        except ValueError:
            continue
        days.add((parsed.month, parsed.day))
    return days
