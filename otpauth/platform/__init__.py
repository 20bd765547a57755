"""Layer 1, the platform: what every other layer stands on and nothing of sign-in.

Extensions, the Redis and SQL clients, translations and times, per-IP limits and the
client's address, telemetry (Prometheus counters, log helpers). Imports ``config`` and
libraries only, never a module of a higher layer.
"""
