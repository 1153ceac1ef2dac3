-- One story per episode (issue 17 items 2 and 5): the alarm row also says whether the owner turned
-- the proposed service down (and at which severity: they are asked again only above it), and which
-- earlier, serviced episode of the same vehicle and type it repeats (the fix did not hold).
ALTER TABLE anomaly_events ADD COLUMN owner_declined_at timestamptz;
--> statement-breakpoint
ALTER TABLE anomaly_events ADD COLUMN owner_declined_severity text
  CHECK (owner_declined_severity IN ('Low', 'Medium', 'High', 'Critical'));
--> statement-breakpoint
ALTER TABLE anomaly_events ADD COLUMN repeat_of uuid REFERENCES anomaly_events (id) ON DELETE SET NULL;
--> statement-breakpoint
ALTER TABLE alarm_activity DROP CONSTRAINT alarm_activity_kind_check;
--> statement-breakpoint
ALTER TABLE alarm_activity ADD CONSTRAINT alarm_activity_kind_check
  CHECK (kind IN ('escalated', 'acknowledged', 'assigned', 'unassigned', 'declined'));
