-- The same database made by release 0.1.0 on PostgreSQL 15:
-- `pg_dump --inserts --no-owner --no-privileges` (psql meta-commands and comments removed).

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

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public.anchors (
    device character varying(32) NOT NULL,
    boot character varying(64) NOT NULL,
    mono double precision NOT NULL,
    at_ms bigint NOT NULL
);

CREATE TABLE public.api_tokens (
    id bigint NOT NULL,
    name character varying(64) NOT NULL,
    digest character varying(64) NOT NULL,
    created_ms bigint NOT NULL,
    created_by text NOT NULL,
    active boolean NOT NULL
);

CREATE SEQUENCE public.api_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.api_tokens_id_seq OWNED BY public.api_tokens.id;

CREATE TABLE public.audit (
    id bigint NOT NULL,
    at_ms bigint NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    entity text NOT NULL,
    key text NOT NULL,
    before text,
    after text
);

CREATE SEQUENCE public.audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.audit_id_seq OWNED BY public.audit.id;

CREATE TABLE public.corrections (
    id bigint NOT NULL,
    device character varying(32) NOT NULL,
    seq bigint NOT NULL,
    action text NOT NULL,
    reason text NOT NULL,
    actor text NOT NULL,
    at_ms bigint NOT NULL
);

CREATE SEQUENCE public.corrections_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.corrections_id_seq OWNED BY public.corrections.id;

CREATE TABLE public.counters (
    code character varying(64) NOT NULL,
    name text NOT NULL,
    field character varying(64)
);

CREATE TABLE public.device_counters (
    device character varying(32) NOT NULL,
    counter character varying(64) NOT NULL
);

CREATE TABLE public.devices (
    device character varying(32) NOT NULL,
    acked_upto bigint NOT NULL,
    first_seen_ms bigint,
    last_seen_ms bigint,
    state character varying(8),
    state_session bigint,
    state_since_ms bigint,
    health text,
    config text
);

CREATE TABLE public.dossier_counts (
    field character varying(64) NOT NULL,
    month character varying(7) NOT NULL,
    resolved integer NOT NULL,
    updated_ms bigint
);

CREATE TABLE public.duty (
    id bigint NOT NULL,
    counter character varying(64) NOT NULL,
    official character varying(64) NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint
);

CREATE SEQUENCE public.duty_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.duty_id_seq OWNED BY public.duty.id;

CREATE TABLE public.fields (
    code character varying(64) NOT NULL,
    name text NOT NULL,
    active boolean DEFAULT true NOT NULL
);

CREATE TABLE public.login_attempts (
    id bigint NOT NULL,
    at_ms bigint NOT NULL,
    username character varying(64) NOT NULL,
    address character varying(64) NOT NULL
);

CREATE SEQUENCE public.login_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.login_attempts_id_seq OWNED BY public.login_attempts.id;

CREATE TABLE public.officials (
    code character varying(64) NOT NULL,
    name text NOT NULL,
    active boolean DEFAULT true NOT NULL
);

CREATE TABLE public.presses (
    id bigint NOT NULL,
    device character varying(32) NOT NULL,
    seq bigint NOT NULL,
    rating smallint NOT NULL,
    reason smallint,
    ts character varying(40) NOT NULL,
    at_ms bigint NOT NULL,
    synced boolean NOT NULL,
    redated boolean NOT NULL,
    boot character varying(64) NOT NULL,
    mono double precision NOT NULL,
    counter character varying(64),
    official character varying(64),
    field character varying(64),
    dossier character varying(64),
    mode character varying(8) NOT NULL,
    received_ms bigint NOT NULL,
    payload bytea NOT NULL,
    sig character varying(64)
);

CREATE SEQUENCE public.presses_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.presses_id_seq OWNED BY public.presses.id;

CREATE TABLE public.quarantine (
    id bigint NOT NULL,
    received_ms bigint NOT NULL,
    topic text NOT NULL,
    device character varying(32),
    seq bigint,
    kind character varying(16) NOT NULL,
    reason text NOT NULL,
    payload bytea NOT NULL,
    sig text
);

CREATE SEQUENCE public.quarantine_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.quarantine_id_seq OWNED BY public.quarantine.id;

CREATE TABLE public.remarks (
    period character varying(32) NOT NULL,
    text text NOT NULL,
    updated_ms bigint,
    actor text
);

CREATE TABLE public.report_half_counts (
    tz character varying(64) NOT NULL,
    first_day character varying(10) NOT NULL,
    dim character varying(8) NOT NULL,
    mode character varying(8) NOT NULL,
    key character varying(64),
    rating smallint NOT NULL,
    n bigint NOT NULL
);

