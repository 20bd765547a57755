"""Languages: the locale choice, the cookie, <html lang>, the Hindi catalog, messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import code_in

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "otpauth" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def html_lang(response) -> str:  # noqa: ANN001
    match = re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def test_default_language_is_the_first_of_languages(client):
    response = client.get("/otp/request/")
    assert html_lang(response) == "en" and "Sign in" in response.get_data(as_text=True)


def test_accept_language_chooses_hindi(client):
    response = client.get("/otp/request/", headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"})
    assert html_lang(response) == "hi"
    assert "लॉगिन करें" in response.get_data(as_text=True)


def test_accept_language_with_nothing_offered_falls_back_to_the_default(client):
    assert html_lang(client.get("/otp/request/", headers={"Accept-Language": "fr, de"})) == "en"


def test_lang_parameter_switches_and_is_remembered_in_a_cookie(client):
    response = client.get("/otp/request/?lang=hi", headers={"Accept-Language": "en"})
    assert html_lang(response) == "hi"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "hi" and cookie.http_only
    # Later pages, without the parameter and whatever the browser says, stay in Hindi.
    later = client.get("/otp/request/", headers={"Accept-Language": "en"})
    assert html_lang(later) == "hi"
    assert html_lang(client.get("/otp/request/?lang=en")) == "en"
    assert client.get_cookie("lang").value == "en"


@pytest.mark.parametrize("value", ["fr", "../../etc", "hi\r\nSet-Cookie: x=1", ""])
def test_a_language_not_offered_is_ignored(client, value):
    response = client.get("/otp/request/", query_string={"lang": value})
    assert response.status_code == 200 and html_lang(response) == "en"
    assert client.get_cookie("lang") is None


def test_a_forged_cookie_is_ignored(client):
    client.set_cookie("lang", "xx")
    assert html_lang(client.get("/otp/request/")) == "en"


@pytest.mark.parametrize("settings", [{"LANGUAGES": ("hi", "en")}])
def test_languages_order_sets_the_default(client, settings):
    assert html_lang(client.get("/otp/request/")) == "hi"


@pytest.mark.parametrize("settings", [{"LANGUAGES": ("en",)}])
def test_only_offered_languages_are_used(client, settings):
    response = client.get("/otp/request/?lang=hi", headers={"Accept-Language": "hi"})
    assert html_lang(response) == "en"
    assert "हिन्दी" not in response.get_data(as_text=True)  # no switcher for one language


def test_error_pages_and_flashes_are_translated(client, auth, customer, outbox):
    client.get("/otp/request/?lang=hi")
    assert "पेज नहीं मिला" in client.get("/nope").get_data(as_text=True)
    auth.request()
    auth.verify(code_in(outbox[-1]))
    page = auth.logout()
    assert page.status_code == 302
    assert "आप लॉग आउट हो गए हैं।" in client.get("/otp/request/").get_data(as_text=True)


def test_form_errors_are_translated(client, auth):
    client.get("/otp/request/?lang=hi")
    response = auth.request("not a contact", channel="sms")
    assert response.status_code == 400
    assert "सही मोबाइल नंबर लिखें" in response.get_data(as_text=True)


def test_wrong_code_in_hindi_keeps_the_attempts_count(client, auth, customer, outbox):
    client.get("/otp/request/?lang=hi")
    auth.request()
    page = auth.verify("000000").get_data(as_text=True)
    assert "OTP गलत है। 4 कोशिशें बाकी हैं।" in page


def test_email_and_sms_go_out_in_the_language_of_the_request(client, auth, customer, outbox, sms):
    client.get("/otp/request/?lang=hi")
    auth.request()
    assert "लॉगिन कोड" in outbox[-1].subject and "लॉगिन कोड" in outbox[-1].text
    assert 'lang="hi"' in outbox[-1].html
    client.get("/otp/request/?lang=en")
    auth.request("9876543210", channel="sms")
    assert sms[-1].text.startswith(code_in(sms[-1]) + " is your Waste Billing sign-in code")


def test_render_message_takes_the_locale_outside_a_request(app):
    """A job that renders later (queue mode) passes the language it carries."""
    from otpauth.delivery import render_message

    with app.app_context():
        hindi = render_message("sms", "+919876543210", "123456", locale="hi")
        english = render_message("email", "a@example.com", "123456")
    assert "आपका Waste Billing कोड है" in hindi.text
    assert english.subject == "Your Waste Billing sign-in code"


@pytest.mark.parametrize("settings", [{"SITE_NAME": "Nagar Nigam Kachra Bill"}])
def test_messages_use_site_name(app, settings):
    from otpauth.delivery import render_message

    with app.app_context():
        message = render_message("email", "a@example.com", "123456")
    assert message.subject == "Your Nagar Nigam Kachra Bill sign-in code"
    assert "Nagar Nigam Kachra Bill" in message.text and "Waste Billing" not in message.html


# --- The Hindi catalog -------------------------------------------------------------------


def source_msgids() -> set[str]:
    """Every translatable string of the package and the templates, extracted in memory."""
    method_map = [
        ("otpauth/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple | list) else message)
    return found


def translated(path: Path) -> set[str]:
    """The msgids the catalog really translates (not fuzzy, no empty form)."""
    with path.open("rb") as f:
        catalog = read_po(f)
    done = set()
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
        if all(strings):
            done.add(m.id[0] if isinstance(m.id, tuple | list) else m.id)
    return done


def test_babel_cfg_matches_the_extraction_used_here():
    cfg = (ROOT / "babel.cfg").read_text()
    assert "[python: otpauth/**.py]" in cfg and "[jinja2: templates/**.html]" in cfg


def test_every_string_has_a_hindi_translation():
    wanted = source_msgids()
    assert len(wanted) > 50  # the extraction itself works
    missing = sorted(wanted - translated(CATALOGS / "hi" / "LC_MESSAGES" / "messages.po"))
    assert not missing, "untranslated (run `make messages`, translate, `make translations`):\n" + (
        "\n".join(missing)
    )


def test_hindi_translations_keep_every_placeholder():
    with (CATALOGS / "hi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple | list) else (m.id,)
        strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]|\{n\}", ids[-1]))
        for s in strings:
            assert set(re.findall(r"%\(\w+\)[sd]|\{n\}", s)) == wanted, m.id


def flat(value: str | tuple | list) -> str | tuple:
    """A message id or string, plural forms as a tuple (the .po and .mo readers differ)."""
    return tuple(value) if isinstance(value, tuple | list) else value


def test_compiled_catalog_matches_the_po_file():
    """The committed .mo is what `make translations` makes from the .po (none forgotten)."""
    po_path = CATALOGS / "hi" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        po = {flat(m.id): flat(m.string) for m in read_po(f) if m.id and not m.fuzzy}
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = {flat(m.id): flat(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "the .mo is stale: run `make translations`"


# --- Hindi SMS length ----------------------------------------------------------------------

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def sms_segments(text: str) -> tuple[str, int]:
    """The encoding and the number of SMS segments ``text`` takes.

    GSM-7: 160 characters in one segment, 153 per part beyond; any other character makes
    the whole message UCS-2: 70 in one, 67 per part (UTF-16 code units).
    """
    if set(text) <= GSM7:
        single, part, length = 160, 153, len(text)
    else:
        single, part, length = 70, 67, len(text.encode("utf-16-le")) // 2
    return ("GSM-7" if single == 160 else "UCS-2"), 1 if length <= single else -(-length // part)


@pytest.mark.parametrize("settings", [{"PUBLIC_HOST": "bill.example.in"}])
def test_sms_segments_in_both_languages(app, settings, capsys):
    """Measure the code SMS: English in one GSM-7 segment; Hindi in UCS-2, as few as can be.

    The WebOTP line (``@host #code``) is part of the message, so the count depends on the
    host name; the test shows the figures for a realistic one.
    """
    from otpauth.delivery import render_message

    with app.app_context():
        texts = {lang: render_message("sms", "+9198", "123456", lang).text for lang in ("en", "hi")}
    body = {lang: text.split("\n")[0] for lang, text in texts.items()}
    figures = {lang: (len(t), *sms_segments(t)) for lang, t in texts.items()}
    with capsys.disabled():
        for lang, (length, encoding, segments) in figures.items():
            print(
                f"\nSMS {lang}: {length} chars, {encoding}, {segments} segment(s); body alone "
                f"{len(body[lang])} chars, {sms_segments(body[lang])[1]} segment(s)"
            )
    assert figures["en"][1:] == ("GSM-7", 1)
    assert figures["hi"][1] == "UCS-2"
    assert sms_segments(body["hi"])[1] == 1, "the Hindi text itself fits one UCS-2 segment"
    assert figures["hi"][2] <= 2
