#!/usr/bin/env bash
# A hung backup (the debug build's test hook) stops the watchdog pings: systemd restarts it.
source /usr/local/lib/litesafe-test/lib.sh
activate_install; make_app app; make_key; write_config "every 2s" app
mkdir -p /etc/systemd/system/litesafe.service.d
# The shipped unit's own settings end the aborted daemon at once (SWIFT_BACKTRACE=enable=no; a
# daemon that outlived the watchdog's SIGABRT cost this scenario 30 s): the restart is timed below.
printf '[Service]\nWatchdogSec=4s\nRestartSec=100ms\nEnvironment=LITESAFE_TEST_HANG_BACKUP=app\nEnvironment=LITESAFE_TEST_BACKUP_DEADLINE=2s\n' \
  >/etc/systemd/system/litesafe.service.d/hang.conf
systemctl daemon-reload
systemctl start litesafe || fail "start"
step "the hung backup gets the service restarted by the watchdog"
wait_for 60 "systemd restarted the service" sh -c '[ "$(systemctl show -p NRestarts --value litesafe)" -ge 1 ]'
journalctl -u litesafe --no-pager -o cat | grep -qi "watchdog timeout" || fail "the journal does not show a watchdog timeout"
ok "watchdog timeout in the journal"
# SIGABRT ended it: systemd never had to time the abort out and SIGKILL it.
if journalctl -u litesafe --no-pager -o cat | grep -qi "timed out. killing"; then
  fail "the daemon outlived the watchdog's SIGABRT until systemd killed it: $(journalctl -u litesafe --no-pager -o cat | grep -i 'timed out' | head -2)"
fi
ok "the watchdog's SIGABRT ended the daemon"
# The timeout is the hung backup's doing: the daemon said it held the pings back for it.
journalctl -u litesafe --no-pager -o cat | grep -q "has run longer than its 2s deadline.*holding back the watchdog" ||
  fail "the journal does not show the daemon holding back the watchdog for the hung backup"
ok "the daemon held back the watchdog for the hung backup"
