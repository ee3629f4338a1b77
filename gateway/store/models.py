"""The tables the gateway owns. Every row belongs to one co-op (``cooperative_id``).

Child rows reach their user through a foreign key over (user id, co-op id), so a row's co-op
is always its user's co-op. The schema itself is created by the Alembic migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Enum,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
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


ACCOUNT_NUMBER_LENGTH = 32  # the longest CIS account number the gateway keeps


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


class FixedPoint(TypeDecorator[Decimal]):
    """A Decimal with at most ``PLACES`` decimals, stored as an integer count of its smallest
    unit: exact, and the same on SQLite and PostgreSQL."""

    impl = BigInteger
    cache_ok = True
    PLACES: ClassVar[int]

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not self.fits(value):
            raise ValueError(f"{value} has more than {self.PLACES} decimals")
        return int(value.scaleb(self.PLACES))

    @classmethod
    def fits(cls, value: Decimal) -> bool:
        """Whether ``value`` has at most ``PLACES`` decimals."""
        return value == value.quantize(Decimal(1).scaleb(-cls.PLACES))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else self.shown(Decimal(value).scaleb(-self.PLACES))

    def shown(self, value: Decimal) -> Decimal:
        """How a value read back is written out."""
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class Role(StrEnum):
    MEMBER = "MEMBER"  # sees the accounts linked to them
    STAFF = "STAFF"  # may look any account of their co-op up


class ClientKind(StrEnum):
    WEB = "WEB"
    MOBILE = "MOBILE"


class TokenScope(StrEnum):
    READ_ONLY = "READ_ONLY"  # queries only
    READ_WRITE = "READ_WRITE"  # queries and the mutations a member's scripts may make


class OneTimePurpose(StrEnum):
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose, not a password
    EMAIL_CHANGE = "EMAIL_CHANGE"  # proves the member reads the new address


def string_enum(kind: type[StrEnum], name: str) -> Enum:
    # VARCHAR plus a CHECK rather than a PostgreSQL enum type: the same on both databases,
    # and a new member is a constraint change instead of ALTER TYPE.
    return Enum(kind, name=name, native_enum=False, create_constraint=True, length=16)


def user_foreign_key() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["user_id", "cooperative_id"], ["users.id", "users.cooperative_id"], ondelete="CASCADE"
    )


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
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # A temporary password (sign-up, new staff) logs in once, before this instant, into a
    # session that may only change it; a login with it clears this.
    temporary_password_expires_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    pass_phrase_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id, like passwords
    # Failed logins counted within a window that opens at the first of them; five lock.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_logins_since: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    # Two-factor: the TOTP secret, confirmed by a first code; the last step a code was used.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    accounts: Mapped[list[UserAccount]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="UserAccount.account_number",
    )
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    access_tokens: Mapped[list[AccessToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return email.strip().lower()


class UserAccount(Base):
    """A CIS account the user may see."""

    __tablename__ = "user_accounts"
    __table_args__ = (
        user_foreign_key(),
        # Also the index for "who may see this account?" lookups.
        UniqueConstraint("cooperative_id", "account_number", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="accounts")


class UserSession(Base):
    """A login: the bearer token's SHA-256 (the token itself is never stored) and its life."""

    __tablename__ = "sessions"
    __table_args__ = (user_foreign_key(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    client_kind: Mapped[ClientKind] = mapped_column(string_enum(ClientKind, "client_kind"))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="sessions")


class AccessToken(Base):
    """A personal access token for a member's own scripts: named, scoped, stored as SHA-256."""

    __tablename__ = "access_tokens"
    __table_args__ = (user_foreign_key(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(string_enum(TokenScope, "scope"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None: until revoked
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="access_tokens")


class OneTimeToken(Base):
    """An e-mailed single-use token (password reset, new e-mail address), stored as SHA-256."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (user_foreign_key(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[OneTimePurpose] = mapped_column(string_enum(OneTimePurpose, "purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(320))  # for EMAIL_CHANGE
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """A two-factor recovery code's SHA-256; each logs in once in place of a TOTP code."""

    __tablename__ = "recovery_codes"
    __table_args__ = (user_foreign_key(), UniqueConstraint("user_id", "code_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    cooperative_id: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """A security event or a staff read of member data: who, what, when, from where.

    No foreign keys: the log outlives the users it names. ``detail`` never holds a secret.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_cooperative_id_at", "cooperative_id", "at"),
        Index("ix_audit_events_cooperative_id_user_id", "cooperative_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utc_now)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None]  # the member the event is about
    actor_user_id: Mapped[int | None]  # who acted, when not the member (staff)
    account_number: Mapped[str | None] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(500))
