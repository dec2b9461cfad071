-- One time encoding. The paper club and the outbox stored instants as ISO-8601 UTC text to
-- the second ("2026-11-24T12:00:00+00:00"); every instant is now fixed-width ISO-8601 UTC text
-- with microseconds ("2026-11-24T12:00:00.000000+00:00", bot.clock.db_time), on both engines.
-- The columns stay TEXT, so UPDATEs rewrite them in place: strftime reads the old text (any
-- offset converted to UTC) and the fraction is added. NULLs stay NULL, a value already in the
-- new form is left alone, and a value SQLite cannot read is kept as it was rather than lost.
-- Every new value has the same width, so text order stays time order, and no two old values
-- become one (UNIQUE (schedule_id, occurrence_utc) holds throughout).

UPDATE arxiv_papers SET published = strftime('%Y-%m-%dT%H:%M:%S', published) || '.000000+00:00'
WHERE published NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', published) IS NOT NULL;
UPDATE arxiv_papers SET fetched_at = strftime('%Y-%m-%dT%H:%M:%S', fetched_at) || '.000000+00:00'
WHERE fetched_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', fetched_at) IS NOT NULL;

UPDATE paper_schedules SET active_since = strftime('%Y-%m-%dT%H:%M:%S', active_since) || '.000000+00:00'
WHERE active_since NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', active_since) IS NOT NULL;
UPDATE paper_schedules SET paused_at = strftime('%Y-%m-%dT%H:%M:%S', paused_at) || '.000000+00:00'
WHERE paused_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', paused_at) IS NOT NULL;
UPDATE paper_schedules SET next_due_utc = strftime('%Y-%m-%dT%H:%M:%S', next_due_utc) || '.000000+00:00'
WHERE next_due_utc NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', next_due_utc) IS NOT NULL;

UPDATE paper_claims SET occurrence_utc = strftime('%Y-%m-%dT%H:%M:%S', occurrence_utc) || '.000000+00:00'
WHERE occurrence_utc NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', occurrence_utc) IS NOT NULL;
UPDATE paper_claims SET claimed_at = strftime('%Y-%m-%dT%H:%M:%S', claimed_at) || '.000000+00:00'
WHERE claimed_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', claimed_at) IS NOT NULL;

UPDATE paper_queue SET suggested_at = strftime('%Y-%m-%dT%H:%M:%S', suggested_at) || '.000000+00:00'
WHERE suggested_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', suggested_at) IS NOT NULL;
UPDATE paper_queue SET posted_at = strftime('%Y-%m-%dT%H:%M:%S', posted_at) || '.000000+00:00'
WHERE posted_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', posted_at) IS NOT NULL;

UPDATE paper_votes SET voted_at = strftime('%Y-%m-%dT%H:%M:%S', voted_at) || '.000000+00:00'
WHERE voted_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', voted_at) IS NOT NULL;

UPDATE paper_posts SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.000000+00:00'
WHERE created_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', created_at) IS NOT NULL;
UPDATE paper_posts SET posted_at = strftime('%Y-%m-%dT%H:%M:%S', posted_at) || '.000000+00:00'
WHERE posted_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', posted_at) IS NOT NULL;

UPDATE paper_reads SET read_at = strftime('%Y-%m-%dT%H:%M:%S', read_at) || '.000000+00:00'
WHERE read_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', read_at) IS NOT NULL;

UPDATE outbox SET created_at = strftime('%Y-%m-%dT%H:%M:%S', created_at) || '.000000+00:00'
WHERE created_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', created_at) IS NOT NULL;
UPDATE outbox SET due_at = strftime('%Y-%m-%dT%H:%M:%S', due_at) || '.000000+00:00'
WHERE due_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', due_at) IS NOT NULL;
UPDATE outbox SET give_up_at = strftime('%Y-%m-%dT%H:%M:%S', give_up_at) || '.000000+00:00'
WHERE give_up_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', give_up_at) IS NOT NULL;
UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%S', next_attempt_at) || '.000000+00:00'
WHERE next_attempt_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', next_attempt_at) IS NOT NULL;
UPDATE outbox SET first_attempt_at = strftime('%Y-%m-%dT%H:%M:%S', first_attempt_at) || '.000000+00:00'
WHERE first_attempt_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', first_attempt_at) IS NOT NULL;
UPDATE outbox SET last_attempt_at = strftime('%Y-%m-%dT%H:%M:%S', last_attempt_at) || '.000000+00:00'
WHERE last_attempt_at NOT LIKE '____-__-__T__:__:__.______+00:00'
    AND strftime('%Y-%m-%dT%H:%M:%S', last_attempt_at) IS NOT NULL;

-- Correct with several writers (PostgreSQL, several processes) and not only because SQLite
-- has one writer; PostgreSQL's 0003_papers and 0005_outbox have the same in their final form.
-- The one upsert that saves a schedule says whether it replaced one: it counts replacements.
ALTER TABLE paper_schedules ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- A server is given a paper once: two claims picking at the same moment (two channels of one
-- server, two processes) cannot both take it.
CREATE INDEX paper_posts_claim ON paper_posts (claim_id);
CREATE UNIQUE INDEX paper_posts_once_by_key ON paper_posts (guild_id, reading_key)
    WHERE status IN ('sending', 'posted');
CREATE UNIQUE INDEX paper_posts_once_by_arxiv ON paper_posts (guild_id, arxiv_id)
    WHERE status IN ('sending', 'posted');

-- A process sends an outbox row only while it holds the row's lease (taken by one UPDATE,
-- renewed while the post is in flight): two processes never send the same row at once.
ALTER TABLE outbox ADD COLUMN lease_holder TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
