# One image for every Procfile process: web, worker, beat (and the release step).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=ticketing.settings PORT=8000

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# Installed in place (editable), so the code, its templates/ and static/ stay together in /app.
COPY pyproject.toml README.md manage.py Procfile ./
COPY ticketing ticketing
COPY catalog catalog
COPY booking booking
COPY waitlist waitlist
COPY storefront storefront
COPY staff staff
COPY templates templates
COPY static static
COPY locale locale
COPY scripts/compile_messages.py scripts/compile_messages.py
RUN pip install -e . && python scripts/compile_messages.py && mkdir -p var/metrics \
    && chown -R app:app /app
USER app

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
CMD ["sh", "-c", "exec uvicorn ticketing.asgi:application --host 0.0.0.0 --port ${PORT} --workers ${WEB_CONCURRENCY:-2} --no-proxy-headers --no-server-header"]
