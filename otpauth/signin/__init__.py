"""Layer 2, sign-in: who may sign in and how (imports the platform only)."""
