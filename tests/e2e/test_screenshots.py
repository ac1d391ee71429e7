"""Screenshots of the main pages at a desktop's and a phone's width, for the README (`docs/screenshots`).

`make screenshots` writes them there (E2E_SCREENSHOTS_DIR); in the normal test run they go to the test's
output folder. Either way each page is first checked to be styled and no wider than the window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

# (file name, who, path)
PAGES = [
    ("home-buyer", "buyer@mesa.example", "/c/gpsr/"),
    ("catalog", "buyer@tempe.example", "/c/gpsr/catalog?q=street+lighting"),
    ("listing", "buyer@tempe.example", "/c/gpsr/listings/{listing}"),
    ("vehicle", "buyer@tempe.example", "/c/gpsr/vehicles/{vehicle}"),
    ("order-performance", "buyer@mesa.example", "/c/gpsr/orders/{performance_order}"),
    ("approval-queue", "admin@gpsr.example", "/c/gpsr/review"),
]
WIDTHS = [("desktop", 1280), ("phone", 390)]


@pytest.mark.parametrize(("label", "width"), WIDTHS, ids=[w[0] for w in WIDTHS])
def test_screenshots_of_the_main_pages(journey, ids, label, width):
    target = os.environ.get("E2E_SCREENSHOTS_DIR")
    for name, who, path in PAGES:
        person = journey.person(who, width=width)
        person.goto(path.format(**ids.__dict__))
        saved = person.shot(f"{name}-{label}")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            (Path(target) / f"{name}-{label}.png").write_bytes(saved.read_bytes())
        person.context.close()
