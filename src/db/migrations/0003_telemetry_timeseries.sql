-- Telemetry as a time series: the 29 sensor values as one double precision[] in the order of
-- NUMERIC_FIELDS (src/schemas/telemetry.ts; append-only: a new signal goes at the end), a
-- reading identified by (vehicle, timestamp) so a retried or replayed reading is stored once, and
-- the table partitioned by day so that retention drops whole partitions. Partitions are created
-- ahead of each write by the telemetry writer (`telemetry_ensure_partition`).
ALTER TABLE telemetry_logs RENAME TO telemetry_logs_v1;
--> statement-breakpoint
ALTER INDEX telemetry_logs_vehicle_ts_idx RENAME TO telemetry_logs_v1_vehicle_ts_idx;
--> statement-breakpoint
CREATE TABLE telemetry_logs (
  vehicle_id uuid NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
  ts timestamptz NOT NULL,
  vals double precision[] NOT NULL,
  PRIMARY KEY (vehicle_id, ts)
) PARTITION BY RANGE (ts);
--> statement-breakpoint
-- One partition per UTC day, named telemetry_logs_pYYYYMMDD. Safe to call for a day that has one.
CREATE FUNCTION telemetry_ensure_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := 'telemetry_logs_p' || to_char(day, 'YYYYMMDD');
  lo timestamptz := (day::timestamp AT TIME ZONE 'UTC');
BEGIN
  IF to_regclass(name) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF telemetry_logs FOR VALUES FROM (%L) TO (%L)',
      name, lo, lo + interval '1 day');
  END IF;
END
$$;
--> statement-breakpoint
SELECT telemetry_ensure_partition(d::date)
FROM (SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date AS d FROM telemetry_logs_v1) days;
--> statement-breakpoint
INSERT INTO telemetry_logs (vehicle_id, ts, vals)
SELECT vehicle_id, ts, ARRAY[
      (sensor_data->>'soc')::double precision,
      (sensor_data->>'soh')::double precision,
      (sensor_data->>'battery_voltage')::double precision,
      (sensor_data->>'battery_current')::double precision,
      (sensor_data->>'battery_temperature')::double precision,
      (sensor_data->>'charge_cycles')::double precision,
      (sensor_data->>'motor_temperature')::double precision,
      (sensor_data->>'motor_vibration')::double precision,
      (sensor_data->>'motor_torque')::double precision,
      (sensor_data->>'motor_rpm')::double precision,
      (sensor_data->>'power_consumption')::double precision,
      (sensor_data->>'brake_pad_wear')::double precision,
      (sensor_data->>'brake_pressure')::double precision,
      (sensor_data->>'reg_brake_efficiency')::double precision,
      (sensor_data->>'tire_pressure')::double precision,
      (sensor_data->>'tire_temperature')::double precision,
      (sensor_data->>'suspension_load')::double precision,
      (sensor_data->>'ambient_temperature')::double precision,
      (sensor_data->>'ambient_humidity')::double precision,
      (sensor_data->>'load_weight')::double precision,
      (sensor_data->>'driving_speed')::double precision,
      (sensor_data->>'distance_traveled')::double precision,
      (sensor_data->>'idle_time')::double precision,
      (sensor_data->>'route_roughness')::double precision,
      (sensor_data->>'rul')::double precision,
      (sensor_data->>'failure_probability')::double precision,
      (sensor_data->>'maintenance_type')::double precision,
      (sensor_data->>'ttf')::double precision,
      (sensor_data->>'component_health_score')::double precision
    ]
FROM telemetry_logs_v1
ON CONFLICT DO NOTHING;
--> statement-breakpoint
DROP TABLE telemetry_logs_v1;
