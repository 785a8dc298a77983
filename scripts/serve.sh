#!/usr/bin/env bash
# make run's supervisor: gunicorn and one background-job worker side by side, stopped together.
#   scripts/serve.sh VENV_BIN PORT WEB_WORKERS
# Ctrl-C (SIGINT to the whole process group) or SIGTERM stops both; if either one exits on its own, the
# other is stopped too and the script exits with the first one's status. A job the worker was running
# goes back to the queue (see README, "Background jobs").
set -u
bin=$1 port=$2 web_workers=$3

"$bin/flask" jobs worker &
worker=$!
# Everything else from gunicorn.conf.py; HOST (127.0.0.1 unless set) comes from the environment.
HOST=${HOST:-127.0.0.1} PORT=$port WORKERS=$web_workers "$bin/gunicorn" 'server:create_app()' &
web=$!

stop() {
	trap - INT TERM
	kill -TERM "$web" "$worker" 2>/dev/null
	wait "$web" "$worker" 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

wait -n "$web" "$worker"
status=$?
echo "verval: $( kill -0 "$web" 2>/dev/null && echo "the job worker" || echo "gunicorn") exited ($status); stopping the other" >&2
stop
exit "$status"
