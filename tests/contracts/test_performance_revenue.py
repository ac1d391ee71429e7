"""Revenue share (contracts/performance/revenue.py, DESIGN section 5, example D): the city's share per period,
the guarantee blocks and their true-up, validation of the block, and that none of it raises what the city
pays. Pure arithmetic: no Flask, no database."""

from __future__ import annotations

import pytest

from contracts.performance import city_share, guarantee_blocks, not_to_exceed, parse_terms, settle
from tests.contracts.performance_builders import (
    DELETE,
    D,
    availability_kpi,
    changed,
    errors_of,
    observe,
    savings_section,
    streetlight_data,
)


def revenue_section(**changes) -> dict:
    """Worked example D: public Wi-Fi advertising, city share 50 %, minimum 120,000.00 per 4 quarters."""
    section = {"kpi": "ad_revenue", "city_share_pct": "50", "minimum_guarantee": "120000.00",
               "guarantee_periods": 4}
    section.update(changes)
    return section


def wifi_data(**changes) -> dict:
    """A concession: quarterly, nothing paid by the city, only the revenue share."""
    data = {"period": "quarter", "periods": 4, "start_date": "2026-01-01", "fixed_fee": "0.00",
            "at_risk_fee": "0.00", "revenue_share": revenue_section()}
    data.update(changes)
    return data


# --------------------------------------------------------------------------------------
# Worked example D


def test_example_d_true_up_brings_the_city_to_its_minimum():
    result = settle(parse_terms(wifi_data()), observe("ad_revenue", "40000", "50000", "60000", "70000"))

    data = result.to_json()
    assert data["revenue"] == [
        {"period": 1, "revenue": "40000.00", "city_share": "20000.00"},
        {"period": 2, "revenue": "50000.00", "city_share": "25000.00"},
        {"period": 3, "revenue": "60000.00", "city_share": "30000.00"},
        {"period": 4, "revenue": "70000.00", "city_share": "35000.00"},
    ]
    assert data["guarantees"] == [{"block": 1, "periods": [1, 2, 3, 4], "city_share": "110000.00",
                                   "minimum": "120000.00", "true_up": "10000.00", "status": "settled"}]
    assert data["totals"]["city_revenue"] == "120000.00"
    assert data["totals"]["paid"] == "0.00"


def test_example_d_no_true_up_above_the_minimum():
    result = settle(parse_terms(wifi_data()), observe("ad_revenue", "70000", "80000", "60000", "50000"))

    (block,) = result.to_json()["guarantees"]
    assert block == {"block": 1, "periods": [1, 2, 3, 4], "city_share": "130000.00", "minimum": "120000.00",
                     "true_up": "0.00", "status": "settled"}
    assert result.to_json()["totals"]["city_revenue"] == "130000.00"


def test_a_block_with_a_missing_period_is_pending_and_owes_no_true_up_yet():
    result = settle(parse_terms(wifi_data()), observe("ad_revenue", "40000", None, "60000", "70000"))

    assert [row.period for row in result.revenue] == [1, 3, 4]
    (block,) = result.guarantees
    assert block.status == "pending"
    assert block.missing == (2,)
    assert block.true_up == D("0.00")
    assert block.city_share == D("85000.00")  # what the verified periods have brought so far
    # The verified shares are owed already; the true-up only once the block is settled.
    assert result.totals.city_revenue == D("85000.00")
    assert result.guarantee_of(2) is block
    assert result.revenue_for(2) is None and result.revenue_for(3).city_share == D("30000.00")


def test_periods_not_reached_yet_keep_their_block_pending():
    observations = observe("ad_revenue", "40000", "50000", "60000", "70000")
    result = settle(parse_terms(wifi_data()), observations, through_period=3)

    assert [row.period for row in result.revenue] == [1, 2, 3]
    assert result.guarantees[0].status == "pending"
    assert result.totals.city_revenue == D("75000.00")


# --------------------------------------------------------------------------------------
# Blocks and rounding


def test_a_last_partial_block_is_its_own_block_and_owes_the_whole_minimum():
    """Six quarters in blocks of four: periods 1–4, then 5–6 with the same minimum (nothing prorated)."""
    terms = parse_terms(wifi_data(periods=6))
    result = settle(terms, observe("ad_revenue", "40000", "50000", "60000", "70000", "100000", "60000"))

    assert [(b.block, b.periods, b.status) for b in result.guarantees] == [
        (1, (1, 2, 3, 4), "settled"), (2, (5, 6), "settled")]
    second = result.guarantees[1]
    assert second.city_share == D("80000.00")
    assert second.minimum == D("120000.00")
    assert second.true_up == D("40000.00")
    assert result.totals.city_revenue == D("110000.00") + D("10000.00") + D("80000.00") + D("40000.00")


@pytest.mark.parametrize(("periods", "size", "blocks"), [
    (4, 4, ((1, 2, 3, 4),)),
    (4, 1, ((1,), (2,), (3,), (4,))),
    (5, 2, ((1, 2), (3, 4), (5,))),
    (1, 1, ((1,),)),
])
def test_guarantee_blocks(periods, size, blocks):
    assert guarantee_blocks(periods, size) == blocks


def test_city_share_is_rounded_half_up_to_cents():
    rs = parse_terms(wifi_data(revenue_share=revenue_section(city_share_pct="12.5"))).revenue_share
    assert city_share(rs, D("0.04")) == D("0.01")  # 0.005 → 0.01
    assert city_share(rs, D("0.03")) == D("0.00")  # 0.00375 → 0.00
    assert city_share(rs, D("1000.005")) == D("125.00")  # 125.000625
    assert city_share(rs, D("0")) == D("0.00")


