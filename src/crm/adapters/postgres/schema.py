"""The write side's own tables."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

SCHEMA = """
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
"""


def create_schema(pool: ConnectionPool) -> None:
    """Create the write side's own tables if they are missing."""
    # Several processes may start at once; serialise the DDL.
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('asiakassilma-schema'))")
        conn.execute(SCHEMA)
