"""Bearer secrets: sessions (``cgs_``), personal access tokens (``cgp_``) and e-mailed
one-time tokens (``cgr_``): a prefix secret scanners recognise and 43 random URL-safe
characters (256 bits). Only a secret's SHA-256 is stored, so a copy of the database opens
nothing.
"""

from __future__ import annotations

import hashlib
import secrets

# Markers for secret scanners, not secrets.
SESSION_PREFIX = "cgs_"
ACCESS_TOKEN_PREFIX = "cgp_"  # noqa: S105
ONE_TIME_PREFIX = "cgr_"
_BYTES = 32
_RANDOM_LENGTH = 43  # token_urlsafe(32) is 43 characters


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(_BYTES)


def well_formed(token: str, prefix: str) -> bool:
    """Anything else cannot have been issued: refused without hashing or a database read."""
    return len(token) == len(prefix) + _RANDOM_LENGTH and token.startswith(prefix)


def token_hash(token: str) -> str:
    # A plain SHA-256 suffices: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode()).hexdigest()
