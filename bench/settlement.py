"""Benchmark: settle a 10-year monthly order with three KPIs (not part of the test suite).

    .venv/bin/python bench/settlement.py [--periods 120] [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts.performance import parse_terms, settle  # noqa: E402


def kpi(code, direction, weight, floor, target, stretch=None):
    data = {"code": code, "name": code, "unit": "count", "direction": direction, "weight": weight,
            "baseline": floor, "floor": floor, "target": target}
    if stretch:
        data["stretch"] = stretch
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--periods", type=int, default=120)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    terms = parse_terms({
        "period": "month", "periods": args.periods, "start_date": "2026-01-01", "fixed_fee": "10000.00",
        "at_risk_fee": "40000.00",
        "bonus_pool": "2000.00", "holdback_pct": "10", "holdback_window": 3,
        "kpis": [kpi("availability", "higher", "0.5", "95", "99", "99.5"),
                 kpi("response", "lower", "0.3", "60", "30", "20"),
                 kpi("lamps_on", "higher", "0.2", "80", "90")],
        "service_credits": {"kpi": "uptime", "applies_to": "fixed_fee", "cap_pct": "50",
                            "tiers": [{"below": "99.9", "credit_pct": "10"}, {"below": "99.0", "credit_pct": "25"}]},
    })
    observations = {}
    for n in range(1, args.periods + 1):
        observations[(n, "availability")] = D(9300 + (n * 37) % 700) / 100
        observations[(n, "response")] = D(100 + (n * 53) % 600) / 10
        observations[(n, "lamps_on")] = D(7000 + (n * 71) % 3000) / 100
        observations[(n, "uptime")] = D(9850 + (n * 13) % 150) / 100
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        settle(terms, observations).to_json()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(f"settlement of {args.periods} periods x 3 KPIs + service credits, {args.runs} runs (incl. to_json):")
    print(f"  median {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.2f} ms,"
          f" best {timings[0]:.2f} ms")


if __name__ == "__main__":
    main()
