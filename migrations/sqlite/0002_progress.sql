-- Group progress: members as last seen, the sections they finished, and counters that the
-- database keeps in step itself (triggers), so every write that touches completions or the
-- hidden flag moves the leaderboards in the same transaction, whichever code made it.

-- A member who marked a section done or changed a privacy setting in a guild. The display name
-- is the one last seen in an interaction (the bot has no members intent); ids are the key, so
-- a rename never merges or splits anyone. Times are ISO-8601 UTC text.
CREATE TABLE progress_members (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    hidden       INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    first_seen   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

-- One row per finished section. done_at is fixed-width ISO-8601 UTC with microseconds
-- ('2026-11-24T12:00:00.000000+00:00'), so text order is time order. week is its ISO week in
-- UTC ('2026-W48': the year and number of the week's Thursday), month its calendar month.
-- Rows of sections that a custom roadmap no longer has are kept but not counted.
CREATE TABLE progress_completions (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    section_id TEXT    NOT NULL,
    done_at    TEXT    NOT NULL,
    week       TEXT    GENERATED ALWAYS AS (
        strftime('%Y', date(substr(done_at, 1, 10),
            printf('%+d days', 3 - (CAST(strftime('%w', substr(done_at, 1, 10)) AS INTEGER) + 6) % 7)))
        || '-W' ||
        printf('%02d', (CAST(strftime('%j', date(substr(done_at, 1, 10),
            printf('%+d days', 3 - (CAST(strftime('%w', substr(done_at, 1, 10)) AS INTEGER) + 6) % 7)))
            AS INTEGER) - 1) / 7 + 1)
    ) VIRTUAL,
    month      TEXT    GENERATED ALWAYS AS (substr(done_at, 1, 7)) VIRTUAL,
    PRIMARY KEY (guild_id, user_id, section_id),
    FOREIGN KEY (guild_id, user_id)
        REFERENCES progress_members (guild_id, user_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- /who: the finishers of one section, most recent first.
CREATE INDEX progress_completions_by_section
    ON progress_completions (guild_id, section_id, done_at);

-- The sections that count: the current roadmap's, written at start-up (with a rebuild of the
-- counters below whenever the set changes).
CREATE TABLE progress_sections (
    section_id TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- Points per visible member and period: 'all', an ISO week or a month (as above). Only
-- counted sections score; hidden members and zero points have no row. A leaderboard page is a
-- walk down progress_points_board.
CREATE TABLE progress_points (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    period   TEXT    NOT NULL,
    points   INTEGER NOT NULL CHECK (points > 0),
    PRIMARY KEY (guild_id, user_id, period)
) STRICT, WITHOUT ROWID;

CREATE INDEX progress_points_board ON progress_points (guild_id, period, points DESC, user_id);

-- How many visible members hold each points value per period: a rank is 1 + the members
-- above, a sum over at most one row per possible points value.
CREATE TABLE progress_levels (
    guild_id INTEGER NOT NULL,
    period   TEXT    NOT NULL,
    points   INTEGER NOT NULL,
    members  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, period, points)
) STRICT, WITHOUT ROWID;

-- How many visible members finished each counted section (shown by /topic).
CREATE TABLE progress_section_totals (
    guild_id   INTEGER NOT NULL,
    section_id TEXT    NOT NULL,
    members    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, section_id)
) STRICT, WITHOUT ROWID;

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
