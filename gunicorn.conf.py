"""gunicorn settings, the one place for them: `make run`, the container, the browser tests and the benchmarks
all start gunicorn from the project folder, which reads this file (command-line options still win).

Workers: `gthread`, WORKERS processes x THREADS threads. A slow client (a phone on 3G, or 100 connections
sending one header line every 10 s) holds one thread, not a whole worker, and a worker whose threads are
all busy stops accepting (`worker_connections` = threads, no keep-alive), so new connections go to a
worker with a free thread instead of queuing behind slow ones. In production the buffering reverse proxy
(deploy/Caddyfile) absorbs slow clients before they reach gunicorn at all.

Binding: 127.0.0.1 unless HOST says otherwise (`HOST=0.0.0.0 make run` to open it to phones on the
network; the container sets HOST=0.0.0.0 inside its own network namespace, behind the proxy).

Logs: one JSON object per line on stdout (server/logs.py): the access log without query strings and with
digit runs masked, the request id on every line. No `Server:` banner.

Garbage collection: each worker freezes what it loaded before serving (`gc.freeze()` in post_worker_init),
so the collector no longer walks the app's long-lived objects on every full collection.

A stuck worker: `kill -USR2 <worker pid>` prints every thread's stack to the log (Python's faulthandler:
file, line and function names only, never a value), to see where it waits without stopping it; the browser
tests do it when a test finds the server not answering.

gunicorn 27, not 23: 23's gthread worker stopped polling once its open connections reached
`worker_connections` while none had a request running, and then answered nothing, ever (gunicorn issues
3146 and 3407; tests/serving/test_idle_connections.py). A browser opening its parallel connections at once
was enough with 4 threads.

Request limits (issue 12, finding 9). gunicorn answers what it refuses before the app sees it, with its
own plain HTML page, so its limits sit above the app's: a request line may be up to 8190 bytes (gunicorn's
maximum; 0 would mean unlimited, which a proxy-less server should not allow), and the app answers URLs
longer than MAX_URL_LENGTH (4096) with 414 in the JSON envelope. Only a request line over 8190 bytes
(gunicorn's plain 414), more than 100 header fields or a header field over 8190 bytes (its plain 400) still
get gunicorn's page: the server cannot parse such a request at all. A JWT (~400 bytes) or the staff cookie
is far below the header limit.
"""

import os
import shutil
import tempfile

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "32"))
worker_connections = threads
keepalive = 0
timeout = 60
graceful_timeout = 30
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
logger_class = "server.logs.GunicornLogger"
# Behind the proxy, the app (werkzeug ProxyFix, TRUST_PROXY_HOPS) reads the client address; gunicorn
# itself trusts no forwarding header for the scheme unless it comes from here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    # Command-line --threads may differ from THREADS: keep one connection per thread whatever was chosen.
    server.cfg.set("worker_connections", server.cfg.threads)
    _drop_server_banner()
    # /metrics sums every worker's counters from files in one folder, fresh for each start (server/metrics).
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="verval-metrics-")
        os.environ["VERVAL_METRICS_DIR_OWNED"] = "1"


def post_worker_init(worker):
    import faulthandler
    import gc
    import signal

    import sqlalchemy.orm

    faulthandler.register(signal.SIGUSR2, all_threads=True)
    # The app's own objects (modules, schemas, mappers: ~200,000) live as long as the worker, yet every full
    # garbage collection walked them all again: ~8 ms per push of 100 visits, which allocates enough to set
    # off a collection now and then. Frozen, a collection looks at the requests' objects only.
    sqlalchemy.orm.configure_mappers()
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get("VERVAL_METRICS_DIR_OWNED"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def _drop_server_banner():
    """gunicorn writes `Server: gunicorn` itself, after the app's headers; leave it out."""
    from gunicorn.http import wsgi

    if getattr(wsgi.Response.default_headers, "verval_no_banner", False):
        return
    original = wsgi.Response.default_headers

    def default_headers(self):
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers.verval_no_banner = True
    wsgi.Response.default_headers = default_headers
