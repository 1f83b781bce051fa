-- Privileges: nothing to PUBLIC; each audience EXECUTE on its functions.
-- Only dvflag_admin and dvflag_insurer touch tables, under the policies,
-- and only those API.md grants: enrollment, insurer (admin), audit (read).

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON TYPE dvflag.qualification FROM PUBLIC;

GRANT USAGE ON SCHEMA dvflag TO dvflag_admin, dvflag_insurer, dvflag_portal,
  dvflag_clinic, dvflag_disaster, dvflag_requester, dvflag_auditor;
GRANT USAGE ON TYPE dvflag.qualification TO dvflag_portal, dvflag_clinic, dvflag_disaster;

GRANT EXECUTE ON FUNCTION dvflag.portal_qualifications(text, text),
                          dvflag.portal_self_info(text, text),
                          dvflag.register_card(text, text, text, text, text),
                          dvflag.set_proxy(text, text),
                          dvflag.remove_proxy(text, text)
  TO dvflag_portal;
GRANT EXECUTE ON FUNCTION dvflag.clinic_by_card(text),
                          dvflag.clinic_by_insurance_card(text, text, text, text)
  TO dvflag_clinic;
GRANT EXECUTE ON FUNCTION dvflag.disaster_search(date, text, text, text, text, smallint)
  TO dvflag_disaster;
GRANT EXECUTE ON FUNCTION dvflag.set_flag(text, text, text, text, text, boolean, text),
                          dvflag.stop_card(text, text),
                          dvflag.remove_proxy_for(text, text, text),
                          dvflag.protected(text),
                          dvflag.staff_insurers()
  TO dvflag_insurer, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.protected(text) TO dvflag_requester;
GRANT EXECUTE ON FUNCTION dvflag.declare_disaster(timestamptz, timestamptz, text),
                          dvflag.end_disaster(bigint),
                          dvflag.grant_insurer(regrole, text),
                          dvflag.revoke_insurer(regrole, text),
                          dvflag.fold(text),
                          dvflag.insurer_no_valid(text),
                          dvflag.is_blank(text)
  TO dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.fold(text), dvflag.insurer_no_valid(text), dvflag.is_blank(text)
  TO dvflag_insurer;

-- Insurer staff and admin work on enrollments directly, under RLS.
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.enrollment TO dvflag_insurer, dvflag_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.insurer TO dvflag_admin;
GRANT SELECT ON dvflag.audit TO dvflag_auditor, dvflag_admin;
