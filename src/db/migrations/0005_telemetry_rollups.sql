-- Hourly rollups of telemetry_logs: per (vehicle, UTC hour) the number of readings and, per
-- signal, the minimum, average and maximum, each a double precision[] in the order of `vals`
-- (NUMERIC_FIELDS, src/schemas/telemetry.ts). Recomputed from the raw rows of the buckets a
-- commit touched (src/db/telemetry-series.ts), so a bucket is always the exact aggregate of what
-- is stored; daily buckets are computed from these rows. Kept when retention drops a raw day.
CREATE TABLE telemetry_hourly (
  vehicle_id uuid NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
  bucket timestamptz NOT NULL,
  n integer NOT NULL,
  min_vals double precision[] NOT NULL,
  avg_vals double precision[] NOT NULL,
  max_vals double precision[] NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (vehicle_id, bucket)
);
--> statement-breakpoint
-- The start-up catch-up looks for the newest rolled-up hour.
CREATE INDEX telemetry_hourly_bucket_idx ON telemetry_hourly (bucket);
