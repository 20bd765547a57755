"""otpauth as an OpenID Provider for the utility's own applications (Authlib's server).

``init_app`` builds the grant store and the server and hooks back-channel logout onto the
session store (which knows nothing of OIDC); the web layer registers the pages, the
command layer ``flask oidc``.
"""

from __future__ import annotations

from flask import Flask

from ..platform.redis import get_redis
from ..signin.sessions import session_store
from .backchannel import EXTENSION_KEY as NOTIFIER
from .backchannel import Notifier
from .records import STORE
from .server import build
from .store import GrantStore
from .sweeper import Sweeper

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Wire the provider into the app (after sessions and the secret box)."""
    # OIDC_SWEEP_SECONDS: 30 s; 0 in the testing profile (the tests call sweep_once).
    with app.app_context():
        app.extensions[STORE] = GrantStore(get_redis())
        notifier = Notifier(app)
        app.extensions[NOTIFIER] = notifier
        session_store().on_end.append(notifier.session_ended)
    sweeper = Sweeper(app, notifier, app.config["OIDC_SWEEP_SECONDS"])
    app.before_request(sweeper.ensure_running)
    build(app)
