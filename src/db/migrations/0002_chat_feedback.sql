-- Conversation with the customer-engagement agent, and owners' ratings of completed services.

CREATE TABLE chat_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vehicle_id uuid NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
  -- The customer who wrote it; NULL for the agent's messages.
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  sender text NOT NULL CHECK (sender IN ('customer', 'agent')),
  content text NOT NULL CHECK (content <> '' AND char_length(content) <= 4000),
  -- Buttons the agent offers with the message (book a slot, confirm, decline).
  actions jsonb NOT NULL DEFAULT '[]'::jsonb,
  intent text,
  anomaly_event_id uuid REFERENCES anomaly_events (id) ON DELETE SET NULL,
  booking_id uuid REFERENCES service_bookings (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX chat_messages_vehicle_idx ON chat_messages (vehicle_id, created_at);
--> statement-breakpoint
CREATE TABLE booking_feedback (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  booking_id uuid NOT NULL UNIQUE REFERENCES service_bookings (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  rating integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment text CHECK (comment IS NULL OR char_length(comment) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now()
);
