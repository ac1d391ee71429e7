"""Pay-for-performance arithmetic (contracts/performance.py, DESIGN section 5)."""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.performance.settlement import (
    Settlement,
    Terms,
    TermsError,
    kpi_bonus_factor,
    kpi_pf,
    not_to_exceed,
    parse_observation_value,
    parse_terms,
    service_credit,
    settle,
    shared_savings,
)

D = Decimal
DELETE = object()


# --------------------------------------------------------------------------------------
# Builders


def availability_kpi(**changes) -> dict:
    kpi = {
        "code": "availability",
        "name": "Street light availability",
        "unit": "%",
        "direction": "higher",
        "weight": "1",
        "baseline": "92.0",
        "floor": "95.0",
        "target": "99.0",
        "stretch": "99.5",
    }
    kpi.update(changes)
    return kpi


def streetlight_data(**changes) -> dict:
    """Worked example A: street lights as a service."""
    data = {
        "period": "month",
        "periods": 3,
        "fixed_fee": "10000.00",
        "at_risk_fee": "40000.00",
        "bonus_pool": "2000.00",
        "holdback_pct": "10",
        "holdback_window": 3,
        "kpis": [availability_kpi()],
    }
    data.update(changes)
    return data


def savings_section(**changes) -> dict:
    """Worked example B: shared savings with a guarantee."""
    section = {
        "kpi": "energy_use",
        "baseline_use": "4000000",
        "adjustments": [{"amount": "100000", "reason": "Streets added to the network"}],
        "unit_price": "0.11",
        "vendor_share_pct": "70",
        "vendor_cap": "180000.00",
        "guaranteed_savings": "200000.00",
    }
    section.update(changes)
    return section


def credits_section(**changes) -> dict:
    """Worked example C: service credits on the fixed (platform) fee."""
    section = {
        "kpi": "uptime",
        "applies_to": "fixed_fee",
        "tiers": [
            {"below": "99.9", "credit_pct": "10"},
            {"below": "99.0", "credit_pct": "25"},
            {"below": "95.0", "credit_pct": "50"},
        ],
        "cap_pct": "50",
    }
    section.update(changes)
    return section


def full_data() -> dict:
    """Terms using every section, for validation and round trips."""
    return streetlight_data(
        periods=12,
        service_credits=credits_section(),
        shared_savings=savings_section(),
    )


def observe(code: str, *values: str) -> dict[tuple[int, str], Decimal]:
    """Verified values of one KPI for periods 1, 2, …; None leaves a period unobserved."""
    return {(n, code): D(v) for n, v in enumerate(values, start=1) if v is not None}


def changed(data: dict, path: tuple, value) -> dict:
    """A deep copy of ``data`` with the value at ``path`` replaced (or deleted)."""
    data = copy.deepcopy(data)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def period_row(period, pf, at_risk_earned, bonus, gross, holdback, paid_now, credits="0.00") -> dict:
    """A settled period as DESIGN section 7 spells it."""
    return {
        "period": period,
        "pf": pf,
        "at_risk_earned": at_risk_earned,
        "bonus": bonus,
        "credits": credits,
        "gross": gross,
        "holdback": holdback,
        "paid_now": paid_now,
        "status": "settled",
    }


def errors_of(data) -> dict[str, str]:
    with pytest.raises(TermsError) as info:
        parse_terms(data)
    return info.value.fields


# --------------------------------------------------------------------------------------
# Worked example A


