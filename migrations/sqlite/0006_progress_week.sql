-- One definition of a completion's ISO week and month: StudyBot writes them itself, from
-- cogs/progress/stats.week_key and month_key, into plain stored columns. Until now they were
-- columns generated from done_at by an SQLite formula (strftime/printf) that PostgreSQL does
-- not have, a second definition beside the Python one.
--
-- SQLite cannot turn a generated column into a stored one in place, so progress_completions
-- is rebuilt: every row is copied with the week and month the old formula gave it (the same
-- values stats.week_key gives; tests/progress/test_upgrade.py compares them over eight years).
-- done_at, first_seen and updated_at are already in the one time encoding (bot.clock.db_time:
-- fixed-width ISO-8601 UTC text with microseconds) and are copied unchanged.
--
-- The triggers of 0002 mention the table, so they are dropped first and created again below,
-- unchanged in meaning. Dropping the old table deletes only its own rows (nothing references
-- progress_completions), and the counters (points, levels, section totals) are left as they
-- were: they count the same rows before and after.

DROP TRIGGER progress_points_added;
DROP TRIGGER progress_points_changed;
DROP TRIGGER progress_points_removed;
DROP TRIGGER progress_completion_added;
DROP TRIGGER progress_completion_removed;
DROP TRIGGER progress_member_hidden;
DROP TRIGGER progress_member_shown;
DROP TRIGGER progress_member_deleted;

-- One row per finished section. done_at as bot.clock.db_time writes it; week is its ISO week
-- in UTC ('2026-W48': the year and number of the week's Thursday), month its calendar month
-- ('2026-11'), both written by StudyBot with the completion.
CREATE TABLE progress_completions_new (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    section_id TEXT    NOT NULL,
    done_at    TEXT    NOT NULL,
    week       TEXT    NOT NULL,
    month      TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, section_id),
    FOREIGN KEY (guild_id, user_id)
        REFERENCES progress_members (guild_id, user_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO progress_completions_new (guild_id, user_id, section_id, done_at, week, month)
SELECT guild_id, user_id, section_id, done_at, week, month FROM progress_completions;

DROP TABLE progress_completions;
ALTER TABLE progress_completions_new RENAME TO progress_completions;

-- /who: the finishers of one section, most recent first.
CREATE INDEX progress_completions_by_section
    ON progress_completions (guild_id, section_id, done_at);

-- The triggers of 0002, as they were.

-- Levels follow points.
CREATE TRIGGER progress_points_added AFTER INSERT ON progress_points
BEGIN
    INSERT INTO progress_levels (guild_id, period, points, members)
    VALUES (NEW.guild_id, NEW.period, NEW.points, 1)
    ON CONFLICT (guild_id, period, points) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER progress_points_changed AFTER UPDATE OF points ON progress_points
BEGIN
    UPDATE progress_levels SET members = members - 1
    WHERE guild_id = OLD.guild_id AND period = OLD.period AND points = OLD.points;
    INSERT INTO progress_levels (guild_id, period, points, members)
    VALUES (NEW.guild_id, NEW.period, NEW.points, 1)
    ON CONFLICT (guild_id, period, points) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER progress_points_removed AFTER DELETE ON progress_points
BEGIN
    UPDATE progress_levels SET members = members - 1
    WHERE guild_id = OLD.guild_id AND period = OLD.period AND points = OLD.points;
END;

-- A counted section done by a visible member scores in its week, its month and all time.
CREATE TRIGGER progress_completion_added AFTER INSERT ON progress_completions
WHEN EXISTS (SELECT 1 FROM progress_sections WHERE section_id = NEW.section_id)
    AND EXISTS (
        SELECT 1 FROM progress_members
        WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id AND hidden = 0
    )
BEGIN
    INSERT INTO progress_points (guild_id, user_id, period, points)
    VALUES (NEW.guild_id, NEW.user_id, 'all', 1),
           (NEW.guild_id, NEW.user_id, NEW.week, 1),
           (NEW.guild_id, NEW.user_id, NEW.month, 1)
    ON CONFLICT (guild_id, user_id, period) DO UPDATE SET points = points + 1;
    INSERT INTO progress_section_totals (guild_id, section_id, members)
    VALUES (NEW.guild_id, NEW.section_id, 1)
    ON CONFLICT (guild_id, section_id) DO UPDATE SET members = members + 1;
END;

-- An undo takes the point off the periods the section was originally done in.
CREATE TRIGGER progress_completion_removed AFTER DELETE ON progress_completions
WHEN EXISTS (SELECT 1 FROM progress_sections WHERE section_id = OLD.section_id)
    AND EXISTS (
        SELECT 1 FROM progress_members
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND hidden = 0
    )
BEGIN
    DELETE FROM progress_points
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
        AND period IN ('all', OLD.week, OLD.month) AND points = 1;
    UPDATE progress_points SET points = points - 1
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
        AND period IN ('all', OLD.week, OLD.month);
    UPDATE progress_section_totals SET members = members - 1
    WHERE guild_id = OLD.guild_id AND section_id = OLD.section_id;
END;

-- Hiding takes a member off every board; showing recounts them from their completions.
CREATE TRIGGER progress_member_hidden AFTER UPDATE OF hidden ON progress_members
WHEN NEW.hidden = 1 AND OLD.hidden = 0
BEGIN
    DELETE FROM progress_points WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id;
    UPDATE progress_section_totals SET members = members - 1
    WHERE guild_id = NEW.guild_id AND section_id IN (
        SELECT c.section_id FROM progress_completions AS c
        JOIN progress_sections AS s ON s.section_id = c.section_id
        WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
    );
END;

CREATE TRIGGER progress_member_shown AFTER UPDATE OF hidden ON progress_members
WHEN NEW.hidden = 0 AND OLD.hidden = 1
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
    )
    GROUP BY period;
    INSERT INTO progress_section_totals (guild_id, section_id, members)
    SELECT NEW.guild_id, c.section_id, 1 FROM progress_completions AS c
    JOIN progress_sections AS s ON s.section_id = c.section_id
    WHERE c.guild_id = NEW.guild_id AND c.user_id = NEW.user_id
    ON CONFLICT (guild_id, section_id) DO UPDATE SET members = members + 1;
END;

-- Deleting a member deletes their completions first, while the member row still says whether
-- they counted, so the counters drop with them.
CREATE TRIGGER progress_member_deleted BEFORE DELETE ON progress_members
BEGIN
    DELETE FROM progress_completions WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
END;
