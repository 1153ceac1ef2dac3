-- The staff alarm console: who an alarm is assigned to, what staff wrote when they acknowledged it,
-- and what the workshop wrote when it completed a booking. `alarm_activity` keeps the steps that
-- leave no row of their own (an escalation, an acknowledgement with its note, an assignment), so a
-- vehicle's timeline can say who did what and when.
ALTER TABLE anomaly_events ADD COLUMN assigned_to uuid REFERENCES users (id) ON DELETE SET NULL;
--> statement-breakpoint
ALTER TABLE anomaly_events ADD COLUMN assigned_at timestamptz;
--> statement-breakpoint
ALTER TABLE anomaly_events ADD COLUMN acknowledged_note text CHECK (char_length(acknowledged_note) <= 2000);
--> statement-breakpoint
ALTER TABLE service_bookings ADD COLUMN service_notes text CHECK (char_length(service_notes) <= 2000);
--> statement-breakpoint
ALTER TABLE service_bookings ADD COLUMN completed_at timestamptz;
--> statement-breakpoint
ALTER TABLE service_bookings ADD COLUMN completed_by uuid REFERENCES users (id) ON DELETE SET NULL;
--> statement-breakpoint
CREATE TABLE alarm_activity (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  anomaly_event_id uuid NOT NULL REFERENCES anomaly_events (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('escalated', 'acknowledged', 'assigned', 'unassigned')),
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  note text CHECK (char_length(note) <= 2000),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX alarm_activity_event_idx ON alarm_activity (anomaly_event_id, at);