CREATE TABLE public.report_half_flags (
    tz character varying(64) NOT NULL,
    first_day character varying(10) NOT NULL,
    device character varying(32) NOT NULL,
    seq bigint NOT NULL,
    rating smallint NOT NULL,
    at_ms bigint NOT NULL,
    counter character varying(64),
    field character varying(64),
    mode character varying(8) NOT NULL,
    official character varying(64)
);

CREATE TABLE public.report_halves (
    tz character varying(64) NOT NULL,
    first_day character varying(10) NOT NULL,
    presses bigint NOT NULL,
    seq_sum bigint NOT NULL,
    offset_sum bigint NOT NULL,
    rules character varying(40) NOT NULL,
    built_ms bigint NOT NULL
);

CREATE TABLE public.schema_info (
    version integer NOT NULL
);

CREATE SEQUENCE public.schema_info_version_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.schema_info_version_seq OWNED BY public.schema_info.version;

CREATE TABLE public.users (
    id bigint NOT NULL,
    username character varying(64) NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    role character varying(16) NOT NULL,
    active boolean NOT NULL,
    created_ms bigint NOT NULL,
    changed_ms bigint NOT NULL
);

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.api_tokens ALTER COLUMN id SET DEFAULT nextval('public.api_tokens_id_seq'::regclass);

ALTER TABLE ONLY public.audit ALTER COLUMN id SET DEFAULT nextval('public.audit_id_seq'::regclass);

ALTER TABLE ONLY public.corrections ALTER COLUMN id SET DEFAULT nextval('public.corrections_id_seq'::regclass);

ALTER TABLE ONLY public.duty ALTER COLUMN id SET DEFAULT nextval('public.duty_id_seq'::regclass);

ALTER TABLE ONLY public.login_attempts ALTER COLUMN id SET DEFAULT nextval('public.login_attempts_id_seq'::regclass);

ALTER TABLE ONLY public.presses ALTER COLUMN id SET DEFAULT nextval('public.presses_id_seq'::regclass);

ALTER TABLE ONLY public.quarantine ALTER COLUMN id SET DEFAULT nextval('public.quarantine_id_seq'::regclass);

ALTER TABLE ONLY public.schema_info ALTER COLUMN version SET DEFAULT nextval('public.schema_info_version_seq'::regclass);

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

INSERT INTO public.anchors VALUES ('k1', 'b1', 12.5, 1709600400000);

INSERT INTO public.api_tokens VALUES (1, 'board', '0000000000000000000000000000000000000000000000000000000000000000', 1709600000000, 'lan', true);

INSERT INTO public.audit VALUES (1, 1709600000000, 'cli', 'create', 'field', 'ho-tich', NULL, '{"name":"Hộ tịch"}');

INSERT INTO public.corrections VALUES (1, 'k1', 2, 'exclude', 'thử', 'lan', 1709600500000);

INSERT INTO public.counters VALUES ('Q1', 'Quầy 1', 'ho-tich');

INSERT INTO public.device_counters VALUES ('k1', 'Q1');

INSERT INTO public.devices VALUES ('k1', 2, 1709600400000, 1709600460000, 'online', 3, 1709600400000, '{}', '{"v":1,"question":"Q?"}');

INSERT INTO public.dossier_counts VALUES ('ho-tich', '2024-03', 40, 1709600000000);

INSERT INTO public.duty VALUES (1, 'Q1', 'cb-01', 1709600000000, NULL);

INSERT INTO public.fields VALUES ('ho-tich', 'Hộ tịch', true);
INSERT INTO public.fields VALUES ('dat-dai', 'Đất đai', false);

INSERT INTO public.login_attempts VALUES (1, 1709600000000, 'lan', '127.0.0.1');

INSERT INTO public.officials VALUES ('cb-01', 'Nguyễn Văn A', true);

INSERT INTO public.presses VALUES (1, 'k1', 1, 4, NULL, '2024-03-05T08:00:00.000+07:00', 1709600400000, true, false, 'b1', 12.5, 'Q1', 'cb-01', 'ho-tich', 'HS-1', 'live', 1709600400100, '\x7b2276223a317d', 'ab');
INSERT INTO public.presses VALUES (2, 'k1', 2, 1, 2, '2024-03-05T08:01:00.000+07:00', 1709600460000, false, true, 'b1', 72.5, 'Q1', NULL, NULL, NULL, 'test', 1709600460100, '\x00ff', NULL);

INSERT INTO public.quarantine VALUES (1, 1709600400000, 'hailong/k1/press', 'k1', 3, 'invalid', 'bad', '\x00', NULL);

