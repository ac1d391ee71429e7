"""Who hears of an event: listeners on audit actions, run in the event's own transaction.

Every state change writes an `AuditEvent` (`marketplace.audit.record`), and `record` ends by calling
`dispatch`: the listeners registered here for the event's action then write their notifications into the
same transaction, so a rolled-back event notifies nobody. The domains register their listeners in their
`notifications.py` with `@on("order.approved", ...)`; the kernel knows no domain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marketplace.audit import AuditEvent

Listener = Callable[["AuditEvent", Any], None]

_LISTENERS: dict[str, list[Listener]] = defaultdict(list)


def on(*actions: str) -> Callable[[Listener], Listener]:
    """Register `listener(event, obj)` for each audit action named (`obj` may be None when the event was
    recorded by type and id only). Registering the same function twice for an action has no effect."""
    if not actions:
        raise ValueError("name at least one audit action")

    def register(listener: Listener) -> Listener:
        for action in actions:
            if listener not in _LISTENERS[action]:
                _LISTENERS[action].append(listener)
        return listener

    return register


def dispatch(event: AuditEvent, obj=None) -> None:
    """Run the listeners of `event.action` in registration order, in the caller's transaction. A listener
    that raises aborts the event (the caller's transaction is rolled back): a notification is part of it."""
    for listener in tuple(_LISTENERS.get(event.action, ())):
        listener(event, obj)


def listeners(action: str) -> tuple[Listener, ...]:
    """The listeners registered for `action` (for tests and for the curious)."""
    return tuple(_LISTENERS.get(action, ()))
