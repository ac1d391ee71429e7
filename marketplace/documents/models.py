"""Document: a file attached to an owner (a listing, pilot, vehicle, participation, order, observation, RFI or
need), stored content-addressed under `DOCUMENTS_DIR` (`storage`), typed from its content (`sniffing`).

The owner is named by type and id, never by a foreign key: the kernel knows no domain. Who may see or add a
document is its owner's rule (`registry`). The same title on the same owner makes the next version; old
versions stay.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TenantMixin, TimestampMixin

TITLE_MAX = 200
FILENAME_MAX = 200
OWNER_TYPE_MAX = 30


class Document(TenantMixin, TimestampMixin, Base):
    __tablename__ = "document"
    object_type = "document"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "title", "version", name="owner_title_version"),
        Index("ix_document_owner", "owner_type", "owner_id"),
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(OWNER_TYPE_MAX))
    owner_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger())
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(default=1)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    uploaded_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Document {self.owner_type}#{self.owner_id} {self.title!r} v{self.version}>"
