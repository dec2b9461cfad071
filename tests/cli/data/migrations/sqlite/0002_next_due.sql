ALTER TABLE z_schedules ADD COLUMN next_due TEXT;
UPDATE z_schedules SET next_due = active_since;
