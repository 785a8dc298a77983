"""Households domain."""
