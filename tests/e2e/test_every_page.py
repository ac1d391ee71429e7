"""Every page each role can reach by following links, at a phone's width without JavaScript and at a
desktop's width with it: the page answers, fits the window (no sideways scrolling), offers the site's
navigation, and axe-core finds no serious or critical violation (desktop pass; the phone pass checks the
layout). The pages come from crawling, so a new page is covered as soon as something links to it."""

from __future__ import annotations

import pytest

from tests.e2e.crawl import crawl
from tests.e2e.helpers import blocking, describe, run_axe, save_axe_report

pytestmark = pytest.mark.e2e

PHONE = 390
DESKTOP = 1280

# (who, where they start): every role, in the consortium of the demo's URLs
PEOPLE = [
    (None, "/c/gpsr/"),
    ("buyer@mesa.example", "/c/gpsr/"),
    ("approver@tempe.example", "/c/gpsr/"),
    ("vendor@brightstreet.example", "/c/gpsr/"),
    ("admin@gpsr.example", "/c/gpsr/"),
]


def _label(who: str | None) -> str:
    return (who or "anonymous").split("@")[0] + ("-" + who.split("@")[1].split(".")[0] if who else "")


def fits_the_window(page) -> list[str]:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        wide = page.evaluate("""() => {
          const w = document.documentElement.clientWidth;
          return [...document.querySelectorAll('main *')]
            .filter(el => el.getBoundingClientRect().right > w + 1
                          && !el.closest('.usa-table-container--scrollable'))
            .slice(0, 3)
            .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
        }""")
        return [f"{overflow}px wider than the {page.viewport_size['width']}px window (e.g. {', '.join(wide)})"]
    return []


def navigation_is_there(page) -> list[str]:
    """The header's links are on screen without opening anything (no JavaScript to open a menu)."""
    links = page.locator("header nav a")
    count = links.count()
    if count == 0:
        return ["no navigation links in the header"]
    hidden = [links.nth(i).inner_text().strip() or links.nth(i).get_attribute("href")
              for i in range(count) if not links.nth(i).is_visible()]
    return [f"navigation links not visible: {hidden}"] if hidden else []


def rows_are_labelled(page) -> list[str]:
    """Every data row of a table has a row header (`th scope=row`), so a screen reader names the row of each
    cell, not only its column. Rows of form fields are left out: each field has its own label."""
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('main table tbody tr')]
        .filter(tr => tr.cells.length > 1 && !tr.querySelector('th[scope=row]')
                      && !tr.querySelector('input, select, textarea'))
        .map(tr => (tr.closest('table').querySelector('caption') || {}).textContent || tr.closest('table').id)
        .map(s => (s || 'a table without caption').trim())""")
    return [f"rows without a row header in: {sorted(set(unlabelled))}"] if unlabelled else []


def no_serious_violations(journey, name: str):
    def check(page) -> list[str]:
        violations = run_axe(page)
        save_axe_report(journey.folder, f"{name} {page.url}", page.url, violations)
        serious = blocking(violations)
        return [f"axe:\n{describe(serious)}"] if serious else []
    return check


@pytest.mark.parametrize(("who", "start"), PEOPLE, ids=[_label(p[0]) for p in PEOPLE])
def test_every_page_on_a_phone_without_javascript(journey, who, start):
    person = journey.person(who, js=False, width=PHONE)
    result = crawl(person, start, lambda page: fits_the_window(page) + navigation_is_there(page))
    assert len(result.visited) > 3, f"only {result.visited} reached"
    assert not result.problems, f"{len(result.problems)} problems on {len(result.visited)} pages:\n{result.report()}"


@pytest.mark.parametrize(("who", "start"), PEOPLE, ids=[_label(p[0]) for p in PEOPLE])
def test_every_page_on_a_desktop_with_javascript(journey, who, start):
    person = journey.person(who, js=True, width=DESKTOP)
    axe = no_serious_violations(journey, _label(who))
    result = crawl(person, start, lambda page: fits_the_window(page) + rows_are_labelled(page) + axe(page))
    assert len(result.visited) > 3, f"only {result.visited} reached"
    assert not result.problems, f"{len(result.problems)} problems on {len(result.visited)} pages:\n{result.report()}"


def test_on_a_phone_the_menu_button_opens_the_navigation_and_without_javascript_there_is_none(journey):
    with_js = journey.person("buyer@mesa.example", js=True, width=PHONE)
    with_js.goto("/c/gpsr/")
    menu = with_js.page.get_by_role("button", name="Menu")
    home = with_js.page.locator("header nav").get_by_role("link", name="Home", exact=True)
    assert menu.is_visible() and not home.is_visible()
    menu.click()
    home.wait_for(state="visible")
    with_js.shot("menu-open-phone")

    without = journey.person("buyer@mesa.example", js=False, width=PHONE)
    without.goto("/c/gpsr/")
    assert not without.page.get_by_role("button", name="Menu").is_visible()  # it could not open anything
    assert without.page.locator("header nav").get_by_role("link", name="Home", exact=True).is_visible()
    without.shot("navigation-without-javascript-phone")
