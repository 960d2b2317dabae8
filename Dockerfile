# Alongside's image: `docker compose up -d` (compose.yaml) or `docker build -t alongside .`.
# Secrets (the token, keys, database password) come only from the environment or env_file at
# run time: nothing secret is copied in (.dockerignore keeps .env, keys and databases out).

# The project and its dependencies as wheels, so that the image holds no build tools.
FROM python:3.11-slim-bookworm AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY conversations conversations
COPY safety safety
COPY locales locales
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="Alongside" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# The data dir holds the key files and the audit anchor (and, without DATABASE_URL, the SQLite
# store); the bot keeps it 0700 whatever the volume. Matplotlib's cache goes to /tmp, so the
# root file system may be read-only.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    ALONGSIDE_DATA_DIR=/data \
    ALONGSIDE_LISTEN=0.0.0.0:8080

RUN groupadd --system --gid 10001 alongside \
    && useradd --system --uid 10001 --gid alongside --home-dir /home/alongside \
       --create-home --shell /usr/sbin/nologin alongside \
    && install -d -o alongside -g alongside -m 0700 /data

COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels alongside \
    && rm -rf /wheels

# Numeric, so that an orchestrator can tell it is not root without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/alongside
VOLUME ["/data"]
EXPOSE 8080

# In webhook mode, GET /healthz on ALONGSIDE_LISTEN's port (in Python: the image has no curl);
# in polling mode a bot whose loop dies takes the container down, so there is nothing to ask.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

ENTRYPOINT ["alongside"]
CMD ["--log-format", "json", "run"]
