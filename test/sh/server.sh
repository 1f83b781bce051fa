# Sourced by the shell TAP tests that kill and restart the server of
# tools/cluster (DVFLAG_PGDATA, DVFLAG_SERVER_LOG), as the data directory's
# owner or root.  After tap.sh:
#   server_check                  skip the rest unless PGHOST is that cluster
#   server_kill                   kill -9 of the postmaster and its children
#   server_start <output file>    start it again (crash recovery); status
#   server_restart <output file>  a clean restart (pg_ctl -m fast); status
server_check() {
  [ -n "${DVFLAG_PGDATA:-}" ] || skip_rest "not under tools/cluster (no DVFLAG_PGDATA)"
  datadir=$(q -d postgres -c "SHOW data_directory" 2>/dev/null)
  [ "$datadir" = "$DVFLAG_PGDATA" ] || skip_rest "the server of PGHOST is not the cluster of DVFLAG_PGDATA"
  os_owner=$(stat -c %U "$datadir")
}
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u "$os_owner" -- "$@"; else "$@"; fi; }

server_kill() {
  killed_pid=$(head -1 "$datadir/postmaster.pid")
  killed_children=$(pgrep -P "$killed_pid")
  kill -9 "$killed_pid" $killed_children 2>/dev/null
}

# A killed postmaster whose parent does not reap it (a container without an
# init) stays a zombie, and its lock files (the data directory's and the
# socket's) then look taken: remove those of the killed postmaster once it
# and its children are dead or zombies.
server_start() {
  local p lock lpid alive
  for p in $killed_pid $killed_children; do
    for _ in $(seq 1 50); do
      alive=$(ps -o stat= -p "$p" 2>/dev/null | grep -v Z)
      [ -z "$alive" ] && break
      sleep 0.1
    done
  done
  for lock in "$datadir/postmaster.pid" "${PGHOST:-/tmp}"/.s.PGSQL.*.lock; do
    [ -f "$lock" ] || continue
    lpid=$(head -1 "$lock")
    if [ "$lpid" = "$killed_pid" ]; then rm -f "$lock"; fi
  done
  as_owner pg_ctl -D "$DVFLAG_PGDATA" -l "$DVFLAG_SERVER_LOG" -w -t 120 start > "$1" 2>&1
  server_wait
}

server_restart() {
  as_owner pg_ctl -D "$DVFLAG_PGDATA" -l "$DVFLAG_SERVER_LOG" -w -t 120 -m fast restart > "$1" 2>&1
  server_wait
}

# until the server takes connections (at most 20 s); status
server_wait() {
  for _ in $(seq 1 100); do q -d postgres -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
  q -d postgres -c "SELECT 1" >/dev/null 2>&1
}
