"""`flask customers …`: validation and clear errors, never a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import code_in


def create(runner, *args: str):
    return runner.invoke(args=["customers", "create", *args])


def test_create_normalizes_and_lists(runner, app):
    result = create(
        runner,
        "--name",
        "Green Grocers",
        "--email",
        " Shop@Example.COM ",
        "--phone",
        "098765 43210",
        "--type",
        "commercial",
    )
    assert result.exit_code == 0, result.output
    assert "created customer" in result.output
    listing = runner.invoke(args=["customers", "list"]).output
    assert "shop@example.com" in listing and "+919876543210" in listing
    assert "Commercial" in listing and "never" in listing


def test_phone_with_country_code_and_region(runner):
    # A UK mobile (a landline, e.g. +44 20 7946 0958, cannot take the code by SMS: refused).
    assert create(runner, "--name", "UK Office", "--phone", "+44 7911 123456").exit_code == 0
    assert "+447911123456" in runner.invoke(args=["customers", "list"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "A", "--email", "not-an-address"], "valid e-mail"),
        (["--name", "A", "--phone", "12"], "valid phone"),
        (["--name", "A"], "--email, --phone or both"),
        (["--name", " ", "--email", "a@example.com"], "--name"),
        (["--name", "A", "--email", "a@example.com", "--type", "Alien"], "household"),
    ],
)
def test_bad_input_is_a_clean_error(runner, args, message):
    result = create(runner, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )


def test_duplicates_are_refused_or_skipped(runner):
    assert create(runner, "--name", "A", "--email", "a@example.com").exit_code == 0
    again = create(runner, "--name", "B", "--email", "A@EXAMPLE.com")
    assert again.exit_code == 1 and "e-mail address already exists" in again.output
    quiet = create(runner, "--name", "B", "--email", "a@example.com", "--exist-ok")
    assert quiet.exit_code == 0 and "already exists" in quiet.output
    create(runner, "--name", "C", "--phone", "9876543210")
    clash = create(runner, "--name", "D", "--phone", "+91 98765 43210")
    assert clash.exit_code == 1 and "phone number already exists" in clash.output


def test_empty_list(runner):
    assert "no customers yet" in runner.invoke(args=["customers", "list"]).output


@pytest.mark.parametrize("settings", [{"OTP_MAX_FAILURES_PER_DAY": 2}])
def test_unlock_lifts_the_daily_cap(runner, auth, customer, outbox, settings):
    auth.request()
    for _ in range(2):
        auth.verify("000000" if code_in(outbox[-1]) != "000000" else "111111")
    assert auth.request().status_code == 429
    result = runner.invoke(args=["customers", "unlock", "--email", "TEST@example.com"])
    assert result.exit_code == 0 and "unlocked t***@example.com" in result.output
    assert auth.request().status_code == 302


def test_unlock_needs_a_contact(runner):
    result = runner.invoke(args=["customers", "unlock"])
    assert result.exit_code == 2 and "--email, --phone or both" in result.output
