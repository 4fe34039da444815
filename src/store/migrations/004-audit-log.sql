-- Append-only audit trail. Values that could be secret are never stored: only their digest.
CREATE TABLE audit_log (
  id       bigserial   PRIMARY KEY,
  org      text        NOT NULL,
  actor    text        NOT NULL,
  action   text        NOT NULL,
  resource jsonb,
  outcome  text        NOT NULL,
  digest   text,
  at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_org_at ON audit_log (org, at);

CREATE FUNCTION kradle_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION kradle_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION kradle_audit_log_append_only();
