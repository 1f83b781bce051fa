-- Disaster mode (RULES.md §3 row 6): declared by admin; while declared, a
-- clinic may search by name or kana, birth date and a fragment of the
-- address or insurer name.  Every search is audited, also one refused with
-- DV002 or DV003 (in the server log); bad arguments (22023) search nothing.

CREATE TABLE dvflag.disaster (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  starts      timestamptz NOT NULL,
  ends        timestamptz NOT NULL,
  note        text NOT NULL,
  declared_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  ended_at    timestamptz,
  CONSTRAINT disaster_ends_after_start CHECK (ends > starts)
);
COMMENT ON TABLE dvflag.disaster IS 'declared disasters: disaster-mode search works from starts to ends unless ended; written by the functions only';
COMMENT ON COLUMN dvflag.disaster.id IS 'identity: the id end_disaster() takes';
COMMENT ON COLUMN dvflag.disaster.starts IS 'when disaster mode begins';
COMMENT ON COLUMN dvflag.disaster.ends IS 'when it ends at the latest';
COMMENT ON COLUMN dvflag.disaster.note IS 'what the disaster is, as the admin declared it';
COMMENT ON COLUMN dvflag.disaster.declared_at IS 'when it was declared';
COMMENT ON COLUMN dvflag.disaster.ended_at IS 'when end_disaster() ended it; NULL if not';
-- No policy: only dvflag's functions reach it.
ALTER TABLE dvflag.disaster      ENABLE ROW LEVEL SECURITY;

-- sex is integer (1.3; 1.2's smallint made sex => 2 fail with 42883), and
-- its C symbol carries 1.3: 1.2's symbol keeps reading a smallint for a
-- database not yet updated.
CREATE FUNCTION dvflag.disaster_search(birth_date date, name text DEFAULT NULL,
                                       kana text DEFAULT NULL, address text DEFAULT NULL,
                                       insurer_name text DEFAULT NULL, sex integer DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_disaster_search_1_3'
  LANGUAGE C VOLATILE ROWS 5;
COMMENT ON FUNCTION dvflag.disaster_search(date, text, text, text, text, integer) IS
  'while a disaster is declared: at most 20 candidates by name or kana, birth date and a fragment (RULES.md §3 row 6); audited; disaster';

-- Declare a disaster (disaster-mode search works from starts to ends).
CREATE FUNCTION dvflag.declare_disaster(starts timestamptz, ends timestamptz, note text)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_declare_disaster'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.declare_disaster(timestamptz, timestamptz, text) IS
  'declares a disaster: disaster-mode search works from starts to ends; returns its id; audited; admin';

-- End a declared disaster now.
CREATE FUNCTION dvflag.end_disaster(id bigint)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_end_disaster'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.end_disaster(bigint) IS
  'ends a declared disaster now; audited; admin';

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.disaster_search(date, text, text, text, text, integer)
  TO dvflag_disaster;
GRANT EXECUTE ON FUNCTION dvflag.declare_disaster(timestamptz, timestamptz, text),
                          dvflag.end_disaster(bigint)
  TO dvflag_admin;

SELECT pg_catalog.pg_extension_config_dump('dvflag.disaster', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.disaster_id_seq', '');
