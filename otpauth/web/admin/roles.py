"""Who may use which console endpoint: ONE table, enforced before every /admin request.

An endpoint missing from ``RULES`` is refused (403) and fails ``tests/test_admin_roles.py``,
so a new route cannot ship without a decision about who may use it.
"""

from __future__ import annotations

PUBLIC = frozenset()  # no login needed: the sign-in steps themselves
SUPPORT = frozenset({"support", "admin"})
ADMIN = frozenset({"admin"})

RULES: dict[str, frozenset[str]] = {
    # Signing in and out.
    "admin.setup": PUBLIC,
    "admin.login": PUBLIC,
    "admin.login_verify": PUBLIC,
    "admin.logout": PUBLIC,
    "admin.login_passkey_options": PUBLIC,  # past the password step (checked in the view)
    "admin.login_passkey_verify": PUBLIC,
    # One's own passkeys (every staff member).
    "admin.staff_passkeys": SUPPORT,
    "admin.staff_passkey_options": SUPPORT,
    "admin.staff_passkey_add": SUPPORT,
    "admin.staff_passkey_remove": SUPPORT,
    # Looking (support and admin).
    "admin.overview": SUPPORT,
    "admin.customers": SUPPORT,
    "admin.customer": SUPPORT,
    "admin.audit": SUPPORT,
    # Helping a customer in. Support may unlock and sign out.
    "admin.unlock": SUPPORT,
    "admin.sign_out": SUPPORT,
    # Changing records (admin only).
    "admin.customer_new": ADMIN,
    "admin.customer_edit": ADMIN,
    "admin.deactivate": ADMIN,
    "admin.reactivate": ADMIN,
    "admin.customer_passkey_remove": ADMIN,
    "admin.import_csv": ADMIN,
    "admin.customers_export": ADMIN,
    "admin.staff": ADMIN,
    "admin.staff_new": ADMIN,
    "admin.staff_deactivate": ADMIN,
    "admin.oidc_clients": ADMIN,
}


def allowed(endpoint: str | None, role: str | None) -> bool | None:
    """True or False for a signed-in ``role``; None for a public endpoint."""
    rule = RULES.get(endpoint or "")
    if rule is None:
        return False
    if not rule:
        return None
    return role in rule
