-- Rows in every table of StudyBot's schema at version 5 (migrations/sqlite 0001-0005, which
-- never change), in the encodings StudyBot 0.1 wrote: progress times ISO text with
-- microseconds, paper club and outbox times ISO text to the second, Kaggle times epoch
-- seconds. Later migrations convert them; `studybot move-to` migrates the file first.

INSERT INTO meta (key, value) VALUES
    ('command_hash', '5d41402abc4b2a76b9719d911017c592'),
    ('naïve ✓ key', 'it''s "quoted"' || char(10) || 'on two lines');

-- Progress: two visible members and a hidden one in one guild, one member in another. The
-- triggers fill progress_points, progress_levels and progress_section_totals.
INSERT INTO progress_sections (section_id) VALUES ('1.1'), ('1.2'), ('4.5');
INSERT INTO progress_members (guild_id, user_id, display_name, hidden, first_seen, updated_at)
VALUES
    (111, 9223372036854775807, 'Alice 🦊', 0,
     '2026-11-01T09:00:00.000000+00:00', '2026-11-24T12:00:00.123456+00:00'),
    (111, 202, 'Bob', 0, '2026-11-02T09:00:00.000000+00:00', '2026-11-02T09:00:00.000000+00:00'),
    (111, 203, 'Hidden Hal', 0,
     '2026-11-03T09:00:00.000000+00:00', '2026-11-03T09:00:00.000000+00:00'),
    (112, 301, 'Carol', 0, '2026-10-01T09:00:00.000000+00:00', '2026-10-01T09:00:00.000000+00:00');
INSERT INTO progress_completions (guild_id, user_id, section_id, done_at) VALUES
    (111, 9223372036854775807, '1.1', '2026-11-01T09:30:00.000001+00:00'),
    (111, 9223372036854775807, '4.5', '2026-11-24T12:00:00.123456+00:00'),
    (111, 202, '1.1', '2026-11-02T10:00:00.000000+00:00'),
    (111, 202, '9.9', '2026-11-02T11:00:00.000000+00:00'),  -- a section no longer counted
    (111, 203, '1.2', '2026-11-03T10:00:00.000000+00:00'),
    (112, 301, '1.1', '2025-12-31T23:59:59.999999+00:00');
UPDATE progress_members SET hidden = 1 WHERE guild_id = 111 AND user_id = 203;

-- The paper club.
INSERT INTO arxiv_papers (arxiv_id, title, authors, summary, published, abs_url,
                          primary_category, fetched_at) VALUES
    ('1706.03762', 'Attention Is All You Need', '["Ashish Vaswani", "Noam Shazeer"]',
     'The dominant sequence transduction models…', '2017-06-12T17:57:34+00:00',
     'https://arxiv.org/abs/1706.03762', 'cs.CL', '2026-11-20T08:00:00+00:00'),
    ('1512.03385', 'Deep Residual Learning for Image Recognition', '["Kaiming He"]',
     'Deeper neural networks are more difficult to train.', '2015-12-10T19:51:55+00:00',
     'https://arxiv.org/abs/1512.03385', 'cs.CV', '2026-11-20T08:00:01+00:00');
INSERT INTO paper_schedules (id, guild_id, channel_id, weekday, at_time, timezone, role_id,
                             created_by, active_since, paused_at, pause_reason, next_due_utc)
VALUES
    (1, 111, 555, 1, '18:00', 'Europe/Berlin', 777, 9223372036854775807,
     '2026-11-01T12:00:00+00:00', NULL, NULL, '2026-11-24T17:00:00+00:00'),
    (4, 112, 556, 6, '09:30', 'America/New_York', NULL, 301,
     '2026-10-01T12:00:00+00:00', '2026-11-10T12:00:00+00:00', 'the channel is gone', NULL);
INSERT INTO paper_claims (id, schedule_id, occurrence_utc, claimed_at, late, status) VALUES
    (1, 1, '2026-11-17T17:00:00+00:00', '2026-11-17T17:00:01+00:00', 0, 'posted'),
    (2, 4, '2026-11-07T14:30:00+00:00', '2026-11-07T15:00:00+00:00', 1, 'failed');
