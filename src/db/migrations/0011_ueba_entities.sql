-- Behaviour analytics per entity (agents, users, devices) and per peer group: the risk score
-- with its reasons, the response in force (quarantine, lock) and the baselines, written
-- periodically and at stop so that a restart keeps what was learnt.
CREATE TABLE ueba_entities (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('agent', 'user', 'device', 'peer_group')),
  label text NOT NULL,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'quarantined', 'locked')),
  score double precision NOT NULL DEFAULT 0,
  score_at timestamptz NOT NULL DEFAULT now(),
  reasons jsonb NOT NULL DEFAULT '[]',
  model jsonb NOT NULL DEFAULT '{}',
  events bigint NOT NULL DEFAULT 0,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  released_by text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
