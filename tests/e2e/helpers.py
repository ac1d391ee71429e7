"""What the browser tests share: people signed in in their own browser context, numbered screenshots,
failure evidence, and axe-core. Playwright is imported lazily, so this module loads without it."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "demo-password"
VIEWPORT = {"width": 1280, "height": 900}
VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_SOURCE_PATH = VENDOR / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
STYLED_FONT = "Source Sans Pro"  # USWDS's body font: seeing it proves the stylesheet and fonts loaded


@dataclass
class Actor:
    """One person in one browser context (their own cookies), with the console errors their pages logged."""

    journey: Journey
    email: str | None
    js: bool
    context: object
    page: object
    console_errors: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return (self.email or "anonymous").split("@")[0] + ("" if self.js else "-nojs")

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def goto(self, path: str, *, status: int = 200):
        response = self.page.goto(path)
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"{self.label}: GET {path} answered {response.status}, not {status}"
        return response

    def login(self) -> Actor:
        self.goto("/login")
        self.page.get_by_label("E-mail address").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        follow(self.page.get_by_role("button", name="Sign in"))
        self.expect_flash("Signed in as")
        self.assert_scripts_ran(self.js)
        return self

    def assert_scripts_ran(self, expected: bool) -> None:
        """USWDS's script sets `window.uswdsPresent`: proof the page's JavaScript ran, or (nojs) did not."""
        ran = self.page.evaluate("() => window.uswdsPresent === true")
        assert ran is expected, f"{self.label}: page scripts {'ran' if ran else 'did not run'} on {self.page.url}"

    def expect_flash(self, text: str, *, category: str = "") -> None:
        """A flash message containing `text` is on the page (`category` success/error/info)."""
        selector = f".usa-alert--{category}" if category else ".usa-alert"
        alerts = self.page.locator(f"main {selector} .usa-alert__text")
        found = [t for t in alerts.all_inner_texts() if text in t]
        assert found, f"{self.label}: no message containing {text!r} on {self.page.url}; saw {alerts.all_inner_texts()}"

    def text(self, selector: str) -> str:
        return text_of(self.page.locator(selector))

    def shot(self, step: str) -> Path:
        """Save a numbered screenshot of a key page, after checking it is styled and fits the window."""
        self.assert_styled()
        return self.journey.shot(self.page, step)

    def assert_styled(self) -> None:
        """The USWDS stylesheet and its fonts apply (no CSP block, no broken static path)."""
        font = self.page.locator("body").evaluate("el => getComputedStyle(el).fontFamily")
        assert STYLED_FONT in font, f"USWDS styles not applied on {self.page.url}: body font is {font!r}"
        overflow = self.page.locator("html").evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 0, f"{self.page.url} is {overflow}px wider than the window"

    def assert_no_console_errors(self) -> None:
        assert not self.console_errors, f"{self.label}: console errors:\n" + "\n".join(self.console_errors)


class Journey:
    """The people of one test, and where its screenshots go."""

    def __init__(self, server, browser, folder: Path):
        self.server = server
        self.browser = browser
        self.folder = folder
        self.actors: list[Actor] = []
        self._step = 0

    def person(self, email: str | None = None, *, js: bool = True, login: bool = True,
               bypass_csp: bool = False, width: int | None = None) -> Actor:
        """A new browser context for `email` (signed in through the form), or an anonymous visitor;
        `width` sets the window's width in CSS pixels (a phone is 390)."""
        viewport = {**VIEWPORT, "width": width} if width else VIEWPORT
        context = self.browser.new_context(
            base_url=self.server.base_url, java_script_enabled=js, viewport=viewport, bypass_csp=bypass_csp,
            locale="en-US", timezone_id="UTC",
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        actor = Actor(journey=self, email=email, js=js, context=context, page=page)
        page.on("console", actor._on_console)
        self.actors.append(actor)
        if email and login:
            actor.login()
        return actor

    def shot(self, page, step: str) -> Path:
        self._step += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self._step:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def keep_failure_evidence(self) -> None:
        for n, actor in enumerate(self.actors, start=1):
            page = actor.page
            if page.is_closed():
                continue
            stem = self.folder / f"failure-{n:02d}-{actor.label}"
            try:
                page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)
                stem.with_suffix(".html").write_text(f"<!-- {page.url} -->\n" + page.content())
            except Exception as exc:  # noqa: BLE001 - evidence is best effort; never hide the real failure
                stem.with_suffix(".txt").write_text(f"could not capture {page.url}: {exc}")

    def close(self) -> None:
        for actor in self.actors:
            with contextlib.suppress(Exception):  # the browser may already be gone after a crash
                actor.context.close()

    # --- the server's database, read-only: ids the journeys need to try URLs with ---------------

    def query(self, sql: str, *params) -> list[tuple]:
        uri = f"file:{self.server.database}?mode=ro"
        with sqlite3.connect(uri, uri=True) as conn:
            return conn.execute(sql, params).fetchall()


# --- pages and forms ---------------------------------------------------------------------------


def text_of(locator) -> str:
    """The element's text as in the HTML, whitespace collapsed (not as CSS shows it: USWDS tags are
    upper-cased on screen)."""
    return " ".join((locator.text_content() or "").split())


def follow(locator) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded (reading the page
    right after a bare click could still see the previous one)."""
    with locator.page.expect_navigation(wait_until="load"):
        locator.click()



def fill_fields(page, values: dict[str, str]) -> None:
    """Fill inputs, textareas and selects by their id."""
    for field_id, value in values.items():
        element = page.locator(f"#{field_id}")
        tag = element.evaluate("el => el.tagName.toLowerCase()")
        if tag == "select":
            element.select_option(value)
        else:
            element.fill(value)


# --- axe-core ----------------------------------------------------------------------------------

_AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
                              summary: n.failureSummary}))
  }));
}"""


def run_axe(page) -> list[dict]:
    """axe-core's violations on the current page. The source is evaluated through the DevTools protocol,
    which the page's Content-Security-Policy does not govern: the app's CSP stays as it is."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE_PATH.read_text())
    return page.evaluate(_AXE_RUN)


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:6]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
            lines.append("      " + (node["summary"] or "").replace("\n", " | ")[:300])
    return "\n".join(lines)


def save_axe_report(folder: Path, name: str, url: str, violations: list[dict]) -> None:
    path = folder / "axe-report.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report[name] = {"url": url, "violations": violations}
    path.write_text(json.dumps(report, indent=2))