INSERT INTO paper_queue (id, guild_id, arxiv_id, suggested_by, suggested_at, posted_at) VALUES
    (1, 111, '1512.03385', 202, '2026-11-10T10:00:00+00:00', '2026-11-17T17:00:02+00:00'),
    (2, 111, '1706.03762', NULL, '2026-11-11T10:00:00+00:00', NULL);
INSERT INTO paper_votes (queue_id, user_id, guild_id, voted_at) VALUES
    (2, 9223372036854775807, 111, '2026-11-12T10:00:00+00:00'),
    (2, 202, 111, '2026-11-12T11:00:00+00:00');
INSERT INTO paper_posts (id, guild_id, channel_id, claim_id, queue_id, reading_key, arxiv_id,
                         title, url, section, status, created_at, posted_at, message_id,
                         thread_id) VALUES
    (1, 111, 555, 1, 1, NULL, '1512.03385', 'Deep Residual Learning for Image Recognition',
     'https://arxiv.org/abs/1512.03385', '4.5', 'posted', '2026-11-17T17:00:01+00:00',
     '2026-11-17T17:00:02+00:00', 1234567890123456789, 1234567890123456789),
    (2, 112, 556, 2, NULL, 'alexnet', NULL, 'ImageNet Classification with Deep CNNs',
     'https://papers.nips.cc/paper/4824', NULL, 'failed', '2026-11-07T15:00:00+00:00', NULL,
     NULL, NULL);
INSERT INTO paper_reads (post_id, user_id, guild_id, read_at) VALUES
    (1, 202, 111, '2026-11-18T08:00:00+00:00');

-- Kaggle.
INSERT INTO kaggle_competitions (ref, title, url, description, category, reward, deadline,
                                 enabled_date, team_count, tags, sections, first_seen,
                                 last_seen, listed) VALUES
    ('titanic', 'Titanic - Machine Learning from Disaster', 'https://www.kaggle.com/c/titanic',
     'Start here!', 'getting-started', 'Knowledge', NULL, 1348000000, 15000, '["tabular"]',
     '["2.1", "2.3"]', 1764000000, 1764500000, 1),
    ('llm-prize', 'An LLM Prize', 'https://www.kaggle.com/c/llm-prize', NULL, 'featured',
     '$100,000', 1767225599, 1764000000, NULL, '[]', '[]', 1764000000, 1764000000, 0);
INSERT INTO kaggle_subscriptions (id, guild_id, channel_id, category, subscribed_by, created_at,
                                  updated_at, summarised_at, paused_at, pause_reason) VALUES
    (1, 111, 666, 'all', 9223372036854775807, 1764000000, 1764000000, 1764000100, NULL, NULL),
    (3, 112, 667, 'featured', NULL, 1764000000, 1764100000, NULL, 1764200000, 'missing access');
INSERT INTO kaggle_deliveries (subscription_id, competition_ref, kind, claimed_at) VALUES
    (1, 'titanic', 'announce', 1764000200),
    (1, 'llm-prize', 'remind7', 1766620800),
    (1, 'house-prices', 'weekly:2026-W48', 1764000300);
UPDATE kaggle_status SET last_success = 1764500000, last_failure = 1764400000,
    failure = 'Kaggle answered 503', auth_error = NULL, auth_error_since = NULL WHERE id = 1;

-- The outbox: one post done, one still waiting to be sent.
INSERT INTO outbox (id, kind, ref, guild_id, channel_id, nonce, payload, thread_name, status,
                    created_at, due_at, give_up_at, next_attempt_at, first_attempt_at,
                    last_attempt_at, attempts, message_id, thread_id, error) VALUES
    (1, 'paper', 1, 111, 555, 'p-1-2026-11-17', '{"content": "Paper of the week"}',
     'Deep Residual Learning', 'done', '2026-11-17T17:00:01+00:00', '2026-11-17T17:00:00+00:00',
     '2026-11-17T23:00:00+00:00', '2026-11-17T17:00:01+00:00', '2026-11-17T17:00:01+00:00',
     '2026-11-17T17:00:02+00:00', 1, 1234567890123456789, 1234567890123456789, NULL),
    (2, 'kaggle', 7, 111, 666, 'k-7', NULL, NULL, 'pending', '2026-11-24T11:59:00+00:00',
     '2026-11-24T12:00:00+00:00', '2026-11-24T18:00:00+00:00', '2026-11-24T12:00:30+00:00',
     NULL, NULL, 0, NULL, NULL, 'Discord answered 503');
