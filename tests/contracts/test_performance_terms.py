"""Validation and canonical form of performance terms (contracts/performance, DESIGN section 5)."""

from __future__ import annotations

import pytest

from contracts.performance import TermsError, parse_observation_value, parse_terms
from tests.contracts.performance_builders import (
    DELETE,
    D,
    availability_kpi,
    changed,
    errors_of,
    full_data,
    savings_section,
    streetlight_data,
)

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
    (("kpis", 0, "unit"), "%", "kpis.0.unit", "one of percent, count, kwh, hours, minutes, currency"),
    (("start_date",), DELETE, "start_date", "is required"),
    (("start_date",), "2026-02-30", "start_date", "not a date that exists"),
    (("start_date",), "1/2/2026", "start_date", "YYYY-MM-DD"),
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
        "unit": "minutes",
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
    terms = parse_terms({"period": "year", "start_date": "2026-01-01", "periods": 5, "fixed_fee": "100",
                         "at_risk_fee": "0"})
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
        "period": "month", "start_date": "2026-01-01",
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
                "unit": "percent",
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
# Numbers and text: the application's rules (marketplace.numbers, marketplace.text)


@pytest.mark.parametrize("text", ["１", "９７.５", "²", "٣", "1٫5", "97.5\u0663"])
def test_numbers_are_written_with_ascii_digits(text):
    errors = errors_of(streetlight_data(fixed_fee=text, periods=text))
    assert "written with digits" in errors["fixed_fee"]
    assert "whole number" in errors["periods"]
    with pytest.raises(TermsError) as info:
        parse_observation_value(text)
    assert "written with digits" in info.value.fields["value"]


@pytest.mark.parametrize("text", ["97.5", "-3", " 7 ", "0.25", "1e5", "NaN", "Infinity", "+5", ".5", "5.", "1,000",
                                  "１", "²", "", "-", "1.2.3", "0x10"])
def test_terms_read_numbers_as_every_other_input_does(text):
    """One rule for how a number is written: what the order form's other fields and the API accept
    (marketplace.inputs) is what the terms accept, apart from ranges and decimal places."""
    from marketplace.inputs import parse_decimal

    fields: dict[str, str] = {}
    accepted_by_inputs = parse_decimal(text, "x", fields, grouping=False) is not None
    try:
        parse_observation_value(text)
        accepted_by_terms = True
    except TermsError:
        accepted_by_terms = False
    assert accepted_by_terms == accepted_by_inputs


def test_long_numbers_get_the_range_message_not_a_digits_message():
    assert "measurement from" in errors_of(changed(full_data(), ("kpis", 0, "floor"), "9" * 30))["kpis.0.floor"]
    assert "written with digits" in errors_of(changed(full_data(), ("kpis", 0, "floor"), "9" * 41))["kpis.0.floor"]


BAD_TEXT = [("\ud800", "lone surrogate"), ("Avail\udfffability", "lone surrogate"), ("Avail\x00", "control character"),
            ("Avail\x1bability", "control character")]


@pytest.mark.parametrize(("text", "message"), BAD_TEXT)
@pytest.mark.parametrize("path", [("kpis", 0, "name"), ("kpis", 0, "unit"), ("kpis", 0, "code"),
                                  ("shared_savings", "adjustments", 0, "reason"), ("service_credits", "kpi")])
def test_control_characters_and_lone_surrogates_are_refused(path, text, message):
    errors = errors_of(changed(full_data(), path, text))
    assert message in errors[".".join(map(str, path))]


def test_an_unknown_field_is_named_by_a_short_printable_excerpt():
    errors = errors_of(changed(full_data(), ("kpis", 0, "x\ud800" + "y" * 100), "1"))
    (path,) = [p for p in errors if p.startswith("kpis.0.x")]
    assert "\ud800" not in path and len(path) < 40
    path.encode("utf-8")  # a page can show it


def test_names_are_nfc_normalised():
    terms = parse_terms(changed(full_data(), ("kpis", 0, "name"), "Cafe\u0301 lights "))
    assert terms.kpis[0].name == "Caf\u00e9 lights"


# --------------------------------------------------------------------------------------
# The package is pure arithmetic


def test_the_performance_package_imports_neither_flask_nor_the_database():
    import subprocess
    import sys

    code = ("import sys, contracts.performance; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy', 'flask_sqlalchemy', "
            "'werkzeug', 'jinja2', 'consortium', 'catalog'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