def test_example_a_window_released():
    result = settle(parse_terms(streetlight_data()), observe("availability", "97.2", "99.3", "94.6"))

    assert result.to_json() == {
        "periods": [
            {
                "period": 1,
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
        "totals": {
            "paid": "93200.00",
            "withheld": "9320.00",
            "released": "9320.00",
            "forfeited": "0.00",
            "pending": "0.00",
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
            "period": "year",
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
            "period": "month",
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
    terms = parse_terms({"period": "month", "periods": 4, "fixed_fee": "500.00", "at_risk_fee": "0"})
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
        "unit": "min",
        "direction": "lower",
        "weight": "1",
        "baseline": "90",
        "floor": "60",
        "target": "30",
        "stretch": "20",
    }
    data = {
        "period": "quarter",
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
            "unit": "h",
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


# --------------------------------------------------------------------------------------
# Validation


INVALID = [
    (("period",), "week", "period", "one of month, quarter, year"),
    (("period",), DELETE, "period", "is required"),
    (("periods",), 0, "periods", "whole number from 1 to 600"),
    (("periods",), 601, "periods", "whole number from 1 to 600"),
    (("periods",), "2.5", "periods", "whole number"),
    (("periods",), True, "periods", "whole number"),
    (("fixed_fee",), "10.001", "fixed_fee", "at most 2 decimal places"),
    (("fixed_fee",), "-1.00", "fixed_fee", "from 0 to"),
    (("fixed_fee",), "ten", "fixed_fee", "written with digits"),
    (("fixed_fee",), "1e5", "fixed_fee", "written with digits"),
    (("fixed_fee",), "NaN", "fixed_fee", "written with digits"),
    (("fixed_fee",), True, "fixed_fee", "not true or false"),
    (("fixed_fee",), [], "fixed_fee", "must be a number"),
    (("at_risk_fee",), DELETE, "at_risk_fee", "is required"),
    (("bonus_pool",), "-5", "bonus_pool", "from 0 to"),
    (("holdback_pct",), "100.5", "holdback_pct", "from 0 to 100"),
    (("holdback_window",), DELETE, "holdback_window", "required when holdback_pct is above 0"),
    (("holdback_window",), 0, "holdback_window", "from 1 to 12"),
    (("holdback_window",), 13, "holdback_window", "from 1 to 12"),
    (("bonus",), "1", "bonus", "not a known field"),
    (("kpis",), "availability", "kpis", "must be a list"),
    (("kpis", 0), "availability", "kpis.0", "must be an object"),
    (("kpis", 0, "weight"), "0", "kpis.0.weight", "above 0 and at most 1"),
    (("kpis", 0, "weight"), "1.5", "kpis.0.weight", "above 0 and at most 1"),
    (("kpis", 0, "weight"), "0.9", "kpis", "add up to 1 (they add up to 0.9)"),
    (("kpis", 0, "code"), "Availability", "kpis.0.code", "lowercase letters"),
    (("kpis", 0, "code"), "a" * 41, "kpis.0.code", "at most 40 characters"),
    (("kpis", 0, "code"), 7, "kpis.0.code", "lowercase letters"),
    (("kpis", 0, "name"), " ", "kpis.0.name", "must not be empty"),
    (("kpis", 0, "name"), "x" * 201, "kpis.0.name", "at most 200 characters"),
    (("kpis", 0, "unit"), "u" * 41, "kpis.0.unit", "at most 40 characters"),
    (("kpis", 0, "direction"), "up", "kpis.0.direction", "one of higher, lower"),
    (("kpis", 0, "baseline"), DELETE, "kpis.0.baseline", "is required"),
    (("kpis", 0, "floor"), "9" * 17, "kpis.0.floor", "measurement from"),
    (("kpis", 0, "target"), "95.0", "kpis.0.target", "above floor"),
    (("kpis", 0, "stretch"), "98", "kpis.0.stretch", "above target"),
    (("kpis", 0, "strech"), "99.5", "kpis.0.strech", "not a known field"),
    (("service_credits",), "yes", "service_credits", "must be an object"),
    (("service_credits", "kpi"), DELETE, "service_credits.kpi", "is required"),
    (("service_credits", "applies_to"), "at_risk_fee", "service_credits.applies_to", "fixed_fee"),
    (("service_credits", "tiers"), [], "service_credits.tiers", "at least one tier"),
    (("service_credits", "tiers", 0, "credit_pct"), "120", "service_credits.tiers.0.credit_pct", "0 to 100"),
    (("service_credits", "tiers", 1, "credit_pct"), "5", "service_credits.tiers.1.credit_pct", "at least 10"),
    (("service_credits", "tiers", 1, "below"), "99.9", "service_credits.tiers.1.below", "repeats"),
    (("service_credits", "cap_pct"), "-1", "service_credits.cap_pct", "from 0 to 100"),
    (("shared_savings", "unit_price"), DELETE, "shared_savings.unit_price", "is required"),
    (("shared_savings", "unit_price"), "0", "shared_savings.unit_price", "above 0"),
    (("shared_savings", "vendor_share_pct"), "150", "shared_savings.vendor_share_pct", "from 0 to 100"),
    (("shared_savings", "vendor_cap"), "1.234", "shared_savings.vendor_cap", "2 decimal places"),
    (("shared_savings", "guaranteed_savings"), DELETE, "shared_savings.guaranteed_savings", "required"),
    (("shared_savings", "baseline_use"), "-5", "shared_savings.baseline_use", "from 0"),
    (("shared_savings", "adjustments"), DELETE, "shared_savings.adjustments", "is required"),
    (("shared_savings", "adjustments"), {}, "shared_savings.adjustments", "must be a list"),
    (("shared_savings", "adjustments", 0, "reason"), "  ", "shared_savings.adjustments.0.reason", "empty"),
    (("shared_savings", "adjustments", 0, "reason"), "r" * 501, "shared_savings.adjustments.0.reason", "500"),
    (("shared_savings", "adjustments", 0, "amount"), "lots", "shared_savings.adjustments.0.amount", "digits"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), INVALID)
def test_invalid_terms_name_the_field(path, value, field, message):
    errors = errors_of(changed(full_data(), path, value))
    assert field in errors, errors
    assert message in errors[field]


def test_every_error_is_reported_at_once():
    data = full_data()
    data.update(period="week", holdback_pct="200", colour="blue")
    data["kpis"][0]["weight"] = "2"
    data["service_credits"]["applies_to"] = "bonus_pool"
    data["shared_savings"]["unit_price"] = "-1"
    err = pytest.raises(TermsError, parse_terms, data).value
    assert set(err.fields) == {
        "period",
        "holdback_pct",
        "colour",
        "kpis.0.weight",
        "service_credits.applies_to",
        "shared_savings.unit_price",
    }
    assert isinstance(err, ValueError)
    summary = str(err)
    assert "\n" not in summary
    assert summary.startswith("invalid performance terms: ")
    assert "and 1 more" in summary


def test_terms_must_be_an_object():
    assert errors_of(["period"]) == {"terms": "must be an object"}


def test_lower_kpi_order_is_mirrored():
    kpi = {
        "code": "response_minutes",
        "name": "Response",
        "unit": "min",
        "direction": "lower",
        "weight": "1",
        "baseline": "90",
        "floor": "30",
        "target": "60",
        "stretch": "70",
    }
    errors = errors_of(streetlight_data(kpis=[kpi]))
    assert errors["kpis.0.target"] == "must be below floor for a 'lower' KPI"
    kpi.update(floor="60", target="30", stretch="40")
    assert errors_of(streetlight_data(kpis=[kpi])) == {
        "kpis.0.stretch": "must be below target for a 'lower' KPI"
    }


def test_duplicate_kpi_codes():
    kpis = [availability_kpi(weight="0.5"), availability_kpi(weight="0.5")]
    assert errors_of(streetlight_data(kpis=kpis)) == {"kpis.1.code": "repeats the code of kpis.0"}


def test_weights_must_add_up_to_one():
    kpis = [availability_kpi(weight="0.5"), availability_kpi(code="lamps_on", weight="0.49")]
    assert errors_of(streetlight_data(kpis=kpis)) == {
        "kpis": "weights must add up to 1 (they add up to 0.99)"
    }


def test_pay_on_performance_needs_kpis():
    assert "kpis" in errors_of(streetlight_data(kpis=[]))
    assert "kpis" in errors_of(streetlight_data(at_risk_fee="0", kpis=[]))
    assert "kpis" in errors_of(streetlight_data(bonus_pool="0", kpis=[]))
    terms = parse_terms(streetlight_data(at_risk_fee="0", bonus_pool="0", kpis=[]))
    assert terms.kpis == ()


def test_bonus_pool_needs_a_stretch():
    errors = errors_of(streetlight_data(kpis=[availability_kpi(stretch=None)]))
    assert errors == {"bonus_pool": "needs at least one KPI with a stretch value to be earned"}


def test_defaults_for_optional_fields():
    terms = parse_terms({"period": "year", "periods": 5, "fixed_fee": "100", "at_risk_fee": "0"})
    assert (terms.bonus_pool, terms.holdback_pct, terms.holdback_window) == (D("0.00"), D("0"), 1)
    assert (terms.kpis, terms.service_credits, terms.shared_savings) == ((), None, None)


def test_numbers_may_be_ints_decimals_or_floats_but_are_stored_exactly():
    terms = parse_terms(
        streetlight_data(fixed_fee=10000, at_risk_fee=D("40000"), holdback_pct=12.5, periods="3")
    )
    assert terms.fixed_fee == D("10000.00")
    assert terms.holdback_pct == D("12.5")
    assert terms.periods == 3
    assert parse_terms(streetlight_data(fixed_fee=0.1)).fixed_fee == D("0.10")


def test_empty_adjustments_are_allowed():
    terms = parse_terms(streetlight_data(shared_savings=savings_section(adjustments=[])))
    assert terms.shared_savings.adjustments == ()


def test_kpi_codes_include_credit_and_savings_kpis():
    assert parse_terms(full_data()).kpi_codes() == {"availability", "uptime", "energy_use"}


def test_parse_observation_value():
    assert parse_observation_value("97.20") == D("97.2")
    with pytest.raises(TermsError) as info:
        parse_observation_value("high")
    assert list(info.value.fields) == ["value"]


# --------------------------------------------------------------------------------------
# Canonical form


def test_to_dict_is_canonical():
    terms = parse_terms(
        streetlight_data(fixed_fee="10000", holdback_pct="10.00", kpis=[availability_kpi(weight="1.0")])
    )
    assert terms.to_dict() == {
        "period": "month",
        "periods": 3,
        "fixed_fee": "10000.00",
        "at_risk_fee": "40000.00",
        "bonus_pool": "2000.00",
        "holdback_pct": "10",
        "holdback_window": 3,
        "kpis": [
            {
                "code": "availability",
                "name": "Street light availability",
                "unit": "%",
                "direction": "higher",
                "weight": "1",
                "baseline": "92",
                "floor": "95",
                "target": "99",
                "stretch": "99.5",
            }
        ],
    }


def test_round_trip_with_every_section():
    terms = parse_terms(full_data())
    data = terms.to_dict()
    assert parse_terms(data) == terms
    assert parse_terms(data).to_dict() == data
    assert data["service_credits"]["tiers"][0] == {"below": "99.9", "credit_pct": "10"}
    assert data["shared_savings"]["vendor_cap"] == "180000.00"
    assert data["shared_savings"]["adjustments"] == [
        {"amount": "100000", "reason": "Streets added to the network"}
    ]


# --------------------------------------------------------------------------------------
# Properties

MONEY = st.integers(0, 5_000_000).map(lambda cents: str(D(cents).scaleb(-2)))


def tenths(low: int, high: int):
    return st.integers(low, high).map(lambda n: str(D(n).scaleb(-1)))


@st.composite
def kpi_data(draw, code: str, weight: int) -> dict:
    direction = draw(st.sampled_from(["higher", "lower"]))
    sign = 1 if direction == "higher" else -1
    floor = draw(st.integers(0, 900))
    target = floor + sign * draw(st.integers(1, 100))
    stretch = target + sign * draw(st.integers(1, 50)) if draw(st.booleans()) else None
    return {
        "code": code,
        "name": code.title(),
        "unit": "%",
        "direction": direction,
        "weight": str(D(weight).scaleb(-2)),
        "baseline": str(D(floor).scaleb(-1)),
        "floor": str(D(floor).scaleb(-1)),
        "target": str(D(target).scaleb(-1)),
        "stretch": None if stretch is None else str(D(stretch).scaleb(-1)),
    }


@st.composite
def credits_data(draw, codes: list[str]) -> dict:
    """Tiers whose credit never falls as the threshold falls, as validation requires."""
    thresholds = sorted(draw(st.sets(st.integers(0, 1000), min_size=1, max_size=3)), reverse=True)
    pct = 0
    tiers = []
    for threshold in thresholds:
        pct = draw(st.integers(pct, 100))
        tiers.append({"below": str(D(threshold).scaleb(-1)), "credit_pct": str(pct)})
    return {
        "kpi": draw(st.sampled_from(codes)),
        "applies_to": "fixed_fee",
        "tiers": tiers,
        "cap_pct": str(draw(st.integers(0, 100))),
    }


@st.composite
def savings_data(draw) -> dict:
    return {
        "kpi": "energy_use",
        "baseline_use": str(draw(st.integers(0, 1_000_000))),
        "adjustments": [
            {"amount": str(amount), "reason": "adjustment"}
            for amount in draw(st.lists(st.integers(-50_000, 50_000), max_size=2))
        ],
        "unit_price": str(D(draw(st.integers(1, 100_000))).scaleb(-5)),
        "vendor_share_pct": str(draw(st.integers(0, 100))),
        "vendor_cap": draw(MONEY),
        "guaranteed_savings": draw(MONEY),
    }


@st.composite
def terms_strategy(draw, min_kpis: int = 0) -> Terms:
    count = draw(st.integers(min_kpis, 3))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1))) if count else []
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)] if count else []
    kpis = [draw(kpi_data(f"k{i}", weight)) for i, weight in enumerate(weights)]
    has_stretch = any(kpi["stretch"] is not None for kpi in kpis)
    periods = draw(st.integers(1, 12))
    data = {
        "period": "month",
        "periods": periods,
        "fixed_fee": draw(MONEY),
        "at_risk_fee": draw(MONEY) if kpis else "0",
        "bonus_pool": draw(MONEY) if has_stretch else "0",
        "holdback_pct": str(D(draw(st.integers(0, 1000))).scaleb(-1)),
        "holdback_window": draw(st.integers(1, periods)),
        "kpis": kpis,
    }
    if draw(st.booleans()):
        # Credits may share a code with a `higher` KPI, never a `lower` one: a credit falls
        # as its value rises, which would otherwise work against a lower-is-better KPI.
        codes = ["sla"] + [kpi["code"] for kpi in kpis if kpi["direction"] == "higher"]
        data["service_credits"] = draw(credits_data(codes))
    if draw(st.booleans()):
        data["shared_savings"] = draw(savings_data())
    return parse_terms(data)


