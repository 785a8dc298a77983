"""Jobs domain: long work (imports, exports) run in the background by `flask jobs worker` on PostgreSQL alone."""
