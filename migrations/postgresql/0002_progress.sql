-- Group progress: members as last seen, the sections they finished, and counters that the
-- database keeps in step itself (triggers), so every write that touches completions or the
-- hidden flag moves the leaderboards in the same transaction, whichever code made it.
--
-- The same tables and the same counter rules as migrations/sqlite/0002_progress.sql, in their
-- final form (PostgreSQL never had an older one): ids are BIGINT snowflakes, times are
-- bot.clock.db_time text, and a completion's week and month are plain columns written by
-- StudyBot (cogs/progress/stats.week_key and month_key), as after SQLite's 0006.
--
-- Concurrency (READ COMMITTED, several connections and processes): every counter change is
-- one atomic statement (an upsert or `members = members + n`), and StudyBot takes a per-guild
-- lock before it writes a guild's members or completions (cogs/progress/repo.py), so writers
-- of one guild never interleave and never lock the shared level rows in opposite orders.

CREATE TABLE progress_members (
    guild_id     BIGINT  NOT NULL,
    user_id      BIGINT  NOT NULL,
    display_name TEXT    NOT NULL,
    hidden       INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    first_seen   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- One row per finished section. week is its ISO week in UTC ('2026-W48': the year and number
-- of the week's Thursday), month its calendar month ('2026-11'). Rows of sections that a
-- custom roadmap no longer has are kept but not counted.
CREATE TABLE progress_completions (
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    section_id TEXT   NOT NULL,
    done_at    TEXT   NOT NULL,
    week       TEXT   NOT NULL,
    month      TEXT   NOT NULL,
    PRIMARY KEY (guild_id, user_id, section_id),
    FOREIGN KEY (guild_id, user_id)
        REFERENCES progress_members (guild_id, user_id) ON DELETE CASCADE
);

-- /who: the finishers of one section, most recent first.
CREATE INDEX progress_completions_by_section
    ON progress_completions (guild_id, section_id, done_at);

-- The sections that count: the current roadmap's, written at start-up (with a rebuild of the
-- counters below whenever the set changes).
CREATE TABLE progress_sections (
    section_id TEXT PRIMARY KEY
);

-- Points per visible member and period: 'all', an ISO week or a month. Only counted sections
-- score; hidden members and zero points have no row. A leaderboard page is a walk down
-- progress_points_board.
CREATE TABLE progress_points (
    guild_id BIGINT  NOT NULL,
    user_id  BIGINT  NOT NULL,
    period   TEXT    NOT NULL,
    points   INTEGER NOT NULL CHECK (points > 0),
    PRIMARY KEY (guild_id, user_id, period)
);

CREATE INDEX progress_points_board ON progress_points (guild_id, period, points DESC, user_id);

-- How many visible members hold each points value per period: a rank is 1 + the members
-- above, a sum over at most one row per possible points value.
CREATE TABLE progress_levels (
    guild_id BIGINT  NOT NULL,
    period   TEXT    NOT NULL,
    points   INTEGER NOT NULL,
    members  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, period, points)
);

-- How many visible members finished each counted section (shown by /topic).
CREATE TABLE progress_section_totals (
    guild_id   BIGINT  NOT NULL,
    section_id TEXT    NOT NULL,
    members    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, section_id)
);

-- Levels follow points (SQLite: progress_points_added, _changed, _removed). These three run
-- once per statement over its changed rows (transition tables), adding or taking off as many
-- members per level as the statement moved: the same sums as SQLite's row triggers, but a
-- rebuild that writes a million points rows updates each level row once instead of a million
-- times (PostgreSQL keeps a new row version per update within a transaction).
CREATE FUNCTION progress_points_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO progress_levels AS l (guild_id, period, points, members)
    SELECT guild_id, period, points, COUNT(*) FROM progress_new_points
    GROUP BY guild_id, period, points
    ORDER BY guild_id, period, points
    ON CONFLICT (guild_id, period, points) DO UPDATE SET members = l.members + excluded.members;
    RETURN NULL;
END;
$$;

CREATE TRIGGER progress_points_added AFTER INSERT ON progress_points
REFERENCING NEW TABLE AS progress_new_points
FOR EACH STATEMENT EXECUTE FUNCTION progress_points_added();

