# Production image: the Flask API and the built PWA behind gunicorn, running as a non-root user.
# Build: docker build -t verval .   Run with docker-compose.yml (PostGIS beside it).

FROM node:20-bookworm-slim AS pwa
WORKDIR /build/pwa
COPY pwa/package.json pwa/package-lock.json ./
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
    PORT=8000
RUN groupadd --system verval && useradd --system --gid verval --home-dir /app verval \
    && mkdir -p /var/lib/verval/photos && chown -R verval:verval /var/lib/verval
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY server/ server/
COPY migrations/ migrations/
COPY scripts/docker-entrypoint.sh scripts/
COPY --from=pwa /build/pwa/dist pwa/dist
USER verval
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/v1/health' % os.environ['PORT'], timeout=4)"
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
