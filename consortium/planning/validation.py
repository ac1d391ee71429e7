"""Reading needs, priority rounds and ratings from a form or JSON: plain data, or field messages (every
problem at once). Parsing goes through `marketplace.inputs`; the limits are the models'."""

from __future__ import annotations

from decimal import Decimal

from consortium.planning.models import (
    CRITERION_MAX,
    FISCAL_YEAR_MAX,
    FISCAL_YEAR_MIN,
    FUNDING_SOURCES,
    MAX_CRITERIA,
    RATING_MAX,
    RATING_MIN,
    TEXT_MAX,
    TITLE_MAX,
    WEIGHT_PLACES,
)
from consortium.planning.selection import weights_sum_to_one
from marketplace.categories import CATEGORIES
from marketplace.formats import money
from marketplace.inputs import (
    clean_text,
    parse_choice,
    parse_decimal,
    parse_id,
    parse_int,
    parse_money,
    raise_if,
    whole_number,
)

NEED_FIELDS = ("title", "problem", "category", "estimated_cost", "benefits", "fiscal_year", "funding")
ROUND_FIELDS = ("title", "fiscal_year", "budget", "criteria")
RATING_MESSAGE = f"Rate from {RATING_MIN} to {RATING_MAX} (a whole number)."


def _unexpected(data: dict, allowed, fields: dict) -> None:
    for name in sorted(set(data) - set(allowed)):
        fields[name] = "This field is not allowed."


def _fiscal_year(raw, fields: dict) -> int | None:
    year = parse_int(raw, "fiscal_year", fields, what="fiscal year", low=FISCAL_YEAR_MIN, high=FISCAL_YEAR_MAX)
    if "fiscal_year" in fields and raw not in (None, ""):  # a year reads without a thousands separator
        fields["fiscal_year"] = (f"Enter the fiscal year as a year from {FISCAL_YEAR_MIN} to {FISCAL_YEAR_MAX}, "
                                 "such as 2027.")
    return year


