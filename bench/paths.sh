# What bench/in_cluster and bench/profile share: the data they load
# (bench_load, below) and the measured paths, sourced by bench/in_cluster (which
# runs each against its plain SELECT) and bench/profile (which profiles
# one).  bench_path NAME sets, for the path NAME:
#   dv         the dvflag call
#   plain      the plain indexed SELECT (or UPDATE) of the same rows and
#              columns on the plain copies of bench/plain.sql
#   keyq       the query whose \gset gives the call its random key (:k)
#   plainkeyq  the same for the plain statement (keyq unless it differs)
# and returns 1 for a name it does not know.
# the paths (and loads) that read health records
BENCH_HEALTH_PATHS="portal_health clinic_health_by_card disaster_health health_bulk"
BENCH_PATHS="clinic_by_insurance_card clinic_by_card portal_qualifications portal_self_info
  portal_exchange_history disaster_search set_flag portal_health clinic_health_by_card disaster_health"

bench_path() {
  local q_cols="e.insurer_no, i.name, e.symbol, e.number, e.branch, e.acquired_on, e.lost_on, e.name, e.kana, e.sex, e.birth_date, e.address, e.postcode"
  local card="SELECT card_serial FROM bench.keys WHERE k = :k"
  local insurance_card="SELECT insurer_no, symbol, number FROM bench.keys WHERE k = :k"
  local by_card="FROM bench.card c JOIN bench.enrollment e ON e.link_no = c.link_no JOIN bench.insurer i ON i.insurer_no = e.insurer_no WHERE c.card_serial = :card_serial AND c.stopped_at IS NULL"
  # the health paths (RULES.md §3a): card (or insurance card) -> person ->
  # enrollments -> records, in the order of their dates; off the portal
  # without medical-fee notices and the institution's name, as the paths
  # answer.  disaster_health runs in the disaster keys.sql declared.
  local h_cols="e.insurer_no, e.symbol, e.number, e.branch, h.kind, h.service_date, h.institution_code"
  local h_join="JOIN bench.enrollment e ON e.link_no = c.link_no JOIN bench.health_record h ON h.enrollment_id = e.id"
  local h_clinic="h.kind IN ('medication', 'checkup') ORDER BY h.service_date, h.id"
  plainkeyq=
  case $1 in
    clinic_by_insurance_card)
      dv="SELECT * FROM dvflag.clinic_by_insurance_card(:insurer_no, :symbol, :number, '00')"
      plain="SELECT $q_cols FROM bench.enrollment e JOIN bench.insurer i ON i.insurer_no = e.insurer_no WHERE e.insurer_no = :insurer_no AND e.symbol = :symbol AND e.number = :number AND e.branch = '00'"
      keyq=$insurance_card ;;
    clinic_by_card)
      dv="SELECT * FROM dvflag.clinic_by_card(:card_serial)"
      plain="SELECT $q_cols $by_card AND e.acquired_on <= current_date AND (e.lost_on IS NULL OR e.lost_on > current_date)"
      keyq=$card ;;
    portal_qualifications|portal_self_info)
      dv="SELECT * FROM dvflag.$1(:card_serial)"
      plain="SELECT $q_cols $by_card ORDER BY e.acquired_on, e.id"
      keyq=$card ;;
    portal_exchange_history)
      dv="SELECT * FROM dvflag.portal_exchange_history(:card_serial)"
      plain="SELECT r.id, r.requested_at, r.completed_at, r.requester, r.insurer_no, i.name, r.item_code FROM bench.card c JOIN bench.enrollment e ON e.link_no = c.link_no JOIN bench.provision_record r ON r.enrollment_id = e.id JOIN bench.insurer i ON i.insurer_no = r.insurer_no WHERE c.card_serial = :card_serial AND c.stopped_at IS NULL AND r.outcome = 'provided' AND NOT r.nd_mark AND NOT EXISTS (SELECT 1 FROM bench.provision_mark m WHERE m.record_id = r.id) ORDER BY r.requested_at, r.id"
      keyq=$card ;;
    disaster_search)
      dv="SELECT * FROM dvflag.disaster_search(:birth_date, kana => :kana, insurer_name => :insurer_frag)"
      plain="SELECT $q_cols FROM bench.enrollment e JOIN bench.insurer i ON i.insurer_no = e.insurer_no WHERE e.birth_date = :birth_date AND dvflag.fold(e.kana) = dvflag.fold(:kana) AND strpos(dvflag.fold(i.name), dvflag.fold(:insurer_frag)) > 0"
      keyq="SELECT birth_date, kana, insurer_frag FROM bench.keys WHERE k = :k" ;;
    set_flag)
      # flip ND of a random enrollment, with its reason, audit row and
      # person recompute; the plain side is the UPDATE of the same column
      # in the plain copy (no audit, no derived state)
      dv="SELECT dvflag.set_flag(:insurer_no, :symbol, :number, '00', 'nd', :v, 'benchmark')"
      plain="UPDATE bench.enrollment SET nd = :v WHERE insurer_no = :insurer_no AND symbol = :symbol AND number = :number AND branch = '00'"
      keyq="SELECT k.insurer_no, k.symbol, k.number, NOT e.nd AS v FROM bench.keys k JOIN dvflag.enrollment e ON (e.insurer_no, e.symbol, e.number, e.branch) = (k.insurer_no, k.symbol, k.number, '00') WHERE k = :k"
      plainkeyq="SELECT k.insurer_no, k.symbol, k.number, NOT e.nd AS v FROM bench.keys k JOIN bench.enrollment e ON (e.insurer_no, e.symbol, e.number, e.branch) = (k.insurer_no, k.symbol, k.number, '00') WHERE k = :k" ;;
    portal_health)
      dv="SELECT * FROM dvflag.portal_health(:card_serial)"
      plain="SELECT $h_cols, h.institution_name, h.content FROM bench.card c $h_join WHERE c.card_serial = :card_serial AND c.stopped_at IS NULL ORDER BY h.service_date, h.id"
      keyq=$card ;;
    clinic_health_by_card)
      dv="SELECT * FROM dvflag.clinic_health_by_card(:card_serial, true)"
      plain="SELECT $h_cols, NULL::text, h.content FROM bench.card c $h_join WHERE c.card_serial = :card_serial AND c.stopped_at IS NULL AND $h_clinic"
      keyq=$card ;;
    disaster_health)
      dv="SELECT * FROM dvflag.disaster_health(:insurer_no, :symbol, :number, '00', true)"
      plain="SELECT $h_cols, NULL::text, h.content FROM bench.enrollment c $h_join WHERE c.insurer_no = :insurer_no AND c.symbol = :symbol AND c.number = :number AND c.branch = '00' AND $h_clinic"
      keyq=$insurance_card ;;
    *) return 1 ;;
  esac
  plainkeyq=${plainkeyq:-$keyq}
}

# bench_script FILE KEYQ STATEMENT: the pgbench script of one side: a random
# key, its row by \gset, then the measured statement
bench_script() {
  printf '\\set k random(1, :nkeys)\n%s \\gset\n%s;\n' "$2" "$3" > "$1"
}

# bench_load DB PERSONS HEALTH: the benchmark's data in database DB:
# PERSONS persons through the triggers (bench/gen.sql), their provision
# records, health records when HEALTH is yes (at 4,000,000 persons they are
# most of the database), the keys and the plain copies; timings on stdout.
bench_load() {
  local db=$1 start
  start=$(date +%s.%N)
  psql -X -q -d "$db" -v persons="$2" -f bench/gen.sql
  echo "# load took $(echo "$(date +%s.%N) - $start" | bc) s"
  psql -X -q -d "$db" -f bench/records.sql
  if [ "$3" = yes ]; then
    start=$(date +%s.%N)
    psql -X -q -d "$db" -f bench/health.sql
    echo "# health records took $(echo "$(date +%s.%N) - $start" | bc) s"
  fi
  psql -X -q -d "$db" -f bench/keys.sql
  psql -X -q -d "$db" -f bench/plain.sql
}
