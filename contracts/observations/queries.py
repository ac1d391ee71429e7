"""Loading observations for pages and the API alike: visible only to those who may see their order."""

from __future__ import annotations

from contracts.observations import services
from contracts.observations.models import Observation
from contracts.orders.queries import get_order_or_404
from marketplace.formats import money, period_span
from marketplace.templating import number
from marketplace.tenancy import get_or_404


def get_observation_or_404(observation_id: int) -> Observation:
    """The observation, for someone who may see its order (401 for nobody signed in, 404 otherwise)."""
    observation = get_or_404(Observation, observation_id)
    get_order_or_404(observation.order_id)
    return observation


def dispute_consequences(observation: Observation) -> list[str]:
    """What disputing a reported value does: it never counts for payment, and its period waits for a
    corrected value the city verifies (what that period can pay is held until then)."""
    order = observation.order
    terms = services.order_terms(order)
    kpi = next((k for k in terms.kpis if k.code == observation.kpi), None) if terms is not None else None
    what = f"{kpi.name} ({kpi.unit})" if kpi is not None else observation.kpi
    dates = services.order_period_dates(order, terms, observation.period) if terms is not None else None
    period = f"period {observation.period}" + (f" ({period_span(*dates)})" if dates else "")
    sentences = [f"The value {number(observation.value)} of {what} reported for {period} does not count for "
                 f"payment; {order.vendor.name} can correct it, and the corrected value waits for verification."]
    if terms is not None:
        most = terms.fixed_fee + terms.at_risk_fee + terms.bonus_pool
        sentences.append(f"Until a corrected value is verified, {period} is not settled: nothing of the up to "
                         f"{money(most)} it can pay (fixed fee {money(terms.fixed_fee)}, at-risk fee "
                         f"{money(terms.at_risk_fee)}) is paid for it, and its holdback window stays pending.")
    return sentences
