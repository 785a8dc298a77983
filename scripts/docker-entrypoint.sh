#!/bin/sh
# Container start.
#   web (default): check the database, migrate, load reference data, then hand over to gunicorn.
#   worker:        check the database, then run background jobs (flask jobs worker) until stopped.
#   anything else: run it as given (e.g. `flask import registry /data/file.csv`).
set -eu
role="${1:-web}"
case "$role" in
web)
	python -m server.health.check
	flask db upgrade
	flask regions load
	flask programs seed
	# gunicorn.conf.py has the settings; inside the container it listens on the container's own network,
	# which docker-compose.yml does not publish: the proxy is the way in.
	HOST=${HOST:-0.0.0.0} exec gunicorn 'server:create_app()'
	;;
worker)
	python -m server.health.check
	exec flask jobs worker
	;;
*)
	exec "$@"
	;;
esac
