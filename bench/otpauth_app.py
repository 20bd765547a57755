"""otpauth for bench/login_load.py: the production app, with the send delay the bench asks.

``DELIVERY_SEND_DELAY`` (0.25 s: each send starts 0.25-0.75 s after its request) keeps a
send off the customer's next page load; it costs the server nothing, but a closed-loop
client waits for the code, so with it 8 clients could never exceed 8 / 0.5 = 16 logins/s
on average whatever the server. The bench sets it from ``BENCH_SEND_DELAY`` (default 0)
and prints the value it used.
"""

from __future__ import annotations

import gc
import os
import sys

from config import ConfigError
from otpauth import create_app

try:
    app = create_app({"DELIVERY_SEND_DELAY": float(os.environ.get("BENCH_SEND_DELAY", "0"))})
except ConfigError as exc:
    print(exc, file=sys.stderr)
    sys.exit(4)
gc.freeze()  # as wsgi.py does
