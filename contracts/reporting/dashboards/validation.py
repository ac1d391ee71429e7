"""The dashboard's filters, from a page's query string or the API's alike: a date range and how spend is grouped.
Clean input becomes a `Filters`; anything else raises `ValidationFailed` with a message per field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from marketplace.inputs import parse_choice, parse_date, raise_if

# How spend may be grouped, and what a column of that kind is called on the page.
GROUPS = {"member": "Member", "vehicle": "Vehicle", "vendor": "Vendor", "category": "Category",
          "quarter": "Quarter"}


@dataclass(frozen=True)
class Filters:
    group_by: str
    start: date | None = None  # the first day counted (None: from the beginning)
    end: date | None = None    # the last day counted (None: up to today and beyond)

    def includes(self, day: date | None) -> bool:
        """Whether `day` falls within the range (both ends included)."""
        if day is None:
            return self.start is None and self.end is None
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def overlaps(self, first: date, last: date) -> bool:
        """Whether the span `first`..`last` (a quarter) shares at least one day with the range."""
        return (self.start is None or last >= self.start) and (self.end is None or first <= self.end)

    def query_args(self) -> dict[str, str]:
        """The filters as a query string's arguments (for links that keep them)."""
        args = {"group_by": self.group_by}
        if self.start is not None:
            args["from"] = self.start.isoformat()
        if self.end is not None:
            args["to"] = self.end.isoformat()
        return args


def parse_filters(args: Mapping, *, default_group: str) -> Filters:
    """`group_by`, `from` and `to` from a query string (each optional); every problem is reported at once."""
    fields: dict[str, str] = {}
    raw_group = args.get("group_by") or default_group
    group_by = parse_choice(raw_group, "group_by", fields, GROUPS, what="grouping")
    start = parse_date(args.get("from"), "from", fields, required=False)
    end = parse_date(args.get("to"), "to", fields, required=False)
    if start is not None and end is not None and end < start:
        fields["to"] = "The end date is before the start date."
    raise_if(fields, "The dashboard's filters have problems to correct.")
    return Filters(group_by=group_by, start=start, end=end)
