"""Pay-for-performance arithmetic (contracts/performance, DESIGN section 5): the worked examples to the
cent, factors, credits, savings, windows and the not-to-exceed value. Validation is in
test_performance_terms.py, properties in test_performance_properties.py."""

from __future__ import annotations

import pytest

from contracts.performance import (
    Terms,
    kpi_bonus_factor,
    kpi_pf,
    not_to_exceed,
    parse_terms,
    service_credit,
    settle,
    shared_savings,
)
from tests.contracts.performance_builders import (
    D,
    availability_kpi,
    credits_section,
    observe,
    period_row,
    savings_section,
    streetlight_data,
)

# --------------------------------------------------------------------------------------
# Worked example A


def test_example_a_window_released():
    result = settle(parse_terms(streetlight_data()), observe("availability", "97.2", "99.3", "94.6"))

    assert result.to_json() == {
        "kpis": [{"code": "availability", "name": "Street light availability", "unit": "percent",
                  "unit_label": "%"}],
        "periods": [
            {
                "period": 1,
                "start_date": "2026-01-01",
                "end_date": "2026-01-31",
                "pf": "0.55",
                "at_risk_earned": "22000.00",
                "bonus": "0.00",
                "credits": "0.00",
                "gross": "32000.00",
                "holdback": "3200.00",
                "paid_now": "28800.00",
                "status": "settled",
            },
            {
                "period": 2,
                "start_date": "2026-02-01",
                "end_date": "2026-02-28",
                "pf": "1",
                "at_risk_earned": "40000.00",
                "bonus": "1200.00",
                "credits": "0.00",
                "gross": "51200.00",
                "holdback": "5120.00",
                "paid_now": "46080.00",
                "status": "settled",
            },
            {
                "period": 3,
                "start_date": "2026-03-01",
                "end_date": "2026-03-31",
                "pf": "0",
                "at_risk_earned": "0.00",
                "bonus": "0.00",
                "credits": "0.00",
                "gross": "10000.00",
                "holdback": "1000.00",
                "paid_now": "9000.00",
                "status": "settled",
            },
        ],
        "windows": [{"window": 1, "periods": [1, 2, 3], "holdback": "9320.00", "status": "released"}],
        "savings": [],
        "revenue": [],
        "guarantees": [],
        "totals": {
            "paid": "93200.00",
            "withheld": "9320.00",
            "released": "9320.00",
            "forfeited": "0.00",
            "pending": "0.00",
            "city_revenue": "0.00",
        },
    }
    ((code, average),) = result.windows[0].averages
    assert code == "availability"
    assert average.quantize(D("0.0001")) == D("97.0333")


def test_example_a_window_forfeited():
    result = settle(parse_terms(streetlight_data()), observe("availability", "94.0", "96.0", "94.5"))

    assert [p.to_json() for p in result.periods] == [
        period_row(1, "0", "0.00", "0.00", "10000.00", "1000.00", "9000.00"),
        period_row(2, "0.25", "10000.00", "0.00", "20000.00", "2000.00", "18000.00"),
        period_row(3, "0", "0.00", "0.00", "10000.00", "1000.00", "9000.00"),
    ]
    assert [w.to_json() for w in result.windows] == [
        {"window": 1, "periods": [1, 2, 3], "holdback": "4000.00", "status": "forfeited"}
    ]
    assert result.windows[0].averages[0][1].quantize(D("0.0001")) == D("94.8333")
    assert result.to_json()["totals"] == {
        "paid": "36000.00",
        "withheld": "4000.00",
        "released": "0.00",
        "forfeited": "4000.00",
        "pending": "0.00",
        "city_revenue": "0.00",
    }


def test_example_a_keeps_every_step_for_a_statement():
    result = settle(parse_terms(streetlight_data()), observe("availability", "97.2", "99.3", "94.6"))

    second = result.period(2)
    (step,) = second.kpis
    assert (step.code, step.value, step.weight, step.pf, step.bonus_factor) == (
        "availability",
        D("99.3"),
        D("1"),
        D("1"),
        D("0.6"),
    )
    assert second.bonus_factor == D("0.6")
    assert second.missing == ()
    assert result.window_of(2).window == 1
    with pytest.raises(KeyError):
        result.period(4)


# --------------------------------------------------------------------------------------
# Worked example B


