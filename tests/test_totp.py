"""TOTP codes, recovery-code format, secret encryption and the QR code (no app needed)."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet, InvalidToken

from otpauth.signin.otp import totp

# RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "expected"), RFC_VECTORS)
def test_rfc6238_sha1_vectors(unix_time, expected):
    # The appendix's codes are 8 digits: the app's own function, asked for 8 digits, gives
    # them exactly; the 6 digits the app uses are the same number mod 10**6 (its last six).
    step = totp.step_at(unix_time)
    assert totp.code_at(RFC_SEED, step, digits=8) == expected
    assert totp.code_at(RFC_SEED, step) == expected[-6:]
    assert dict(totp.window(RFC_SEED, unix_time))[step] == expected[-6:]


def test_window_is_the_step_before_now_and_after():
    steps = [s for s, _ in totp.window(RFC_SEED, 1111111111)]
    assert steps == [37037036, 37037037, 37037038]


def test_new_secret_is_160_bits_of_base32():
    secrets = {totp.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for s in secrets:
        assert len(base64.b32decode(s)) == 20


def test_provisioning_uri_and_qr_svg():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    uri = totp.provisioning_uri(secret, "test@example.com", "Waste Billing")
    assert uri.startswith("otpauth://totp/Waste%20Billing:test%40example.com?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=Waste%20Billing" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg ") and 'role="img"' in svg and "aria-label=" in svg
    assert "http" not in svg.replace("http://www.w3.org", "")  # nothing fetched
    assert "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" not in svg  # the secret only as QR modules


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("ABCD-2345", "abcd-2345"),
        ("abcd2345", "abcd-2345"),
        ("12345", None),
        ("1234-5678", None),  # all digits: never a recovery code
        ("abcd-234!", None),
        ("١٢٣٤٥٦", None),  # Arabic-Indic digits
        ("", None),
    ],
)
def test_canonical_code(typed, canonical):
    assert totp.canonical_code(typed) == canonical


def test_recovery_codes_have_their_own_format():
    codes = {totp.new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert totp.canonical_code(code) == code and totp.is_recovery(code)
        assert set(code.replace("-", "")) <= set(totp.RECOVERY_ALPHABET)


def test_secret_box_first_key_encrypts_all_decrypt():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = totp.SecretBox([old]).encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" not in token
    both = totp.SecretBox([new, old])
    assert both.decrypt(token) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    rotated = both.rotate(token)
    assert totp.SecretBox([new]).decrypt(rotated) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidToken):
        totp.SecretBox([new]).decrypt(token)  # the old key was removed


def test_keys_default_to_one_derived_from_secret_key_and_bad_keys_stop_the_start():
    from config import ConfigError

    derived = totp.box_keys((), "some-secret-key")
    assert derived == totp.box_keys((), "some-secret-key") != totp.box_keys((), "other")
    Fernet(derived[0])
    with pytest.raises(ConfigError, match="TOTP_ENCRYPTION_KEYS: key 2"):
        totp.box_keys((Fernet.generate_key().decode(), "short"), "k")
