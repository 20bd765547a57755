"""The WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

import sys

from config import ConfigError
from otpauth import create_app

APP_LOAD_ERROR = 4  # gunicorn's "App failed to load": it stops instead of respawning workers

try:
    app = create_app()
except ConfigError as exc:  # one line naming the variable, not a traceback
    print(exc, file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)
