ALTER TABLE z_schedules ADD COLUMN next_due TEXT;
