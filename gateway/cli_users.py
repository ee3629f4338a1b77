"""The ``coop-gateway users`` commands: logins made from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from gateway.cli_common import cooperative_of, cooperatives_of

if TYPE_CHECKING:
    from gateway.cooperatives import Cooperative
    from gateway.settings import Settings


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    database_url: Callable[[str], str],
) -> None:
    users = commands.add_parser("users", help="the gateway's logins")
    actions = users.add_subparsers(dest="users_command", required=True)
    create_staff = actions.add_parser(
        "create-staff",
        help="create a staff login; prints its temporary password, to be changed at first login",
    )
    create_staff.add_argument("email", help="the staff member's e-mail address")
    create_staff.add_argument(
        "--cooperative",
        help="the co-op's id (default: COOP_GATEWAY_DEFAULT_COOPERATIVE, else the first co-op's)",
    )
    create_staff.add_argument(
        "--database-url",
        type=database_url,
        help="default: COOP_GATEWAY_DATABASE_URL, else sqlite+aiosqlite:///var/coop-gateway.db",
    )


def run(args: argparse.Namespace, settings: Settings) -> NoReturn:
    from sqlalchemy.exc import SQLAlchemyError

    command = f"coop-gateway users {args.users_command}"
    # Checked against the co-op files: a login at a co-op nobody serves is no login.
    cooperative = cooperative_of(cooperatives_of(settings, command), args.cooperative, command)
    url = args.database_url or settings.database_url
    try:
        sys.exit(asyncio.run(_create_staff(command, url, cooperative, args.email)))
    except (OSError, SQLAlchemyError) as error:
        sys.exit(f"{command}: database error: {error}")


async def _create_staff(command: str, url: str, cooperative: Cooperative, email: str) -> int:
    from datetime import UTC, datetime

    from gateway.auth.passwords import TEMPORARY_PASSWORD_LIFETIME, new_temporary_password
    from gateway.auth.users import create_user, normalize_email
    from gateway.durations import in_words
    from gateway.store.database import create_engine, schema_is_current, session_factory
    from gateway.store.models import Role

    engine = create_engine(url)
    try:
        if not await schema_is_current(engine):
            print(
                f"{command}: the database is not migrated: run `coop-gateway db upgrade`",
                file=sys.stderr,
            )
            return 1
        password = new_temporary_password()
        expires_at = datetime.now(UTC) + TEMPORARY_PASSWORD_LIFETIME
        try:
            await create_user(
                session_factory(engine),
                cooperative.id,
                email,
                password,
                Role.STAFF,
                must_change_password=True,
                temporary_password_expires_at=expires_at,
            )
        except ValueError as error:  # UserExists among them: the address has a login
            print(f"{command}: {error}", file=sys.stderr)
            return 1
    finally:
        await engine.dispose()
    # Shown here once and nowhere else (only its hash is stored, and it is never logged).
    print(f"Created staff login {normalize_email(email)} at {cooperative.name} ({cooperative.id}).")
    print(f"Temporary password: {password}")
    print(
        f"It must be changed at first login, within {in_words(TEMPORARY_PASSWORD_LIFETIME)}"
        f" (before {cooperative.local_time_text(expires_at)})."
    )
    return 0
