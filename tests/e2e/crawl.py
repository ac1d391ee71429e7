"""Walk every page a person can reach by following links, the way they would: from their home page,
each same-site link once per kind of page (`/c/gpsr/orders/12` and `/c/gpsr/orders/31` are one kind).

What is not a page is left alone: the JSON API, downloads (PDF, CSV), static files, and anything that
changes state (links never do; forms are not submitted). Each page visited is handed to `check`, which
returns the problems it found there; the crawl returns every problem with the page it was on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

NOT_PAGES = re.compile(
    r"^/(api|static)/|\.(pdf|csv|json|eml|png|svg)$|/(pdf|csv|statement|download|export)(/|$)|^/logout"
)
MAX_PAGES = 120            # a bound, so a link explosion fails loudly instead of running for ever
MAX_VARIANTS_PER_PATH = 2  # e.g. the catalog with a filter and with a sort, not every combination


def kind_of(path: str, query: str) -> tuple[str, str]:
    """The page kind of a URL: numbers in the path become `<id>`; the query keeps only its parameter names."""
    shape = re.sub(r"/\d+(?=/|$)", "/<id>", path.rstrip("/") or "/")
    keys = ",".join(sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)}))
    return shape, keys


@dataclass
class Crawl:
    """The pages one person visited, and what was wrong on them."""

    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(self.problems)


def crawl(actor, start: str, check: Callable[[object], list[str]], *, max_pages: int = MAX_PAGES) -> Crawl:
    """Breadth first from `start` (a path), as `actor`, calling `check(page)` on every page reached."""
    result = Crawl()
    start_link = urlsplit(start)
    seen_kinds: dict[tuple[str, str], int] = {kind_of(start_link.path, start_link.query): 1}
    variants: dict[str, int] = {}
    queue = [start]
    queued = {start}
    while queue and len(result.visited) < max_pages:
        path = queue.pop(0)
        response = actor.page.goto(path)
        status = response.status if response is not None else 0
        where = actor.page.url
        result.visited.append(where)
        if status != 200:
            result.problems.append(f"{where}: answered {status} (linked from a page {actor.label} can see)")
            continue
        result.problems.extend(f"{where}: {problem}" for problem in check(actor.page))
        base = urlsplit(actor.page.url)
        hrefs = actor.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            link = urlsplit(href)
            if link.scheme not in ("http", "https") or link.netloc != base.netloc:
                continue
            if NOT_PAGES.search(link.path):
                continue
            kind = kind_of(link.path, link.query)
            if kind in seen_kinds:
                continue
            if kind[1] and variants.get(kind[0], 0) >= MAX_VARIANTS_PER_PATH:
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            if target in queued:
                continue
            seen_kinds[kind] = 1
            if kind[1]:
                variants[kind[0]] = variants.get(kind[0], 0) + 1
            queued.add(target)
            queue.append(target)
    if queue:
        result.problems.append(f"stopped after {max_pages} pages with {len(queue)} still to visit: {queue[:5]}")
    return result
