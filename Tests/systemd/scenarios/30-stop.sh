#!/usr/bin/env bash
# systemctl stop during a long backup: stops in time, nothing partial left behind.
source /usr/local/lib/litesafe-test/lib.sh
activate_install; make_app app; make_key
step "a large database (incompressible, so the backup takes a while)"
python3 - <<'PY'
import os, sqlite3
db = sqlite3.connect("/var/lib/app/app.db")
db.execute("CREATE TABLE IF NOT EXISTS big(b BLOB)")
for _ in range(40):
    db.executemany("INSERT INTO big VALUES (?)", [(os.urandom(65536),) for _ in range(64)]); db.commit()
PY
write_config "every 1h" app
sed -i 's/  retention:/  compression: zstd:19\n  retention:/' /etc/litesafe/litesafe.yml
systemctl start litesafe || fail "start"
# A WAL database is captured straight into the store's hidden temporary (no staging copy).
wait_for 30 "the backup has started writing" sh -c 'ls /var/backups/litesafe/app/.litesafe-tmp-*'
step "stop while it runs"
start=$(date +%s.%N)
systemctl stop litesafe || fail "stop"
took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
echo "stopped in ${took}s"
python3 -c "import sys; sys.exit(0 if $took < 25 else 1)" || fail "stop took ${took}s"
[[ $(prop Result) == success ]] || fail "Result=$(prop Result) (exit was not clean)"
left=$(find /var/backups/litesafe /var/lib/litesafe/staging -type f ! -name .lock 2>/dev/null | grep -v manifest.json || true)
partial=$(find /var/backups/litesafe /var/lib/litesafe/staging -name '.litesafe-tmp-*' -o -name '*.staging' 2>/dev/null || true)
[[ -z $partial ]] || fail "partial files left: $partial"
echo "files left: ${left:-none}"
for f in /var/backups/litesafe/app/*.manifest.json; do
  [[ -e $f ]] || continue
  data=/var/backups/litesafe/app/$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['file'])" "$f")
  [[ -f $data ]] || fail "manifest $f without data"
done
ok "nothing partial"
