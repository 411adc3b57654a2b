--
-- PostgreSQL database dump
--

\restrict 0NwvlhX9eNHKCTOyGHjTSV2Wy2IZLQT2Gq1tjl9MqgcVbpMRh0UGpf0EWkh5kjt

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

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

--
-- Name: clients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.clients (
    id integer NOT NULL,
    name character varying(200) NOT NULL,
    name_key character varying(200) NOT NULL,
    created_at timestamp without time zone NOT NULL,
    notes text NOT NULL
);


--
-- Name: clients_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.clients_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: clients_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.clients_id_seq OWNED BY public.clients.id;


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL,
    applied_at timestamp without time zone NOT NULL,
    description text NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id integer NOT NULL,
    client_id integer NOT NULL,
    recorded_at timestamp without time zone NOT NULL,
    created_at timestamp without time zone NOT NULL,
    notes text NOT NULL,
    view character varying(32),
    profile character varying(64),
    rep_count integer NOT NULL,
    valgus_reps integer NOT NULL,
    shallow_reps integer NOT NULL,
    fppa_mean_deg double precision,
    fppa_worst_deg double precision,
    depth_mean double precision,
    asymmetry_mean_deg double precision,
    analysis_json text NOT NULL,
    video_path text
);


--
-- Name: sessions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.sessions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: sessions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.sessions_id_seq OWNED BY public.sessions.id;


--
-- Name: clients id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clients ALTER COLUMN id SET DEFAULT nextval('public.clients_id_seq'::regclass);


--
-- Name: sessions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions ALTER COLUMN id SET DEFAULT nextval('public.sessions_id_seq'::regclass);


--
-- Data for Name: clients; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.clients VALUES (1, 'Ana Legacy', 'ana legacy', '2024-03-01 09:00:00', '');
INSERT INTO public.clients VALUES (2, 'Ben Legacy', 'ben legacy', '2024-03-02 09:00:00', '');


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (1, '2026-12-02 01:36:47.235405', 'initial schema: clients, sessions');


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sessions VALUES (1, 1, '2024-03-01 10:00:00', '2024-03-01 10:00:00', 'legacy', 'front', 'bodyweight', 1, 1, 0, 9.75, 12, 0.02, 4.5, '{"schema_version": "1.0", "source": {"file": "set.mp4"}, "view": "front", "profile": "bodyweight", "reps": [{"index": 1, "start_s": 1.0, "bottom_s": 1.8, "end_s": 2.7, "flags": ["knee_valgus"], "confidence": 0.9, "cues": ["Push your knees out over your toes."], "metrics": {"knee_flexion_deg": 112.0, "depth_ratio": 0.02, "kasr_min": 0.62, "fppa_left_deg": 12.0, "fppa_right_deg": 7.5, "asymmetry_deg": 4.5}}], "problems": [], "summary": {"rep_count": 1, "valgus_reps": 1, "shallow_reps": 0, "worst_rep": 1, "main_cue": "Push your knees out."}}', NULL);
INSERT INTO public.sessions VALUES (2, 1, '2024-03-02 10:00:00', '2024-03-02 10:00:00', 'legacy', 'front', 'bodyweight', 1, 0, 0, 9.75, 12, 0.02, 4.5, '{"schema_version": "1.0", "source": {"file": "set.mp4"}, "view": "front", "profile": "bodyweight", "reps": [{"index": 1, "start_s": 1.0, "bottom_s": 1.8, "end_s": 2.7, "flags": [], "confidence": 0.9, "cues": [], "metrics": {"knee_flexion_deg": 112.0, "depth_ratio": 0.02, "kasr_min": 0.91, "fppa_left_deg": 12.0, "fppa_right_deg": 7.5, "asymmetry_deg": 4.5}}], "problems": [], "summary": {"rep_count": 1, "valgus_reps": 0, "shallow_reps": 0, "worst_rep": 1, "main_cue": "Push your knees out."}}', NULL);
INSERT INTO public.sessions VALUES (3, 2, '2024-03-03 10:00:00', '2024-03-03 10:00:00', 'legacy', 'front', 'bodyweight', 1, 0, 0, 9.75, 12, 0.02, 4.5, '{"schema_version": "1.0", "source": {"file": "set.mp4"}, "view": "front", "profile": "bodyweight", "reps": [{"index": 1, "start_s": 1.0, "bottom_s": 1.8, "end_s": 2.7, "flags": [], "confidence": 0.9, "cues": [], "metrics": {"knee_flexion_deg": 112.0, "depth_ratio": 0.02, "kasr_min": 0.85, "fppa_left_deg": 12.0, "fppa_right_deg": 7.5, "asymmetry_deg": 4.5}}], "problems": [], "summary": {"rep_count": 1, "valgus_reps": 0, "shallow_reps": 0, "worst_rep": 1, "main_cue": "Push your knees out."}}', NULL);


--
-- Name: clients_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.clients_id_seq', 2, true);


--
-- Name: sessions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.sessions_id_seq', 3, true);


--
-- Name: clients clients_name_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_name_key_key UNIQUE (name_key);


--
-- Name: clients clients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_pkey PRIMARY KEY (id);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: ix_sessions_client_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_sessions_client_id ON public.sessions USING btree (client_id);


--
-- Name: sessions sessions_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.clients(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict 0NwvlhX9eNHKCTOyGHjTSV2Wy2IZLQT2Gq1tjl9MqgcVbpMRh0UGpf0EWkh5kjt

