"""Aid domain."""
