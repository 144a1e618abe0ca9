#!/usr/bin/env bash
# systemctl reload: a good edit adds a database; a broken edit fails visibly and changes nothing.
source /usr/local/lib/litesafe-test/lib.sh
activate_install; make_app app; make_app crm; make_key; write_config "every 2s" app
systemctl start litesafe || fail "start"
wait_for 30 "a backup of app" has_backup app
pid=$(prop MainPID)

step "a good configuration adding crm: reload succeeds, crm gets backed up"
write_config "every 2s" app crm
systemctl reload litesafe || fail "reload of a good config"
wait_for 30 "a backup of crm" has_backup crm
[[ $(prop MainPID) == "$pid" ]] || fail "the daemon restarted instead of reloading"
journalctl -u litesafe --no-pager -o cat | grep -qi "reload" || fail "no reload line in the journal"

step "a broken configuration: reload fails, the service stays active on the old one, the journal says why"
sed -i "s/^  schedule:/  shedule:/" /etc/litesafe/litesafe.yml
if systemctl reload litesafe; then fail "reload of a broken config succeeded"; fi
ok "systemctl reload failed"
[[ $(prop ActiveState) == active ]] || fail "service not active after a failed reload"
[[ $(prop MainPID) == "$pid" ]] || fail "the daemon restarted"
journalctl -u litesafe --no-pager -o cat | grep -q "shedule" || fail "the journal does not name the bad key"
before=$(backups_of crm)
wait_for 30 "crm still backed up under the old config" has_backup crm $((before + 1))

step "a broken file that slips past check-config (SIGHUP sent directly) keeps the old config too"
kill -HUP "$pid"
# The refusal in the journal proves the daemon handled this SIGHUP; only then is "still
# active" worth asserting.
refused() {
  journalctl -u litesafe --no-pager -o cat -p err SYSLOG_IDENTIFIER=litesafe |
    grep -q "refused, still running the previous configuration"
}
wait_for 30 "an error-priority reload refusal in the journal" refused
[[ $(prop ActiveState) == active ]] || fail "died on a bad SIGHUP"
[[ $(prop MainPID) == "$pid" ]] || fail "the daemon restarted after a bad SIGHUP"
status=$(prop StatusText); echo "StatusText: $status"
[[ $status == *"reload failed"* ]] || fail "StatusText does not say the reload failed"
