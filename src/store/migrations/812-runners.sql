-- §12 runners of a RunnerPool (owned by src/runners/): each runner's status and the Job record it runs.
-- A Job record is held by at most one runner (the partial unique index), and a runner holds at most one Job.
CREATE TABLE IF NOT EXISTS kradle_runners (
  org         text NOT NULL,
  pool        text NOT NULL,
  name        text NOT NULL,
  status      text NOT NULL DEFAULT 'Idle' CHECK (status IN ('Idle', 'Running', 'Terminating')),
  job         text,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, pool, name),
  CHECK ((status = 'Running') = (job IS NOT NULL) OR status = 'Terminating')
);
CREATE UNIQUE INDEX IF NOT EXISTS kradle_runners_one_per_job ON kradle_runners (org, job) WHERE job IS NOT NULL;
