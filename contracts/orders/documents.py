"""The purchase-order PDF: everything a clerk files with a task order (DESIGN section 4, issue #12).

Parties with their postal addresses, the vehicle and its admin fee, the lines, the not-to-exceed value, the
performance terms written out in words, the dates of every period, and the approval and acceptance record
(who and when, in the consortium's time zone). The web page and the API both call `render_purchase_order`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from consortium.context import current_consortium
from contracts.orders.models import Order
from contracts.orders.queries import timeline
from contracts.orders.services import ORDER_LIFECYCLE, period_start
from contracts.performance import Kpi, Terms, TermsError, parse_terms, period_dates
from marketplace.formats import money
from marketplace.pdf import render_pdf
from marketplace.templating import number

CENT = Decimal("0.01")
PERIOD_ADVERBS = {"month": "monthly", "quarter": "quarterly", "year": "yearly"}


@dataclass(frozen=True)
class RecordEntry:
    """One step of the order's approval and acceptance record."""

    step: str
    who: str
    organization: str
    at: datetime
    reason: str


def unit_rate(value: Decimal) -> str:
    """A price per unit of measure, such as $0.11 per kWh. Unit prices in terms may go to 6 decimals, which
    `money` would round to cents, so a price with fractions of a cent keeps its digits ($0.1125)."""
    if value == value.quantize(CENT):
        return money(value)
    return "$" + number(value)


def _words(code: str) -> str:
    return code.replace("_", " ").capitalize()


def kpi_label(code: str, terms: Terms) -> str:
    """A KPI as people read it: its name and unit ("Lighting availability (%)"), never its code; the measure of
    service credits or shared savings has no name of its own and is written as words ("Energy use (kWh)")."""
    measure = terms.measure(code)
    if measure is None:
        return _words(code)
    name = _words(code) if measure.name == code else measure.name
    return f"{name} ({measure.unit_label})"


def _holdback_sentence(terms: Terms) -> str:
    if not terms.holdback_pct:
        return "No part of a period's amount is withheld."
    every = "every period" if terms.holdback_window == 1 else f"every {terms.holdback_window} periods"
    return (f"{number(terms.holdback_pct)}% of each period's amount is withheld and released after {every} if each "
            "KPI's average meets its floor; otherwise the withheld money is forfeited.")


def _kpi_sentence(kpi: Kpi, terms: Terms) -> str:
    better = "higher" if kpi.direction == "higher" else "lower"
    stretch = f", stretch {number(kpi.stretch)}" if kpi.stretch is not None else ""
    return (f"{kpi_label(kpi.code, terms)}: {better} is better; floor {number(kpi.floor)}, target "
            f"{number(kpi.target)}{stretch}; weight {number(kpi.weight * 100)}%.")


def _credits_sentence(terms: Terms) -> str | None:
    credits = terms.service_credits
    if credits is None:
        return None
    tiers = "; ".join(f"below {number(t.below)}: {number(t.credit_pct)}%" for t in credits.tiers)
    return (f"Service credits on the fixed fee, by {kpi_label(credits.kpi, terms)} (the tier of the lowest threshold "
            f"the period's value is below): {tiers}; at most {number(credits.cap_pct)}% of the fixed fee per period.")


def _savings_sentences(terms: Terms) -> list[str]:
    savings = terms.shared_savings
    if savings is None:
        return []
    adjustments = "".join(f" {'+' if a.amount >= 0 else '−'} {number(abs(a.amount))} ({a.reason})"
                          for a in savings.adjustments)
    return [
        f"Shared savings (IPMVP), measured by {kpi_label(savings.kpi, terms)}: each period's savings are (baseline "
        f"{number(savings.baseline_use)}{adjustments} − the period's verified use) × {unit_rate(savings.unit_price)} "
        "per unit.",
        f"The vendor receives {number(savings.vendor_share_pct)}% of the savings, at most "
        f"{money(savings.vendor_cap)} per period, and guarantees savings of {money(savings.guaranteed_savings)} per "
        "period: a shortfall is deducted from its share.",
    ]


def _revenue_sentence(terms: Terms) -> str | None:
    revenue = terms.revenue_share
    if revenue is None:
        return None
    block = "period" if revenue.guarantee_periods == 1 else f"{revenue.guarantee_periods} periods"
    return (f"Revenue share, paid by the vendor to the city: {number(revenue.city_share_pct)}% of each period's "
            f"verified gross revenue ({kpi_label(revenue.kpi, terms)}), and at least "
            f"{money(revenue.minimum_guarantee)} for every {block}: the vendor pays any shortfall as a true-up "
            "(a shorter last block owes the whole minimum). It is not part of the not-to-exceed value.")


def terms_in_words(terms: Terms) -> list[str]:
    """The performance terms as sentences a clerk can read without the formulas of DESIGN section 5."""
    adverb = PERIOD_ADVERBS.get(terms.period, f"per {terms.period}")
    sentences = [
        f"Performance is measured and paid {adverb} over {terms.periods} period{'s' if terms.periods != 1 else ''}.",
        f"Each period pays a fixed fee of {money(terms.fixed_fee)} and an at-risk fee of {money(terms.at_risk_fee)} "
        "scaled by the performance factor: each KPI at or beyond its target earns its full weight, one short of its "
        "floor earns nothing, and one in between earns in proportion.",
    ]
    if terms.bonus_pool:
        sentences.append(f"A bonus pool of {money(terms.bonus_pool)} per period is earned in proportion as each KPI "
                         "goes beyond its target towards its stretch.")
    sentences.append(_holdback_sentence(terms))
    credits = _credits_sentence(terms)
    if credits:
        sentences.append(credits)
    sentences.extend(_savings_sentences(terms))
    revenue = _revenue_sentence(terms)
    if revenue:
        sentences.append(revenue)
    return sentences


def period_rows(order: Order, terms: Terms) -> list[tuple[int, date, date]]:
    """Every period's number, first and last day; empty while the terms carry no start date."""
    start = period_start(order)
    if start is None:
        return []
    return [(n, *period_dates(start, terms, n)) for n in range(1, terms.periods + 1)]


def approval_record(order: Order) -> list[RecordEntry]:
    """The order's steps from the audit log, oldest first: what happened, who, for which organization, when."""
    labels = {step.action: step.past for step in ORDER_LIFECYCLE.transitions}
    labels["order.created"] = "drafted"
    events, actors = timeline(order)
    record = []
    for event in events:
        actor = actors.get(event.actor_id)
        step = labels.get(event.action, event.action.split(".", 1)[-1].replace("_", " "))
        record.append(RecordEntry(step=step[:1].upper() + step[1:], who=actor.name if actor else "system",
                                  organization=actor.organization.name if actor else "", at=event.created_at,
                                  reason=event.reason or ""))
    return record


def _terms(order: Order) -> Terms | None:
    if not order.performance:
        return None
    try:
        return parse_terms(order.performance)
    except TermsError:  # stored terms were valid when saved; never let an old row break the document
        return None


def render_purchase_order(order: Order) -> bytes:
    """The purchase order of an approved order as PDF bytes."""
    terms = _terms(order)
    return render_pdf(
        "contracts/orders/po_pdf.html", order=order, consortium=current_consortium(), terms=terms,
        terms_in_words=terms_in_words(terms) if terms else [], periods=period_rows(order, terms) if terms else [],
        kpi_label=kpi_label, record=approval_record(order),
    )