def test_revenue_beyond_cents_is_shown_as_reported():
    result = settle(parse_terms(wifi_data()), observe("ad_revenue", "40000.005"))
    assert result.to_json()["revenue"][0] == {"period": 1, "revenue": "40000.005", "city_share": "20000.00"}


def test_a_zero_minimum_never_trues_up():
    terms = parse_terms(wifi_data(revenue_share=revenue_section(minimum_guarantee="0")))
    result = settle(terms, observe("ad_revenue", "0", "0", "0", "0"))
    assert result.guarantees[0].true_up == D("0.00")
    assert result.totals.city_revenue == D("0.00")


# --------------------------------------------------------------------------------------
# The city pays nothing for it


def test_revenue_share_never_raises_the_not_to_exceed_value_or_what_is_paid():
    plain = parse_terms(streetlight_data())
    with_revenue = parse_terms(streetlight_data(
        kpis=[availability_kpi(weight="0.5"), availability_kpi(code="ad_revenue", name="Advertising revenue",
                                                                unit="currency", weight="0.5", baseline="0",
                                                                floor="0", target="1000", stretch=None)],
        revenue_share=revenue_section(guarantee_periods=3)))
    assert not_to_exceed(with_revenue) == not_to_exceed(plain) == D("156000.00")

    values = observe("availability", "99.0", "99.0", "99.0") | observe("ad_revenue", "1000", "1000", "1000")
    result = settle(with_revenue, values)
    assert result.totals.paid == D("150000.00")  # 3 × (10,000 + 40,000): the revenue KPI met its target
    assert result.totals.city_revenue == D("120000.00")  # 3 × 500 = 1,500 shares + 118,500 true-up


def test_a_concession_without_revenue_share_costs_nothing():
    assert not_to_exceed(parse_terms(wifi_data())) == D("0.00")


# --------------------------------------------------------------------------------------
# Validation and the canonical form


def test_revenue_share_round_trips():
    terms = parse_terms(wifi_data())
    assert terms.to_dict()["revenue_share"] == {"kpi": "ad_revenue", "city_share_pct": "50",
                                                "minimum_guarantee": "120000.00", "guarantee_periods": 4}
    assert parse_terms(terms.to_dict()) == terms
    assert "ad_revenue" in terms.kpi_codes()
    measure = terms.measure("ad_revenue")
    assert (measure.unit, measure.low, measure.high) == ("currency", D(0), None)


INVALID = [
    (("revenue_share", "city_share_pct"), "0", "revenue_share.city_share_pct", "above 0 and at most 100"),
    (("revenue_share", "city_share_pct"), "100.5", "revenue_share.city_share_pct", "above 0 and at most 100"),
    (("revenue_share", "city_share_pct"), "-5", "revenue_share.city_share_pct", "above 0 and at most 100"),
    (("revenue_share", "city_share_pct"), DELETE, "revenue_share.city_share_pct", "is required"),
    (("revenue_share", "minimum_guarantee"), "-1.00", "revenue_share.minimum_guarantee", "from 0 to"),
    (("revenue_share", "minimum_guarantee"), "1.005", "revenue_share.minimum_guarantee", "2 decimal places"),
    (("revenue_share", "guarantee_periods"), 0, "revenue_share.guarantee_periods", "whole number from 1 to 4"),
    (("revenue_share", "guarantee_periods"), 5, "revenue_share.guarantee_periods", "whole number from 1 to 4"),
    (("revenue_share", "guarantee_periods"), "1.5", "revenue_share.guarantee_periods", "whole number"),
    (("revenue_share", "kpi"), "Ad Revenue", "revenue_share.kpi", "lowercase letters"),
    (("revenue_share", "kpi"), DELETE, "revenue_share.kpi", "is required"),
    (("revenue_share", "unit"), "currency", "revenue_share.unit", "not a known field"),
    (("revenue_share",), "50%", "revenue_share", "must be an object"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), INVALID)
def test_invalid_revenue_share_names_the_field(path, value, field, message):
    errors = errors_of(changed(wifi_data(), path, value))
    assert message in errors[field], errors


def test_full_share_is_allowed():
    assert parse_terms(wifi_data(revenue_share=revenue_section(city_share_pct="100"))).revenue_share.city_share_pct \
        == D(100)


def test_revenue_kpi_must_be_measured_in_currency():
    errors = errors_of(streetlight_data(revenue_share=revenue_section(kpi="availability", guarantee_periods=3)))
    assert errors["revenue_share.kpi"] == ("must name a KPI measured in currency: the KPI availability is measured "
                                           "in percent")


def test_revenue_kpi_may_be_a_currency_kpi_of_the_terms():
    kpi = availability_kpi(code="ad_revenue", name="Advertising revenue", unit="currency", baseline="0",
                           floor="0", target="1000", stretch=None)
    terms = parse_terms(streetlight_data(kpis=[kpi], bonus_pool="0",
                                         revenue_share=revenue_section(guarantee_periods=1)))
    assert terms.measure("ad_revenue").name == "Advertising revenue"


def test_revenue_code_cannot_be_the_shared_savings_code():
    errors = errors_of(wifi_data(shared_savings=savings_section(),
                                 revenue_share=revenue_section(kpi="energy_use")))
    assert "code of its own" in errors["revenue_share.kpi"]
