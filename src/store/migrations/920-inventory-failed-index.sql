-- The entries of objects that failed to apply, apart: a failed pass reads them to tell each org what failed,
-- and should not scan every applied object to find the few that did.
CREATE INDEX inventory_sync_failed ON inventory (org) WHERE sync_status = 'SyncFailed';
