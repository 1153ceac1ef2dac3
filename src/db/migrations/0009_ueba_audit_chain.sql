-- The audit log keeps every row as it was written, chained by hash (see db/audit-chain.ts).
-- Its user and vehicle ids stop being foreign keys: a row of a deleted user (whose token was still
-- valid) must be stored rather than fail its whole batch, and ON DELETE SET NULL would rewrite
-- audited rows, which the chain would then rightly report as tampered with.
ALTER TABLE ueba_logs DROP CONSTRAINT IF EXISTS ueba_logs_user_id_fkey;
--> statement-breakpoint
ALTER TABLE ueba_logs DROP CONSTRAINT IF EXISTS ueba_logs_vehicle_id_fkey;
--> statement-breakpoint
ALTER TABLE ueba_logs
  ADD COLUMN actor_kind text NOT NULL DEFAULT 'agent'
    CHECK (actor_kind IN ('agent', 'user', 'device', 'anonymous', 'system')),
  ADD COLUMN actor_id text,
  ADD COLUMN reason text,
  ADD COLUMN request_id text,
  ADD COLUMN seq bigint,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text;
--> statement-breakpoint
-- Rows from before the chain get their place in it now; the service hashes them on its first append.
UPDATE ueba_logs l SET seq = o.n
FROM (SELECT id, row_number() OVER (ORDER BY "timestamp", id) AS n FROM ueba_logs) o
WHERE l.id = o.id;
--> statement-breakpoint
ALTER TABLE ueba_logs ALTER COLUMN seq SET NOT NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX ueba_logs_seq_key ON ueba_logs (seq);
--> statement-breakpoint
-- The chain's head: one row, locked by every append, so that two writers (two processes) never
-- both extend the same link. hash NULL with seq > 0: the rows up to seq are not hashed yet.
CREATE TABLE ueba_chain (
  id smallint PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text
);
--> statement-breakpoint
INSERT INTO ueba_chain (id, seq, hash) SELECT 1, count(*), NULL FROM ueba_logs;
