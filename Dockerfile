# StudyBot in a container: `docker build -t studybot .` then
# `docker run -e DISCORD_TOKEN=... -v studybot-data:/data studybot`
# (or `-e STUDYBOT_DATABASE=postgresql://user:password@host:5432/studybot` for PostgreSQL)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STUDYBOT_DATABASE=/data/studybot.db

# pg_dump, for `studybot backup` when the database is PostgreSQL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 studybot \
    && mkdir -p /data \
    && chown studybot:studybot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY roadmap ./roadmap
COPY migrations ./migrations
RUN pip install . && rm -rf /app/build

USER studybot
VOLUME ["/data"]
CMD ["studybot", "run"]
