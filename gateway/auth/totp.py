"""Time-based one-time passwords (RFC 6238) for optional two-factor login, and recovery codes.

The gateway and the user's authenticator app share a random secret; each derives a 6-digit
code from it and the current 30-second step with HMAC-SHA1, the one variant every app
supports. A code of the step either side is accepted too, for clock drift. The caller stores
the step of each accepted code and passes it back, so a code seen over a shoulder or in a log
cannot be used a second time.

Recovery codes let in a user who lost the device. They are random and high-entropy, so, like
session tokens, only their plain SHA-256 is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from gateway.auth.tokens import token_hash

STEP_SECONDS = 30
DIGITS = 6
_SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length
_MIN_SECRET_BYTES = 16  # RFC 4226: a shared secret MUST have at least 128 bits
_DRIFT_STEPS = 1  # steps accepted either side of the current one
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Lowercase letters and digits without 0, o, 1 and l: a code copied from paper has no character
# that could be read as another. 32 symbols make 5 bits each, 60 bits for 12 characters.
RECOVERY_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"
_RECOVERY_GROUPS = 3
_RECOVERY_GROUP_LENGTH = 4


def new_secret() -> str:
    """A new shared secret: 160 random bits in base32 without padding, as apps expect."""
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode().rstrip("=")


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """The ``otpauth://`` URI that a QR code carries to the app (Google's Key URI format).

    The issuer appears both in the label, for apps that read only the label, and as a
    parameter, which newer apps prefer. Neither it nor the account name may contain a colon:
    the colon separates the two in the label, and some apps split on it even when encoded.
    """
    if ":" in issuer or ":" in account_name:
        raise ValueError("the issuer and account name of a TOTP URI may not contain ':'")
    label = f"{quote(issuer, safe='')}:{quote(account_name, safe='')}"
    parameters = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,  # spaces as %20: some apps show a + literally
    )
    return f"otpauth://totp/{label}?{parameters}"


def code_at(secret: str, at: datetime) -> str:
    """The code for the time step that contains the aware datetime ``at``."""
    return _code(_key(secret), _step(at))


def accepted_step(secret: str, code: str, at: datetime, last_used_step: int | None) -> int | None:
    """The step whose code ``code`` is, within one step of ``at``; None when there is none.

    Spaces in ``code`` are ignored; anything but six digits is refused. A step at or before
    ``last_used_step`` is refused too: store the step returned and pass it next time, so that
    no code is accepted twice.
    """
    code = "".join(code.split())
    # Checked first: a bad secret or a naive time is the caller's bug, whatever the user typed.
    key = _key(secret)
    current = _step(at)
    if not _well_formed(code):
        return None
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(_code(key, step), code):
            return step
    return None


def new_recovery_codes(count: int = 10) -> list[str]:
    """``count`` distinct new recovery codes such as ``k7qm-3xpd-w9tz`` (60 random bits)."""
    if count < 0:
        raise ValueError(f"cannot make {count} recovery codes")
    codes: dict[str, None] = {}  # a dict keeps the order made in while dropping repeats
    while len(codes) < count:
        codes[_new_recovery_code()] = None
    return list(codes)


def normalize_recovery_code(text: str) -> str:
    """The code as stored, however typed: lowercase, without spaces and dashes."""
    return "".join(text.split()).replace("-", "").lower()


def recovery_code_hash(code: str) -> str:
    """The hex SHA-256 of the normalized code, the only form of it to store."""
    # A plain SHA-256 suffices: the code is 60 random bits, not a guessable password.
    return token_hash(normalize_recovery_code(code))


def _key(secret: str) -> bytes:
    # Tolerates what people do to a secret they copy: lowercase, spaces, dropped padding.
    text = "".join(secret.split()).upper().rstrip("=")
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise ValueError("a TOTP secret must be base32") from None
    if len(key) < _MIN_SECRET_BYTES:
        raise ValueError(f"a TOTP secret needs at least {_MIN_SECRET_BYTES * 8} bits")
    return key


def _step(at: datetime) -> int:
    if at.utcoffset() is None:
        raise ValueError("a TOTP time must be timezone-aware")
    if at < _EPOCH:
        raise ValueError("a TOTP time cannot be before 1970")
    # timedelta arithmetic is exact, where float timestamps may round across a step boundary.
    return (at - _EPOCH) // timedelta(seconds=STEP_SECONDS)


def _code(key: bytes, step: int) -> str:
    # HOTP (RFC 4226 section 5.3) with the step as counter: dynamic truncation of the HMAC.
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    (value,) = struct.unpack_from(">I", digest, offset)
    return f"{(value & 0x7FFFFFFF) % 10**DIGITS:0{DIGITS}d}"


def _well_formed(code: str) -> bool:
    # str.isdigit alone would let in other scripts' digits and superscripts.
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
        for _ in range(_RECOVERY_GROUPS)
    )
    return "-".join(groups)
