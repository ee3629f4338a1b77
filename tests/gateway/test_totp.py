from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from gateway.auth.totp import (
    DIGITS,
    RECOVERY_ALPHABET,
    STEP_SECONDS,
    accepted_step,
    code_at,
    new_recovery_codes,
    new_secret,
    normalize_recovery_code,
    provisioning_uri,
    recovery_code_hash,
)

# RFC 6238 Appendix B's SHA1 secret, the ASCII "12345678901234567890", in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
OTHER_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
AT_STEP = int(AT.timestamp()) // 30


def _at_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_codes_match_the_rfc_6238_sha1_vectors(unix_time: int, expected: str) -> None:
    assert code_at(RFC_SECRET, _at_unix(unix_time)) == expected


def test_a_code_covers_its_whole_30_second_step() -> None:
    step_start = _at_unix(30)

    assert code_at(RFC_SECRET, step_start) == code_at(RFC_SECRET, _at_unix(59.999))
    assert code_at(RFC_SECRET, step_start) != code_at(RFC_SECRET, _at_unix(29.999))
    assert code_at(RFC_SECRET, step_start) != code_at(RFC_SECRET, _at_unix(60))


@pytest.mark.parametrize("hours", [-8, 5.5, 14])
def test_the_time_zone_of_the_datetime_does_not_change_the_code(hours: float) -> None:
    same_instant = AT.astimezone(timezone(timedelta(hours=hours)))

    assert code_at(RFC_SECRET, same_instant) == code_at(RFC_SECRET, AT)


def test_a_naive_datetime_is_refused() -> None:
    naive = AT.replace(tzinfo=None)

    with pytest.raises(ValueError, match="timezone-aware"):
        code_at(RFC_SECRET, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        accepted_step(RFC_SECRET, code_at(RFC_SECRET, AT), naive, None)


def test_the_current_code_is_accepted_with_its_step() -> None:
    assert accepted_step(RFC_SECRET, code_at(RFC_SECRET, AT), AT, None) == AT_STEP


@pytest.mark.parametrize("steps_away", [-1, 1])
def test_a_code_one_step_away_is_accepted_for_clock_drift(steps_away: int) -> None:
    code = code_at(RFC_SECRET, AT + timedelta(seconds=steps_away * STEP_SECONDS))

    assert accepted_step(RFC_SECRET, code, AT, None) == AT_STEP + steps_away


@pytest.mark.parametrize("steps_away", [-2, 2])
def test_a_code_two_steps_away_is_refused(steps_away: int) -> None:
    code = code_at(RFC_SECRET, AT + timedelta(seconds=steps_away * STEP_SECONDS))

    assert accepted_step(RFC_SECRET, code, AT, None) is None


def test_a_wrong_code_is_refused() -> None:
    near = {code_at(RFC_SECRET, AT + timedelta(seconds=s * STEP_SECONDS)) for s in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in near)

    assert accepted_step(RFC_SECRET, wrong, AT, None) is None
    # The right code for another secret.
    assert accepted_step(OTHER_SECRET, code_at(RFC_SECRET, AT), AT, None) is None


def test_a_used_code_cannot_be_replayed() -> None:
    code = code_at(RFC_SECRET, AT)
    used = accepted_step(RFC_SECRET, code, AT, None)

    assert used == AT_STEP
    assert accepted_step(RFC_SECRET, code, AT, used) is None
    assert accepted_step(RFC_SECRET, code, AT + timedelta(seconds=STEP_SECONDS), used) is None
    # A step before the last one used is refused too, though within the drift window.
    previous = code_at(RFC_SECRET, AT - timedelta(seconds=STEP_SECONDS))
    assert accepted_step(RFC_SECRET, previous, AT, used) is None
    # The next step's code still works once.
    following = code_at(RFC_SECRET, AT + timedelta(seconds=STEP_SECONDS))
    assert accepted_step(RFC_SECRET, following, AT, used) == AT_STEP + 1


def test_an_earlier_last_used_step_does_not_block_the_current_code() -> None:
    code = code_at(RFC_SECRET, AT)

    assert accepted_step(RFC_SECRET, code, AT, AT_STEP - 1) == AT_STEP


def test_spaces_in_a_code_are_ignored() -> None:
    code = code_at(RFC_SECRET, AT)

    assert accepted_step(RFC_SECRET, f" {code[:3]} {code[3:]} ", AT, None) == AT_STEP


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "   ",
        "12345",
        "1234567",
        "abcdef",
        "12345a",
        "١٢٣٤٥٦",  # Arabic-Indic digits: str.isdigit says yes
        "12345²",
    ],
)
def test_malformed_codes_are_refused(malformed: str) -> None:
    assert accepted_step(RFC_SECRET, malformed, AT, None) is None


