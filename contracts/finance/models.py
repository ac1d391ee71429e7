"""Financing instruments and innovation funds (contributions and draws); the limits every layer (form, API
schema, validation) reads. Repayments are not stored: they are derived from the financed order's settlement
(`contracts.finance.repayments`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import Organization, User
from consortium.planning.models import Need
from contracts.orders.models import Order
from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin

# Instruments with a level-payment schedule, the zero-coupon mini-bond, and those only recorded (partner,
# amount, term and notes; no schedule).
SCHEDULE_KINDS = ("loan", "vendor_financing", "lease")
BOND_KINDS = ("mini_bond",)
RECORDED_KINDS = ("ppp", "guarantee", "tif", "grant")
KINDS = SCHEDULE_KINDS + BOND_KINDS + RECORDED_KINDS
KIND_LABELS = {
    "loan": "Loan", "vendor_financing": "Vendor financing", "lease": "Lease", "mini_bond": "Mini-bond",
    "ppp": "Public-private partnership", "guarantee": "Guarantee", "tif": "Tax increment financing",
    "grant": "Grant",
}

# How the capital roadmap counts an instrument recorded on a need: the funding source (DESIGN section 4's list)
# each kind of instrument brings money from. A loan is borrowed money repaid with interest, as a bond is; a
# lease is paid from the operating budget; a guarantee secures other money and brings none, so the roadmap does
# not count it. Amounts: the principal (recorded amount), or a mini-bond's proceeds (issue price × units).
FUNDING_SOURCE_OF_KIND = {
    "loan": "bond", "vendor_financing": "vendor_financing", "lease": "budget", "mini_bond": "mini_bond",
    "ppp": "ppp", "guarantee": None, "tif": "tif", "grant": "grant",
}

# Limits, declared once.
PARTNER_MAX = 200
NOTES_MAX = 5000
NAME_MAX = 120
SOURCE_MAX = 200
MAX_YEARS = 50
MAX_UNITS = 10_000_000
RATE_PLACES = 4


class FinancingInstrument(TenantMixin, TimestampMixin, Base):
    """How (part of) an order or a need is paid for: a loan, vendor financing or lease with a schedule, a
    mini-bond, or a partnership, guarantee, TIF or grant recorded as it is. It belongs to exactly one of an order
    (`order_id`) and a need (`need_id`)."""

    __tablename__ = "financing_instrument"
    __table_args__ = (
        CheckConstraint("kind IN ('loan', 'vendor_financing', 'lease', 'mini_bond', 'ppp', 'guarantee', 'tif', "
                        "'grant')", name="kind"),
        CheckConstraint("principal IS NULL OR principal > 0", name="principal"),
        CheckConstraint("years IS NULL OR (years >= 1 AND years <= 50)", name="years"),
        CheckConstraint("payments_per_year IS NULL OR payments_per_year IN (1, 2, 4, 12)", name="payments_per_year"),
        CheckConstraint("units IS NULL OR units >= 1", name="units"),
        CheckConstraint("maturity_value IS NULL OR maturity_value >= issue_price", name="maturity_value"),
        CheckConstraint("(order_id IS NULL) <> (need_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    partner: Mapped[str] = mapped_column(String(PARTNER_MAX))
    # Loan, vendor financing, lease: the amount financed; ppp, guarantee, tif, grant: the amount recorded.
    principal: Mapped[Decimal | None] = mapped_column(Money())
    annual_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())  # a percentage, 0 to 100
    years: Mapped[int | None] = mapped_column()
    payments_per_year: Mapped[int | None] = mapped_column()
    first_payment_on: Mapped[date | None] = mapped_column()
    issue_price: Mapped[Decimal | None] = mapped_column(Money())
    maturity_value: Mapped[Decimal | None] = mapped_column(Money())
    units: Mapped[int | None] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    order: Mapped[Order | None] = relationship()
    need: Mapped[Need | None] = relationship()
    created_by: Mapped[User] = relationship()

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def has_schedule(self) -> bool:
        return self.kind in SCHEDULE_KINDS

    @property
    def amount(self) -> Decimal | None:
        """The money it brings: the principal (or amount recorded), or a mini-bond's proceeds."""
        if self.kind in BOND_KINDS:
            return self.issue_price * self.units
        return self.principal


class Fund(TenantMixin, TimestampMixin, Base):
    """A revolving innovation fund owned by a member or the office: contributions in, draws out to finance
    orders, repayments back from the orders' verified savings. The row is locked while a draw is decided."""

    __tablename__ = "innovation_fund"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_innovation_fund_owner_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    owner: Mapped[Organization] = relationship()
    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="fund", order_by="(Contribution.received_on, Contribution.id)")
    draws: Mapped[list[Draw]] = relationship(back_populates="fund", order_by="(Draw.drawn_on, Draw.id)")


class Contribution(TimestampMixin, Base):
    """Money put into a fund: a budget appropriation, a grant, a bond's proceeds …"""

    __tablename__ = "fund_contribution"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("innovation_fund.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    source: Mapped[str] = mapped_column(String(SOURCE_MAX))
    received_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    fund: Mapped[Fund] = relationship(back_populates="contributions")
    recorded_by: Mapped[User] = relationship()


class Draw(TimestampMixin, Base):
    """Money taken from a fund to finance one order, repaid at `repayment_pct` % of what the order's verified
    settlement brings the city. An order is financed by at most one draw (of any fund), so no two draws ever
    claim the same savings."""

    __tablename__ = "fund_draw"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        UniqueConstraint("order_id", name="uq_fund_draw_order_id"),
        Index("ix_fund_draw_fund_drawn_on", "fund_id", "drawn_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("innovation_fund.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    repayment_pct: Mapped[Decimal] = mapped_column(ExactDecimal())
    drawn_on: Mapped[date] = mapped_column()
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    fund: Mapped[Fund] = relationship(back_populates="draws")
    order: Mapped[Order] = relationship()
    drawn_by: Mapped[User] = relationship()

