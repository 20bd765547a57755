"""CSV in and out: the report, the all-or-nothing switch, the CLI's import/export and friends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from otpauth.platform.csv_cells import guarded, unguarded
from otpauth.platform.extensions import db
from otpauth.signin.models import AuthEvent, Customer

GOOD = "name,email,phone,type\nOne,one@example.com,,Household\nTwo,,98765 11111,commercial\n"
MIXED = (
    "\ufeffname,email,phone,type,active\n"
    "Good,good@example.com,+44 7911 123456,Industrial,false\n"  # a UK mobile
    ",nobody@example.com,,Household,true\n"  # line 3: no name
    "Bad Mail,not-an-address,,Household,true\n"  # line 4
    "Twin,GOOD@example.com,,Household,true\n"  # line 5: same as line 2
    "Odd,odd@example.com,,Alien,true\n"  # line 6
    "Short,short@example.com\n"  # line 7
    "Taken,test@example.com,,Household,true\n"  # line 8: the demo customer's
    "Maybe,maybe@example.com,,Household,perhaps\n"  # line 9
)


def write(tmp_path, text: str):
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Customer))


def test_import_reports_each_rejected_line(runner, app, customer, tmp_path):
    result = runner.invoke(args=["customers", "import", write(tmp_path, MIXED)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert lines == [
        "line 3: name: must be 1 to 200 characters",
        "line 4: email: Enter a valid e-mail address.",
        "line 5: same e-mail or phone as line 2",
        "line 6: type: must be one of Household, Commercial, Industrial, Institutional",
        "line 7: expected 5 fields, got 2",
        "line 8: a customer with this e-mail or phone already exists",
        "line 9: active: must be true or false",
    ]
    assert "1 imported, 7 rejected" in result.output
    with app.app_context():
        good = db.session.scalar(select(Customer).where(Customer.email == "good@example.com"))
        assert (good.phone, good.customer_type, good.active) == (
            "+447911123456",
            "Industrial",
            False,
        )
        assert db.session.scalar(select(AuthEvent.event)) == "customers_imported"


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(runner, app, customer, tmp_path):
    result = runner.invoke(args=["customers", "import", "--all-or-nothing", write(tmp_path, MIXED)])
    assert result.exit_code == 1
    assert "0 imported, 7 rejected" in result.output
    assert count(app) == 1
    ok = runner.invoke(args=["customers", "import", "--all-or-nothing", write(tmp_path, GOOD)])
    assert ok.exit_code == 0 and "2 imported, 0 rejected" in ok.output
    assert count(app) == 3


@pytest.mark.parametrize(
    "text", ["email,name,phone,type\n", "", "name;email;phone;type\nA;a@example.com;;Household\n"]
)
def test_a_wrong_header_imports_nothing(runner, app, tmp_path, text):
    result = runner.invoke(args=["customers", "import", write(tmp_path, text)])
    assert result.exit_code == 1 and "the header must be name,email,phone,type" in result.output
    assert count(app) == 0


def test_not_utf8_is_one_line(runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,email,phone,type\nJosé,j@example.com,,Household\n".encode("latin-1"))
    result = runner.invoke(args=["customers", "import", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_export_round_trips(runner, app, customer, tmp_path):
    runner.invoke(args=["customers", "import", write(tmp_path, GOOD)])
    out = tmp_path / "out.csv"
    assert runner.invoke(args=["customers", "export", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "name,email,phone,type,active"
    # The phone's "+" would start a formula: guarded with "'", and imported back as it was.
    assert "Asha Rao,test@example.com,'+919876543210,Household,true" in text
    stdout = runner.invoke(args=["customers", "export"]).stdout  # the count goes to stderr
    assert stdout == text
    with app.app_context():
        db.session.query(AuthEvent).delete()
        db.session.query(Customer).delete()
        db.session.commit()
    again = runner.invoke(args=["customers", "import", str(out)])
    assert "3 imported, 0 rejected" in again.output


def test_export_keeps_formulas_out_of_spreadsheets(runner, app, tmp_path):
    runner.invoke(args=["customers", "create", "--name", "=HYPERLINK(1)", "--email", "f@x.org"])
    assert "'=HYPERLINK(1)" in runner.invoke(args=["customers", "export"]).output


def test_export_guards_every_cell_the_email_too(runner, app, tmp_path):
    """Issue 19, finding 9: formulas in the e-mail column survived the export."""
    rows = "=1+1@example.com,,Household\nB,-2+3@example.com,,Household\n"
    path = write(tmp_path, "name,email,phone,type\n=SUM(1),=" + rows[1:])
    assert "2 imported" in runner.invoke(args=["customers", "import", path]).output
    lines = runner.invoke(args=["customers", "export"]).output.splitlines()[1:]
    cells = [cell for line in lines for cell in line.split(",")]
    assert "'=1+1@example.com" in cells and "'-2+3@example.com" in cells
    assert "'=SUM(1)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_guarded_cells_come_back_unchanged():
    values = ["=1+1", "+91", "-2", "@x", "\tx", "\rx", "'=x", "''", "'Tis", "plain", ""]
    assert [unguarded(guarded(v)) for v in values] == values
    assert unguarded("'Tis") == "'Tis"  # a hand-written quote is kept
    assert guarded(None) == ""


def test_a_bare_carriage_return_is_a_line_end_not_a_crash(runner, app, tmp_path):
    path = tmp_path / "cr.csv"
    path.write_bytes(b"name,email,phone,type\rCR One,cr1@example.com,,Household\r")
    assert "1 imported, 0 rejected" in runner.invoke(args=["customers", "import", str(path)]).output
    path.write_bytes(b"name,email,phone,type\nCR\rTwo,cr2@example.com,,Household\n")
    result = runner.invoke(args=["customers", "import", str(path)])
    assert result.exit_code in (0, 1) and "Traceback" not in result.output


def test_deactivate_reactivate_and_show(runner, app, customer):
    result = runner.invoke(args=["customers", "deactivate", str(customer)])
    assert result.exit_code == 0 and "deactivated" in result.output
    shown = runner.invoke(args=["customers", "show", str(customer)]).output
    assert "DEACTIVATED" in shown and "email t***@example.com: no code pending" in shown
    assert "customer_deactivated" in shown
    assert runner.invoke(args=["customers", "reactivate", str(customer)]).exit_code == 0
    assert "active" in runner.invoke(args=["customers", "show", str(customer)]).output
    missing = runner.invoke(args=["customers", "show", "99999"])
    assert missing.exit_code == 1 and "no customer with id 99999" in missing.output


def test_show_tells_why_a_customer_cannot_sign_in(runner, auth, customer, outbox):
    auth.request()
    shown = runner.invoke(args=["customers", "show", str(customer)]).output
    assert "code pending (5 attempts left" in shown
    assert "cooldown" in shown and "4 sends left" in shown and "not locked" in shown
    assert "authenticator app: no" in shown