def test_example_b_savings_met():
    ss = parse_terms(streetlight_data(shared_savings=savings_section())).shared_savings
    r = shared_savings(ss, D("1800000"))
    assert (r.savings_units, r.savings, r.vendor_share, r.shortfall, r.net_to_vendor, r.city_net) == (
        D("2300000"),
        D("253000.00"),
        D("177100.00"),
        D("0.00"),
        D("177100.00"),
        D("75900.00"),
    )


def test_example_b_savings_short_of_guarantee():
    ss = parse_terms(streetlight_data(shared_savings=savings_section())).shared_savings
    r = shared_savings(ss, D("2300000"))
    assert (r.savings_units, r.savings, r.vendor_share, r.shortfall, r.net_to_vendor, r.city_net) == (
        D("1800000"),
        D("198000.00"),
        D("138600.00"),
        D("2000.00"),
        D("136600.00"),
        D("61400.00"),
    )


def savings_only_terms(periods: int = 2) -> Terms:
    return parse_terms(
        {
            "period": "year", "start_date": "2026-01-01",
            "periods": periods,
            "fixed_fee": "0",
            "at_risk_fee": "0",
            "shared_savings": savings_section(),
        }
    )


def test_example_b_in_a_settlement():
    result = settle(savings_only_terms(), observe("energy_use", "1800000", "2300000"))

    assert result.to_json()["savings"] == [
        {
            "period": 1,
            "savings_units": "2300000",
            "savings": "253000.00",
            "vendor_share": "177100.00",
            "shortfall": "0.00",
            "net_to_vendor": "177100.00",
            "city_net": "75900.00",
        },
        {
            "period": 2,
            "savings_units": "1800000",
            "savings": "198000.00",
            "vendor_share": "138600.00",
            "shortfall": "2000.00",
            "net_to_vendor": "136600.00",
            "city_net": "61400.00",
        },
    ]
    assert result.totals.paid == D("313700.00")
    assert result.savings_for(2).shortfall == D("2000.00")


def test_savings_only_for_periods_with_a_verified_reporting_use():
    result = settle(savings_only_terms(3), observe("energy_use", None, "2300000"))
    assert [row.period for row in result.savings] == [2]
    assert result.savings_for(1) is None


def test_vendor_share_is_capped():
    ss = savings_only_terms().shared_savings
    r = shared_savings(ss, D("1500000"))  # 70% of 286,000.00 is above the cap
    assert (r.savings, r.vendor_share, r.shortfall, r.city_net) == (
        D("286000.00"),
        D("180000.00"),
        D("0.00"),
        D("106000.00"),
    )


def test_negative_savings_pay_the_vendor_nothing_and_claw_back_the_guarantee():
    ss = savings_only_terms().shared_savings
    r = shared_savings(ss, D("4200000"))
    assert (r.savings_units, r.savings, r.vendor_share, r.shortfall, r.net_to_vendor, r.city_net) == (
        D("-100000"),
        D("-11000.00"),
        D("0.00"),
        D("211000.00"),
        D("-211000.00"),
        D("200000.00"),
    )


# --------------------------------------------------------------------------------------
# Worked example C

EXAMPLE_C = [
    ("99.95", "0", "0.00"),
    ("99.5", "10", "1200.00"),
    ("98.2", "25", "3000.00"),
    ("93.0", "50", "6000.00"),
    ("99.9", "0", "0.00"),
    ("99.0", "10", "1200.00"),
    ("95.0", "25", "3000.00"),
]


@pytest.mark.parametrize(("value", "pct", "amount"), EXAMPLE_C)
def test_example_c_service_credit(value, pct, amount):
    sc = parse_terms(streetlight_data(service_credits=credits_section())).service_credits
    assert service_credit(sc, D(value), D("12000.00")) == (D(pct), D(amount))


def test_example_c_in_a_settlement():
    terms = parse_terms(
        {
            "period": "month", "start_date": "2026-01-01",
            "periods": 7,
            "fixed_fee": "12000.00",
            "at_risk_fee": "0",
            "service_credits": credits_section(),
        }
    )
    result = settle(terms, observe("uptime", *(value for value, _, _ in EXAMPLE_C)))
    assert [(p.credit_pct, p.credits, p.gross) for p in result.periods] == [
        (D(pct), D(amount), D("12000.00") - D(amount)) for _, pct, amount in EXAMPLE_C
    ]
    assert result.period(4).service_credit_value == D("93.0")


