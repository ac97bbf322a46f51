-- Access-log reasons: a code from a fixed vocabulary in clear, free text sealed with the
-- customer's data key (erasure shreds it). The clear `reason` column is no longer written.
ALTER TABLE personal_data_access_log ADD COLUMN IF NOT EXISTS reason_code text;
ALTER TABLE personal_data_access_log ADD COLUMN IF NOT EXISTS reason_sealed bytea;
CREATE INDEX IF NOT EXISTS personal_data_access_log_time
    ON personal_data_access_log (accessed_at);

-- The DPO's requests (erasure, access, rectification, restriction, objection) in the erasure
-- request table: received on arrival, handled later. Text the DPO types is sealed with the
-- customer's data key; the clear `reason` column is no longer written.
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'erasure';
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS channel text NOT NULL DEFAULT 'other';
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS identity_check text NOT NULL
    DEFAULT 'not_recorded';
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS handled_by text;
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS details_sealed bytea;
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS extended_at timestamptz;
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS extension_sealed bytea;
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS refused_at timestamptz;
ALTER TABLE erasure_requests ADD COLUMN IF NOT EXISTS refusal_sealed bytea;
ALTER TABLE erasure_requests ALTER COLUMN reason DROP NOT NULL;
