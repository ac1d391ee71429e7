"""The work queue ("Waiting for you"): the concrete items a person can act on now, oldest first.

The kernel only keeps the registry. Each domain declares, in its own `queries.py`, a provider
`fn(user, consortium) -> list[QueueItem]` with `@provider`; the domain decides what is waiting and for
whom with the same predicates its services enforce (usually `LIFECYCLE.may(step, user, obj)`), so the
queue never offers an action the server would refuse. A provider runs a bounded number of SQL queries
(one or two) whatever the number of rows: the home page and `GET /api/v1/queue` call every provider on
every visit.

The providers are registered when their modules are imported; the application factory imports every
domain's views and API modules, which import their `queries.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class QueueItem:
    """One thing waiting for someone: what to do (`action`, an imperative such as "Approve the order"), on
    what (`title`, `object_type` + `object_id`, the page `url`), waiting since when (timezone-aware), and
    by when if there is a due date."""

    kind: str
    title: str
    action: str
    object_type: str
    object_id: int
    url: str
    since: datetime
    due_on: date | None = None

    def to_json(self) -> dict:
        data = {"kind": self.kind, "title": self.title, "action": self.action, "object_type": self.object_type,
                "object_id": self.object_id, "url": self.url, "since": self.since.astimezone(UTC).isoformat()}
        if self.due_on is not None:
            data["due_on"] = self.due_on.isoformat()
        return data


Provider = Callable[..., list[QueueItem]]
PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    """Register `fn(user, consortium) -> list[QueueItem]` (once, however often its module is imported)."""
    if fn not in PROVIDERS:
        PROVIDERS.append(fn)
    return fn


def _order(item: QueueItem) -> tuple:
    return item.since, item.kind, item.object_type, item.object_id, item.title


def queue_for(user, consortium) -> list[QueueItem]:
    """Everything waiting for `user` in `consortium`, oldest first; nothing for someone not signed in."""
    if consortium is None or not getattr(user, "is_authenticated", False):
        return []
    return sorted((item for fn in PROVIDERS for item in fn(user, consortium)), key=_order)
