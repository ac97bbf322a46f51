-- Web sign-ins kept on the server, so that signing out, revoking a user and changing a
-- user's password or role end them at once. The cookie holds a random id; only its SHA-256
-- is stored. `session_number` is the public handle an administrator revokes one by.
CREATE TABLE web_sessions (
    session_number bigserial PRIMARY KEY,
    id_hash text NOT NULL UNIQUE,
    user_name text NOT NULL REFERENCES api_users (name),
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    end_reason text
);
CREATE INDEX web_sessions_open_by_user ON web_sessions (user_name) WHERE ended_at IS NULL;

-- Tokens for integrations (the web service, the chat service, the e-mail tool): named,
-- acting in a role but limited to the permissions they were given (a subset of the role's),
-- with an expiry and the time of last use. Only the token's SHA-256 is kept; the token
-- itself is shown once.
CREATE TABLE service_tokens (
    token_number bigserial PRIMARY KEY,
    name text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    role text NOT NULL,
    permissions text[] NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);
