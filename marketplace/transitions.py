"""The one guarded state machine every lifecycle goes through.

A lifecycle (listing, pilot, vehicle, participation, order, observation, …) is declared as a table of
`Transition`s: from-states → to-state, the permission predicate, whether a reason is required, the
audit action, and the side effects. `run()` executes one of them inside the caller's transaction:

1. lock and re-read the row: `SELECT … FOR UPDATE` with `populate_existing` (on PostgreSQL a concurrent
   request waits here until the first one commits, then sees its result; on SQLite the writing request
   already holds the database's write lock, see `marketplace.locking`);
2. check the current state: a request that lost a race gets `Conflict` (409) with a sentence that says
   what happened and who did it ("This order was cancelled at 10:42 by Tempe Buyer.");
3. check the permission predicate (`PermissionDenied`, 403) and the reason; a refusal that only the
   object's latest step by someone else explains (the actor could have taken this step a moment ago) is
   a lost race and answers 409 like step 2;
4. run the side effects (commitments against ceilings, stamps, …), set the new state, flush;
5. write the audit event.

Nothing here commits: the request (or CLI command) commits once, so the change, its side effects and
its audit event land together or not at all. No other code assigns a `status` (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select, text

from marketplace import audit
from marketplace.errors import Conflict, PermissionDenied
from marketplace.extensions import db
from marketplace.formats import clock, day
from marketplace.inputs import decision_reason
from marketplace.templating import local_zone

# Test-only switch (honoured only when TESTING is on): read the row without `FOR UPDATE`, so the race
# tests can show that they fail without the lock.
UNLOCKED_SETTING = "TESTING_TRANSITIONS_UNLOCKED"

Predicate = Callable[[Any, Any], bool]
Effect = Callable[..., None]


@dataclass(frozen=True)
class Transition:
    """One step of a lifecycle.

    `target` is the new state, or a function of (obj, ctx) that decides it (e.g. submitted orders go to
    `approved` or `pending_approval`); None keeps the state (a guarded change such as a renewal).
    `effects` run after the checks and before the state changes, as `effect(obj, ctx)`; they may raise
    a DomainError, which aborts the transition (the caller's transaction is rolled back).
    `reason` is "required", "optional" or "none". `denied` is the 403 message, or a function of (user, obj)
    that says why this person may not.
    """

    name: str
    sources: frozenset[str]
    target: str | Callable[[Any, Context], str] | None
    allowed: Predicate
    action: str
    past: str
    reason: str = "optional"
    effects: tuple[Effect, ...] = ()
    denied: str | Callable[[Any, Any], str] = "You may not do that."
    reason_message: str = "Give a reason."
    audit_after: Callable[[Any], dict] | None = None

    def __post_init__(self) -> None:
        if self.reason not in ("required", "optional", "none"):
            raise ValueError(f"reason must be required, optional or none, not {self.reason!r}")
        object.__setattr__(self, "sources", frozenset(self.sources))


def transition(name: str, sources: Iterable[str], target, allowed: Predicate, action: str, past: str,
               **options) -> Transition:
    """Shorthand for a `Transition` row in a lifecycle table."""
    return Transition(name=name, sources=frozenset(sources), target=target, allowed=allowed, action=action,
                      past=past, **options)


@dataclass
class Context:
    """What a side effect needs: who acts, the reason, the state before, and the caller's extras."""

    actor: Any
    reason: str | None
    before: str
    transition: Transition
    extra: dict = field(default_factory=dict)
    audit_reason: str | None = None

    def __getitem__(self, key: str):
        return self.extra[key]

    def get(self, key: str, default=None):
        return self.extra.get(key, default)


@dataclass(frozen=True)
class Lifecycle:
    """A table of transitions over one model's `status` column."""

    model: type
    noun: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]
    object_type: str | None = None
    state_labels: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, Transition] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        names = {}
        for step in self.transitions:
            if step.name in names:
                raise ValueError(f"{self.noun}: transition {step.name!r} declared twice")
            unknown = set(step.sources) - set(self.states)
            if isinstance(step.target, str):
                unknown |= {step.target} - set(self.states)
            if unknown:
                raise ValueError(f"{self.noun}.{step.name}: unknown states {sorted(unknown)}")
            names[step.name] = step
        object.__setattr__(self, "by_name", names)

    def __getitem__(self, name: str) -> Transition:
        return self.by_name[name]

    @property
    def audit_type(self) -> str:
        return self.object_type or self.model.__tablename__

    def label(self, state: str) -> str:
        return self.state_labels.get(state, state.replace("_", " "))

    def may(self, name: str, user, obj) -> bool:
        """Whether `user` may take this step now: the state allows it and the predicate says yes. Views
        and templates use this to show or hide an action; `run` applies the very same checks."""
        step = self.by_name[name]
        return obj.status in step.sources and bool(step.allowed(user, obj))

    def available(self, user, obj) -> list[str]:
        """The names of the steps `user` may take on `obj` now, in declaration order."""
        return [step.name for step in self.transitions if self.may(step.name, user, obj)]


def lock(model, object_id: int):
    """Re-read one row under a write lock with fresh values (`FOR UPDATE` on PostgreSQL; SQLite has no
    row locks and relies on the request's serialized write transaction). Use it for any shared row a
    transition's side effect reads and then writes, such as a vehicle's committed total."""
    stmt = select(model).where(model.id == object_id).execution_options(populate_existing=True)
    if not _unlocked_for_tests():
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def _unlocked_for_tests() -> bool:
    if not has_app_context():
        return False
    config = current_app.config
    return bool(config.get("TESTING") and config.get(UNLOCKED_SETTING))


