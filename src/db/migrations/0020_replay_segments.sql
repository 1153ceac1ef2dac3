-- A live replay (STREAM_CLOCK=live) stamps each step with the wall clock as it sends it, so a
-- stored reading's timestamp no longer names its row of the file. Each run of the replay records
-- where it started (the global step: pass x steps + step), when, and its pace; a restart finds the
-- run that covers the newest stored reading and continues at the step after it.
CREATE TABLE replay_segments (
  source text NOT NULL,
  started_at timestamptz NOT NULL,
  first_step bigint NOT NULL CHECK (first_step >= 0),
  pace_ms double precision NOT NULL CHECK (pace_ms > 0),
  PRIMARY KEY (source, started_at)
);
