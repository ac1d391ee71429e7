"""The glossary: the domain's words in plain language, in one place (DESIGN sections 4 and 5).

`TERMS` maps an anchor slug to a :class:`Term`; the page `/glossary` lists them, and templates link a
word where it is used with ``{{ gloss('holdback-window') }}`` (or ``gloss('holdback-window', 'window')``
for other wording): a plain link to ``/glossary#holdback-window`` whose text is the word, so it works
without JavaScript and a screen reader reads the word itself. The helper is called ``gloss`` rather than
``term`` because the contract templates already have a ``term`` macro (a vehicle's term of dates).

The definitions restate the rules of DESIGN sections 4 and 5 as the application applies them
(`contracts/performance/` for the settlement arithmetic); when a rule changes, change its sentence here.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, render_template, url_for
from markupsafe import Markup, escape

__all__ = ["GROUPS", "TERMS", "Term", "bp", "gloss"]


class Term(NamedTuple):
    name: str  # as written in a sentence ("holdback window"); the page capitalises the first letter
    definition: str

    @property
    def title(self) -> str:
        return self.name[:1].upper() + self.name[1:]

    @property
    def summary(self) -> str:
        """The definition's first sentence, for the link's tooltip."""
        first, _, _ = self.definition.partition(". ")
        return first.rstrip(".") + "."


TERMS: dict[str, Term] = {
    # --- buying together -------------------------------------------------------------------------
    "contract-vehicle": Term(
        "contract vehicle",
        "A master agreement that one city (the lead agency) competed and signed with one or more vendors, "
        "so that other member cities can buy the same things at the same prices without running their own "
        "procurement. It sets the price schedule, the term and renewal options, the ceiling and the admin "
        "fee. A vehicle is a draft until the consortium office activates it, and then active until it "
        "expires at its end date or is terminated."),
    "lead-agency": Term(
        "lead agency",
        "The member city that ran the procurement behind a contract vehicle. It buys under the vehicle "
        "directly, without a participating addendum."),
    "price-schedule": Term(
        "price schedule",
        "The items a vendor sells under a contract vehicle with their contract prices. A contract price is "
        "never above the vendor's list price in the catalog, and an order's unit price is never above the "
        "contract price (a city may negotiate a lower one)."),
    "ceiling": Term(
        "ceiling",
        "The most that may ever be committed under a contract vehicle, across all member cities and "
        "vendors together. Each submitted order's not-to-exceed value is counted against it; an order that "
        "would go over it is refused. Money comes back when an order is declined or cancelled, and when "
        "closeout trims an order to what it actually paid."),
    "participating-addendum": Term(
        "participating addendum",
        "The short agreement by which a member city joins a contract vehicle it did not lead. The city's "
        "approver asks to join and signs; the consortium office approves and countersigns, and the "
        "addendum is then executed. Only a city with an executed addendum (or the lead agency) may order "
        "under the vehicle. Changing the addendum's terms voids the signatures."),
    "participation-limit": Term(
        "participation limit",
        "An optional not-to-exceed for one member city under a vehicle, written in its participating "
        "addendum (the member not-to-exceed). The city's orders under the vehicle are counted against it as "
        "well as against the vehicle's ceiling. Without one, only the ceiling limits the city."),
    "order": Term(
        "task order",
        "A city's purchase under a contract vehicle: lines from the price schedule, pay-for-performance "
        "terms, or both. It goes from draft to submitted, approved (at once within the city's approval "
        "limit, otherwise by the city's approver) and active (once the vendor accepts), and ends completed "
        "or terminated; it can also be declined or cancelled before it is active."),
    "not-to-exceed": Term(
        "not-to-exceed value",
        "The most an order can ever cost the city: its one-time lines plus, for pay-for-performance terms, "
        "the number of periods times the most one period can pay (fixed fee + at-risk fee + bonus pool, "
        "plus the vendor's savings cap when there are shared savings). Service credits never raise it. "
        "When the order is submitted this amount is committed against the vehicle's ceiling and the "
        "city's participation limit."),
    "approval-limit": Term(
        "delegated approval limit",
        "The amount up to which a city has delegated authority to buy without its approver. An order whose "
        "not-to-exceed value is within the limit is approved as soon as it is submitted; above it, it waits "
        "for one of the city's approvers, never the person who wrote it. The limit is internal to the city: "
        "vendors do not see it."),
    "admin-fee": Term(
        "admin fee",
        "A percentage of what is bought under a contract vehicle that the vendor pays to the consortium "
        "office, which funds the cooperative's work. Each vehicle states its percentage (by default the "
        "consortium's). It is not added to the order's value or to the prices the city pays."),
    # --- pay for performance ---------------------------------------------------------------------
    "pay-for-performance": Term(
        "pay for performance",
        "Terms on an order under which the vendor is paid per period according to measured results: a "
        "fixed fee, plus an at-risk fee earned in proportion to the performance factor, plus an optional "
        "bonus, less any service credits; part of each period's pay is held back until its window is "
        "decided. Everything is computed to the cent from the measurements the city has verified."),
    "period": Term(
        "period",
        "The unit of payment of pay-for-performance terms: a month, a quarter or a year. Period 1 starts on "
        "the terms' first day and each period ends the day before the next one starts. A period can be "
        "reported from the day after it ends, in the consortium's time zone."),
    "kpi": Term(
        "KPI",
        "A key performance indicator: something measured each period that decides the pay, such as street "
        "light availability in percent. Each KPI has a unit, a direction (higher or lower is better), a "
        "weight, a baseline, a floor, a target and optionally a stretch. The weights of an order's KPIs add "
        "up to 1."),
    "measurement": Term(
        "measurement",
        "A KPI value the vendor reports for one period, with evidence. The city verifies it or disputes it; "
        "a disputed value can be corrected and verified again. Only verified values count for payment."),
    "baseline": Term(
        "baseline",
        "Where a KPI stood before the order, for comparison. It does not change the pay."),
    "floor": Term(
        "floor",
        "The worst acceptable value of a KPI. At or below the floor the KPI earns none of its share of the "
        "at-risk fee, and a holdback window whose average misses the floor is forfeited."),
    "target": Term(
        "target",
        "The value of a KPI at which it earns its whole share of the at-risk fee. Between the floor and "
        "the target the share grows in a straight line."),
    "stretch": Term(
        "stretch",
        "An optional value beyond the target. Between the target and the stretch a KPI earns a growing part "
        "of its share of the bonus pool, all of it at the stretch."),
    "performance-factor": Term(
        "performance factor",
        "A number from 0 to 1 (shown as 0 % to 100 %) saying how much of the at-risk fee a period earned. "
        "For each KPI: 0 at or below the floor, 1 at or past the target, in between in proportion (for "
        "example 97.2 % availability between a floor of 95 and a target of 99 gives 0.55). The performance "
        "factor (PF) is the weighted sum over the KPIs."),
    "fixed-fee": Term(
        "fixed fee",
        "The part of each period's pay that does not depend on performance (service credits can reduce it)."),
    "at-risk-fee": Term(
        "at-risk fee",
        "The part of each period's pay that depends on performance: the period earns the at-risk fee times "
        "the performance factor. With a factor of 0.55 a 40,000.00 at-risk fee earns 22,000.00."),
    "bonus-pool": Term(
        "bonus pool",
        "An optional amount per period the vendor can earn on top by doing better than the targets, up to "
        "the stretch values."),
    "holdback": Term(
        "holdback",
        "A percentage of each period's gross pay that the city keeps back for a while. The rest is paid now "
        "(paid now = gross − holdback). What is held back is released or forfeited at the end of its "
        "holdback window."),
    "holdback-window": Term(
        "holdback window",
        "A run of consecutive periods (for example 3) whose holdbacks are decided together. When every "
        "period of the window has its verified measurements, the holdback is released to the vendor if, "
        "for every KPI, the window's average value meets the floor; otherwise it is forfeited and the city "
        "keeps it. Until then the window is pending."),
    "service-credits": Term(
        "service credits",
        "A reduction of the fixed fee when a service level is missed: for the KPI named, the tier of the "
        "lowest threshold the value is below gives a percentage of the fixed fee, up to a cap. Example: "
        "tiers below 99.9 → 10 %, below 99.0 → 25 %; 98.2 % uptime on a 12,000.00 fee gives 3,000.00."),
    "shared-savings": Term(
        "shared savings",
        "Terms for energy and similar projects: savings = (baseline use + adjustments − use measured in "
        "the period) × price per unit. The vendor gets its share of the savings up to a cap, less any "
        "shortfall against the savings it guaranteed; the city keeps the rest."),
    "settlement": Term(
        "settlement",
        "The computation of what each period pays from the terms and the verified measurements: "
        "performance factor, at-risk fee earned, bonus, service credits, gross, holdback and paid now, then "
        "the holdback windows and shared savings. It is computed afresh from the verified values each time "
        "it is shown, never typed in, and a period without all its verified values stays pending."),
    "statement": Term(
        "statement",
        "A PDF of one period's settlement (dates, KPI values, factors and amounts, and the period's "
        "invoices), suitable to attach to an invoice."),
    "invoice": Term(
        "invoice",
        "The vendor's request for payment for a settled period or for the order's one-time lines, never "
        "more than is due. Its states: submitted (waiting for the city), approved, paid (with the date "
        "paid) or rejected with a reason (the amount can then be invoiced again)."),
    "closeout": Term(
        "closeout",
        "The end of an order. It is completed once every holdback window is released or forfeited and no "
        "invoice waits for a decision. The city's approver or the consortium office can instead terminate "
        "an active order with a reason: periods not yet started never run, running ones are still measured "
        "and paid. Either way the commitment is trimmed to what the order made payable and the rest is "
        "given back to the vehicle's ceiling and the city's participation limit."),
    # --- evidence --------------------------------------------------------------------------------
    "pilot-outcome": Term(
        "pilot outcome",
        "What a pilot showed, derived from its measured results rather than typed in: met when every "
        "metric reached its target, partially met when some did, not met when none did, inconclusive "
        "without results. A city may state a different outcome only with a written justification, shown "
        "next to it."),
    "proven": Term(
        "proven listing",
        "A catalog listing with at least one verified pilot whose derived outcome is met. A pilot is "
        "verified by the host city's approver or the consortium office, never by the person who recorded "
        "it."),
}


# The page's sections, in reading order; every slug of TERMS is in exactly one.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Buying together", ("contract-vehicle", "lead-agency", "price-schedule", "ceiling", "participating-addendum",
                         "participation-limit", "order", "not-to-exceed", "approval-limit", "admin-fee")),
    ("Pay for performance", ("pay-for-performance", "period", "kpi", "measurement", "baseline", "floor", "target",
                             "stretch", "performance-factor", "fixed-fee", "at-risk-fee", "bonus-pool", "holdback",
                             "holdback-window", "service-credits", "shared-savings")),
    ("Paying and closing", ("settlement", "statement", "invoice", "closeout")),
    ("Evidence", ("pilot-outcome", "proven")),
)


def gloss(slug: str, text: str | None = None) -> Markup:
    """An inline link from a word to its definition: ``<a href="/glossary#slug"><dfn>word</dfn></a>``.

    An unknown slug raises KeyError, so a typo fails the page's tests rather than linking nowhere."""
    entry = TERMS[slug]
    href = url_for("glossary.page") + "#" + slug
    return Markup('<a class="usa-link glossary-link" href="{}" title="{}"><dfn>{}</dfn></a>').format(
        href, entry.summary, escape(text if text is not None else entry.name))


bp = Blueprint("glossary", __name__, template_folder="templates")


@bp.route("/glossary")
def page():
    """The glossary: public, outside any consortium (the words are the same in every consortium)."""
    return render_template("glossary.html", terms=TERMS, groups=GROUPS)
