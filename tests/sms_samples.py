"""SMS texts and DLT templates the tests share: the code SMS in English and Hindi as the
app renders it on ``localhost`` with the default settings, and templates that match them
or fail in each of the ways DLT refuses."""

from __future__ import annotations

import json

CODE = "123456"
EN_TEXT = (
    f"{CODE} is your Waste Billing sign-in code. It expires in 5 min. Never share it.\n"
    f"@localhost #{CODE}"
)
HI_TEXT = f"{CODE} आपका Waste Billing कोड है। 5 मिनट तक। किसी को न बताएं।\n@localhost #{CODE}"
EN_TEMPLATE = (
    "{#var#} is your Waste Billing sign-in code. It expires in 5 min. Never share it.\n"
    "@localhost #{#var#}"
)
HI_TEMPLATE = "{#var#} आपका Waste Billing कोड है। 5 मिनट तक। किसी को न बताएं।\n@localhost #{#var#}"
BOTH = json.dumps({"en": EN_TEMPLATE, "hi": HI_TEMPLATE})
# Each fails in one way: other fixed text, three variables, a variable holding the text.
OTHER_TEXT = {"en": EN_TEMPLATE.replace("5 min", "10 min"), "hi": HI_TEMPLATE}
HI_OTHER_TEXT = {"en": EN_TEMPLATE, "hi": HI_TEMPLATE.replace("5 मिनट", "10 मिनट")}
THREE_VARIABLES = "{#var#} is your {#var#} sign-in code. {#var#}"
WHOLE_TEXT = "{#var#}"
