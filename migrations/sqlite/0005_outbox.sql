-- Every scheduled post (paper of the week, Kaggle announcements, reminders, the weekly
-- challenge) goes through one outbox: the row is committed with the feature's claim, then the
-- post is sent with the row's nonce and recorded as sent. A row that is not 'done' or
-- 'failed' is unconfirmed and is settled at start-up and after every run.

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,          -- the feature that owns the post ('paper', ...)
    ref              INTEGER,                   -- the feature's own row (a claim, a post)
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    nonce            TEXT    NOT NULL UNIQUE,   -- sent with enforce_nonce on every attempt
    payload          TEXT,                      -- JSON of the message; NULL until rendered
    thread_name      TEXT,                      -- open a discussion thread on the message
    status           TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'done', 'failed')),
    created_at       TEXT    NOT NULL,
    due_at           TEXT    NOT NULL,          -- the occurrence the post is for
    give_up_at       TEXT    NOT NULL,          -- after this an unsent post fails for good
    next_attempt_at  TEXT    NOT NULL,
    first_attempt_at TEXT,                      -- when the nonce was first sent
    last_attempt_at  TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    message_id       INTEGER,
    thread_id        INTEGER,
    error            TEXT
) STRICT;

CREATE INDEX outbox_open ON outbox (next_attempt_at) WHERE status IN ('pending', 'sent');
CREATE INDEX outbox_ref ON outbox (kind, ref);

-- When each schedule's next occurrence falls due, kept by the paper club (one function
-- computes it in the schedule's zone); one scheduler job wakes at the earliest.
ALTER TABLE paper_schedules ADD COLUMN next_due_utc TEXT;
CREATE INDEX paper_schedules_due ON paper_schedules (next_due_utc) WHERE paused_at IS NULL;

