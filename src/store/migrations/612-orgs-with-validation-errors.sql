-- Orgs whose files held errors at the last refused revision (owned by src/reconcile/sync/resource-events.ts):
-- the next good pass tells each of them that its configuration loads again, even when none of its resources
-- changed, so a dashboard showing the errors can clear them.
CREATE TABLE IF NOT EXISTS orgs_with_validation_errors (
  org       text PRIMARY KEY,
  revision  text NOT NULL
);