CREATE FUNCTION progress_points_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE progress_levels AS l SET members = l.members - o.moved
    FROM (
        SELECT guild_id, period, points, COUNT(*) AS moved FROM progress_old_points
        GROUP BY guild_id, period, points
    ) AS o
    WHERE l.guild_id = o.guild_id AND l.period = o.period AND l.points = o.points;
    INSERT INTO progress_levels AS l (guild_id, period, points, members)
    SELECT guild_id, period, points, COUNT(*) FROM progress_new_points
    GROUP BY guild_id, period, points
    ORDER BY guild_id, period, points
    ON CONFLICT (guild_id, period, points) DO UPDATE SET members = l.members + excluded.members;
    RETURN NULL;
END;
$$;

-- (A trigger with transition tables cannot name columns: `UPDATE OF points` is implied, as
-- points is the only column StudyBot ever updates here; an update that keeps the value takes
-- the member off its level and puts it back.)
CREATE TRIGGER progress_points_changed AFTER UPDATE ON progress_points
REFERENCING OLD TABLE AS progress_old_points NEW TABLE AS progress_new_points
FOR EACH STATEMENT EXECUTE FUNCTION progress_points_changed();

CREATE FUNCTION progress_points_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE progress_levels AS l SET members = l.members - o.moved
    FROM (
        SELECT guild_id, period, points, COUNT(*) AS moved FROM progress_old_points
        GROUP BY guild_id, period, points
    ) AS o
    WHERE l.guild_id = o.guild_id AND l.period = o.period AND l.points = o.points;
    RETURN NULL;
END;
$$;

CREATE TRIGGER progress_points_removed AFTER DELETE ON progress_points
REFERENCING OLD TABLE AS progress_old_points
FOR EACH STATEMENT EXECUTE FUNCTION progress_points_removed();

-- A counted section done by a visible member scores in its week, its month and all time
-- (SQLite: progress_completion_added). Like the levels' triggers, this one and the next run
-- once per statement over its rows: a /done batch inserts its completions in a few statements,
-- and each moves the points and totals once, by as many as it added.
CREATE FUNCTION progress_completion_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO progress_points AS p (guild_id, user_id, period, points)
    SELECT guild_id, user_id, period, COUNT(*) FROM (
        SELECT n.guild_id, n.user_id, x.period
        FROM progress_new_completions AS n
        JOIN progress_sections AS s ON s.section_id = n.section_id
        JOIN progress_members AS m ON m.guild_id = n.guild_id AND m.user_id = n.user_id
        CROSS JOIN LATERAL (VALUES ('all'), (n.week), (n.month)) AS x (period)
        WHERE m.hidden = 0
    ) AS scored
    GROUP BY guild_id, user_id, period
    ORDER BY guild_id, user_id, period
    ON CONFLICT (guild_id, user_id, period) DO UPDATE SET points = p.points + excluded.points;
    INSERT INTO progress_section_totals AS t (guild_id, section_id, members)
    SELECT n.guild_id, n.section_id, COUNT(*)
    FROM progress_new_completions AS n
    JOIN progress_sections AS s ON s.section_id = n.section_id
    JOIN progress_members AS m ON m.guild_id = n.guild_id AND m.user_id = n.user_id
    WHERE m.hidden = 0
    GROUP BY n.guild_id, n.section_id
    ORDER BY n.guild_id, n.section_id
    ON CONFLICT (guild_id, section_id) DO UPDATE SET members = t.members + excluded.members;
    RETURN NULL;
END;
$$;

CREATE TRIGGER progress_completion_added AFTER INSERT ON progress_completions
REFERENCING NEW TABLE AS progress_new_completions
FOR EACH STATEMENT EXECUTE FUNCTION progress_completion_added();

