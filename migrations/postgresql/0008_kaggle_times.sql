-- Nothing to do on PostgreSQL: SQLite's 0008 turns Kaggle's epoch-second times into ISO-8601
-- UTC text with microseconds, and PostgreSQL's 0004 already created the tables that way.
SELECT 1;
