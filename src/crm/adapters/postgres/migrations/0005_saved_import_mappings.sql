-- Column mappings for exports the import does not recognise, saved under a name by the
-- people who import them (column headers and field names; no customer data).
CREATE TABLE IF NOT EXISTS import_mappings (
    name text PRIMARY KEY,
    kind text NOT NULL,
    columns jsonb NOT NULL,
    defaults jsonb NOT NULL DEFAULT '{}'::jsonb,
    saved_by text NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now()
);
