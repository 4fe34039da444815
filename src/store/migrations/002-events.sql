-- Every write appends one event in its own transaction. Writers take a transaction advisory lock before
-- allocating a seq, so seq order is commit order and a reader that resumes after seq N misses nothing.
CREATE TABLE events (
  seq              bigserial   PRIMARY KEY,
  org              text,
  type             text        NOT NULL,
  kind             text        NOT NULL,
  namespace        text,
  name             text        NOT NULL,
  resource_version bigint,
  actor            text,
  payload          jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_org_seq ON events (org, seq);
