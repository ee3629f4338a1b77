"""The rules a member's new password must pass before it is hashed and stored.

Length, not composition, as NIST SP 800-63B advises: at least `MIN_LENGTH` characters, no rules
about digits or capitals (they breed "Password1!"), and a refusal of what attackers try first:
the member's own e-mail address, passwords from a list of common ones, and repeats and runs.
The list (``common_passwords.txt``, from SecLists) ships inside the package, so the check needs
no network and sends no password anywhere.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
import unicodedata
from importlib import resources

MIN_LENGTH = 12
# argon2 reads the whole password: a cap keeps a megabyte "password" off the hashing pool.
MAX_LENGTH = 256

COMMON_PASSWORDS_FILE = "common_passwords.txt"

# Below this length the local part of an address ("al", "jo") would refuse countless good
# passwords; the whole address is refused at any length.
_MIN_LOCAL_PART = 4

# "Password1234!" is "password" with the usual decorations: checks also look at the password
# with what surrounds its letters (or its letters and digits) stripped.
_AROUND_LETTERS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_AROUND_LETTERS_AND_DIGITS = re.compile(r"^[\W_]+|[\W_]+$")

# A repeat or run of two or three characters is ordinary text, not a pattern.
_MIN_PATTERN = 4

# Runs wrap round within these: "7890123", "xyzabc".
_CYCLES = (string.digits, string.ascii_lowercase)


class WeakPassword(ValueError):
    """A new password the policy refuses; the message is the reason, worded for the member."""


def check_new_password(password: str, *, email: str, old_password: str | None = None) -> None:
    """Raise `WeakPassword` unless ``password`` may become the member's password.

    Lengths count code points after NFKC normalization, and comparisons ignore case, so
    "password1234" typed in full-width forms is judged as "password1234". The caller hashes
    ``password`` as given: this only judges it.
    """
    normalized = unicodedata.normalize("NFKC", password)
    if len(normalized) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(normalized) > MAX_LENGTH:
        raise WeakPassword(f"a password can have at most {MAX_LENGTH} characters")
    folded = normalized.casefold()
    # A case change alone is the first variant an attacker holding the old password tries.
    if old_password is not None and folded == _fold(old_password):
        raise WeakPassword("the new password must differ from your current one")
    if _contains_email(folded, email):
        raise WeakPassword("a password must not contain your e-mail address")
    candidates = {
        folded,
        _AROUND_LETTERS.sub("", folded),
        _AROUND_LETTERS_AND_DIGITS.sub("", folded),
    }
    common = common_passwords()
    if any(candidate in common for candidate in candidates):
        raise WeakPassword("that password is too common: choose another")
    if any(_is_pattern(candidate) for candidate in candidates):
        raise WeakPassword(
            "that password is too easy to guess: avoid repeats and runs like aaaa, abcabc or 1234"
        )


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped common passwords, lowercased; read from the package on first use.

    Lines starting with ``#`` are comments (the list's source and license).
    """
    text = resources.files("gateway.auth").joinpath(COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _contains_email(folded_password: str, email: str) -> bool:
    address = _fold(email).strip()
    local_part = address.rpartition("@")[0]
    if address and address in folded_password:
        return True
    return len(local_part) >= _MIN_LOCAL_PART and local_part in folded_password


def _is_pattern(text: str) -> bool:
    return len(text) >= _MIN_PATTERN and (_is_repeat(text) or _is_run(text))


def _is_repeat(text: str) -> bool:
    # A unit said twice or more is no harder to guess than the unit itself, so one shorter than
    # MIN_LENGTH ("abc" * 4, "hunter2" * 2) fails the length rule in all but name.
    longest_unit = min(MIN_LENGTH - 1, len(text) // 2)
    # ``text`` repeats every ``period`` characters exactly when shifting it by that much changes
    # nothing.
    return any(text[period:] == text[:-period] for period in range(1, longest_unit + 1))


def _is_run(text: str) -> bool:
    steps = {_step(a, b) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


def _step(a: str, b: str) -> int:
    for cycle in _CYCLES:
        if a in cycle and b in cycle:
            step = (cycle.index(b) - cycle.index(a)) % len(cycle)
            return step - len(cycle) if step > len(cycle) // 2 else step
    return ord(b) - ord(a)