def draw_value(draw, terms: Terms, code: str) -> Decimal:
    if terms.shared_savings is not None and code == terms.shared_savings.kpi:
        return D(draw(st.integers(0, 2_000_000)))
    return D(draw(st.integers(-200, 1200))).scaleb(-1)


def draw_observations(draw, terms: Terms, *, complete: bool = False) -> dict:
    observations = {}
    for period in range(1, terms.periods + 1):
        for code in sorted(terms.kpi_codes()):
            if complete or draw(st.integers(0, 9)):
                observations[(period, code)] = draw_value(draw, terms, code)
    return observations


def settle_drawn(data, terms: Terms, **kwargs) -> Settlement:
    return settle(terms, draw_observations(data.draw, terms, **kwargs))


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(terms=terms_strategy(), data=st.data())
def test_period_amounts_add_up(terms, data):
    result = settle_drawn(data, terms)
    for period in result.periods:
        assert period.paid_now + period.holdback == period.gross
        if period.status == "settled":
            fee = terms.fixed_fee - period.credits
            assert period.gross == fee + period.at_risk_earned + period.bonus
            assert D(0) <= period.pf <= 1
            assert period.at_risk_earned <= terms.at_risk_fee
            assert period.bonus <= terms.bonus_pool
        for amount in (period.gross, period.holdback, period.paid_now, period.credits):
            assert amount.as_tuple().exponent == -2
    for row in result.savings:
        r = row.result
        assert r.city_net + r.net_to_vendor == r.savings
        assert r.net_to_vendor == r.vendor_share - r.shortfall


