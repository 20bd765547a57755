"""Layer 5, the commands: ``flask customers|staff|audit|totp|oidc|db …``."""

from .commands import init_app

__all__ = ["init_app"]