def clean_funding(raw, estimated_cost: Decimal | None, fields: dict) -> list[dict]:
    """[{source, amount}]: one line per source (DESIGN section 4's sources), amounts more than zero that together
    never exceed the estimated cost. Stored with amounts as decimal text."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        fields["funding"] = "Must be a list of sources with amounts."
        return []
    if len(raw) > len(FUNDING_SOURCES):
        fields["funding"] = f"Use at most {len(FUNDING_SOURCES)} lines, one per source."
        return []
    lines, seen = [], set()
    for i, item in enumerate(raw):
        path = f"funding.{i}"
        if not isinstance(item, dict):
            fields[path] = "Must be an object with source and amount."
            continue
        for name in sorted(set(item) - {"source", "amount"}):
            fields[f"{path}.{name}"] = "This field is not allowed."
        source = parse_choice(item.get("source"), f"{path}.source", fields, FUNDING_SOURCES, what="funding source")
        if source in seen:
            fields[f"{path}.source"] = f"{FUNDING_SOURCES[source]} is already in the plan: one line per source."
        seen.add(source)
        amount = parse_money(item.get("amount"), f"{path}.amount", fields, what="amount")
        if source is not None and amount is not None and source not in fields:
            lines.append({"source": source, "amount": format(amount, "f")})
    total = sum((Decimal(line["amount"]) for line in lines), Decimal("0.00"))
    if estimated_cost is not None and total > estimated_cost and not any(k.startswith("funding") for k in fields):
        fields["funding"] = (f"The funding plan adds up to {money(total)}, more than the estimated cost of "
                             f"{money(estimated_cost)}: the amounts can never exceed the estimate.")
    return lines


def clean_need_data(data: dict) -> dict:
    """{title, problem, category, estimated_cost, benefits, fiscal_year, funding}."""
    fields: dict[str, str] = {}
    _unexpected(data, NEED_FIELDS, fields)
    clean = {
        "title": clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True),
        "problem": clean_text(data.get("problem"), "problem", fields, limit=TEXT_MAX, required=True),
        "category": parse_choice(data.get("category"), "category", fields, CATEGORIES, what="category"),
        "estimated_cost": parse_money(data.get("estimated_cost"), "estimated_cost", fields, what="estimated cost"),
        "benefits": clean_text(data.get("benefits"), "benefits", fields, limit=TEXT_MAX),
        "fiscal_year": _fiscal_year(data.get("fiscal_year"), fields),
    }
    clean["funding"] = clean_funding(data.get("funding"), clean["estimated_cost"], fields)
    raise_if(fields, "The need has problems to correct.")
    return clean


def clean_criteria(raw, fields: dict) -> list[dict]:
    """[{name, weight}]: 1 to MAX_CRITERIA criteria with different names, weights more than 0 with at most
    WEIGHT_PLACES decimals that add up to exactly 1. Stored with weights as decimal text."""
    if not isinstance(raw, list) or not raw:
        fields["criteria"] = "Give at least one criterion with its weight."
        return []
    if len(raw) > MAX_CRITERIA:
        fields["criteria"] = f"Use at most {MAX_CRITERIA} criteria."
        return []
    criteria, seen = [], set()
    for i, item in enumerate(raw):
        path = f"criteria.{i}"
        if not isinstance(item, dict):
            fields[path] = "Must be an object with name and weight."
            continue
        for name in sorted(set(item) - {"name", "weight"}):
            fields[f"{path}.{name}"] = "This field is not allowed."
        name = clean_text(item.get("name"), f"{path}.name", fields, limit=CRITERION_MAX, required=True)
        if name and name.casefold() in seen:
            fields[f"{path}.name"] = "Each criterion needs a different name."
        seen.add(name.casefold())
        weight = parse_decimal(item.get("weight"), f"{path}.weight", fields, what="weight", places=WEIGHT_PLACES,
                               low=0, low_open=True, high=1, example="0.25")
        if name and weight is not None:
            criteria.append({"name": name, "weight": format(weight, "f")})
    if len(criteria) == len(raw) and not weights_sum_to_one([Decimal(c["weight"]) for c in criteria]):
        total = sum((Decimal(c["weight"]) for c in criteria), Decimal(0))
        fields["criteria"] = f"The weights add up to {format(total.normalize(), 'f')}; they must add up to exactly 1."
    return criteria


def clean_round_data(data: dict) -> dict:
    """{title, fiscal_year, budget, criteria}."""
    fields: dict[str, str] = {}
    _unexpected(data, ROUND_FIELDS, fields)
    clean = {
        "title": clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True),
        "fiscal_year": _fiscal_year(data.get("fiscal_year"), fields),
        "budget": parse_money(data.get("budget"), "budget", fields, what="budget envelope"),
        "criteria": clean_criteria(data.get("criteria"), fields),
    }
    raise_if(fields, "The priority round has problems to correct.")
    return clean


def clean_ratings(raw, criteria: list[str], fields: dict, *, path: str = "ratings") -> dict[str, int]:
    """{criterion: 1..5} for criteria of the round (some or all of them)."""
    if not isinstance(raw, dict) or not raw:
        fields[path] = "Give a rating from 1 to 5 for at least one criterion."
        return {}
    ratings = {}
    for name, value in raw.items():
        if name not in criteria:
            fields[f"{path}.{name}"] = "Not a criterion of this round."
            continue
        rating = whole_number(value, low=RATING_MIN, high=RATING_MAX) if not isinstance(value, float) else None
        if rating is None:
            fields[f"{path}.{name}"] = RATING_MESSAGE
        else:
            ratings[name] = rating
    return ratings


def parse_need_id(raw, fields: dict) -> int | None:
    """A need's id, from JSON or a form."""
    need_id = parse_id(raw)
    if need_id is None:
        fields["need_id"] = "Name a need by its id."
    return need_id