@PROPERTY_SETTINGS
@given(terms=terms_strategy(), data=st.data())
def test_withheld_money_is_released_forfeited_or_pending(terms, data):
    totals = settle_drawn(data, terms).totals
    assert totals.released + totals.forfeited + totals.pending == totals.withheld


@PROPERTY_SETTINGS
@given(terms=terms_strategy(), data=st.data())
def test_total_paid_stays_within_bounds(terms, data):
    """paid ≤ not_to_exceed always: net_to_vendor never exceeds vendor_cap and nothing else
    exceeds its fee. paid is only bounded below by the guarantee shortfalls the vendor owes."""
    result = settle_drawn(data, terms)
    paid = result.totals.paid
    assert paid <= not_to_exceed(terms)
    shortfalls = sum((row.result.shortfall for row in result.savings), D(0))
    assert paid + shortfalls >= 0
    if terms.shared_savings is None:
        assert paid >= 0


@PROPERTY_SETTINGS
@given(terms=terms_strategy(min_kpis=1), data=st.data())
def test_better_kpi_values_never_pay_less(terms, data):
    observations = draw_observations(data.draw, terms, complete=True)
    kpi = data.draw(st.sampled_from(terms.kpis))
    low, high = sorted([draw_value(data.draw, terms, kpi.code), draw_value(data.draw, terms, kpi.code)])

    def first_period(value: Decimal):
        return settle(terms, observations | {(1, kpi.code): value}).period(1)

    worse, better = (first_period(low), first_period(high))
    if kpi.direction == "lower":
        worse, better = better, worse
    assert worse.pf <= better.pf
    assert worse.gross <= better.gross


