#!/usr/bin/env bash
# journalctl shows native entries with MESSAGE_ID and LITESAFE_* fields, and the catalog text.
source /usr/local/lib/litesafe-test/lib.sh
activate_install; make_app app; make_key; write_config "every 2s" app
systemctl start litesafe || fail "start"
wait_for 30 "a backup of app" has_backup app
# The backup's log entry may reach journald a moment after its files appear.
logged() { journalctl -u litesafe -o json --no-pager | grep -q LITESAFE_BACKUP; }
wait_for 30 "the backup's entry in the journal" logged
step "journalctl -u litesafe -o json has MESSAGE_IDs and LITESAFE_* fields"
journalctl -u litesafe -o json --no-pager >/root/journal.json
python3 - <<'PY' || fail "journal fields"
import json
entries = [json.loads(l) for l in open("/root/journal.json")]
done = [e for e in entries if e.get("LITESAFE_BACKUP") and e.get("MESSAGE_ID")]
assert done, "no entry with LITESAFE_BACKUP and MESSAGE_ID"
e = done[0]
for field in ["LITESAFE_DATABASE", "LITESAFE_BYTES", "LITESAFE_DURATION_MS", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "PRIORITY"]:
    assert field in e, f"missing {field}"
assert e["LITESAFE_DATABASE"] == "app" and e["SYSLOG_IDENTIFIER"] == "litesafe"
print("ok: fields", sorted(k for k in e if k.startswith("LITESAFE_")), "MESSAGE_ID", e["MESSAGE_ID"])
PY
step "operators' filters work: by database, by priority, by MESSAGE_ID"
journalctl -u litesafe LITESAFE_DATABASE=app --no-pager -o cat | grep -q "completed" || fail "filter by database"
id=$(python3 -c "import json; print([json.loads(l) for l in open('/root/journal.json') if 'LITESAFE_BACKUP' in json.loads(l)][0]['MESSAGE_ID'])")
journalctl MESSAGE_ID="$id" --no-pager -o cat | grep -q "completed" || fail "filter by MESSAGE_ID"
step "journalctl -x shows the catalog text"
journalctl -x -u litesafe --no-pager MESSAGE_ID="$id" | grep -q "Defined-By: litesafe\|-- Subject\|Subject:" || journalctl -x -u litesafe --no-pager MESSAGE_ID="$id" | head -20
journalctl -x -u litesafe --no-pager MESSAGE_ID="$id" | grep -q "░░" || fail "no catalog text under journalctl -x"
ok "catalog text shown"
