"""Owners register themselves here: the kernel never imports a domain.

Each owning sub-package has an `attachments.py` that calls `register(Owner(...))` when imported (its domain
imports it where it wires itself up). An owner says how to load one of its objects for a person (its own
visibility: 404 for what they may not see), who may see its documents (whoever may see it) and who may add
one, and where its page is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort

# Every owner key the URLs know (`/c/<slug>/<key>/<id>/documents`, `/api/v1/<key>/<id>/documents`), in the
# order of DESIGN section 7; a key no domain registered answers 404.
OWNER_KEYS = ("listings", "pilots", "vehicles", "participations", "orders", "observations", "rfis", "needs")


@dataclass(frozen=True)
class Owner:
    key: str                                  # the URL word: "listings"
    object_type: str                          # stored on the document: "listing"
    noun: str                                 # for sentences: "listing"
    load: Callable[[int, object], object]     # (owner id, user) -> the object, or abort(404/401)
    can_view: Callable[[object, object], bool]  # (user, object): whoever may see the owner
    can_add: Callable[[object, object], bool]   # (user, object): the owner's editors
    page_url: Callable[[object], str]           # the owner's page, where its documents are listed
    name: Callable[[object], str] = lambda obj: f"#{obj.id}"  # how the owner is named on pages


_BY_KEY: dict[str, Owner] = {}
_BY_TYPE: dict[str, Owner] = {}


def register(owner: Owner) -> Owner:
    if owner.key not in OWNER_KEYS:
        raise ValueError(f"unknown document owner key {owner.key!r}: add it to OWNER_KEYS")
    _BY_KEY[owner.key] = owner
    _BY_TYPE[owner.object_type] = owner
    return owner


def owner_for_key(key: str) -> Owner:
    """The registered owner for a URL word, or 404."""
    owner = _BY_KEY.get(key)
    if owner is None:
        abort(404)
    return owner


def owner_for_type(object_type: str) -> Owner:
    owner = _BY_TYPE.get(object_type)
    if owner is None:
        abort(404)
    return owner


def registered() -> dict[str, Owner]:
    return dict(_BY_KEY)
