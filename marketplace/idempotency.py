"""`Idempotency-Key` for API calls that create or commit something (orders today).

The first response to a (user, scope, key) is stored in the same transaction as the change it reports;
a repeat with the same body gets that response again (`Idempotent-Replayed: true`), and a repeat whose
body differs is refused with 422: replaying the first result would silently ignore what was asked.
"""

from __future__ import annotations

import hashlib
import json

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, TimestampMixin
from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db

KEY_LIMIT = 200


class IdempotencyRecord(TimestampMixin, Base):
    """The first response to a request carrying an `Idempotency-Key`; a repeat returns it again."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key", name="user_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(KEY_LIMIT))
    # SHA-256 of the canonical JSON body; NULL for records kept from before bodies were compared.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column()
    response: Mapped[dict] = mapped_column(JSON)


class KeyReused(DomainError):
    """The same Idempotency-Key came back with a different request body."""

    status = 422
    code = "idempotency_key_reused"


def idempotency_key() -> str | None:
    """The request's `Idempotency-Key` header, checked (400 when malformed), or None."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > KEY_LIMIT or any(ord(c) < 32 or ord(c) == 127 for c in key):
        message = f"Use 1 to {KEY_LIMIT} characters, none of them control characters."
        raise ValidationFailed("Invalid Idempotency-Key.", {"Idempotency-Key": message})
    return key


def body_hash(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replayed(scope: str, key: str | None, body):
    """The stored response for this key, or None; raises KeyReused when the body differs."""
    if key is None:
        return None
    record = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.request_hash is not None and record.request_hash != body_hash(body):
        raise KeyReused("This Idempotency-Key was already used with a different request. Use a new key for a new "
                        "request, or send exactly the same body to get the first result again.")
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def respond(scope: str, key: str | None, body, payload: dict, status: int):
    """Store the response with the change (same transaction), commit, and answer."""
    if key is not None:
        db.session.add(IdempotencyRecord(user_id=current_user.id, scope=scope, key=key, request_hash=body_hash(body),
                                         status_code=status, response=payload))
    try:
        db.session.commit()
    except IntegrityError:
        # The same key raced in from a concurrent request: that one won; answer with its result.
        db.session.rollback()
        replay = replayed(scope, key, body)
        if replay is None:
            raise
        return replay
    response = jsonify(payload)
    response.status_code = status
    return response
