"""Visits domain."""
