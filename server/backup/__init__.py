"""Backups you can restore: a consistent database dump plus the photo store, and the way back."""