INSERT INTO public.remarks VALUES ('2024-03', 'Tháng tốt', 1709600000000, 'lan');

INSERT INTO public.report_half_counts VALUES ('Asia/Ho_Chi_Minh', '2024-03-01', 'field', 'live', 'ho-tich', 4, 1);

INSERT INTO public.report_half_flags VALUES ('Asia/Ho_Chi_Minh', '2024-03-01', 'k1', 1, 4, 1709600400000, 'Q1', 'ho-tich', 'live', 'cb-01');

INSERT INTO public.report_halves VALUES ('Asia/Ho_Chi_Minh', '2024-03-01', 2, 3, 1000, 'ffffffffffffffffffffffffffffffffffffffff', 1709600600000);

INSERT INTO public.schema_info VALUES (3);

INSERT INTO public.users VALUES (1, 'lan', 'Lan', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'admin', true, 1709600000000, 1709600000000);

SELECT pg_catalog.setval('public.api_tokens_id_seq', 1, true);

SELECT pg_catalog.setval('public.audit_id_seq', 1, true);

SELECT pg_catalog.setval('public.corrections_id_seq', 1, true);

SELECT pg_catalog.setval('public.duty_id_seq', 1, true);

SELECT pg_catalog.setval('public.login_attempts_id_seq', 1, true);

SELECT pg_catalog.setval('public.presses_id_seq', 2, true);

SELECT pg_catalog.setval('public.quarantine_id_seq', 1, true);

SELECT pg_catalog.setval('public.schema_info_version_seq', 1, false);

SELECT pg_catalog.setval('public.users_id_seq', 1, true);

ALTER TABLE ONLY public.anchors
    ADD CONSTRAINT anchors_pkey PRIMARY KEY (device, boot);

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_digest_key UNIQUE (digest);

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_name_key UNIQUE (name);

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.audit
    ADD CONSTRAINT audit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.corrections
    ADD CONSTRAINT corrections_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.counters
    ADD CONSTRAINT counters_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.device_counters
    ADD CONSTRAINT device_counters_pkey PRIMARY KEY (device);

ALTER TABLE ONLY public.devices
    ADD CONSTRAINT devices_pkey PRIMARY KEY (device);

ALTER TABLE ONLY public.dossier_counts
    ADD CONSTRAINT dossier_counts_pkey PRIMARY KEY (field, month);

ALTER TABLE ONLY public.duty
    ADD CONSTRAINT duty_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.fields
    ADD CONSTRAINT fields_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.login_attempts
    ADD CONSTRAINT login_attempts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.officials
    ADD CONSTRAINT officials_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.presses
    ADD CONSTRAINT presses_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.quarantine
    ADD CONSTRAINT quarantine_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.remarks
    ADD CONSTRAINT remarks_pkey PRIMARY KEY (period);

ALTER TABLE ONLY public.report_halves
    ADD CONSTRAINT report_halves_pkey PRIMARY KEY (tz, first_day);

ALTER TABLE ONLY public.schema_info
    ADD CONSTRAINT schema_info_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.presses
    ADD CONSTRAINT uq_presses_device_seq UNIQUE (device, seq);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);

CREATE INDEX ix_audit_at ON public.audit USING btree (at_ms);

CREATE INDEX ix_audit_entity_key ON public.audit USING btree (entity, key);

CREATE INDEX ix_corrections_device_seq ON public.corrections USING btree (device, seq);

CREATE INDEX ix_device_counters_counter ON public.device_counters USING btree (counter);

CREATE INDEX ix_dossier_counts_month ON public.dossier_counts USING btree (month);

CREATE INDEX ix_duty_counter_start ON public.duty USING btree (counter, start_ms);

CREATE INDEX ix_login_attempts_address ON public.login_attempts USING btree (address);

CREATE INDEX ix_login_attempts_at ON public.login_attempts USING btree (at_ms);

CREATE INDEX ix_login_attempts_username ON public.login_attempts USING btree (username);

CREATE INDEX ix_presses_dossier ON public.presses USING btree (dossier) WHERE (dossier IS NOT NULL);

CREATE INDEX ix_presses_report ON public.presses USING btree (at_ms, mode, rating, field, official, counter, device, seq);

CREATE INDEX ix_presses_unsynced_boot ON public.presses USING btree (device, boot) WHERE (synced = false);

CREATE INDEX ix_quarantine_received ON public.quarantine USING btree (received_ms);

CREATE INDEX ix_report_half_counts ON public.report_half_counts USING btree (tz, first_day);

CREATE INDEX ix_report_half_flags ON public.report_half_flags USING btree (tz, first_day);

