"""The tables the gateway owns. Every row belongs to one co-op (``cooperative_id``).

Child rows reach their user through a foreign key over (user id, co-op id), so a row's co-op
is always its user's co-op. The schema itself is created by the Alembic migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    Enum,
    ForeignKeyConstraint,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

# Constraint names are spelled the same in the migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: takes aware datetimes only, stores UTC, gives back aware UTC datetimes.

    PostgreSQL keeps the offset (timestamptz); SQLite keeps text without one, so the value
    is stored as naive UTC there and UTC is put back on reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class Role(StrEnum):
    MEMBER = "MEMBER"  # sees the accounts linked to them
    STAFF = "STAFF"  # may look any account of their co-op up


class ClientKind(StrEnum):
    WEB = "WEB"
    MOBILE = "MOBILE"


def _string_enum(kind: type[StrEnum], name: str) -> Enum:
    # VARCHAR plus a CHECK rather than a PostgreSQL enum type: the same on both databases,
    # and a new member is a constraint change instead of ALTER TYPE.
    return Enum(kind, name=name, native_enum=False, create_constraint=True, length=16)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "email"),
        UniqueConstraint("id", "cooperative_id"),  # what the children's foreign keys point at
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, in PHC string form
    role: Mapped[Role] = mapped_column(_string_enum(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    accounts: Mapped[list[UserAccount]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="UserAccount.account_number",
    )
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return email.strip().lower()


class UserAccount(Base):
    """A CIS account the user may see."""

    __tablename__ = "user_accounts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["user_id", "cooperative_id"], ["users.id", "users.cooperative_id"], ondelete="CASCADE"
        ),
        # Also the index for "who may see this account?" lookups.
        UniqueConstraint("cooperative_id", "account_number", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="accounts")


class UserSession(Base):
    """A login: the bearer token's SHA-256 (the token itself is never stored) and its life."""

    __tablename__ = "sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["user_id", "cooperative_id"], ["users.id", "users.cooperative_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    client_kind: Mapped[ClientKind] = mapped_column(_string_enum(ClientKind, "client_kind"))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="sessions")
