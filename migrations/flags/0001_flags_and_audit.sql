-- The flag store on PostgreSQL (docs/flags.md, "Flags in PostgreSQL").
-- One row per flag: its flagd-format definition (variants, defaultVariant, targeting, and the
-- rollout spec in metadata, exactly as in the flag file) and a version that every write bumps.
-- Writers compare-and-set on the version, so two writers never lose each other's change.
CREATE TABLE flags (
  key        text PRIMARY KEY CHECK (key ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  definition jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  version    bigint NOT NULL CHECK (version >= 1),
  updated_at timestamptz NOT NULL
);

-- The audit log: one row per change, written in the same transaction as the change itself.
-- version is the flag version the change produced (null for entries imported from a flag file's
-- audit log, which had no versions).
CREATE TABLE flag_audit (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL,
  flag     text NOT NULL,
  version  bigint,
  actor    text NOT NULL,
  reason   text NOT NULL,
  before   jsonb,
  after    jsonb NOT NULL,
  context  jsonb,
  recovery jsonb
);
CREATE INDEX flag_audit_by_flag ON flag_audit (flag, id);
