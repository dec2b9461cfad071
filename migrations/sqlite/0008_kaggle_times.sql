-- Kaggle's times move from integer epoch seconds to the one encoding every StudyBot table
-- uses: fixed-width ISO-8601 UTC text with microseconds ('2026-11-24T12:00:00.000000+00:00',
-- bot.clock.db_time), so text order is time order and a copy to PostgreSQL moves them as is.
--
-- A STRICT table cannot change a column's type, so each table is rebuilt under a new name,
-- filled from the old one with the times converted, and renamed into place. The old
-- kaggle_deliveries goes first: dropping kaggle_subscriptions while its claims still pointed
-- at it would delete them (ON DELETE CASCADE; foreign keys stay on inside a migration). The
-- new claims point at the new subscriptions table, and the rename carries the reference.

CREATE TABLE kaggle_competitions_new (
    ref          TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    url          TEXT NOT NULL,
    description  TEXT,
    category     TEXT,
    reward       TEXT,
    deadline     TEXT,
    enabled_date TEXT,
    team_count   INTEGER,
    tags         TEXT NOT NULL DEFAULT '[]',  -- JSON list of tag names
    sections     TEXT NOT NULL DEFAULT '[]',  -- JSON list of roadmap section ids
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    listed       INTEGER NOT NULL DEFAULT 1 CHECK (listed IN (0, 1))
) STRICT;

INSERT INTO kaggle_competitions_new
SELECT ref, title, url, description, category, reward,
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', deadline, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', enabled_date, 'unixepoch'),
       team_count, tags, sections,
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', first_seen, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', last_seen, 'unixepoch'),
       listed
FROM kaggle_competitions;

DROP TABLE kaggle_competitions;  -- and its index on (listed, deadline)
ALTER TABLE kaggle_competitions_new RENAME TO kaggle_competitions;
CREATE INDEX kaggle_competitions_listed_deadline ON kaggle_competitions (listed, deadline);

CREATE TABLE kaggle_subscriptions_new (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL UNIQUE,
    category      TEXT NOT NULL
        CHECK (category IN ('all', 'featured', 'research', 'playground', 'getting-started')),
    subscribed_by INTEGER,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    summarised_at TEXT,  -- when the one summary of open competitions was claimed
    paused_at     TEXT,
    pause_reason  TEXT
) STRICT;

INSERT INTO kaggle_subscriptions_new
SELECT id, guild_id, channel_id, category, subscribed_by,
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', created_at, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', updated_at, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', summarised_at, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', paused_at, 'unixepoch'),
       pause_reason
FROM kaggle_subscriptions;

CREATE TABLE kaggle_deliveries_new (
    subscription_id INTEGER NOT NULL REFERENCES kaggle_subscriptions_new (id) ON DELETE CASCADE,
    competition_ref TEXT NOT NULL,
    kind            TEXT NOT NULL,
    claimed_at      TEXT NOT NULL,
    PRIMARY KEY (subscription_id, competition_ref, kind)
) STRICT, WITHOUT ROWID;

INSERT INTO kaggle_deliveries_new
SELECT subscription_id, competition_ref, kind,
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', claimed_at, 'unixepoch')
FROM kaggle_deliveries;

DROP TABLE kaggle_deliveries;  -- and its one-weekly-challenge index
DROP TABLE kaggle_subscriptions;  -- nothing refers to it any more: no claim is lost
ALTER TABLE kaggle_subscriptions_new RENAME TO kaggle_subscriptions;
ALTER TABLE kaggle_deliveries_new RENAME TO kaggle_deliveries;

CREATE INDEX kaggle_subscriptions_guild ON kaggle_subscriptions (guild_id);
CREATE UNIQUE INDEX kaggle_deliveries_one_weekly
    ON kaggle_deliveries (subscription_id, kind) WHERE kind LIKE 'weekly:%';

CREATE TABLE kaggle_status_new (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    last_success     TEXT,
    last_failure     TEXT,
    failure          TEXT,
    auth_error       TEXT,
    auth_error_since TEXT
) STRICT;

INSERT INTO kaggle_status_new
SELECT id,
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', last_success, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', last_failure, 'unixepoch'),
       failure, auth_error,
       strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', auth_error_since, 'unixepoch')
FROM kaggle_status;

DROP TABLE kaggle_status;
ALTER TABLE kaggle_status_new RENAME TO kaggle_status;
INSERT INTO kaggle_status (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