@PROPERTY_SETTINGS
@given(terms=terms_strategy(min_kpis=1), data=st.data())
def test_amounts_match_exact_rational_arithmetic(terms, data):
    result = settle_drawn(data, terms, complete=True)

    def clip(x: Fraction) -> Fraction:
        return min(max(x, Fraction(0)), Fraction(1))

    def half_up(x: Fraction) -> Decimal:
        cents = (abs(x) * 100 + Fraction(1, 2)).__floor__()
        return D(cents if x >= 0 else -cents).scaleb(-2)

    for period in result.periods:
        pf = bonus = Fraction(0)
        for kpi, step in zip(terms.kpis, period.kpis, strict=True):
            value = Fraction(step.value)
            floor, target = Fraction(kpi.floor), Fraction(kpi.target)
            pf += Fraction(kpi.weight) * clip((value - floor) / (target - floor))
            if kpi.stretch is not None:
                stretch = Fraction(kpi.stretch)
                bonus += Fraction(kpi.weight) * clip((value - target) / (stretch - target))
        assert period.at_risk_earned == half_up(Fraction(terms.at_risk_fee) * pf)
        assert period.bonus == half_up(Fraction(terms.bonus_pool) * bonus)


@PROPERTY_SETTINGS
@given(terms=terms_strategy())
def test_round_trip(terms):
    data = terms.to_dict()
    assert parse_terms(data) == terms
    assert parse_terms(data).to_dict() == data
