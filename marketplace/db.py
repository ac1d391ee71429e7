"""Declarative base, column types and mixins shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import BigInteger, DateTime, ForeignKey, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from marketplace.numbers import CENT

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The largest id an INTEGER primary key holds (PostgreSQL's int4): a bigger number names no row, and
# SQLite cannot even bind one above 2**63 - 1.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware (a callable default, never evaluated at import)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp on every engine (SQLite drops the zone; we put UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a timezone-aware column")
        # Stored as UTC: SQLite keeps no offset, so 5 PM in Phoenix must be written as midnight UTC.
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Money(TypeDecorator):
    """Money as exact integer cents in the database, `Decimal` in Python.

    Integer cents keep SQL sums exact on SQLite (which has no decimal type) and PostgreSQL alike.
    A value with fractions of a cent is refused rather than silently rounded.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = Decimal(value)
        cents = amount * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"money amount {value} has fractions of a cent")
        return int(cents)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class ExactDecimal(TypeDecorator):
    """A decimal number (percentages, measurements) stored as its exact text form."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        try:
            number = Decimal(value)
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
        if not number.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return format(number, "f")

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TenantMixin:
    """A row owned by one consortium. Queries are scoped to the current consortium automatically
    (see `marketplace.tenancy`), so views never have to remember a filter."""

    @declared_attr
    def consortium_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(ForeignKey("consortium.id"), index=True)
