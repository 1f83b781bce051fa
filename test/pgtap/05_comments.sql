-- The catalog documents itself: every object of the extension has a comment
-- (\df+, \d+, \dT+, \du+ show what it is), so that a new one without a
-- comment fails here.  The identity sequences are the exception: they are
-- internal parts of their identity columns (pg_depend 'i'), which have
-- comments of their own; any other sequence needs one.  Composite types'
-- attributes are described by their type's comment and docs/API.md.
BEGIN;
SELECT plan(9);

CREATE TEMPORARY VIEW members AS
SELECT d.classid, d.objid
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dvflag');

CREATE TEMPORARY VIEW member_tables AS
SELECT c.oid FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
 WHERE c.relkind IN ('r', 'p');

-- the members of each kind, and those of them without a comment
SELECT cmp_ok((SELECT count(*) FROM members WHERE classid = 'pg_proc'::regclass), '>=', 50::bigint,
              'the extension has its functions (the query finds them)');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                  JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
                 WHERE obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1),
          '{}'::text[], 'every function of dvflag has a comment');
SELECT is(ARRAY(SELECT t.oid::regtype::text FROM pg_type t
                  JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
                 WHERE obj_description(t.oid, 'pg_type') IS NULL ORDER BY 1),
          '{}'::text[], 'every type of dvflag has a comment');
SELECT cmp_ok((SELECT count(*) FROM member_tables), '>=', 16::bigint, 'the extension has its tables');
SELECT is(ARRAY(SELECT t.oid::regclass::text FROM member_tables t
                 WHERE obj_description(t.oid, 'pg_class') IS NULL ORDER BY 1),
          '{}'::text[], 'every table of dvflag has a comment');
SELECT is(ARRAY(SELECT format('%s.%I', t.oid::regclass, a.attname) FROM member_tables t
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                 WHERE col_description(t.oid, a.attnum) IS NULL ORDER BY 1),
          '{}'::text[], 'every column of every table of dvflag has a comment');
SELECT is(ARRAY(SELECT c.oid::regclass::text FROM pg_class c
                  JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
                 WHERE (c.relkind NOT IN ('r', 'p', 'S') OR (c.relkind = 'S' AND NOT EXISTS
                         (SELECT FROM pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid
                             AND i.refobjid IN (SELECT oid FROM member_tables) AND i.deptype = 'i')))
                   AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1),
          '{}'::text[], 'every other relation of dvflag (a sequence not of an identity column) has a comment');
SELECT is(ARRAY(SELECT pg_describe_object(m.classid, m.objid, 0) FROM members m
                 WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_class'::regclass)
                   AND obj_description(m.objid, (SELECT relname FROM pg_class WHERE oid = m.classid)) IS NULL
                 ORDER BY 1),
          '{}'::text[], 'every other member of dvflag (its schema) has a comment');

-- the audience roles are global objects, not members: the install comments
-- those it creates and those it finds without a comment (\du+)
SELECT is(ARRAY(SELECT r FROM unnest(dvflag.audience_roles()) AS r
                 WHERE shobj_description((SELECT oid FROM pg_roles WHERE rolname = r), 'pg_authid') IS NULL
                 ORDER BY 1),
          '{}'::text[], 'every audience role has a comment');

SELECT * FROM finish();
ROLLBACK;
