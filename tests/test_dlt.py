"""SMS to India: GSM-7 or UCS-2 segments, and the DLT template check of every language's
text at start (production refuses a mismatch, naming the language) and in ``sms check``."""

from __future__ import annotations

import json

import fakeredis
import pytest

from config import ConfigError
from otpauth import create_app
from otpauth.delivery.dlt import Encoding, match, segments
from tests.sms_samples import (
    BOTH,
    EN_TEMPLATE,
    EN_TEXT,
    HI_OTHER_TEXT,
    HI_TEMPLATE,
    HI_TEXT,
    OTHER_TEXT,
    THREE_VARIABLES,
    WHOLE_TEXT,
)


@pytest.mark.parametrize(
    ("text", "encoding", "length", "count"),
    [
        (EN_TEXT, Encoding.GSM7, 98, 1),
        (HI_TEXT, Encoding.UCS2, 80, 2),  # Hindi: two UCS-2 segments with the WebOTP line
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),  # split: 153 septets a part
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("€" * 80, Encoding.GSM7, 160, 1),  # an extension character takes two septets
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("क" * 70, Encoding.UCS2, 70, 1),
        ("क" * 135, Encoding.UCS2, 135, 3),  # split: 67 a part
        ("😀" * 35, Encoding.UCS2, 70, 1),  # outside the BMP: two code units each
    ],
)
def test_segments(text, encoding, length, count):
    found = segments(text)
    assert (found.encoding, found.length, found.count) == (encoding, length, count)


def test_matching_templates_in_both_languages():
    for template, text in ((EN_TEMPLATE, EN_TEXT), (HI_TEMPLATE, HI_TEXT)):
        found = match(template, text)
        assert found.ok and found.values == ("123456", "123456")


@pytest.mark.parametrize(
    ("template", "text", "problem"),
    [
        (EN_TEMPLATE.replace("5 min", "10 min"), EN_TEXT, "fixed text differs"),
        (HI_TEMPLATE, EN_TEXT, "fixed text differs"),
        (EN_TEMPLATE, HI_TEXT, "fixed text differs"),
        (THREE_VARIABLES, EN_TEXT, "3 variables; DLT allows 2"),
        (WHOLE_TEXT, EN_TEXT, "holds 98 characters; DLT allows 30"),
    ],
)
def test_mismatches_say_why(template, text, problem):
    found = match(template, text)
    assert not found.ok and problem in found.problem


def production(sqlite_url: str, templates: str) -> dict:
    return {
        "ENV_NAME": "production",
        "SECRET_KEY": "a-long-random-production-key-0123456789",
        "DATABASE_URL": sqlite_url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "REDIS_CLIENT": fakeredis.FakeRedis(),
        "EMAIL_BACKEND": "smtp",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        # As config parses it: a JSON object per language, or one text for all ("*").
        "SMS_DLT_TEMPLATE": json.loads(templates)
        if templates.startswith('{"')
        else {"*": templates},
    }


def test_production_starts_when_every_language_matches(sqlite_url):
    app = create_app(production(sqlite_url, BOTH))
    assert app.config["SMS_DLT_TEMPLATE"]["hi"] == HI_TEMPLATE


@pytest.mark.parametrize(
    ("templates", "language"),
    [
        (json.dumps(OTHER_TEXT), "'en'"),
        (json.dumps(HI_OTHER_TEXT), "'hi'"),
        (EN_TEMPLATE, "'hi'"),  # one template for every language: Hindi cannot match it
        (THREE_VARIABLES, "'en'"),
    ],
)
def test_production_refuses_a_mismatch_naming_the_language(sqlite_url, templates, language):
    with pytest.raises(ConfigError) as caught:
        create_app(production(sqlite_url, templates))
    assert f"does not match the {language} SMS text" in str(caught.value)


@pytest.mark.parametrize("settings", [{"SMS_DLT_TEMPLATE": json.loads(BOTH)}])
def test_sms_check_prints_each_language(runner):
    result = runner.invoke(args=["sms", "check"])
    assert result.exit_code == 0, result.output
    assert "[en] GSM-7, 98 units, 1 segment; template: matches" in result.output
    assert "[hi] UCS-2, 80 units, 2 segments; template: matches" in result.output
    assert "    @localhost #123456" in result.output


@pytest.mark.parametrize("settings", [{"SMS_DLT_TEMPLATE": HI_OTHER_TEXT}])
def test_sms_check_fails_on_a_mismatch(runner, caplog):
    result = runner.invoke(args=["sms", "check"])
    assert result.exit_code == 1
    assert "[en] GSM-7, 98 units, 1 segment; template: matches" in result.output
    assert "[hi] UCS-2" in result.output and "DOES NOT MATCH: its fixed text" in result.output


def test_sms_check_without_a_template(runner):
    result = runner.invoke(args=["sms", "check"])
    assert result.exit_code == 0
    assert "template: no SMS_DLT_TEMPLATE set" in result.output


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (r"{#var#} is it\n@h #{#var#}", {"*": "{#var#} is it\n@h #{#var#}"}),
        ('{"en": "a {#var#}", "hi": "b"}', {"en": "a {#var#}", "hi": "b"}),
    ],
)
def test_the_setting_takes_one_text_or_one_per_language(raw, parsed):
    import config

    assert config.load({"SMS_DLT_TEMPLATE": raw})["SMS_DLT_TEMPLATE"] == parsed


@pytest.mark.parametrize("raw", ['{"en": 5}', '{"fr": "x"}', '{"en": '])
def test_a_bad_setting_names_the_variable(raw):
    import config

    with pytest.raises(ConfigError) as caught:
        config.load({"SMS_DLT_TEMPLATE": raw})
    assert "SMS_DLT_TEMPLATE" in str(caught.value)
