-- 002_timezone.sql: the flow's time zone, so that exports can turn local
-- times into true UTC epochs (Asterisk's queue_log counts UTC seconds).
ALTER TABLE runs ADD COLUMN timezone TEXT;
