-- StudyBot's own bookkeeping on PostgreSQL: small key-value facts such as the synced command
-- hash, and the schema version (SQLite keeps it in PRAGMA user_version).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS schema_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