def test_service_credit_is_capped():
    sc = parse_terms(streetlight_data(service_credits=credits_section(cap_pct="30"))).service_credits
    assert service_credit(sc, D("90"), D("12000.00")) == (D("30"), D("3600.00"))


def test_service_credit_kpi_may_also_be_a_pf_kpi():
    terms = parse_terms(streetlight_data(service_credits=credits_section(kpi="availability")))
    result = settle(terms, observe("availability", "97.2", "99.3", "94.6"))
    # 97.2 is below 99.0 → 25% of the fixed fee: 10,000 − 2,500 + 22,000.
    assert result.period(1).credits == D("2500.00")
    assert result.period(1).gross == D("29500.00")


# --------------------------------------------------------------------------------------
# Pending periods and windows


def test_missing_value_leaves_period_and_window_pending():
    result = settle(parse_terms(streetlight_data()), observe("availability", "97.2", None, "94.6"))

    pending = result.period(2)
    assert pending.status == "pending"
    assert pending.missing == ("availability",)
    assert pending.to_json() == {
        "period": 2,
        "start_date": "2026-02-01",
        "end_date": "2026-02-28",
        "pf": "0",
        "at_risk_earned": "0.00",
        "bonus": "0.00",
        "credits": "0.00",
        "gross": "0.00",
        "holdback": "0.00",
        "paid_now": "0.00",
        "status": "pending",
    }
    assert result.windows[0].status == "pending"
    assert result.windows[0].holdback == D("4200.00")
    assert result.windows[0].averages == ()
    assert result.to_json()["totals"] == {
        "paid": "37800.00",
        "withheld": "4200.00",
        "released": "0.00",
        "forfeited": "0.00",
        "pending": "4200.00",
        "city_revenue": "0.00",
    }


def test_missing_service_credit_value_leaves_period_pending():
    terms = parse_terms(streetlight_data(service_credits=credits_section()))
    observations = observe("availability", "97.2", "99.3", "94.6") | observe("uptime", "99.95", "99.95")
    result = settle(terms, observations)
    assert [p.status for p in result.periods] == ["settled", "settled", "pending"]
    assert result.period(3).missing == ("uptime",)


def test_windows_group_periods_and_the_last_partial_window_counts():
    terms = parse_terms(streetlight_data(periods=7))
    values = ["97.2", "99.3", "94.6", "94.0", "96.0", "94.5", "99.0"]
    result = settle(terms, observe("availability", *values))

    assert [(w.window, w.periods, w.status) for w in result.windows] == [
        (1, (1, 2, 3), "released"),
        (2, (4, 5, 6), "forfeited"),
        (3, (7,), "released"),
    ]
    assert [w.holdback for w in result.windows] == [D("9320.00"), D("4000.00"), D("5000.00")]
    totals = result.totals
    assert (totals.released, totals.forfeited, totals.pending) == (D("14320.00"), D("4000.00"), D("0.00"))
    assert totals.paid == D("93200.00") + D("36000.00") + D("50000.00")
    assert result.window_of(7).window == 3


def test_later_window_pending_while_earlier_ones_settle():
    terms = parse_terms(streetlight_data(periods=6))
    result = settle(terms, observe("availability", "97.2", "99.3", "94.6", "99.0"))
    assert [w.status for w in result.windows] == ["released", "pending"]
    assert result.totals.pending == D("5000.00")
    assert result.totals.released == D("9320.00")


def test_through_period_keeps_later_periods_pending():
    terms = parse_terms({"period": "month", "start_date": "2026-01-01", "periods": 4, "fixed_fee": "500.00",
                         "at_risk_fee": "0"})
    assert settle(terms, {}).totals.paid == D("2000.00")
    result = settle(terms, {}, through_period=2)
    assert [p.status for p in result.periods] == ["settled", "settled", "pending", "pending"]
    assert result.totals.paid == D("1000.00")


def test_window_average_exactly_at_floor_is_released():
    result = settle(parse_terms(streetlight_data()), observe("availability", "94.0", "96.0", "95.0"))
    assert result.windows[0].status == "released"


# --------------------------------------------------------------------------------------
# Lower-is-better KPIs


