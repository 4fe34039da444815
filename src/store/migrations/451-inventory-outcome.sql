-- Each inventory row records the outcome of its object's last apply as the change set said it (reason:
-- Applied, PlanOnly, KindNotServed, ApplyFailed; message), instead of a Ready condition made up to carry it.
ALTER TABLE inventory ADD COLUMN IF NOT EXISTS reason text NOT NULL DEFAULT '';
ALTER TABLE inventory ADD COLUMN IF NOT EXISTS message text NOT NULL DEFAULT '';
