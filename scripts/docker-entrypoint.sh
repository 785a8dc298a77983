#!/bin/sh
# Container start: check the database, migrate, load reference data, then hand over to gunicorn.
set -eu
python -m server.health.check
flask db upgrade
flask regions load
flask programs seed
exec gunicorn --workers "${WORKERS:-4}" --bind "0.0.0.0:${PORT:-8000}" --access-logfile - 'server:create_app()'