def response_time_data(**changes) -> dict:
    kpi = {
        "code": "response_minutes",
        "name": "Repair response time",
        "unit": "minutes",
        "direction": "lower",
        "weight": "1",
        "baseline": "90",
        "floor": "60",
        "target": "30",
        "stretch": "20",
    }
    data = {
        "period": "quarter", "start_date": "2026-01-01",
        "periods": 3,
        "fixed_fee": "1000.00",
        "at_risk_fee": "1000.00",
        "bonus_pool": "100.00",
        "holdback_pct": "10",
        "holdback_window": 3,
        "kpis": [kpi],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("value", "pf", "bonus_factor"),
    [
        ("70", "0", "0"),
        ("60", "0", "0"),
        ("45", "0.5", "0"),
        ("30", "1", "0"),
        ("25", "1", "0.5"),
        ("20", "1", "1"),
        ("5", "1", "1"),
    ],
)
def test_lower_kpi_factors(value, pf, bonus_factor):
    (kpi,) = parse_terms(response_time_data()).kpis
    assert kpi_pf(kpi, D(value)) == D(pf)
    assert kpi_bonus_factor(kpi, D(value)) == D(bonus_factor)


def test_lower_kpi_settlement_and_window():
    terms = parse_terms(response_time_data())
    result = settle(terms, observe("response_minutes", "45", "25", "70"))
    assert [(p.pf, p.at_risk_earned, p.bonus, p.gross) for p in result.periods] == [
        (D("0.5"), D("500.00"), D("0.00"), D("1500.00")),
        (D("1"), D("1000.00"), D("50.00"), D("2050.00")),
        (D("0"), D("0.00"), D("0.00"), D("1000.00")),
    ]
    # Average 46.67 minutes is at or below the 60-minute floor.
    assert result.windows[0].status == "released"

    slow = settle(terms, observe("response_minutes", "45", "70", "70"))
    assert slow.windows[0].status == "forfeited"


def test_kpi_without_stretch_has_no_bonus_factor():
    (kpi,) = parse_terms(streetlight_data(bonus_pool="0", kpis=[availability_kpi(stretch=None)])).kpis
    assert kpi_bonus_factor(kpi, D("100")) is None


def test_weighted_kpis():
    kpis = [
        availability_kpi(weight="0.6"),
        {
            "code": "outage_hours",
            "name": "Outage hours",
            "unit": "hours",
            "direction": "lower",
            "weight": "0.4",
            "baseline": "20",
            "floor": "10",
            "target": "2",
        },
    ]
    terms = parse_terms(streetlight_data(kpis=kpis))
    observations = observe("availability", "97.0", "99.5") | observe("outage_hours", "6", "12")
    first, second = settle(terms, observations).periods[:2]
    # pf = 0.6 · 0.5 + 0.4 · 0.5; bonus only from availability's stretch.
    assert (first.pf, first.at_risk_earned, first.bonus) == (D("0.5"), D("20000.00"), D("0.00"))
    assert (second.pf, second.at_risk_earned, second.bonus) == (D("0.6"), D("24000.00"), D("1200.00"))


def test_factors_are_exact_and_amounts_rounded_once():
    # pf = 5/6 has no finite decimal; 0.03 · 5/6 = 0.025 exactly, which rounds up to 0.03.
    # Rounding pf first (0.8333…) would give 0.02.
    kpi = availability_kpi(floor="0", target="6", stretch=None)
    terms = parse_terms(streetlight_data(at_risk_fee="0.03", bonus_pool="0", kpis=[kpi]))
    period = settle(terms, observe("availability", "5")).period(1)
    assert period.at_risk_earned == D("0.03")
    assert period.pf == D("0.8333333333333333333333333333")


def test_half_cent_rounds_up():
    terms = parse_terms(streetlight_data(fixed_fee="0.05", at_risk_fee="0", bonus_pool="0"))
    period = settle(terms, observe("availability", "99")).period(1)
    assert (period.gross, period.holdback, period.paid_now) == (D("0.05"), D("0.01"), D("0.04"))


# --------------------------------------------------------------------------------------
# Not to exceed


def test_not_to_exceed():
    assert not_to_exceed(parse_terms(streetlight_data())) == D("156000.00")
    with_savings = parse_terms(streetlight_data(shared_savings=savings_section()))
    assert not_to_exceed(with_savings) == D("696000.00")  # 3 · (52,000 + 180,000)
    with_credits = parse_terms(streetlight_data(service_credits=credits_section()))
    assert not_to_exceed(with_credits) == D("156000.00")
    assert not_to_exceed(savings_only_terms(2)) == D("360000.00")
