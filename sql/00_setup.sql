-- Setup: the encoding guard, the audience roles and the schema.
--
-- The install script of the current version is these files, concatenated
-- in the order of their names by make (extension/dvflag--X.Y.sql).  Each
-- file holds one concern: its tables, functions, triggers, policies,
-- grants, comments and dump registration.  Every change made here goes into
-- the update script to the next version too (extension/dvflag--X--Y.sql),
-- and test/sh/upgrade.t compares the two catalogs object by object.

-- Folding and fragment matching work on UTF-8 text; anything else would
-- compare bytes of another encoding and match the wrong people.
DO $$
BEGIN
  IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
    RAISE EXCEPTION 'dvflag requires a UTF8 database, this one is %',
                    pg_catalog.getdatabaseencoding()
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Create the database with ENCODING ''UTF8'' TEMPLATE template0.';
  END IF;
END
$$;

CREATE SCHEMA dvflag;
COMMENT ON SCHEMA dvflag IS 'dvflag: query-time masking for persons protected by the DV flags';
REVOKE ALL ON SCHEMA dvflag FROM PUBLIC;

-- The audience roles (RULES.md §9), named once, in C (src/dvflag.c), for
-- the code that checks rights, the role creation below and check().
CREATE FUNCTION dvflag.audience_roles()
  RETURNS text[]
  AS 'MODULE_PATHNAME', 'dvflag_audience_roles'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION dvflag.audience_roles() FROM PUBLIC;
COMMENT ON FUNCTION dvflag.audience_roles() IS
  'the names of the audience roles (RULES.md §9), the one list; for the extension''s scripts and check(), no audience role';

-- Roles are cluster-wide: create the ones that do not exist yet, and leave
-- existing ones (and their members) alone.  DROP EXTENSION keeps them.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY dvflag.audience_roles()
  LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    ELSIF EXISTS (SELECT FROM pg_catalog.pg_roles
                   WHERE rolname OPERATOR(pg_catalog.=) r
                     AND (rolcanlogin OR rolsuper OR rolbypassrls OR rolcreaterole)) THEN
      RAISE WARNING 'role % already exists and can log in or holds SUPERUSER, BYPASSRLS or CREATEROLE', r
        USING HINT = 'An audience role should be NOLOGIN with no attributes: grant it to application logins instead.';
    END IF;
  END LOOP;
END
$$;

-- What each audience role is for (\du+): on the roles created above, and on
-- existing ones that have no comment; a comment set on a role is kept.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT a.rolname, c.note
             FROM pg_catalog.pg_roles a
             JOIN (VALUES
               ('dvflag_admin', 'dvflag audience: administrators: insurers, enrollments and health records, the staff mapping, disasters, check(), purge()'),
               ('dvflag_insurer', 'dvflag audience: insurer staff: their mapped insurers'' enrollments and health records (RLS), flags, cards, proxies, provision'),
               ('dvflag_portal', 'dvflag audience: the patient portal (マイナポータル): the portal read paths, card registration, proxies'),
               ('dvflag_clinic', 'dvflag audience: clinics and pharmacies: qualification and health information by My Number card or insurance card'),
               ('dvflag_disaster', 'dvflag audience: clinics in disaster mode: disaster_search() and disaster_health() while a disaster is declared'),
               ('dvflag_requester', 'dvflag audience: information requesters (情報照会): request_information(), request_answer(), protected()'),
               ('dvflag_auditor', 'dvflag audience: auditors: read the audit and the provision records, check(), audit_summary()'))
               AS c(name, note) ON a.rolname OPERATOR(pg_catalog.=) c.name
            WHERE a.rolname OPERATOR(pg_catalog.=) ANY (dvflag.audience_roles())
              AND pg_catalog.shobj_description(a.oid, 'pg_authid') IS NULL
  LOOP
    EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.rolname, r.note);
  END LOOP;
END
$$;

GRANT USAGE ON SCHEMA dvflag TO dvflag_admin, dvflag_insurer, dvflag_portal,
  dvflag_clinic, dvflag_disaster, dvflag_requester, dvflag_auditor;
