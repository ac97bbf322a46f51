--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: stored_event_uuid; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.stored_event_uuid AS (
	originator_id uuid,
	originator_version bigint,
	topic text,
	state bytea
);


--
-- Name: crm_insert_events(uuid[], bigint[], text[], bytea[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.crm_insert_events(ids uuid[], versions bigint[], topics text[], states bytea[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $$ BEGIN  SET LOCAL lock_timeout = '5s';  LOCK TABLE "public"."crm_events" IN EXCLUSIVE MODE;  NOTIFY "crm_events";  RETURN QUERY INSERT INTO "public"."crm_events"   (originator_id, originator_version, topic, state)   SELECT * FROM unnest(ids, versions, topics, states)   RETURNING notification_id; END; $$;


--
-- Name: es_insert_events_uuid(public.stored_event_uuid[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.es_insert_events_uuid(events public.stored_event_uuid[]) RETURNS SETOF bigint
    LANGUAGE plpgsql
    AS $$BEGIN    SET LOCAL lock_timeout = '5s';    NOTIFY "crm_events";    RETURN QUERY    INSERT INTO "public"."crm_events" AS t (    originator_id, originator_version, topic, state)    SELECT originator_id, originator_version, topic, state    FROM unnest(events)    RETURNING notification_id;END;$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_users (
    name text NOT NULL,
    role text NOT NULL,
    token_hash text,
    password_hash text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: consents_v1r0_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consents_v1r0_changes (
    customer_id uuid NOT NULL,
    purpose text NOT NULL,
    "position" bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    change text NOT NULL,
    lawful_basis text,
    evidence text,
    channel text NOT NULL,
    institution text NOT NULL,
    recorded_by text NOT NULL
);


--
-- Name: consents_v1r0_erased; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consents_v1r0_erased (
    customer_id uuid NOT NULL
);


--
-- Name: consents_v1r0_intervals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consents_v1r0_intervals (
    customer_id uuid NOT NULL,
    purpose text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone,
    lawful_basis text NOT NULL,
    evidence text NOT NULL,
    channel text NOT NULL,
    institution text NOT NULL,
    given_at_position bigint NOT NULL,
    ended_by text
);


--
-- Name: consents_v1r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consents_v1r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: crm_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.crm_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigint NOT NULL
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: crm_events_notification_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.crm_events_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: crm_events_notification_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.crm_events_notification_id_seq OWNED BY public.crm_events.notification_id;


--
-- Name: crm_import_errors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.crm_import_errors (
    import_id text NOT NULL,
    line bigint NOT NULL,
    field text NOT NULL,
    reason text NOT NULL
);


--
-- Name: crm_imports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.crm_imports (
    import_id text NOT NULL,
    source text NOT NULL,
    mapping text NOT NULL,
    status text NOT NULL,
    last_line bigint DEFAULT 0 NOT NULL,
    rows bigint DEFAULT 0 NOT NULL,
    recorded bigint DEFAULT 0 NOT NULL,
    duplicates bigint DEFAULT 0 NOT NULL,
    invalid bigint DEFAULT 0 NOT NULL,
    customers_created bigint DEFAULT 0 NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: crm_snapshots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.crm_snapshots (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: customer_data_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customer_data_keys (
    customer_id uuid NOT NULL,
    wrapped_key bytea NOT NULL,
    master_key_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: directory_v1r0_customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.directory_v1r0_customers (
    customer_id uuid NOT NULL,
    kind text NOT NULL,
    customer_type text NOT NULL,
    name text,
    email text,
    phone text,
    sector text,
    account_manager text,
    institution text NOT NULL,
    first_seen timestamp with time zone NOT NULL,
    erased boolean DEFAULT false NOT NULL
);


--
-- Name: directory_v1r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.directory_v1r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: erasure_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.erasure_requests (
    request_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    requested_by text NOT NULL,
    reason text NOT NULL,
    received_at timestamp with time zone NOT NULL,
    due_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    certificate jsonb
);


--
-- Name: funnel_v1r0_leads; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.funnel_v1r0_leads (
    customer_id uuid NOT NULL,
    lead_id text NOT NULL,
    source_channel text,
    target_group text,
    institution text,
    captured_at timestamp with time zone,
    qualified_at timestamp with time zone,
    converted_at timestamp with time zone,
    lost_at timestamp with time zone,
    erased boolean
);


--
-- Name: funnel_v1r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.funnel_v1r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: identity_claims; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.identity_claims (
    claim text NOT NULL,
    customer_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: indicators_v2r0_customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.indicators_v2r0_customers (
    customer_id uuid NOT NULL,
    kind text,
    customer_type text,
    sector text,
    institution text,
    account_manager text,
    erased boolean,
    first_seen timestamp with time zone,
    last_activity timestamp with time zone,
    revenue numeric,
    purchase_count integer,
    first_purchase timestamp with time zone,
    second_purchase timestamp with time zone,
    last_purchase timestamp with time zone,
    events_attended integer,
    webinars_attended integer,
    webinars_registered integer,
    feedback_count integer,
    feedback_sum integer,
    last_feedback_at timestamp with time zone,
    last_feedback_score integer,
    first_lead_at timestamp with time zone,
    membership_changed_at timestamp with time zone,
    membership_active boolean,
    partner_since timestamp with time zone,
    last_annual_review timestamp with time zone
);


--
-- Name: indicators_v2r0_engagement; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.indicators_v2r0_engagement (
    customer_id uuid NOT NULL,
    kind text NOT NULL,
    decayed_sum numeric NOT NULL
);


--
-- Name: indicators_v2r0_purchases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.indicators_v2r0_purchases (
    customer_id uuid NOT NULL,
    purchase_id text NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    institution text NOT NULL,
    offering_type text NOT NULL,
    amount numeric NOT NULL,
    refunded numeric DEFAULT 0 NOT NULL
);


--
-- Name: indicators_v2r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.indicators_v2r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: organisations_v1r0_affiliations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organisations_v1r0_affiliations (
    person_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    changed_at timestamp with time zone,
    active boolean,
    started_at timestamp with time zone,
    ended_at timestamp with time zone,
    person_erased boolean DEFAULT false NOT NULL
);


--
-- Name: organisations_v1r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organisations_v1r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: personal_data_access_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.personal_data_access_log (
    id bigint NOT NULL,
    accessed_at timestamp with time zone DEFAULT now() NOT NULL,
    user_name text NOT NULL,
    user_role text NOT NULL,
    customer_id uuid NOT NULL,
    endpoint text NOT NULL,
    reason text
);


--
-- Name: personal_data_access_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.personal_data_access_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: personal_data_access_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.personal_data_access_log_id_seq OWNED BY public.personal_data_access_log.id;


--
-- Name: projection_generations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.projection_generations (
    view text NOT NULL,
    tag text NOT NULL,
    live boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: restrictions_v1r0_customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.restrictions_v1r0_customers (
    customer_id uuid NOT NULL,
    restricted boolean NOT NULL,
    "position" bigint NOT NULL,
    changed_at timestamp with time zone NOT NULL
);


--
-- Name: restrictions_v1r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.restrictions_v1r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: retention_decisions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.retention_decisions (
    id bigint NOT NULL,
    decided_at timestamp with time zone NOT NULL,
    customer_id uuid NOT NULL,
    decision text NOT NULL,
    rule text NOT NULL,
    detail text NOT NULL
);


--
-- Name: retention_decisions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.retention_decisions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: retention_decisions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.retention_decisions_id_seq OWNED BY public.retention_decisions.id;


--
-- Name: segment_exports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_exports (
    export_id uuid NOT NULL,
    segment_id uuid NOT NULL,
    version integer NOT NULL,
    purpose text NOT NULL,
    exported_by text NOT NULL,
    exported_role text NOT NULL,
    exported_at timestamp with time zone DEFAULT now() NOT NULL,
    consent_checked_at timestamp with time zone NOT NULL,
    row_count integer NOT NULL
);


--
-- Name: segment_memberships; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_memberships (
    segment_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    entered_on date NOT NULL,
    left_on date
);


--
-- Name: segment_snapshots; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_snapshots (
    segment_id uuid NOT NULL,
    day date NOT NULL,
    version integer NOT NULL,
    size integer NOT NULL,
    entered integer NOT NULL,
    "left" integer NOT NULL,
    taken_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: segment_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_versions (
    segment_id uuid NOT NULL,
    version integer NOT NULL,
    rule jsonb NOT NULL,
    description text,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: segments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segments (
    segment_id uuid NOT NULL,
    name text NOT NULL,
    version integer NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: timeline_v2r0_entries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.timeline_v2r0_entries (
    customer_id uuid NOT NULL,
    version integer NOT NULL,
    "position" bigint NOT NULL,
    kind text NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    institution text NOT NULL,
    channel text NOT NULL,
    recorded_by text NOT NULL,
    details jsonb NOT NULL,
    personal jsonb
);


--
-- Name: timeline_v2r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.timeline_v2r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: touchpoint_index_v1r0_touchpoints; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.touchpoint_index_v1r0_touchpoints (
    customer_id uuid NOT NULL,
    version integer NOT NULL,
    kind text NOT NULL,
    occurred_at timestamp with time zone NOT NULL
);


--
-- Name: touchpoint_index_v1r0_tracking; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.touchpoint_index_v1r0_tracking (
    application_name text NOT NULL,
    notification_id bigint
)
WITH (autovacuum_enabled='true', autovacuum_vacuum_threshold='100000000', autovacuum_vacuum_scale_factor='0.5', autovacuum_analyze_threshold='1000', autovacuum_analyze_scale_factor='0.01');


--
-- Name: crm_events notification_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crm_events ALTER COLUMN notification_id SET DEFAULT nextval('public.crm_events_notification_id_seq'::regclass);


--
-- Name: personal_data_access_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personal_data_access_log ALTER COLUMN id SET DEFAULT nextval('public.personal_data_access_log_id_seq'::regclass);


--
-- Name: retention_decisions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.retention_decisions ALTER COLUMN id SET DEFAULT nextval('public.retention_decisions_id_seq'::regclass);


--
-- Data for Name: api_users; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: consents_v1r0_changes; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: consents_v1r0_erased; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: consents_v1r0_intervals; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: consents_v1r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.consents_v1r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.consents_v1r0_tracking VALUES ('crm', 2);


--
-- Data for Name: crm_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.crm_events VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 1, 'crm.events:Registered', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30315432323a31393a32302e3433353633342b30303a3030227d2c226f726967696e61746f725f746f706963223a2263726d2e637573746f6d65723a437573746f6d6572222c226f636375727265645f6174223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032352d30332d30345431303a30303a30302b30303a3030227d2c22696e737469747574696f6e223a2254414d4b222c226368616e6e656c223a22636f6d70616e795f7669736974222c227265636f726465645f6279223a22616e6e612e616d222c226964656d706f74656e63795f6b6579223a2270726576696f75732d72656c656173652d726567697374726174696f6e222c22637573746f6d65725f6b696e64223a22706572736f6e222c22637573746f6d65725f74797065223a22696e646976696475616c222c22736563746f72223a6e756c6c2c226163636f756e745f6d616e61676572223a6e756c6c2c22706572736f6e616c223a223877456c61705363774850777139476c6957594c6f39445544466263345770537146505668435654395962382f506d6659723577574d786832645a7961503549476e4b3444746e306e37774139636c6d6737696d305231455a4f565351565050705537484c4c2b6271596e2f3750513d227d', 1);
INSERT INTO public.crm_events VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 2, 'crm.events:CompanyVisited', '\x7b2274696d657374616d70223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032362d31322d30315432323a31393a32302e3435343438332b30303a3030227d2c226f636375727265645f6174223a7b225f747970655f223a226461746574696d655f69736f222c225f646174615f223a22323032352d30332d30345431303a30303a30302b30303a3030227d2c22696e737469747574696f6e223a2254414d4b222c226368616e6e656c223a22636f6d70616e795f7669736974222c227265636f726465645f6279223a22616e6e612e616d222c226964656d706f74656e63795f6b6579223a2270726576696f75732d72656c656173652d7669736974222c22706572736f6e616c223a22575a7a4a577557707a657537366b4f5161484b4f5257357a4165387a6e654b33784c72677a6c7271516139415a4168417258477a3258396d53676e4e465a33666575777578713459385534356c74485451486d58494a753176634843484d573839316f734357617343664d39496c63417973334b705966517a6c314a502b796c476d5a45227d', 2);


--
-- Data for Name: crm_import_errors; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: crm_imports; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: crm_snapshots; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: customer_data_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.customer_data_keys VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', '\xcf20b785db2cb6b82e16dbecda14087f177d8db4f80dde34f1173e07b413053e9a3492d59c230997dc226a0a44e9a0baac317be1eab9500c3f0755bc', '5193cc88e9abeb29', '2026-12-01 22:19:20.438489+00');


--
-- Data for Name: directory_v1r0_customers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.directory_v1r0_customers VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 'person', 'individual', 'Aino Aiempi', 'aino.aiempi@example.fi', NULL, NULL, NULL, 'TAMK', '2025-03-04 10:00:00+00', false);


--
-- Data for Name: directory_v1r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.directory_v1r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.directory_v1r0_tracking VALUES ('crm', 2);


--
-- Data for Name: erasure_requests; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: funnel_v1r0_leads; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: funnel_v1r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.funnel_v1r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.funnel_v1r0_tracking VALUES ('crm', 2);


--
-- Data for Name: identity_claims; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.identity_claims VALUES ('registration:previous-release-registration', '13316655-912a-4bbb-ad10-645d8ebc9f63', '2026-12-01 22:19:20.432021+00');
INSERT INTO public.identity_claims VALUES ('email:40c5e8b3c790a95e79923daeb58204d552fe378ff7b3af9ba4cab853f610dd0a', '13316655-912a-4bbb-ad10-645d8ebc9f63', '2026-12-01 22:19:20.432021+00');


--
-- Data for Name: indicators_v2r0_customers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.indicators_v2r0_customers VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 'person', 'individual', NULL, 'TAMK', NULL, false, '2025-03-04 10:00:00+00', '2025-03-04 10:00:00+00', 0, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL);


--
-- Data for Name: indicators_v2r0_engagement; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.indicators_v2r0_engagement VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 'company_visited', 2087751.4241145467);


--
-- Data for Name: indicators_v2r0_purchases; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: indicators_v2r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.indicators_v2r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.indicators_v2r0_tracking VALUES ('crm', 2);


--
-- Data for Name: organisations_v1r0_affiliations; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: organisations_v1r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.organisations_v1r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.organisations_v1r0_tracking VALUES ('crm', 2);


--
-- Data for Name: personal_data_access_log; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: projection_generations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.projection_generations VALUES ('directory', 'v1r0', true, '2026-12-01 22:19:20.124575+00');
INSERT INTO public.projection_generations VALUES ('timeline', 'v2r0', true, '2026-12-01 22:19:20.176382+00');
INSERT INTO public.projection_generations VALUES ('indicators', 'v2r0', true, '2026-12-01 22:19:20.208581+00');
INSERT INTO public.projection_generations VALUES ('consents', 'v1r0', true, '2026-12-01 22:19:20.234137+00');
INSERT INTO public.projection_generations VALUES ('funnel', 'v1r0', true, '2026-12-01 22:19:20.257111+00');
INSERT INTO public.projection_generations VALUES ('organisations', 'v1r0', true, '2026-12-01 22:19:20.281041+00');
INSERT INTO public.projection_generations VALUES ('restrictions', 'v1r0', true, '2026-12-01 22:19:20.340236+00');
INSERT INTO public.projection_generations VALUES ('touchpoint_index', 'v1r0', true, '2026-12-01 22:19:20.366634+00');


--
-- Data for Name: restrictions_v1r0_customers; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: restrictions_v1r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.restrictions_v1r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.restrictions_v1r0_tracking VALUES ('crm', 2);


--
-- Data for Name: retention_decisions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: segment_exports; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: segment_memberships; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: segment_snapshots; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: segment_versions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: segments; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: timeline_v2r0_entries; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.timeline_v2r0_entries VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 1, 1, 'registered', '2025-03-04 10:00:00+00', '2026-12-01 22:19:20.435634+00', 'TAMK', 'company_visit', 'anna.am', '{"sector": null, "customer_kind": "person", "customer_type": "individual", "account_manager": null}', '{"personal": "8wElapScwHPwq9GliWYLo9DUDFbc4WpSqFPVhCVT9Yb8/PmfYr5wWMxh2dZyaP5IGnK4Dtn0n7wA9clmg7im0R1EZOVSQVPPpU7HLL+bqYn/7PQ="}');
INSERT INTO public.timeline_v2r0_entries VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 2, 2, 'company_visited', '2025-03-04 10:00:00+00', '2026-12-01 22:19:20.454483+00', 'TAMK', 'company_visit', 'anna.am', '{}', '{"personal": "WZzJWuWpzeu76kOQaHKORW5zAe8zneK3xLrgzlrqQa9AZAhArXGz2X9mSgnNFZ3feuwuxq4Y8U45ltHTQHmXIJu1vcHCHMW891osCWasCfM9IlcAys3KpYfQzl1JP+ylGmZE"}');


--
-- Data for Name: timeline_v2r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.timeline_v2r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.timeline_v2r0_tracking VALUES ('crm', 2);


--
-- Data for Name: touchpoint_index_v1r0_touchpoints; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.touchpoint_index_v1r0_touchpoints VALUES ('13316655-912a-4bbb-ad10-645d8ebc9f63', 2, 'company_visited', '2025-03-04 10:00:00+00');


--
-- Data for Name: touchpoint_index_v1r0_tracking; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.touchpoint_index_v1r0_tracking VALUES ('__migration__', 1);
INSERT INTO public.touchpoint_index_v1r0_tracking VALUES ('crm', 2);


--
-- Name: crm_events_notification_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.crm_events_notification_id_seq', 2, true);


--
-- Name: personal_data_access_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.personal_data_access_log_id_seq', 1, false);


--
-- Name: retention_decisions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.retention_decisions_id_seq', 1, false);


--
-- Name: api_users api_users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_users
    ADD CONSTRAINT api_users_pkey PRIMARY KEY (name);


--
-- Name: api_users api_users_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_users
    ADD CONSTRAINT api_users_token_hash_key UNIQUE (token_hash);


--
-- Name: consents_v1r0_changes consents_v1r0_changes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents_v1r0_changes
    ADD CONSTRAINT consents_v1r0_changes_pkey PRIMARY KEY (customer_id, purpose, "position");


--
-- Name: consents_v1r0_erased consents_v1r0_erased_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents_v1r0_erased
    ADD CONSTRAINT consents_v1r0_erased_pkey PRIMARY KEY (customer_id);


--
-- Name: consents_v1r0_intervals consents_v1r0_intervals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents_v1r0_intervals
    ADD CONSTRAINT consents_v1r0_intervals_pkey PRIMARY KEY (customer_id, purpose, given_at_position);


--
-- Name: consents_v1r0_tracking consents_v1r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents_v1r0_tracking
    ADD CONSTRAINT consents_v1r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: crm_events crm_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crm_events
    ADD CONSTRAINT crm_events_pkey PRIMARY KEY (originator_id, originator_version);


--
-- Name: crm_import_errors crm_import_errors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crm_import_errors
    ADD CONSTRAINT crm_import_errors_pkey PRIMARY KEY (import_id, line, field);


--
-- Name: crm_imports crm_imports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crm_imports
    ADD CONSTRAINT crm_imports_pkey PRIMARY KEY (import_id);


--
-- Name: crm_snapshots crm_snapshots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crm_snapshots
    ADD CONSTRAINT crm_snapshots_pkey PRIMARY KEY (originator_id, originator_version);


--
-- Name: customer_data_keys customer_data_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer_data_keys
    ADD CONSTRAINT customer_data_keys_pkey PRIMARY KEY (customer_id);


--
-- Name: directory_v1r0_customers directory_v1r0_customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_v1r0_customers
    ADD CONSTRAINT directory_v1r0_customers_pkey PRIMARY KEY (customer_id);


--
-- Name: directory_v1r0_tracking directory_v1r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_v1r0_tracking
    ADD CONSTRAINT directory_v1r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: erasure_requests erasure_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.erasure_requests
    ADD CONSTRAINT erasure_requests_pkey PRIMARY KEY (request_id);


--
-- Name: funnel_v1r0_leads funnel_v1r0_leads_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.funnel_v1r0_leads
    ADD CONSTRAINT funnel_v1r0_leads_pkey PRIMARY KEY (customer_id, lead_id);


--
-- Name: funnel_v1r0_tracking funnel_v1r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.funnel_v1r0_tracking
    ADD CONSTRAINT funnel_v1r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: identity_claims identity_claims_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.identity_claims
    ADD CONSTRAINT identity_claims_pkey PRIMARY KEY (claim);


--
-- Name: indicators_v2r0_customers indicators_v2r0_customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.indicators_v2r0_customers
    ADD CONSTRAINT indicators_v2r0_customers_pkey PRIMARY KEY (customer_id);


--
-- Name: indicators_v2r0_engagement indicators_v2r0_engagement_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.indicators_v2r0_engagement
    ADD CONSTRAINT indicators_v2r0_engagement_pkey PRIMARY KEY (customer_id, kind);


--
-- Name: indicators_v2r0_purchases indicators_v2r0_purchases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.indicators_v2r0_purchases
    ADD CONSTRAINT indicators_v2r0_purchases_pkey PRIMARY KEY (customer_id, purchase_id);


--
-- Name: indicators_v2r0_tracking indicators_v2r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.indicators_v2r0_tracking
    ADD CONSTRAINT indicators_v2r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: organisations_v1r0_affiliations organisations_v1r0_affiliations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organisations_v1r0_affiliations
    ADD CONSTRAINT organisations_v1r0_affiliations_pkey PRIMARY KEY (organisation_id, person_id);


--
-- Name: organisations_v1r0_tracking organisations_v1r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organisations_v1r0_tracking
    ADD CONSTRAINT organisations_v1r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: personal_data_access_log personal_data_access_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.personal_data_access_log
    ADD CONSTRAINT personal_data_access_log_pkey PRIMARY KEY (id);


--
-- Name: projection_generations projection_generations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projection_generations
    ADD CONSTRAINT projection_generations_pkey PRIMARY KEY (view, tag);


--
-- Name: restrictions_v1r0_customers restrictions_v1r0_customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restrictions_v1r0_customers
    ADD CONSTRAINT restrictions_v1r0_customers_pkey PRIMARY KEY (customer_id);


--
-- Name: restrictions_v1r0_tracking restrictions_v1r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.restrictions_v1r0_tracking
    ADD CONSTRAINT restrictions_v1r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: retention_decisions retention_decisions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.retention_decisions
    ADD CONSTRAINT retention_decisions_pkey PRIMARY KEY (id);


--
-- Name: segment_exports segment_exports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_exports
    ADD CONSTRAINT segment_exports_pkey PRIMARY KEY (export_id);


--
-- Name: segment_memberships segment_memberships_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_memberships
    ADD CONSTRAINT segment_memberships_pkey PRIMARY KEY (segment_id, customer_id, entered_on);


--
-- Name: segment_snapshots segment_snapshots_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_snapshots
    ADD CONSTRAINT segment_snapshots_pkey PRIMARY KEY (segment_id, day);


--
-- Name: segment_versions segment_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_versions
    ADD CONSTRAINT segment_versions_pkey PRIMARY KEY (segment_id, version);


--
-- Name: segments segments_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segments
    ADD CONSTRAINT segments_name_key UNIQUE (name);


--
-- Name: segments segments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segments
    ADD CONSTRAINT segments_pkey PRIMARY KEY (segment_id);


--
-- Name: timeline_v2r0_entries timeline_v2r0_entries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.timeline_v2r0_entries
    ADD CONSTRAINT timeline_v2r0_entries_pkey PRIMARY KEY (customer_id, version);


--
-- Name: timeline_v2r0_tracking timeline_v2r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.timeline_v2r0_tracking
    ADD CONSTRAINT timeline_v2r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: touchpoint_index_v1r0_touchpoints touchpoint_index_v1r0_touchpoints_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.touchpoint_index_v1r0_touchpoints
    ADD CONSTRAINT touchpoint_index_v1r0_touchpoints_pkey PRIMARY KEY (customer_id, version);


--
-- Name: touchpoint_index_v1r0_tracking touchpoint_index_v1r0_tracking_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.touchpoint_index_v1r0_tracking
    ADD CONSTRAINT touchpoint_index_v1r0_tracking_pkey PRIMARY KEY (application_name);


--
-- Name: consents_v1r0_intervals_by_purpose; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX consents_v1r0_intervals_by_purpose ON public.consents_v1r0_intervals USING btree (purpose, valid_from) INCLUDE (valid_to, customer_id);


--
-- Name: consents_v1r0_intervals_validity; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX consents_v1r0_intervals_validity ON public.consents_v1r0_intervals USING btree (customer_id, purpose, valid_from);


--
-- Name: crm_events_notification_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX crm_events_notification_id_idx ON public.crm_events USING btree (notification_id);


--
-- Name: customer_data_keys_master; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX customer_data_keys_master ON public.customer_data_keys USING btree (master_key_id);


--
-- Name: directory_v1r0_customers_manager; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX directory_v1r0_customers_manager ON public.directory_v1r0_customers USING btree (account_manager);


--
-- Name: directory_v1r0_customers_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX directory_v1r0_customers_name ON public.directory_v1r0_customers USING btree (lower(name) text_pattern_ops);


--
-- Name: erasure_requests_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX erasure_requests_open ON public.erasure_requests USING btree (due_at) WHERE (completed_at IS NULL);


--
-- Name: identity_claims_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX identity_claims_customer ON public.identity_claims USING btree (customer_id);


--
-- Name: indicators_v2r0_customers_last_purchase; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX indicators_v2r0_customers_last_purchase ON public.indicators_v2r0_customers USING btree (last_purchase);


--
-- Name: indicators_v2r0_customers_manager; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX indicators_v2r0_customers_manager ON public.indicators_v2r0_customers USING btree (account_manager);


--
-- Name: organisations_v1r0_affiliations_person; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organisations_v1r0_affiliations_person ON public.organisations_v1r0_affiliations USING btree (person_id);


--
-- Name: personal_data_access_log_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX personal_data_access_log_customer ON public.personal_data_access_log USING btree (customer_id, accessed_at);


--
-- Name: personal_data_access_log_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX personal_data_access_log_user ON public.personal_data_access_log USING btree (user_name, accessed_at);


--
-- Name: projection_generations_one_live; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX projection_generations_one_live ON public.projection_generations USING btree (view) WHERE live;


--
-- Name: restrictions_v1r0_customers_restricted; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX restrictions_v1r0_customers_restricted ON public.restrictions_v1r0_customers USING btree (customer_id) WHERE restricted;


--
-- Name: segment_exports_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX segment_exports_at ON public.segment_exports USING btree (exported_at);


--
-- Name: segment_memberships_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX segment_memberships_customer ON public.segment_memberships USING btree (customer_id, entered_on);


--
-- Name: segment_memberships_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX segment_memberships_open ON public.segment_memberships USING btree (segment_id, customer_id) WHERE (left_on IS NULL);


--
-- Name: timeline_v2r0_entries_by_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX timeline_v2r0_entries_by_time ON public.timeline_v2r0_entries USING btree (customer_id, occurred_at, version);


--
-- Name: touchpoint_index_v1r0_touchpoints_by_kind; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX touchpoint_index_v1r0_touchpoints_by_kind ON public.touchpoint_index_v1r0_touchpoints USING btree (kind, occurred_at, customer_id);


--
-- Name: crm_import_errors crm_import_errors_import_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.crm_import_errors
    ADD CONSTRAINT crm_import_errors_import_id_fkey FOREIGN KEY (import_id) REFERENCES public.crm_imports(import_id) ON DELETE CASCADE;


--
-- Name: segment_exports segment_exports_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_exports
    ADD CONSTRAINT segment_exports_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(segment_id);


--
-- Name: segment_memberships segment_memberships_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_memberships
    ADD CONSTRAINT segment_memberships_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(segment_id);


--
-- Name: segment_snapshots segment_snapshots_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_snapshots
    ADD CONSTRAINT segment_snapshots_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(segment_id);


--
-- Name: segment_versions segment_versions_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_versions
    ADD CONSTRAINT segment_versions_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(segment_id);


--
-- PostgreSQL database dump complete
--


