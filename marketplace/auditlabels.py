"""How the audit log names things: a registry the domains fill in, so the kernel never imports them.

The audit trail stores `object_type` and `object_id` (marketplace.audit). To write "Tempe Buyer submitted
order TO-000042 (value $52,000.00)" the log needs three things it cannot know by itself:

- a *label* for each object, with the figure worth quoting and the page that shows it. A domain registers
  one batch function per object type, `register_label("order", orders_named)`, which takes a list of ids
  and answers `{id: Label(...)}` with one or two queries, so a page of 50 events of mixed types costs a
  fixed number of queries whatever the mix;
- a *verb* for each action: a lifecycle's transitions already say it (`Transition.past`), so a domain
  registers its lifecycles (`register_lifecycle`); actions written outside a lifecycle can be given one
  (`register_verb`); any other action is read from its name ("sales_report.recorded" → "recorded");
- how to read a recorded field: state names through the lifecycle's labels, and which numeric fields of
  a type are not money (`register_fields`).

A type nobody registered still reads well ("sales report #12"); nothing here raises for an unknown type.
Labels are computed inside a request (they may link to pages with `link`), under the current tenant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from flask import has_request_context, url_for


@dataclass(frozen=True)
class Label:
    """How one object is named in a sentence: "order TO-000042", its key figure ("value $52,000.00") and
    the URL of its page when it has one."""

    text: str
    figure: str | None = None
    url: str | None = None


Batch = Callable[[list[int]], Mapping[int, Label]]

_batches: dict[str, Batch] = {}
_nouns: dict[str, str] = {}
_verbs: dict[str, str] = {}
_explicit_verbs: set[str] = set()
_state_labels: dict[str, Callable[[str], str]] = {}
_plain_numbers: dict[str, frozenset[str]] = {}
_links_wanted: ContextVar[bool] = ContextVar("audit_label_links", default=True)


def register_label(object_type: str, batch: Batch, *, noun: str | None = None) -> None:
    """Name the objects of `object_type` with `batch(ids) -> {id: Label}` (ids it leaves out read as
    "<noun> #<id>": deleted, or not visible here)."""
    _batches[object_type] = batch
    if noun:
        _nouns[object_type] = noun


def register_verb(action: str, past: str) -> None:
    """The verb of an action written outside a lifecycle ("listing.revision_proposed" → "proposed a
    revision of"); it wins over a lifecycle's."""
    _verbs[action] = past
    _explicit_verbs.add(action)


def register_lifecycle(lifecycle) -> None:
    """Take the verbs of a `marketplace.transitions.Lifecycle` (each transition's `past`, by its audit
    action; the first transition of an action wins), its noun and its state labels."""
    for step in lifecycle.transitions:
        if step.action not in _explicit_verbs and step.past:
            _verbs.setdefault(step.action, step.past)
    _nouns.setdefault(lifecycle.audit_type, lifecycle.noun)
    _state_labels[lifecycle.audit_type] = lifecycle.label


def register_fields(object_type: str, *, plain_numbers: Iterable[str] = ()) -> None:
    """Fields of `object_type` whose names look like money but hold other numbers (an observation's
    `value` is a KPI reading, not dollars)."""
    _plain_numbers[object_type] = frozenset(plain_numbers)


def noun(object_type: str) -> str:
    """"sales_report" → "sales report" unless the domain named it."""
    return _nouns.get(object_type) or object_type.replace("_", " ")


def verb(action: str) -> str:
    """The past-tense verb phrase of an action, e.g. "submitted", "sent back for changes"."""
    if action in _verbs:
        return _verbs[action]
    words = [w for w in action.rsplit(".", 1)[-1].split("_") if w]
    if not words:
        return "changed"
    if len(words) > 1 and words[-1].endswith("ed"):
        return f"{words[-1]} the {' '.join(words[:-1])} of"  # "payment_recorded" → "recorded the payment of"
    return " ".join(words)


def state_label(object_type: str, state) -> str:
    """A state as people read it ("pending_approval" → "pending approval")."""
    if not isinstance(state, str):
        return str(state)
    labeller = _state_labels.get(object_type)
    return labeller(state) if labeller else state.replace("_", " ")


def is_plain_number(object_type: str, field: str) -> bool:
    return field in _plain_numbers.get(object_type, frozenset())


def fallback(object_type: str, object_id: int) -> Label:
    return Label(f"{noun(object_type)} #{object_id}")


def labels(pairs: Iterable[tuple[str, int]], *, links: bool = True) -> dict[tuple[str, int], Label]:
    """The label of every (object_type, object_id): one batch call per registered type present. Without
    `links` (a CSV file) the labels carry no URL."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for object_type, object_id in pairs:
        wanted[object_type].add(object_id)
    found: dict[tuple[str, int], Label] = {}
    token = _links_wanted.set(links)
    try:
        for object_type, ids in wanted.items():
            batch = _batches.get(object_type)
            named = batch(sorted(ids)) if batch is not None and ids else {}
            for object_id in ids:
                found[(object_type, object_id)] = named.get(object_id) or fallback(object_type, object_id)
    finally:
        _links_wanted.reset(token)
    return found


def link(endpoint: str, **values) -> str | None:
    """The URL of an object's page for a label; None when no link is wanted or outside a request."""
    return url_for(endpoint, **values) if _links_wanted.get() and has_request_context() else None


def registered_types() -> frozenset[str]:
    return frozenset(_batches)
