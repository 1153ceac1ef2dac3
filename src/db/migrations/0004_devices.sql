-- Fleet connectivity: decommissioned vehicles keep their row and history, and every vehicle has
-- one device credential (the token that its telemetry unit sends). Only a hash of the token is
-- stored; the token itself is shown once, when it is issued.

ALTER TABLE vehicles ADD COLUMN decommissioned_at timestamptz;
--> statement-breakpoint
CREATE TABLE device_credentials (
  -- One live credential per vehicle: rotation replaces the hash, so the old token stops at once.
  vehicle_id uuid PRIMARY KEY REFERENCES vehicles (id) ON DELETE CASCADE,
  -- SHA-256 of the token, hex. Unique, so also the index each device request is looked up by.
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  issued_at timestamptz NOT NULL DEFAULT now()
);
