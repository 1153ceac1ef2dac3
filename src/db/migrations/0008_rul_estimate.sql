-- The remaining useful life is an estimate with an interval, re-estimated at each escalation:
-- rul_prediction stays the median (days), beside the interval's bounds, how it was made and the
-- level it counts down to. Rows from before carry no method: their number was a fixed-cap guess.
ALTER TABLE anomaly_events
  ADD COLUMN rul_low_days double precision CHECK (rul_low_days IS NULL OR rul_low_days >= 0),
  ADD COLUMN rul_high_days double precision CHECK (rul_high_days IS NULL OR rul_high_days >= 0),
  ADD COLUMN rul_method text CHECK (rul_method IN ('theil-sen', 'crossed', 'insufficient-trend')),
  ADD COLUMN rul_limit double precision,
  ADD COLUMN rul_estimated_at timestamptz;
