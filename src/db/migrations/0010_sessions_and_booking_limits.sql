-- Revocation: every token carries the version it was signed at; bumping it (a role or password
-- change, disabling) ends every session of the account at once.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0 CHECK (token_version >= 0);
--> statement-breakpoint
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
--> statement-breakpoint
-- One live booking per vehicle and start time (a vehicle cannot be in two bays at once). Older
-- duplicates, if any, are cancelled first so that the index can be built; the earliest one stays.
UPDATE service_bookings b SET status = 'CANCELLED', updated_at = now()
  WHERE b.status <> 'CANCELLED'
    AND EXISTS (
      SELECT 1 FROM service_bookings o
      WHERE o.vehicle_id = b.vehicle_id AND o.appointment_time = b.appointment_time
        AND o.status <> 'CANCELLED' AND (o.created_at, o.id) < (b.created_at, b.id)
    );
--> statement-breakpoint
CREATE UNIQUE INDEX service_bookings_vehicle_slot_idx ON service_bookings (vehicle_id, appointment_time)
  WHERE status <> 'CANCELLED';
