-- StudyBot's own bookkeeping: small key-value facts such as the synced command hash.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
