"""Demo city: a deterministic synthetic Samarinda registry with one user per role, for trying Verval out."""
