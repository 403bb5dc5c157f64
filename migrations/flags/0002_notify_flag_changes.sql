-- Every committed change to a flag is pushed to every listening replica (LISTEN canary_flags):
-- the key, the new version and the definition, so a replica applies it without a round trip.
-- A trigger rather than a call in the application: a change made by hand in psql is pushed too.
-- NOTIFY is delivered at commit, and never for a rolled-back transaction.
CREATE FUNCTION canary_flags_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'canary_flags',
    json_build_object('flag', NEW.key, 'version', NEW.version, 'definition', NEW.definition)::text
  );
  RETURN NULL;
END
$$;

CREATE TRIGGER flags_changed
  AFTER INSERT OR UPDATE ON flags
  FOR EACH ROW EXECUTE FUNCTION canary_flags_notify();
