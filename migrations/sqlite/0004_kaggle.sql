-- Kaggle challenges: the last known competition list, channel subscriptions, and one claim row
-- per post so that every announcement, reminder and weekly challenge goes out at most once.
-- Times are integer epoch seconds (UTC).

-- The competitions Kaggle listed; `listed` marks those in the latest successful answer.
CREATE TABLE kaggle_competitions (
    ref          TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    url          TEXT NOT NULL,
    description  TEXT,
    category     TEXT,
    reward       TEXT,
    deadline     INTEGER,
    enabled_date INTEGER,
    team_count   INTEGER,
    tags         TEXT NOT NULL DEFAULT '[]',  -- JSON list of tag names
    sections     TEXT NOT NULL DEFAULT '[]',  -- JSON list of roadmap section ids
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    listed       INTEGER NOT NULL DEFAULT 1 CHECK (listed IN (0, 1))
) STRICT;

CREATE INDEX kaggle_competitions_listed_deadline ON kaggle_competitions (listed, deadline);

-- One subscription per channel; a paused one is skipped until an admin subscribes again.
CREATE TABLE kaggle_subscriptions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL UNIQUE,
    category      TEXT NOT NULL
        CHECK (category IN ('all', 'featured', 'research', 'playground', 'getting-started')),
    subscribed_by INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    summarised_at INTEGER,  -- when the one summary of open competitions was claimed
    paused_at     INTEGER,
    pause_reason  TEXT
) STRICT;

CREATE INDEX kaggle_subscriptions_guild ON kaggle_subscriptions (guild_id);

-- A claim committed before each post: kind is 'announce', 'remind7', 'remind1' (ref is a
-- competition ref) or 'weekly:<ISO year>-W<ISO week>' (ref is a curated challenge slug).
CREATE TABLE kaggle_deliveries (
    subscription_id INTEGER NOT NULL REFERENCES kaggle_subscriptions (id) ON DELETE CASCADE,
    competition_ref TEXT NOT NULL,
    kind            TEXT NOT NULL,
    claimed_at      INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, competition_ref, kind)
) STRICT, WITHOUT ROWID;

-- One weekly challenge per subscription per ISO week, whichever challenge it is.
CREATE UNIQUE INDEX kaggle_deliveries_one_weekly
    ON kaggle_deliveries (subscription_id, kind) WHERE kind LIKE 'weekly:%';

-- How the last polls went (one row): shown by /kaggle list.
CREATE TABLE kaggle_status (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    last_success     INTEGER,
    last_failure     INTEGER,
    failure          TEXT,
    auth_error       TEXT,
    auth_error_since INTEGER
) STRICT;

INSERT INTO kaggle_status (id) VALUES (1);