def run(lifecycle: Lifecycle, obj, name: str, *, actor, reason: str | None = None, **extra):
    """Run transition `name` of `lifecycle` on `obj` for `actor` in the caller's transaction.

    Returns the (re-read) object. Raises Conflict when the current state does not allow the step (with
    what happened and who did it), PermissionDenied when the predicate refuses, ValidationFailed for a
    missing or bad reason; a side effect may raise any DomainError. Nothing is committed here.
    """
    step = lifecycle.by_name[name]
    seen = obj.status  # what the caller saw before the lock (it may change while we wait for it)
    if _unlocked_for_tests():
        # Simulate the bug the lock prevents: act on what was read earlier, not on a fresh locked row.
        fresh = obj
    else:
        db.session.flush()
        fresh = lock(lifecycle.model, obj.id)
    if fresh is None:
        raise Conflict(f"This {lifecycle.noun} no longer exists.")
    if fresh.status not in step.sources:
        raise Conflict(conflict_message(lifecycle, fresh, step))
    if not step.allowed(actor, fresh):
        if fresh.status != seen or _allowed_before_last_step(lifecycle, fresh, step, actor):
            # Someone else moved the object while this request waited, or just before it was read (e.g.
            # approved the order this approver was declining): a lost race, not a lack of rights.
            raise Conflict(conflict_message(lifecycle, fresh, step))
        raise PermissionDenied(step.denied(actor, fresh) if callable(step.denied) else step.denied)
    cleaned = None if step.reason == "none" else decision_reason(
        reason, required=step.reason == "required", message=step.reason_message)
    ctx = Context(actor=actor, reason=cleaned, before=fresh.status, transition=step, extra=extra,
                  audit_reason=cleaned)
    for effect in step.effects:
        effect(fresh, ctx)
    target = step.target(fresh, ctx) if callable(step.target) else step.target
    if target is not None:
        if target not in lifecycle.states:
            raise ValueError(f"{lifecycle.noun}.{name}: unknown target state {target!r}")
        fresh.status = target  # the one place a lifecycle state changes
    db.session.flush()
    after = {"status": fresh.status}
    if step.audit_after is not None:
        after.update(step.audit_after(fresh))
    audit.record(consortium_id=fresh.consortium_id, actor=actor, action=step.action, obj=fresh,
                 object_type=lifecycle.audit_type, before={"status": ctx.before}, after=after,
                 reason=ctx.audit_reason)
    return fresh


def _last_event(lifecycle: Lifecycle, obj):
    """The audit event of the object's latest transition (None before its first)."""
    return db.session.scalar(
        select(audit.AuditEvent)
        .where(audit.AuditEvent.object_type == lifecycle.audit_type, audit.AuditEvent.object_id == obj.id,
               audit.AuditEvent.action.in_([t.action for t in lifecycle.transitions]))
        .order_by(audit.AuditEvent.id.desc())
        .limit(1)
    )


def _allowed_before_last_step(lifecycle: Lifecycle, obj, step: Transition, actor) -> bool:
    """Whether `actor` could have taken `step` in the state the object was in before its latest transition:
    then a refusal now is a race lost to whoever took that transition (another person, or the same one in
    another tab), and answers 409, not 403 (a lack of rights)."""
    event = _last_event(lifecycle, obj)
    if event is None:
        return False
    previous = (event.before or {}).get("status")
    if previous is None or previous == obj.status or previous not in step.sources:
        return False
    current = obj.status
    with db.session.no_autoflush:  # asked of the previous state, then put back; nothing is written
        obj.status = previous
        try:
            return bool(step.allowed(actor, obj))
        finally:
            obj.status = current


def conflict_message(lifecycle: Lifecycle, obj, step: Transition) -> str:
    """The sentence a request gets when the object is no longer in a state that allows `step`: who
    moved it there and when ("This order was cancelled at 10:42 by Tempe Buyer."), or its state."""
    event = _last_event(lifecycle, obj)
    state = lifecycle.label(obj.status)
    tail = f"so it cannot be {step.past} now." if step.past else "so that step is not possible now."
    if event is None or (event.after or {}).get("status") != obj.status:
        return f"This {lifecycle.noun} is {state}, {tail}"
    done = next((t for t in lifecycle.transitions if t.action == event.action), None)
    what = done.past if done is not None else state
    who = event_actor_name(event)
    when = _local_time(event.created_at, obj.consortium_id)
    by = f" by {who}" if who else ""
    return f"This {lifecycle.noun} was {what} at {when}{by}, so it cannot be {step.past} now." if step.past else (
        f"This {lifecycle.noun} was {what} at {when}{by}.")


def event_actor_name(event) -> str | None:
    """The name of the person who caused an audit event (the kernel reads the table, not the model)."""
    if event.actor_id is None:
        return None
    return db.session.execute(text('SELECT name FROM "user" WHERE id = :id'), {"id": event.actor_id}).scalar()


def _local_time(moment: datetime, consortium_id: int) -> str:
    """`10:42 AM MST` today, or `10:42 AM MST on 30 Nov 2026` on an earlier day, in the consortium's time
    zone (written by `marketplace.formats`, like every time people read)."""
    name = db.session.execute(text("SELECT time_zone FROM consortium WHERE id = :id"), {"id": consortium_id}).scalar()
    zone = local_zone(name or "UTC")
    local = moment.astimezone(zone)
    at = clock(moment, zone)
    return at if local.date() == datetime.now(zone).date() else f"{at} on {day(local.date())}"
