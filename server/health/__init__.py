"""Health domain."""
