"""otpauth for bench/login_load.py: the production app, with the inline send delay the bench asks.

``DELIVERY_INLINE_DELAY`` (0.2 s) holds each inline send until the customer's next page has
loaded; it costs the server nothing, but a closed-loop client waits for the code, so with
it 8 clients could never exceed 8 / 0.2 = 40 logins/s whatever the server. The bench sets
it from ``BENCH_INLINE_DELAY`` (default 0) and prints the value it used.
"""

from __future__ import annotations

import os
import sys

from config import ConfigError
from otpauth import create_app

try:
    app = create_app({"DELIVERY_INLINE_DELAY": float(os.environ.get("BENCH_INLINE_DELAY", "0"))})
except ConfigError as exc:
    print(exc, file=sys.stderr)
    sys.exit(4)
