#!/usr/bin/env bash
# An operator installs LiteSafe, configures one database, starts it, and restores a backup.
source /usr/local/lib/litesafe-test/lib.sh
activate_install; make_app app; make_key; write_config "every 2s" app

step "the container runs only what the scenarios need, in a network of its own"
[[ $(systemctl show -p ActiveState --value litesafe-test-host-service.service) == inactive ]] ||
  fail "a service enabled on the host started in the container"
[[ $(ls /sys/class/net) == lo ]] || fail "the container shares a network: $(ls /sys/class/net | tr '\n' ' ')"
ok "no host service started; only lo"

step "the unit passes systemd-analyze verify and rates 2.0 or better"
systemd-analyze verify /usr/local/lib/systemd/system/litesafe.service || fail "systemd-analyze verify"
score=$(systemd-analyze security litesafe.service --no-pager | sed -n 's/.*Overall exposure level for litesafe.service: \([0-9.]*\).*/\1/p')
echo "security exposure: $score"
python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)" || fail "exposure $score > 2.0"

step "start: active, ready, with a status line"
systemctl start litesafe || fail "systemctl start"
[[ $(prop ActiveState) == active ]] || fail "not active: $(prop ActiveState)"
status=$(prop StatusText); echo "StatusText: $status"
[[ $status == *"1 database"* ]] || fail "StatusText does not mention the database"

step "backups appear, owned by litesafe, mode 0600"
wait_for 30 "a backup of app" has_backup app
f=$(ls /var/backups/litesafe/app/*.age | head -1)
[[ $(stat -c '%U %a' "$f") == "litesafe 600" ]] || fail "backup $f is $(stat -c '%U %a' "$f")"

step "the operator restores it, with litesafe and with the stock tools"
litesafe restore --config /etc/litesafe/litesafe.yml app --identity /root/key.txt -o /root/restored.db || fail "litesafe restore"
[[ $(sqlite3 /root/restored.db 'PRAGMA integrity_check') == ok ]] || fail "integrity_check"
age -d -i /root/key.txt "$f" | zstd -d -q -o /root/stock.db || fail "age | zstd"
[[ $(sqlite3 /root/stock.db 'SELECT count(*) FROM t') == 1000 ]] || fail "stock restore content"
ok "restored both ways"