-- An undo takes the point off the periods the section was originally done in (SQLite:
-- progress_completion_removed): a points row that loses all it has goes, the others shrink.
CREATE FUNCTION progress_completion_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM progress_points AS p
    USING (
        SELECT o.guild_id, o.user_id, x.period, COUNT(*) AS lost
        FROM progress_old_completions AS o
        JOIN progress_sections AS s ON s.section_id = o.section_id
        JOIN progress_members AS m ON m.guild_id = o.guild_id AND m.user_id = o.user_id
        CROSS JOIN LATERAL (VALUES ('all'), (o.week), (o.month)) AS x (period)
        WHERE m.hidden = 0
        GROUP BY o.guild_id, o.user_id, x.period
    ) AS l
    WHERE p.guild_id = l.guild_id AND p.user_id = l.user_id AND p.period = l.period
        AND p.points <= l.lost;
    UPDATE progress_points AS p SET points = p.points - l.lost
    FROM (
        SELECT o.guild_id, o.user_id, x.period, COUNT(*) AS lost
        FROM progress_old_completions AS o
        JOIN progress_sections AS s ON s.section_id = o.section_id
        JOIN progress_members AS m ON m.guild_id = o.guild_id AND m.user_id = o.user_id
        CROSS JOIN LATERAL (VALUES ('all'), (o.week), (o.month)) AS x (period)
        WHERE m.hidden = 0
        GROUP BY o.guild_id, o.user_id, x.period
    ) AS l
    WHERE p.guild_id = l.guild_id AND p.user_id = l.user_id AND p.period = l.period;
    UPDATE progress_section_totals AS t SET members = t.members - g.lost
    FROM (
        SELECT o.guild_id, o.section_id, COUNT(*) AS lost
        FROM progress_old_completions AS o
        JOIN progress_sections AS s ON s.section_id = o.section_id
        JOIN progress_members AS m ON m.guild_id = o.guild_id AND m.user_id = o.user_id
        WHERE m.hidden = 0
        GROUP BY o.guild_id, o.section_id
    ) AS g
    WHERE t.guild_id = g.guild_id AND t.section_id = g.section_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER progress_completion_removed AFTER DELETE ON progress_completions
REFERENCING OLD TABLE AS progress_old_completions
FOR EACH STATEMENT EXECUTE FUNCTION progress_completion_removed();

-- Hiding takes a member off every board; showing recounts them from their completions.
CREATE FUNCTION progress_member_hidden() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM progress_points WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id;
    UPDATE progress_section_totals SET members = members - 1
    WHERE guild_id = NEW.guild_id AND section_id IN (
        SELECT c.section_id FROM progress_completions AS c
        JOIN progress_sections AS s ON s.section_id = c.section_id
        WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER progress_member_hidden AFTER UPDATE OF hidden ON progress_members
FOR EACH ROW WHEN (NEW.hidden = 1 AND OLD.hidden = 0)
EXECUTE FUNCTION progress_member_hidden();

CREATE FUNCTION progress_member_shown() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO progress_points (guild_id, user_id, period, points)
    SELECT NEW.guild_id, NEW.user_id, period, COUNT(*) FROM (
        SELECT 'all' AS period FROM progress_completions AS c
        JOIN progress_sections AS s ON s.section_id = c.section_id
        WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
        UNION ALL
        SELECT c.week FROM progress_completions AS c
        JOIN progress_sections AS s ON s.section_id = c.section_id
        WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
        UNION ALL
        SELECT c.month FROM progress_completions AS c
        JOIN progress_sections AS s ON s.section_id = c.section_id
        WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
    ) AS counted
    GROUP BY period;
    INSERT INTO progress_section_totals AS t (guild_id, section_id, members)
    SELECT NEW.guild_id, c.section_id, 1 FROM progress_completions AS c
    JOIN progress_sections AS s ON s.section_id = c.section_id
    WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
    ON CONFLICT (guild_id, section_id) DO UPDATE SET members = t.members + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER progress_member_shown AFTER UPDATE OF hidden ON progress_members
FOR EACH ROW WHEN (NEW.hidden = 0 AND OLD.hidden = 1)
EXECUTE FUNCTION progress_member_shown();

-- Deleting a member deletes their completions first, while the member row still says whether
-- they counted, so the counters drop with them (the foreign key's cascade would run after the
-- member row is gone, when the completions' trigger could no longer tell).
CREATE FUNCTION progress_member_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM progress_completions WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    RETURN OLD;
END;
$$;

CREATE TRIGGER progress_member_deleted BEFORE DELETE ON progress_members
FOR EACH ROW EXECUTE FUNCTION progress_member_deleted();
