"""The WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

import gc
import sys

from config import ConfigError
from otpauth import create_app

APP_LOAD_ERROR = 4  # gunicorn's "App failed to load": it stops instead of respawning workers

try:
    app = create_app()
except ConfigError as exc:  # one line naming the variable, not a traceback
    print(exc, file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)

# What the app built to serve is kept for the process's life: out of the collector's way.
# Full collections then walk the objects of requests only (~135,000 fewer; about 1 % of a
# login's CPU, see docs/BENCHMARKS.md); under gunicorn --preload the collector also stops
# writing to their memory pages, so fewer of them are copied into each worker.
gc.freeze()
