-- The weekly paper club: arXiv metadata cache, schedules, delivery claims, posts, the voted
-- queue and who read what. Times are ISO-8601 UTC text ("2026-11-24T12:00:00+00:00").

-- arXiv metadata, cached for good (arXiv asks clients not to fetch the same paper twice).
CREATE TABLE arxiv_papers (
    arxiv_id         TEXT PRIMARY KEY,
    title            TEXT NOT NULL,
    authors          TEXT NOT NULL,          -- JSON array of names
    summary          TEXT NOT NULL,
    published        TEXT NOT NULL,
    abs_url          TEXT NOT NULL,
    primary_category TEXT NOT NULL,
    fetched_at       TEXT NOT NULL
) STRICT;

-- One weekly post per channel. `active_since` is when it was (re)scheduled: no occurrence
-- at or before it is ever delivered. A paused schedule (channel gone, permission lost) posts
-- nothing until an admin schedules it again.
CREATE TABLE paper_schedules (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL UNIQUE,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    at_time      TEXT    NOT NULL CHECK (at_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    timezone     TEXT    NOT NULL,
    role_id      INTEGER,
    created_by   INTEGER NOT NULL,
    active_since TEXT    NOT NULL,
    paused_at    TEXT,
    pause_reason TEXT
) STRICT;
CREATE INDEX paper_schedules_guild ON paper_schedules (guild_id);

-- Exactly once: a claim is committed before anything is sent, and a second claim for the
-- same (schedule, occurrence) is refused by the UNIQUE constraint.
CREATE TABLE paper_claims (
    id             INTEGER PRIMARY KEY,
    schedule_id    INTEGER NOT NULL REFERENCES paper_schedules (id) ON DELETE CASCADE,
    occurrence_utc TEXT    NOT NULL,
    claimed_at     TEXT    NOT NULL,
    late           INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    status         TEXT    NOT NULL CHECK (
        status IN ('claimed', 'posted', 'failed', 'skipped', 'empty')
    ),
    UNIQUE (schedule_id, occurrence_utc)
) STRICT;

-- A server's paper queue. A posted paper keeps its row (posted_at set) so it is never
-- suggested or posted again in that server.
CREATE TABLE paper_queue (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    arxiv_id     TEXT    NOT NULL REFERENCES arxiv_papers (arxiv_id),
    suggested_by INTEGER,                    -- NULL once the member deleted their data
    suggested_at TEXT    NOT NULL,
    posted_at    TEXT,
    UNIQUE (guild_id, arxiv_id)
) STRICT;
CREATE INDEX paper_queue_waiting ON paper_queue (guild_id, posted_at, suggested_at);
CREATE INDEX paper_queue_member ON paper_queue (guild_id, suggested_by);

CREATE TABLE paper_votes (
    queue_id INTEGER NOT NULL REFERENCES paper_queue (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    voted_at TEXT    NOT NULL,
    PRIMARY KEY (queue_id, user_id)
) STRICT;
CREATE INDEX paper_votes_member ON paper_votes (guild_id, user_id);

-- Every paper of the week a server was given (or is being given: status 'sending').
CREATE TABLE paper_posts (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    claim_id    INTEGER REFERENCES paper_claims (id) ON DELETE SET NULL,
    queue_id    INTEGER REFERENCES paper_queue (id) ON DELETE SET NULL,
    reading_key TEXT,                        -- key in roadmap/reading_list.toml
    arxiv_id    TEXT,
    title       TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    section     TEXT,
    status      TEXT    NOT NULL CHECK (status IN ('sending', 'posted', 'failed')),
    created_at  TEXT    NOT NULL,
    posted_at   TEXT,
    message_id  INTEGER,
    thread_id   INTEGER
) STRICT;
CREATE INDEX paper_posts_guild ON paper_posts (guild_id, status, posted_at);

CREATE TABLE paper_reads (
    post_id  INTEGER NOT NULL REFERENCES paper_posts (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    read_at  TEXT    NOT NULL,
    PRIMARY KEY (post_id, user_id)
) STRICT;
CREATE INDEX paper_reads_member ON paper_reads (guild_id, user_id);
