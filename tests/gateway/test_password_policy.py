from __future__ import annotations

from importlib import resources

import pytest

from gateway.auth.password_policy import (
    COMMON_PASSWORDS_FILE,
    MAX_LENGTH,
    MIN_LENGTH,
    WeakPassword,
    check_new_password,
    common_passwords,
)

EMAIL = "jane.doe@example.coop"
PASSPHRASE = "correct horse battery staple"


def test_a_long_passphrase_passes() -> None:
    check_new_password(PASSPHRASE, email=EMAIL, old_password="an older passphrase")
    check_new_password(PASSPHRASE, email=EMAIL)


def test_the_shipped_list_is_loaded_without_its_comments() -> None:
    text = resources.files("gateway.auth").joinpath(COMMON_PASSWORDS_FILE).read_text("utf-8")
    common = common_passwords()

    assert text.startswith("# source: danielmiessler/SecLists/")
    assert len(common) >= 9_000
    assert {"password", "qwertyuiop", "123456", "letmein"} <= common
    assert all(entry == entry.lower() for entry in common)
    assert not any(entry.startswith("#") or not entry for entry in common)
    assert common_passwords() is common  # read once


def test_a_short_password_is_refused() -> None:
    short = "tiny secret"
    assert len(short) == MIN_LENGTH - 1

    with pytest.raises(WeakPassword, match="at least 12 characters"):
        check_new_password(short, email=EMAIL)
    check_new_password(short + "s", email=EMAIL)


def test_a_too_long_password_is_refused() -> None:
    longest = (PASSPHRASE + " ") * 10
    check_new_password(longest[:MAX_LENGTH], email=EMAIL)

    with pytest.raises(WeakPassword, match="at most 256 characters"):
        check_new_password(longest[: MAX_LENGTH + 1], email=EMAIL)
    with pytest.raises(WeakPassword, match="at most 256 characters"):
        check_new_password("x" * 1_000_000, email=EMAIL)


def test_length_counts_code_points_after_nfkc() -> None:
    # The ligature "ﬃ" is one code point, three after NFKC: 11 typed, 13 counted.
    ligature = "my o\N{LATIN SMALL LIGATURE FFI}ce key"
    assert len(ligature) == MIN_LENGTH - 1
    check_new_password(ligature, email=EMAIL)

    # "e" + a combining acute accent is two code points, one ("é") after NFKC: 13 typed, 11.
    combining = "re\N{COMBINING ACUTE ACCENT}sume\N{COMBINING ACUTE ACCENT} pile"
    assert len(combining) == MIN_LENGTH + 1
    with pytest.raises(WeakPassword, match="at least 12 characters"):
        check_new_password(combining, email=EMAIL)


def test_a_common_password_in_full_width_is_refused_after_nfkc() -> None:
    # Full-width forms (U+FF01 to U+FF5E) sit 0xFEE0 above their ASCII twins.
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in "password1234")
    assert full_width != "password1234"
    assert "password1234" not in common_passwords()  # refused by NFKC, then "password"

    with pytest.raises(WeakPassword, match="too common"):
        check_new_password(full_width, email=EMAIL)


def test_the_e_mail_address_or_its_local_part_is_refused() -> None:
    with pytest.raises(WeakPassword, match="must not contain your e-mail address"):
        check_new_password("my login is Jane.Doe@Example.coop", email=EMAIL)
    with pytest.raises(WeakPassword, match="must not contain your e-mail address"):
        check_new_password("JANE.DOE forever and ever", email=EMAIL)


def test_a_short_local_part_is_allowed_but_not_the_whole_address() -> None:
    check_new_password("always carry a spare key", email="al@example.coop")

    with pytest.raises(WeakPassword, match="must not contain your e-mail address"):
        check_new_password("write to al@example.coop", email="al@example.coop")


def test_the_old_password_is_refused_even_in_another_case() -> None:
    with pytest.raises(WeakPassword, match="must differ from your current one"):
        check_new_password(PASSPHRASE, email=EMAIL, old_password=PASSPHRASE)
    with pytest.raises(WeakPassword, match="must differ from your current one"):
        check_new_password(PASSPHRASE.upper(), email=EMAIL, old_password=PASSPHRASE)


@pytest.mark.parametrize(
    "password",
    ["Password1234!", "qwertyuiop123", "!!PASSWORD!!2024", "qwerty123456", "1234567890qwertyuiop"],
)
def test_a_common_password_with_decorations_is_refused(password: str) -> None:
    with pytest.raises(WeakPassword, match="too common: choose another"):
        check_new_password(password, email=EMAIL)


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "abcabcabcabc",
        "123412341234",
        "hunter2hunter2",
        "ZZZZZZZZZZZZ!",
        "abcdefghijkl",
        "123456789012",
        "lkjihgfedcba",
        "uvwxyzabcdef",
        "2024 wxyz 2025",
    ],
)
def test_repeats_and_runs_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword, match="too easy to guess"):
        check_new_password(password, email=EMAIL)


@pytest.mark.parametrize(
    "password",
    ["correct horse correct horse", "abcd-lantern-quay", "aaab 9 kettles"],
)
def test_near_patterns_pass(password: str) -> None:
    check_new_password(password, email=EMAIL)
