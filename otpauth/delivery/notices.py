"""Security notices: tell a customer, on every contact on file, that their account changed.

Sent inline through the channels' senders (a notice has no deadline to race and no code
to protect), but not through a channel that is unavailable to everyone (breaker open, SMS
budget spent); a failed send is logged, masked, and never fails the change it reports.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext

from ..platform.catalog import lazy_gettext as _l
from ..platform.i18n import local_time, time_zone_name
from ..signin import channels
from ..signin.models import Customer
from .base import DeliveryError
from .messages import render
from .service import delivery, unavailable_channels

log = logging.getLogger(__name__)

WHAT = {
    "authenticator_added": _l("An authenticator app was added to your account"),
    "authenticator_removed": _l("The authenticator app was removed from your account"),
    "recovery_code_used": _l("A recovery code was used to sign in to your account"),
    "passkey_added": _l("A passkey (%(name)s) was added to your account"),
    "passkey_removed": _l("A passkey (%(name)s) was removed from your account"),
    "email_changed": _l("The e-mail address on your account was changed"),
    "phone_changed": _l("The phone number on your account was changed"),
}


def send_security_notice(
    customer: Customer, event: str, *, name: str = "", also: dict[str, str | None] | None = None
) -> int:
    """Send the notice for ``event`` to each of the customer's contacts; how many went.

    ``name``: what the notice names (a passkey); ``also``: contacts no longer on file that
    must hear of it too, by channel (the old address after a change).
    """
    c = current_app.config
    # In the language of the page the change was made on, the time in DISPLAY_TIMEZONE.
    context = {
        "what": str(WHAT[event]) % {"name": name},
        "when": f"{local_time(datetime.now(UTC))} {time_zone_name()}",
        "service": c["SITE_NAME"],
        "host": c["PUBLIC_HOST"],
    }
    subject = gettext("%(service)s security notice", service=c["SITE_NAME"])
    sent = 0
    closed = unavailable_channels()  # an open breaker or a spent SMS budget holds for us too
    for channel in channels.sending():
        offered = delivery().senders.get(channel.name) is not None  # WhatsApp may be off
        if not channel.notices or not offered or channel.name in closed:
            continue
        found = (customer.contact(channel.name), (also or {}).get(channel.name))
        for contact in dict.fromkeys(x for x in found if x):
            sent += _send(channel, contact, subject, context)
    return sent


def _send(channel: channels.Channel, contact: str, subject: str, context: dict) -> int:
    message = render(channel.name, "notice", contact, subject, context)
    try:
        delivery().senders[channel.name].send(message)
    except DeliveryError as exc:
        log.warning("notice: %s to %s failed (%s)", channel.name, channel.mask(contact), exc)
        return 0
    return 1
