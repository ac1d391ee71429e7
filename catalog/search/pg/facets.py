"""The filters of a search, as SQL for the page of results and as Python for the facet counts, and the
counts themselves from one pass over the matches.

A search asks PostgreSQL for the number of matching listings per combination of facet values
(``COMBINATIONS``: category, pricing models, proven, vendor): one ``GROUP BY`` over the matches, a few
hundred rows at most however many listings match. ``Tally`` then counts, in Python, the total within
the filters and each facet under the *other* filters, which would otherwise take a pass over the
matches per facet. Both sides of a filter are defined here, next to each other, so they cannot drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from catalog.search.results import FACETS
from marketplace.db import MAX_ID

# Each filter as SQL on a search_document row ``d``; its value is bound as ``:f_<name>``.
FILTERS = {
    "category": "d.category = :f_category",
    "pricing_model": ":f_pricing_model = ANY(d.pricing_models)",
    "proven": "d.is_proven = :f_proven",
    "vendor": "d.vendor_id = :f_vendor",
}
COMBINATIONS = "d.category, d.pricing_models, d.is_proven, d.vendor_id, d.vendor_name"
_NOTHING = object()  # a filter value no listing can have


def filter_value(name: str, value: str | None):
    """A filter's value as the column holds it; None when no listing can have it."""
    if value is None:
        return None
    if name == "proven":
        return value == "yes"
    if name == "vendor":
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return value


def _holds(name: str, wanted, category: str, models: list | None, proven: bool, vendor: int | None) -> bool:
    """``FILTERS[name]`` for one combination of values."""
    if wanted is _NOTHING:
        return False
    if name == "category":
        return category == wanted
    if name == "pricing_model":
        return wanted in (models or ())
    if name == "proven":
        return proven == wanted
    return vendor == wanted


class Tally:
    """What the matches of one query add up to: how many are within the filters (``total``), each
    facet's counts under the other filters (most first), and how many matches were counted at all
    (``counted``: the rows given, which need only be those within all filters but one)."""

    def __init__(self, filters: dict[str, object], combinations: Iterable[tuple]):
        """``filters``: the active filters (name -> ``filter_value``, None for a value no listing can
        have); ``combinations``: rows of ``COMBINATIONS`` and their count."""
        wanted = {name: _NOTHING if value is None else value for name, value in filters.items()}
        self.counted = self.total = 0
        counts: dict[str, Counter] = {name: Counter() for name in FACETS}
        names: dict[str, str] = {}
        for category, models, proven, vendor, vendor_name, count in combinations:
            self.counted += count
            failed = [name for name, value in wanted.items()
                      if not _holds(name, value, category, models, proven, vendor)]
            if len(failed) > 1:
                continue  # outside two filters: no facet counts it
            if not failed:
                self.total += count
            # A facet counts the listings within every filter but its own.
            if (not failed or failed[0] == "category") and category:
                counts["category"][category] += count
            if not failed or failed[0] == "pricing_model":
                for model in models or ():
                    if model:
                        counts["pricing_model"][model] += count
            if not failed or failed[0] == "proven":
                counts["proven"]["yes" if proven else "no"] += count
            if (not failed or failed[0] == "vendor") and vendor is not None:
                key = str(vendor)
                counts["vendor"][key] += count
                names[key] = max(names.get(key, vendor_name), vendor_name)
        self.facets = {name: dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
                       for name, found in counts.items()}
        self.vendor_names = {vendor: names[vendor] for vendor in self.facets["vendor"]}
