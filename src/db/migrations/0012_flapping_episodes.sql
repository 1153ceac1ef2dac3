-- An episode that keeps opening and resolving is flagged for staff instead of being re-notified:
-- it stays open through short recoveries, and the flag says why it was not told to the owner.
ALTER TABLE anomaly_events ADD COLUMN flapping boolean NOT NULL DEFAULT false;
