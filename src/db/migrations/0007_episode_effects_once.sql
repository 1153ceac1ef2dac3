-- What an episode causes happens once per episode, even when its run is repeated (a restart, a
-- redelivered reading): one diagnosis per (episode, severity), and one alert message per
-- (episode, severity) through a dedupe key. Older duplicates are folded into the first.
DELETE FROM diagnoses d USING diagnoses e
WHERE d.anomaly_event_id = e.anomaly_event_id
  AND d.severity IS NOT DISTINCT FROM e.severity
  AND (d.created_at, d.id) > (e.created_at, e.id);
--> statement-breakpoint
CREATE UNIQUE INDEX diagnoses_episode_severity_key ON diagnoses (anomaly_event_id, severity);
--> statement-breakpoint
ALTER TABLE chat_messages ADD COLUMN dedupe_key text;
--> statement-breakpoint
CREATE UNIQUE INDEX chat_messages_dedupe_key ON chat_messages (dedupe_key) WHERE dedupe_key IS NOT NULL;
