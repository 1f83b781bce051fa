-- The SQL interface.  Every function is C with a pinned search_path (pg_temp
-- last so no temporary object can shadow anything) and names every object
-- it touches with its schema.  EXECUTE is granted per audience in
-- 50_grants.sql and revoked from PUBLIC.
--
-- The read paths and the admin functions are SECURITY DEFINER: they decide
-- nothing by who calls them beyond the EXECUTE grant.  The functions that
-- decide by the caller's role (admin or which insurer's staff) are SECURITY
-- INVOKER: they read the caller on entry, so that code of another role
-- (a definer function, an index expression run by ANALYZE) cannot lend
-- them a more privileged identity, and switch to the owner in C for their
-- own queries, as a definer function would.

-- The same columns on every path, so no path says more by its shape.
CREATE TYPE dvflag.qualification AS (
  insurer_no   text,
  insurer_name text,
  symbol       text,
  number       text,
  branch       text,
  acquired_on  date,
  lost_on      date,
  name         text,
  kana         text,
  sex          smallint,
  birth_date   date,
  address      text,
  postcode     text
);

-- RULES.md §3 row 1: every enrollment of P; none while SB_eff(P).
CREATE FUNCTION dvflag.portal_qualifications(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_portal_qualifications'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 3
  SET search_path = pg_catalog, pg_temp;

-- §3 row 2: each enrollment E of P with SB_own(E) = 0.
CREATE FUNCTION dvflag.portal_self_info(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_portal_self_info'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 3
  SET search_path = pg_catalog, pg_temp;

-- §3 row 4: P's current qualification by an active card; none while SB_eff(P).
CREATE FUNCTION dvflag.clinic_by_card(card_serial text)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_clinic_by_card'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 1
  SET search_path = pg_catalog, pg_temp;

-- §3 row 5: the enrollment of that insurance card; address and postcode
-- NULL while hide_address(P).
CREATE FUNCTION dvflag.clinic_by_insurance_card(insurer_no text, symbol text, number text, branch text)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_clinic_by_insurance_card'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 1
  SET search_path = pg_catalog, pg_temp;

-- §3 row 6: disaster mode.  Every search is audited, also one refused with
-- DV002 or DV003 (in the server log); bad arguments (22023) search nothing.
CREATE FUNCTION dvflag.disaster_search(birth_date date, name text DEFAULT NULL,
                                       kana text DEFAULT NULL, address text DEFAULT NULL,
                                       insurer_name text DEFAULT NULL, sex smallint DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_disaster_search'
  LANGUAGE C VOLATILE SECURITY DEFINER ROWS 5
  SET search_path = pg_catalog, pg_temp;

-- §3 row 7: initial registration (初回登録) of a card; DV001 while SB_eff(P).
CREATE FUNCTION dvflag.register_card(card_serial text, insurer_no text, symbol text,
                                     number text, branch text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_register_card'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Stop a card (STEP1 of RULES.md §5): it answers nothing anywhere after.
-- Acting function: SECURITY INVOKER, decides by the caller's role.
CREATE FUNCTION dvflag.stop_card(card_serial text, reason text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_stop_card'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- The principal, with their card, names a proxy (代理人).
CREATE FUNCTION dvflag.set_proxy(card_serial text, agent_link_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_set_proxy'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- The principal, with their card, removes a proxy; true if one was removed.
CREATE FUNCTION dvflag.remove_proxy(card_serial text, agent_link_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_remove_proxy'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Staff or admin remove a proxy (STEP3 of RULES.md §5) when the principal
-- cannot: their card is stopped, or SB refuses a new one.  Acting function.
CREATE FUNCTION dvflag.remove_proxy_for(principal_link_no text, agent_link_no text, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_remove_proxy_for'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- Set or clear one flag of one enrollment, with a reason; audited.
-- Returns true when the flag changed, false when it already had that value.
-- Acting function: SECURITY INVOKER, decides by the caller's role.
CREATE FUNCTION dvflag.set_flag(insurer_no text, symbol text, number text, branch text,
                                flag text, value boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_set_flag'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- Is this person a protected target (ND_eff or SB_eff)?  Staff and requesters.
CREATE FUNCTION dvflag.protected(link_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_protected'
  LANGUAGE C STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Declare a disaster (disaster-mode search works from starts to ends).
CREATE FUNCTION dvflag.declare_disaster(starts timestamptz, ends timestamptz, note text)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_declare_disaster'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- End a declared disaster now.
CREATE FUNCTION dvflag.end_disaster(id bigint)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_end_disaster'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Map a login role to an insurer (its enrollments become visible to it).
CREATE FUNCTION dvflag.grant_insurer(role regrole, insurer_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_grant_insurer'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION dvflag.revoke_insurer(role regrole, insurer_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_revoke_insurer'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- The insurers the current role is mapped to (used by the RLS policy).
-- Acting function: the current role is the one evaluating the policy.
CREATE FUNCTION dvflag.staff_insurers()
  RETURNS text[]
  AS 'MODULE_PATHNAME', 'dvflag_staff_insurers'
  LANGUAGE C STABLE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
