"""Layer 4, the web: blueprints, hooks, error pages, headers (imports any lower layer)."""
