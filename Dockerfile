# syntax=docker/dockerfile:1
# Build stage: a wheel of the project and its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir .

# Final stage: the virtual environment only, run as a non-root user.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 registry
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CUSTOMER_REGISTRY_ENV=production
USER registry
WORKDIR /home/registry
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]
# Migrations first, then the API; CUSTOMER_REGISTRY_DATABASE_URL and _SECRET_KEY are required.
CMD ["sh", "-c", "customer-registry migrate && exec customer-registry serve --host 0.0.0.0 --port 8000"]
