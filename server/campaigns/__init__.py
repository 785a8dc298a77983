"""Campaigns domain."""
