# syntax=docker/dockerfile:1
# Two stages: the build stage installs the project into a virtual environment (any build
# tools stay there); the final stage gets only that environment and runs as a non-root user.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="customer-registry" \
      org.opencontainers.image.description="An audited GDPR customer register" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 registry \
    && useradd --system --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin registry \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/customer-registry/erasure-log
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CUSTOMER_REGISTRY_ENV=production \
    WEB_CONCURRENCY=2
USER 10001:10001
WORKDIR /home/registry
EXPOSE 8000
# SIGTERM lets in-flight requests finish (CUSTOMER_REGISTRY_SHUTDOWN_TIMEOUT_SECONDS, 30 s);
# give `docker stop -t` or the orchestrator's grace period a little more.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]
# Migrations, then the API (CUSTOMER_REGISTRY_DATABASE_URL, _SECRET_KEY and
# _ERASURE_LOG_FILE are required; mount a volume at /var/lib/customer-registry/erasure-log
# that database backups and restores do not touch). When the database cannot be reached
# yet, the API starts all the same (/readyz answers 503 until the database is reachable
# and migrated) and the migrations are retried every 2 s until they succeed. With several
# replicas, run `customer-registry migrate` once as a separate job and start the replicas
# with the `serve` part only.
CMD ["sh", "-c", "customer-registry migrate || { (until customer-registry migrate; do sleep 2; done) & }; exec customer-registry serve --host 0.0.0.0 --port 8000 --workers \"${WEB_CONCURRENCY}\""]
