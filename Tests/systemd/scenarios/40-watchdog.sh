#!/usr/bin/env bash
# A hung backup (the debug build's test hook) stops the watchdog pings: systemd restarts it.
source /usr/local/lib/litesafe-test/lib.sh
activate_install; make_app app; make_key; write_config "every 2s" app
mkdir -p /etc/systemd/system/litesafe.service.d
printf '[Service]\nWatchdogSec=4s\nRestartSec=1s\nEnvironment=LITESAFE_TEST_HANG_BACKUP=app\nEnvironment=LITESAFE_TEST_BACKUP_DEADLINE=2s\n' \
  >/etc/systemd/system/litesafe.service.d/hang.conf
systemctl daemon-reload
systemctl start litesafe || fail "start"
step "the hung backup gets the service restarted by the watchdog"
wait_for 60 "systemd restarted the service" sh -c '[ "$(systemctl show -p NRestarts --value litesafe)" -ge 1 ]'
journalctl -u litesafe --no-pager -o cat | grep -qi "watchdog timeout" || fail "the journal does not show a watchdog timeout"
ok "watchdog timeout in the journal"
