"""Offline sync: the pull of what changed for a phone since its cursor (the push lives with visits)."""