def test_a_code_with_its_last_digit_dropped_or_added_is_refused() -> None:
    code = code_at(RFC_SECRET, AT)

    assert accepted_step(RFC_SECRET, code[:-1], AT, None) is None
    assert accepted_step(RFC_SECRET, code + "0", AT, None) is None
    assert accepted_step(RFC_SECRET, "0" + code, AT, None) is None


def test_a_new_secret_is_160_bits_of_unpadded_base32() -> None:
    secret = new_secret()

    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == 20
    assert new_secret() != secret
    assert len(code_at(secret, AT)) == DIGITS


def test_a_secret_is_read_however_it_was_copied() -> None:
    expected = code_at(RFC_SECRET, AT)
    spaced = " ".join(RFC_SECRET[i : i + 4] for i in range(0, len(RFC_SECRET), 4)).lower()

    assert code_at(spaced, AT) == expected


def test_a_short_or_broken_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="128 bits"):
        code_at(base64.b32encode(b"0123456789").decode(), AT)  # 80 bits
    with pytest.raises(ValueError, match="base32"):
        code_at("not base32!", AT)
    with pytest.raises(ValueError, match="base32"):
        code_at(RFC_SECRET[:-2], AT)  # 30 characters: a length base32 cannot have


def test_the_provisioning_uri_parses_back() -> None:
    secret = new_secret()
    uri = provisioning_uri(secret, "alice+2fa@example.com", "Prairie & Pine Electric")
    parts = urlsplit(uri)
    query = parse_qs(parts.query, strict_parsing=True)

    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert unquote(parts.path) == "/Prairie & Pine Electric:alice+2fa@example.com"
    assert query == {
        "secret": [secret],
        "issuer": ["Prairie & Pine Electric"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    # Spaces as %20, never +, which some apps show literally; a + of the name is encoded.
    assert "+" not in uri
    assert " " not in uri
    assert parts.path == "/Prairie%20%26%20Pine%20Electric:alice%2B2fa%40example.com"


@pytest.mark.parametrize(
    ("account_name", "issuer"), [("alice:admin@example.com", "Coop"), ("alice", "Coop: West")]
)
def test_a_colon_in_the_uri_label_is_refused(account_name: str, issuer: str) -> None:
    with pytest.raises(ValueError, match="':'"):
        provisioning_uri(new_secret(), account_name, issuer)


def test_recovery_codes_have_the_documented_form() -> None:
    codes = new_recovery_codes()
    group = f"[{RECOVERY_ALPHABET}]{{4}}"

    assert len(codes) == 10
    for code in codes:
        assert re.fullmatch(f"{group}-{group}-{group}", code), code
    assert len(new_recovery_codes(3)) == 3
    assert new_recovery_codes(0) == []


def test_the_recovery_alphabet_gives_60_bits_and_no_look_alikes() -> None:
    assert len(set(RECOVERY_ALPHABET)) == len(RECOVERY_ALPHABET) == 32  # 5 bits x 12 = 60
    assert RECOVERY_ALPHABET.islower()
    assert not set(RECOVERY_ALPHABET) & set("0o1l")


def test_recovery_codes_are_distinct() -> None:
    codes = new_recovery_codes(200)

    assert len(set(codes)) == 200
    assert not set(codes) & set(new_recovery_codes(200))


def test_a_negative_number_of_recovery_codes_is_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        new_recovery_codes(-1)


def test_a_recovery_code_normalizes_however_it_is_typed() -> None:
    assert normalize_recovery_code("k7qm-3xpd-w9tz") == "k7qm3xpdw9tz"
    assert normalize_recovery_code(" K7QM 3XPD-W9TZ ") == "k7qm3xpdw9tz"
    assert normalize_recovery_code("k7qm3xpdw9tz") == "k7qm3xpdw9tz"
    code = new_recovery_codes(1)[0]
    assert normalize_recovery_code(code) == code.replace("-", "")


def test_the_recovery_code_hash_is_stable_across_formatting() -> None:
    stored = recovery_code_hash("k7qm-3xpd-w9tz")

    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert recovery_code_hash("K7QM 3XPD W9TZ") == stored
    assert recovery_code_hash("k7qm3xpdw9tz") == stored
    assert recovery_code_hash("k7qm-3xpd-w9ty") != stored
    assert "k7qm" not in stored
