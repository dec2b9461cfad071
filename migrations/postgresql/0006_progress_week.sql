-- Nothing to do on PostgreSQL. On SQLite this step turns progress_completions' generated week
-- and month columns into plain stored ones written by StudyBot (one definition of the ISO
-- week: cogs/progress/stats.week_key). PostgreSQL's 0002_progress.sql was written in that
-- final form from the start, so its history has no generated columns to convert.
SELECT 1;
