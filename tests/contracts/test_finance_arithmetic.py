"""The pure arithmetic of financing and funds (DESIGN section 5b): examples E, F and G to the cent, with no
Flask and no database, and properties that hold for any loan and any fund."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.finance.repayments import CityAmount, balance, city_amounts, repayments
from contracts.finance.schedules import amortize, due_dates, level_payment, mini_bond

D = Decimal


# --- example E: level-payment amortization ------------------------------------------------------------


def test_example_e_annual_loan_to_the_cent():
    schedule = amortize(D("1000000.00"), D("4"), 10, 1, date(2027, 6, 30))
    assert schedule.payment == D("123290.94")
    first = schedule.rows[0]
    assert (first.interest, first.principal, first.balance) == (D("40000.00"), D("83290.94"), D("916709.06"))
    assert schedule.last_payment == D("123291.00")
    assert schedule.total_interest == D("232909.46")
    assert len(schedule.rows) == 10
    assert schedule.rows[-1].balance == D("0.00")
    assert [row.due_on.year for row in schedule.rows] == list(range(2027, 2037))


def test_example_e_monthly_loan_to_the_cent():
    schedule = amortize(D("250000.00"), D("6"), 5, 12, date(2027, 1, 1))
    assert schedule.payment == D("4833.20")
    assert schedule.last_payment == D("4833.24")
    assert schedule.total_interest == D("39992.04")
    assert len(schedule.rows) == 60
    assert schedule.rows[0].interest == D("1250.00")


def test_a_zero_rate_pays_the_principal_in_equal_parts():
    assert level_payment(D("1200.00"), D("0"), 1, 12) == D("100.00")
    schedule = amortize(D("1000.00"), D("0"), 1, 12)
    assert schedule.payment == D("83.33")
    assert schedule.last_payment == D("83.37")  # the last row takes what rounding left
    assert schedule.total_interest == D("0.00")


def test_due_dates_clamp_month_ends_without_drifting():
    assert due_dates(date(2027, 1, 31), 4, 12) == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31),
                                                   date(2027, 4, 30)]
    assert due_dates(date(2027, 11, 30), 3, 4) == [date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 30)]
    assert due_dates(date(2027, 3, 15), 2, 2) == [date(2027, 3, 15), date(2027, 9, 15)]
    with pytest.raises(ValueError):
        due_dates(date(2027, 1, 1), 2, 3)


@pytest.mark.parametrize(("args", "message"), [
    ((D("0"), D("4"), 10, 1), "principal"),
    ((D("1000"), D("-1"), 10, 1), "rate"),
    ((D("1000"), D("100.01"), 10, 1), "rate"),
    ((D("1000"), D("4"), 0, 1), "term"),
    ((D("1000"), D("4"), 10, 3), "payments per year"),
])
def test_the_arithmetic_refuses_what_it_cannot_schedule(args, message):
    with pytest.raises(ValueError, match=message):
        amortize(*args)


# --- example F: mini-bond -----------------------------------------------------------------------------


def test_example_f_mini_bond_yields_proceeds_and_liability():
    denver = mini_bond(D("500"), D("750"), 9, 24000)
    assert denver.yield_pct == D("4.6082")
    assert denver.proceeds == D("12000000.00")
    assert denver.liability == D("18000000.00")  # maturity value · units
    assert mini_bond(D("500"), D("1000"), 14, 1).yield_pct == D("5.0757")
    assert mini_bond(D("500"), D("500"), 5, 10).yield_pct == D("0.0000")
    with pytest.raises(ValueError, match="below the issue price"):
        mini_bond(D("500"), D("499.99"), 5, 10)


# --- example G: a revolving fund repaid from verified savings -------------------------------------------


def _settlement(city_nets, statuses=None):
    """A settlement JSON with shared savings only (one row per verified period)."""
    statuses = statuses or ["settled"] * len(city_nets)
    return {"periods": [{"period": n, "status": s} for n, s in enumerate(statuses, start=1)],
            "savings": [{"period": n, "city_net": v} for n, v in enumerate(city_nets, start=1) if v is not None]}


def test_example_g_repayments_and_balances():
    amounts = city_amounts(_settlement(["75900.00", "75900.00", "75900.00", "75900.00"]))
    paid = repayments(D("200000.00"), D("100"), amounts)
    assert [(r.period, r.amount) for r in paid] == [(1, D("75900.00")), (2, D("75900.00")), (3, D("48200.00"))]
    contributions = [D("500000.00")]
    assert balance(contributions, [D("200000.00")], []) == D("300000.00")
    running = [balance(contributions, [D("200000.00")], [r.amount for r in paid[:k]]) for k in (1, 2, 3)]
    assert running == [D("375900.00"), D("451800.00"), D("500000.00")]


def test_nothing_is_repaid_from_unverified_or_pending_periods():
    # Period 2 has no verified value (no savings row); period 3's row exists but the period is pending.
    settlement = _settlement(["75900.00", None, "75900.00"], ["settled", "pending", "pending"])
    assert [a.period for a in city_amounts(settlement)] == [1]
    assert sum(r.amount for r in repayments(D("200000.00"), D("100"), city_amounts(settlement))) == D("75900.00")


def test_revenue_share_counts_its_city_share_and_settled_true_ups_only():
    settlement = {
        "periods": [{"period": n, "status": "settled"} for n in range(1, 6)],
        "revenue": [{"period": n, "city_share": v} for n, v in
                    [(1, "20000.00"), (2, "25000.00"), (3, "30000.00"), (4, "35000.00"), (5, "1000.00")]],
        "guarantees": [{"block": 1, "periods": [1, 2, 3, 4], "true_up": "10000.00", "status": "settled"},
                       {"block": 2, "periods": [5, 6, 7, 8], "true_up": "0.00", "status": "pending"}],
    }
    amounts = {a.period: a.amount for a in city_amounts(settlement)}
    assert amounts == {1: D("20000.00"), 2: D("25000.00"), 3: D("30000.00"), 4: D("45000.00"), 5: D("1000.00")}
    paid = repayments(D("1000000.00"), D("50"), city_amounts(settlement))
    assert sum(r.amount for r in paid) == D("60500.00")  # half of 121,000.00


def test_a_partial_percentage_rounds_each_repayment_to_cents():
    paid = repayments(D("100000.00"), D("33.3333"), [CityAmount(1, D("1000.01")), CityAmount(2, D("-50.00"))])
    assert [(r.period, r.amount) for r in paid] == [(1, D("333.34"))]  # a negative period repays nothing


# --- properties -----------------------------------------------------------------------------------------

principals = st.decimals(min_value=D("0.01"), max_value=D("50000000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("100"), places=4)


@settings(max_examples=200, deadline=None)
@given(principal=principals, rate=rates, years=st.integers(1, 40), ppy=st.sampled_from([1, 2, 4, 12]))
def test_every_schedule_ends_at_zero_and_repays_the_principal(principal, rate, years, ppy):
    schedule = amortize(principal, rate, years, ppy)
    assert schedule.rows[-1].balance == D("0.00")
    assert sum(row.principal for row in schedule.rows) == principal
    assert all(row.principal >= 0 and row.interest >= 0 and row.balance >= 0 for row in schedule.rows)
    assert all(row.payment == row.principal + row.interest for row in schedule.rows)
    assert schedule.total_paid == principal + schedule.total_interest


money = st.decimals(min_value=D("0.01"), max_value=D("10000000"), places=2)


@settings(max_examples=200, deadline=None)
@given(contributions=st.lists(money, min_size=1, max_size=4),
       draws=st.lists(st.tuples(money, st.decimals(min_value=0, max_value=100, places=2),
                                st.lists(st.decimals(min_value=D("-100000"), max_value=D("5000000"), places=2),
                                         max_size=12)), max_size=5))
def test_a_fund_balance_never_goes_negative_and_nothing_repays_more_than_was_drawn(contributions, draws):
    available = sum(contributions)
    drawn, repaid = [], []
    for amount, pct, city in draws:
        if amount > available:  # what the service refuses (409)
            continue
        paid = repayments(amount, pct, [CityAmount(n, v) for n, v in enumerate(city, start=1)])
        assert all(r.amount > 0 for r in paid)
        assert sum(r.amount for r in paid) <= amount
        drawn.append(amount)
        repaid += [r.amount for r in paid]
        available = balance(contributions, drawn, repaid)
        assert available >= 0
    assert balance(contributions, drawn, repaid) == sum(contributions) - sum(drawn) + sum(repaid)
