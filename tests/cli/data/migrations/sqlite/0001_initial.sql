-- A small schema in StudyBot's shapes, for the move-to tests: the same numbered history for
-- both engines, as the shipped migrations keep it. Table names put children before their
-- parents in the alphabet, so a copy in name order would break the foreign keys.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- A rowid table (INTEGER PRIMARY KEY) with NULLs, snowflakes, a boolean, a float and JSON.
CREATE TABLE z_schedules (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL UNIQUE,
    timezone     TEXT    NOT NULL,
    role_id      INTEGER,
    active_since TEXT    NOT NULL,
    paused       INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    weight       REAL,
    payload      TEXT
) STRICT;

CREATE TABLE a_claims (
    id          INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES z_schedules (id) ON DELETE CASCADE,
    occurrence  TEXT    NOT NULL,
    UNIQUE (schedule_id, occurrence)
) STRICT;

-- A WITHOUT ROWID table with a composite key and a generated column (stored on PostgreSQL).
CREATE TABLE m_completions (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    section_id TEXT    NOT NULL,
    done_at    TEXT    NOT NULL,
    month      TEXT    GENERATED ALWAYS AS (substr(done_at, 1, 7)) VIRTUAL,
    PRIMARY KEY (guild_id, user_id, section_id)
) STRICT, WITHOUT ROWID;

-- A counter kept by a trigger on both engines: a copy must not count the completions again.
CREATE TABLE m_totals (
    guild_id   INTEGER NOT NULL,
    section_id TEXT    NOT NULL,
    members    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, section_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER m_completion_added AFTER INSERT ON m_completions
BEGIN
    INSERT INTO m_totals (guild_id, section_id, members) VALUES (NEW.guild_id, NEW.section_id, 1)
    ON CONFLICT (guild_id, section_id) DO UPDATE SET members = members + 1;
END;

-- A row the migration writes itself.
CREATE TABLE status (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_success TEXT,
    failure      TEXT
) STRICT;
INSERT INTO status (id) VALUES (1);
