"""The OpenID Provider's pages and endpoints (``/.well-known``, ``/oauth/...``)."""
