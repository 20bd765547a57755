"""Who signed in and how, and the claims each scope releases."""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oidc.core import UserInfo

from ..platform.extensions import db
from ..signin.models import Customer, new_oidc_sub

# How the session was signed in (its ``method``) -> RFC 8176 amr values.
AMR = {
    "email": ["otp", "email"],
    "sms": ["otp", "sms"],
    "whatsapp": ["otp", "sms"],
    "app": ["otp"],
    "passkey": ["hwk", "user"],
    "passkey_synced": ["swk", "user"],
}
ACR = "urn:otpauth:acr:otp"  # one level of assurance today: a one-time code or better


@dataclass
class Grantee:
    """The customer a grant is for, and the session it was made in."""

    customer: Customer
    sid: str
    auth_time: int
    method: str

    @property
    def amr(self) -> list[str]:
        """The authentication methods of the session."""
        return AMR.get(self.method, ["otp"])

    def get_user_id(self) -> int:  # Authlib asks the user for this in places
        return self.customer.id


def subject(customer: Customer) -> str:
    """The customer's stable random ``sub`` (assigned on first use if missing)."""
    if not customer.oidc_sub:
        customer.oidc_sub = new_oidc_sub()
        db.session.commit()
    return customer.oidc_sub


def user_info(customer: Customer, scope: str) -> UserInfo:
    """The claims released for ``scope`` (``sub`` always)."""
    scopes = set(scope.split())
    info = UserInfo(sub=subject(customer))
    if "profile" in scopes:
        info["name"] = customer.name
        info["customer_type"] = customer.customer_type
    if "email" in scopes and customer.email:
        info["email"] = customer.email
        info["email_verified"] = customer.email_verified_at is not None
    if "phone" in scopes and customer.phone:
        info["phone_number"] = customer.phone
        info["phone_number_verified"] = customer.phone_verified_at is not None
    return info
