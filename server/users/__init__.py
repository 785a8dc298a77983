"""User management (admin): accounts, roles, area scopes, devices, password resets; the first admin by CLI."""
