# Shared steps for scenarios, sourced inside the container. Every check prints what it
# asserts, so a failure's log reads as the operator's view of what went wrong.
set -euo pipefail
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
T=/usr/local/lib/litesafe-test

step() { echo "-- $*"; }
fail() { echo "FAIL: $*"; journalctl -u litesafe --no-pager -n 40 -o short-precise || true; exit 1; }
ok() { echo "ok: $*"; }

# Activates what `make install` would on a real machine.
activate_install() {
  /usr/local/lib/litesafe/activate
}

# An application database in /var/lib/app owned by group app, reachable by litesafe the way
# the README says: group membership plus a ReadWritePaths= drop-in.
make_app() {
  local name=${1:-app}
  getent group app >/dev/null || groupadd --system app
  usermod --append --groups app litesafe
  install -d -m 2770 -g app /var/lib/app
  python3 - "/var/lib/app/$name.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)")
db.executemany("INSERT INTO t(v) VALUES (?)", [("row %d" % i,) for i in range(1000)]); db.commit()
PY
  chgrp app /var/lib/app/"$name".db*; chmod 0660 /var/lib/app/"$name".db*
  mkdir -p /etc/systemd/system/litesafe.service.d
  printf '[Service]\nReadWritePaths=/var/lib/app\n' >/etc/systemd/system/litesafe.service.d/app.conf
  systemctl daemon-reload
}

# A key kept by the "operator" (root), and its public half for the config.
make_key() {
  litesafe keygen -o /root/key.txt 2>/dev/null
  RECIPIENT=$(sed -n 's/^# public key: //p' /root/key.txt)
}

# write_config SCHEDULE DB... : a configuration for the given databases.
write_config() {
  local schedule=$1; shift
  {
    echo "defaults:"
    echo "  schedule: $schedule"
    echo "  destination: /var/backups/litesafe"
    echo "  encryption:"
    echo "    recipients: [\"$RECIPIENT\"]"
    echo "  retention: { keep_last: 50 }"
    echo "databases:"
    for db in "$@"; do echo "  - name: $db"; echo "    path: /var/lib/app/$db.db"; done
  } >/etc/litesafe/litesafe.yml.new
  chgrp litesafe /etc/litesafe/litesafe.yml.new; chmod 0640 /etc/litesafe/litesafe.yml.new
  mv /etc/litesafe/litesafe.yml.new /etc/litesafe/litesafe.yml
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [[ $(date +%s) -lt $deadline ]] || fail "timed out after ${limit}s waiting for: $what"
    sleep 0.2
  done
  ok "$what"
}

backups_of() { ls /var/backups/litesafe/"$1"/*.manifest.json 2>/dev/null | wc -l; }
has_backup() { [[ $(backups_of "$1") -ge ${2:-1} ]]; }
prop() { systemctl show -p "$1" --value litesafe; }
