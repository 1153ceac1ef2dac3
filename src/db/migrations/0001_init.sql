-- Autonoma schema, version 1: the tables the product requirements give (section E), with real
-- constraints. Statements are separated by the breakpoint marker because PGlite's extended
-- protocol runs one statement per query.

CREATE TYPE user_role AS ENUM ('customer', 'service', 'manufacturer');
--> statement-breakpoint
CREATE TABLE service_centers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE CHECK (name <> ''),
  city text NOT NULL,
  bays integer NOT NULL CHECK (bays > 0),
  opening_hour integer NOT NULL CHECK (opening_hour BETWEEN 0 AND 23),
  closing_hour integer NOT NULL CHECK (closing_hour BETWEEN 1 AND 24),
  slot_minutes integer NOT NULL DEFAULT 60 CHECK (slot_minutes BETWEEN 15 AND 480),
  timezone text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (closing_hour > opening_hour)
);
--> statement-breakpoint
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The unique constraint is also the users(email) index the requirements ask for.
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND position('@' IN email) > 1),
  password_hash text NOT NULL,
  role user_role NOT NULL,
  name text NOT NULL DEFAULT '',
  -- A service user works at one centre; NULL for other roles.
  service_center_id uuid REFERENCES service_centers (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE TABLE vehicles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- ISO 3779: 17 characters, no I, O or Q. Unique, so also the vehicles(vin) index.
  vin text NOT NULL UNIQUE CHECK (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
  model text NOT NULL CHECK (model <> ''),
  year integer CHECK (year BETWEEN 1990 AND 2100),
  vehicle_type text NOT NULL DEFAULT 'EV' CHECK (vehicle_type IN ('EV', 'ICE')),
  batch text CHECK (batch ~ '^B-[0-9]{4}-[0-9]{2}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX vehicles_owner_id_idx ON vehicles (owner_id);
--> statement-breakpoint
-- Append-only replay and audit log, written in batches; no primary key on purpose (nothing
-- references a single row, and an extra index would slow the bulk insert path).
CREATE TABLE telemetry_logs (
  vehicle_id uuid NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
  ts timestamptz NOT NULL,
  sensor_data jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX telemetry_logs_vehicle_ts_idx ON telemetry_logs (vehicle_id, ts);
--> statement-breakpoint
CREATE TABLE anomaly_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vehicle_id uuid NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
  -- Event time: the timestamp of the reading that opened the episode.
  detected_at timestamptz NOT NULL DEFAULT now(),
  anomaly_type text NOT NULL CHECK (anomaly_type <> ''),
  severity text NOT NULL CHECK (severity IN ('Low', 'Medium', 'High', 'Critical')),
  reason text,
  sensor_snapshot jsonb NOT NULL DEFAULT '{}'::jsonb,
  signals jsonb NOT NULL DEFAULT '[]'::jsonb,
  peak_values jsonb NOT NULL DEFAULT '{}'::jsonb,
  rul_prediction double precision CHECK (rul_prediction IS NULL OR rul_prediction >= 0),
  status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  occurrences integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
  acknowledged_at timestamptz,
  acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
  resolved_at timestamptz,
  resolution text CHECK (resolution IS NULL OR resolution IN ('recovered', 'serviced', 'manual')),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'RESOLVED') = (resolved_at IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX anomaly_events_vehicle_detected_idx ON anomaly_events (vehicle_id, detected_at DESC);
--> statement-breakpoint
-- At most one unresolved episode per vehicle and anomaly type: concurrent runs cannot open two.
CREATE UNIQUE INDEX anomaly_events_one_open_idx ON anomaly_events (vehicle_id, anomaly_type)
  WHERE status <> 'RESOLVED';
--> statement-breakpoint
CREATE TABLE diagnoses (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  anomaly_event_id uuid NOT NULL REFERENCES anomaly_events (id) ON DELETE CASCADE,
  diagnosis_text text NOT NULL CHECK (diagnosis_text <> ''),
  confidence_score double precision NOT NULL CHECK (confidence_score BETWEEN 0 AND 1),
  severity text CHECK (severity IS NULL OR severity IN ('Low', 'Medium', 'High', 'Critical')),
  component text,
  recommended_action text,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX diagnoses_anomaly_event_idx ON diagnoses (anomaly_event_id, created_at DESC);
--> statement-breakpoint
CREATE TABLE service_bookings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vehicle_id uuid NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
  service_center_id uuid NOT NULL REFERENCES service_centers (id) ON DELETE RESTRICT,
  appointment_time timestamptz NOT NULL,
  bay integer NOT NULL DEFAULT 1 CHECK (bay >= 1),
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'CANCELLED')),
  customer_notes text,
  source text NOT NULL DEFAULT 'customer' CHECK (source IN ('customer', 'agent', 'chat')),
  anomaly_event_id uuid REFERENCES anomaly_events (id) ON DELETE SET NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX service_bookings_status_time_idx ON service_bookings (status, appointment_time);
--> statement-breakpoint
CREATE INDEX service_bookings_vehicle_idx ON service_bookings (vehicle_id, appointment_time DESC);
--> statement-breakpoint
-- Two live bookings can never hold the same bay at the same time: the database, not the
-- application, is what makes concurrent booking safe.
CREATE UNIQUE INDEX service_bookings_bay_slot_idx ON service_bookings (service_center_id, appointment_time, bay)
  WHERE status <> 'CANCELLED';
--> statement-breakpoint
CREATE UNIQUE INDEX service_bookings_idempotency_idx ON service_bookings (created_by, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
--> statement-breakpoint
CREATE TABLE manufacturing_insights (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  component_name text NOT NULL CHECK (component_name <> ''),
  failure_pattern text NOT NULL CHECK (failure_pattern <> ''),
  affected_batch text,
  recommendation text,
  confidence_score double precision CHECK (confidence_score IS NULL OR confidence_score BETWEEN 0 AND 1),
  evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
  event_count integer NOT NULL DEFAULT 0 CHECK (event_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
-- One insight per pattern, growing with evidence, never a copy per event.
CREATE UNIQUE INDEX manufacturing_insights_pattern_idx
  ON manufacturing_insights (component_name, failure_pattern, (coalesce(affected_batch, '')));
--> statement-breakpoint
CREATE INDEX manufacturing_insights_created_idx ON manufacturing_insights (created_at DESC);
--> statement-breakpoint
CREATE TABLE ueba_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_name text NOT NULL CHECK (agent_name <> ''),
  action_type text NOT NULL CHECK (action_type <> ''),
  source_node text,
  target_node text,
  status text NOT NULL CHECK (status IN ('ALLOWED', 'BLOCKED')),
  vehicle_id uuid REFERENCES vehicles (id) ON DELETE SET NULL,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  run_id text,
  details jsonb,
  "timestamp" timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX ueba_logs_timestamp_idx ON ueba_logs ("timestamp" DESC);
