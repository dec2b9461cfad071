-- Nothing to do on PostgreSQL: 0003_papers and 0005_outbox were written in the final form
-- (fixed-width ISO-8601 UTC text with microseconds, paper_schedules.revision, the unique
-- indexes on paper_posts, the outbox's lease columns), since PostgreSQL never had the older
-- schema that SQLite's 0007 converts.
SELECT 1;
