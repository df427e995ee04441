"""The one table that holds personal data, and only as ciphertext."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from haven.db import Base, TZDateTime


class PersonRecord(Base):
    """A person's name and contact, sealed under their own data key.

    There is deliberately no column for SSN, citizenship, immigration status or date of birth.
    Shredding sets both wrapped keys to NULL: the ciphertext stays but nobody can read it, and
    the person's ledger tags can no longer be linked to them.
    """

    __tablename__ = "person_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(32))
    wrapped_data_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    wrapped_tag_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    contact_index: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    shredded_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
