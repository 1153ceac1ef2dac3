-- The quality engineers' workflow on an insight: new, investigating, action taken, closed. Every
-- change keeps who made it, when, and the note they gave (insight_notes); a note without a change
-- is a row with the same status on both sides.
ALTER TABLE manufacturing_insights
  ADD COLUMN status text NOT NULL DEFAULT 'new'
    CHECK (status IN ('new', 'investigating', 'action_taken', 'closed'));
--> statement-breakpoint
ALTER TABLE manufacturing_insights ADD COLUMN status_changed_at timestamptz;
--> statement-breakpoint
ALTER TABLE manufacturing_insights
  ADD COLUMN status_changed_by uuid REFERENCES users (id) ON DELETE SET NULL;
--> statement-breakpoint
CREATE TABLE insight_notes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  insight_id uuid NOT NULL REFERENCES manufacturing_insights (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  from_status text NOT NULL,
  to_status text NOT NULL
    CHECK (to_status IN ('new', 'investigating', 'action_taken', 'closed')),
  note text CHECK (note IS NULL OR note <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX insight_notes_insight_idx ON insight_notes (insight_id, created_at);
