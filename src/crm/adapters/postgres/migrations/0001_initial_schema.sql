-- The project's own tables and functions as the last release before migrations created them,
-- each written so that it leaves an existing one alone: a database of that release is adopted.

-- Customers' data keys and the identity (blind index) claims.
CREATE TABLE IF NOT EXISTS customer_data_keys (
    customer_id uuid PRIMARY KEY,
    wrapped_key bytea NOT NULL,
    master_key_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS identity_claims (
    claim text PRIMARY KEY,
    customer_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS identity_claims_customer ON identity_claims (customer_id);
CREATE INDEX IF NOT EXISTS customer_data_keys_master ON customer_data_keys (master_key_id);

-- Erasure requests and retention decisions.
CREATE TABLE IF NOT EXISTS erasure_requests (
    request_id uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    requested_by text NOT NULL,
    reason text NOT NULL,
    received_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    completed_at timestamptz,
    certificate jsonb
);
CREATE INDEX IF NOT EXISTS erasure_requests_open ON erasure_requests (due_at)
    WHERE completed_at IS NULL;
CREATE TABLE IF NOT EXISTS retention_decisions (
    id bigserial PRIMARY KEY,
    decided_at timestamptz NOT NULL,
    customer_id uuid NOT NULL,
    decision text NOT NULL,
    rule text NOT NULL,
    detail text NOT NULL
);

-- The access log: every read of a customer's personal data.
CREATE TABLE IF NOT EXISTS personal_data_access_log (
    id bigserial PRIMARY KEY,
    accessed_at timestamptz NOT NULL DEFAULT now(),
    user_name text NOT NULL,
    user_role text NOT NULL,
    customer_id uuid NOT NULL,
    endpoint text NOT NULL,
    reason text
);
CREATE INDEX IF NOT EXISTS personal_data_access_log_customer
    ON personal_data_access_log (customer_id, accessed_at);
CREATE INDEX IF NOT EXISTS personal_data_access_log_user
    ON personal_data_access_log (user_name, accessed_at);

-- The import log: each import's progress and its invalid rows.
CREATE TABLE IF NOT EXISTS crm_imports (
    import_id text PRIMARY KEY,
    source text NOT NULL,
    mapping text NOT NULL,
    status text NOT NULL,
    last_line bigint NOT NULL DEFAULT 0,
    rows bigint NOT NULL DEFAULT 0,
    recorded bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    invalid bigint NOT NULL DEFAULT 0,
    customers_created bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS crm_import_errors (
    import_id text NOT NULL REFERENCES crm_imports ON DELETE CASCADE,
    line bigint NOT NULL,
    field text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (import_id, line, field)
);

-- The event store's insert function (see crm.adapters.postgres.event_store.EventRecorder).
-- The events table it writes is the library's; PL/pgSQL resolves the name when the function
-- first runs, so the function may exist before the table does.
CREATE OR REPLACE FUNCTION "public"."crm_insert_events"(
    ids uuid[], versions bigint[], topics text[], states bytea[]
) RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$
BEGIN
    SET LOCAL lock_timeout = '5s';
    LOCK TABLE "public"."crm_events" IN EXCLUSIVE MODE;
    NOTIFY "crm_events";
    RETURN QUERY INSERT INTO "public"."crm_events"
        (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(ids, versions, topics, states)
        RETURNING notification_id;
END; $BODY$;

-- Which generation of each view is live.
CREATE TABLE IF NOT EXISTS projection_generations (
    view text NOT NULL,
    tag text NOT NULL,
    live boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (view, tag)
);
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_one_live
    ON projection_generations (view) WHERE live;

-- Segments: definitions, versions, exports and membership history.
CREATE TABLE IF NOT EXISTS segments (
    segment_id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE,
    version integer NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS segment_versions (
    segment_id uuid NOT NULL REFERENCES segments,
    version integer NOT NULL,
    rule jsonb NOT NULL,
    description text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, version)
);
CREATE TABLE IF NOT EXISTS segment_exports (
    export_id uuid PRIMARY KEY,
    segment_id uuid NOT NULL REFERENCES segments,
    version integer NOT NULL,
    purpose text NOT NULL,
    exported_by text NOT NULL,
    exported_role text NOT NULL,
    exported_at timestamptz NOT NULL DEFAULT now(),
    consent_checked_at timestamptz NOT NULL,
    row_count integer NOT NULL
);
CREATE INDEX IF NOT EXISTS segment_exports_at ON segment_exports (exported_at);
CREATE TABLE IF NOT EXISTS segment_snapshots (
    segment_id uuid NOT NULL REFERENCES segments,
    day date NOT NULL,
    version integer NOT NULL,
    size integer NOT NULL,
    entered integer NOT NULL,
    "left" integer NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, day)
);
CREATE TABLE IF NOT EXISTS segment_memberships (
    segment_id uuid NOT NULL REFERENCES segments,
    customer_id uuid NOT NULL,
    entered_on date NOT NULL,
    left_on date,
    PRIMARY KEY (segment_id, customer_id, entered_on)
);
CREATE INDEX IF NOT EXISTS segment_memberships_customer
    ON segment_memberships (customer_id, entered_on);
CREATE INDEX IF NOT EXISTS segment_memberships_open
    ON segment_memberships (segment_id, customer_id) WHERE left_on IS NULL;

-- Lifetime model fits and the newest fit's predictions.
CREATE TABLE IF NOT EXISTS lifetime_fits (
    fit_id bigserial PRIMARY KEY,
    fitted_at timestamptz NOT NULL DEFAULT now(),
    observation_end date NOT NULL,
    horizon_days double precision NOT NULL,
    n_customers integer NOT NULL, n_repeat_customers integer NOT NULL,
    parameters jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS lifetime_predictions (
    customer_id uuid NOT NULL,
    fit_id bigint NOT NULL REFERENCES lifetime_fits ON DELETE CASCADE,
    frequency integer NOT NULL, recency_days double precision NOT NULL,
    age_days double precision NOT NULL, monetary_value double precision NOT NULL,
    expected_purchases double precision NOT NULL,
    probability_alive double precision NOT NULL,
    expected_average_value double precision,
    expected_value double precision,
    PRIMARY KEY (customer_id, fit_id)
);

-- Users of the API and the web UI.
CREATE TABLE IF NOT EXISTS api_users (
    name text PRIMARY KEY,
    role text NOT NULL,
    token_hash text UNIQUE,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
