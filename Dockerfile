# syntax=docker/dockerfile:1
# One image for web, worker, beat and the one-off migrate job of docker-compose.yml.

# --- Front-end packages: Node and npm exist only in this stage ---------------------------------
FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- Python packages, installed into a virtualenv that the final stage copies -------------------
FROM python:3.11-slim-bookworm AS python-build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
COPY pyproject.toml README.md ./
COPY network ./network
COPY merchants ./merchants
COPY catalog ./catalog
COPY orders ./orders
COPY shipping ./shipping
COPY training ./training
COPY carriersim ./carriersim
RUN pip install --upgrade pip && pip install .

# --- The image that runs -------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

# PYTHONPATH puts the source tree in /app ahead of the installed copy, so BASE_DIR is /app and
# templates/, static/, locale/ and node_modules/ are found beside the code.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=network.settings \
    NETWORK_DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    PRIVATE_MEDIA_ROOT=/data/private

RUN groupadd --system --gid 10001 network \
    && useradd --system --uid 10001 --gid network --home-dir /app --shell /usr/sbin/nologin network

COPY --from=python-build /opt/venv /opt/venv
WORKDIR /app
COPY . /app
COPY --from=assets /build/node_modules/htmx.org /app/node_modules/htmx.org

# Static files are collected into the image (the app serves them itself with whitenoise).
# Settings connect to nothing at import time when DATABASE_URL and REDIS_URL are set, so
# placeholders are enough here; none of these values reaches the running containers.
RUN DJANGO_PRODUCTION=true \
    DJANGO_SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /data/media /data/private /data/mail \
    && chown -R network:network /data

USER network
EXPOSE 8000
CMD ["gunicorn", "network.wsgi:application", "--config", "python:network.gunicorn_config", "--bind", "0.0.0.0:8000"]
