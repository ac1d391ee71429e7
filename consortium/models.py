"""Consortia, organizations (member cities, vendors, the consortium office), users and API tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin, UTCDateTime

ORG_KINDS = ("member", "vendor", "office")
ENTITY_TYPES = ("city", "town", "county", "district")
ROLES = ("buyer", "approver", "vendor", "admin")
# Which roles a person of each kind of organization may hold.
ROLES_BY_KIND = {"member": ("buyer", "approver"), "vendor": ("vendor",), "office": ("admin",)}

# Limits, declared once: the columns below, the forms, the API and the services read them from here.
EMAIL_MAX = 254  # RFC 5321
PERSON_NAME_MAX = 200
ORGANIZATION_NAME_MAX = 200
ADDRESS_MAX = 500  # a postal address, several lines
TOKEN_NAME_MAX = 100
PASSWORD_MIN = 12
PASSWORD_MAX = 200  # not a column (only the hash is stored), but one limit for form and service


class Consortium(TimestampMixin, Base):
    __tablename__ = "consortium"
    __table_args__ = (CheckConstraint("fiscal_year_start_month >= 1 AND fiscal_year_start_month <= 12",
                                      name="fiscal_year_start_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    admin_fee_pct: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    # IANA zone name: every date and time on a page, PDF, e-mail or message is shown in it.
    time_zone: Mapped[str] = mapped_column(String(60), default="UTC", server_default="UTC")
    # The month the fiscal year starts (7: July). Fiscal year 2027 is the one that ends in 2027 (July 2026 to
    # June 2027); with 1 (January) it is the calendar year. Needs and the capital roadmap count in these years.
    fiscal_year_start_month: Mapped[int] = mapped_column(default=7, server_default="7")
    # Quarterly sales reports: due this many days after the quarter's end, and their admin fee after this many.
    report_due_days: Mapped[int] = mapped_column(default=30, server_default="30")
    fee_due_days: Mapped[int] = mapped_column(default=60, server_default="60")

    organizations: Mapped[list[Organization]] = relationship(back_populates="consortium")

    def __repr__(self) -> str:
        return f"<Consortium {self.slug}>"


class Organization(TimestampMixin, Base):
    """A member city, a vendor company or the consortium office.

    Members and the office belong to one consortium (`consortium_id`). A vendor company belongs to
    none: it is an approved supplier in one or more consortia through `Supplier`.
    """

    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint("kind IN ('member', 'vendor', 'office')", name="kind"),
        CheckConstraint(
            "(kind = 'vendor' AND consortium_id IS NULL) OR (kind <> 'vendor' AND consortium_id IS NOT NULL)",
            name="consortium_by_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(ORGANIZATION_NAME_MAX))
    consortium_id: Mapped[int | None] = mapped_column(ForeignKey("consortium.id"), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(20))
    population: Mapped[int | None] = mapped_column()
    approval_limit: Mapped[Decimal | None] = mapped_column(Money())
    # Postal address, printed on purchase orders and invoices ("" until someone enters it).
    address: Mapped[str] = mapped_column(Text, default="", server_default="")

    consortium: Mapped[Consortium | None] = relationship(back_populates="organizations")
    users: Mapped[list[User]] = relationship(back_populates="organization", order_by="User.email")

    @property
    def is_member(self) -> bool:
        return self.kind == "member"

    @property
    def is_vendor(self) -> bool:
        return self.kind == "vendor"

    def __repr__(self) -> str:
        return f"<Organization {self.kind} {self.name}>"


class Supplier(TenantMixin, TimestampMixin, Base):
    """A vendor company approved to sell in one consortium."""

    __tablename__ = "supplier"
    __table_args__ = (UniqueConstraint("consortium_id", "organization_id", name="consortium_vendor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)

    organization: Mapped[Organization] = relationship()


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint("role IN ('buyer', 'approver', 'vendor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by signing out (and later by a password change): every session of an older version ends.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # E-mail on (the default) or off per notification kind: {"invoice": false}; the inbox gets everything.
    email_preferences: Mapped[dict] = mapped_column(JSON, default=dict)

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", order_by="ApiToken.id.desc()")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_vendor(self) -> bool:
        return self.role == "vendor"

    @property
    def is_member_staff(self) -> bool:
        return self.role in ("buyer", "approver")

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(TimestampMixin, Base):
    """A personal API token. Only its SHA-256 hash is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
