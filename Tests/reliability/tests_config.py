"""Broken configurations, each refused by `check-config` with its exact message (FILE:LINE:COL),
and refused at start by `run`."""
import os
from support import expect, output, write_private


def base(ctx):
    """Nine lines; the variants below edit them, so their line numbers are stable."""
    return [
        "defaults:",                                          # 1
        "  schedule: every 1h",                               # 2
        f"  destination: {ctx.path('backups')}",              # 3
        "  encryption:",                                      # 4
        f"    recipients_file: {ctx.recipients}",             # 5
        f"state_directory: {ctx.path('state')}",              # 6
        "databases:",                                         # 7
        "  - name: app",                                      # 8
        f"    path: {ctx.path('data', 'app.db')}",            # 9
    ]


def replace(lines, number, text):
    out = list(lines)
    out[number - 1] = text
    return out


def insert(lines, after, *texts):
    return lines[:after] + list(texts) + lines[after:]


# (name, edit(lines, ctx) -> lines, expected message after "FILE:")
VARIANTS = [
    ("yaml_syntax", lambda l, c: insert(l, 2, " jitter: 0s"),
     "3:2: invalid YAML: did not find expected key (while parsing a block mapping at line 1, column 1)"),
    ("unknown_top_level_key", lambda l, c: insert(l, 6, "timezone: UTC"),
     "7:1: unknown key 'timezone' — did you mean 'time_zone'?"),
    ("unknown_key_under_defaults", lambda l, c: replace(l, 2, "  scheduel: every 1h"),
     "2:3: unknown key 'scheduel' — did you mean 'schedule'?"),
    ("unknown_key_under_database", lambda l, c: l + ["    shedule: every 1h"],
     "10:5: unknown key 'shedule' — did you mean 'schedule'?"),
    ("key_at_wrong_level", lambda l, c: insert(l, 6, "schedule: every 1h"),
     "7:1: 'schedule' cannot be set at the top level — it belongs under defaults or under each database"),
    ("type_number_expected", lambda l, c: insert(l, 6, "max_concurrent_backups: two"),
     "7:25: max_concurrent_backups: expected a whole number ≥ 1, got 'two'"),
    ("type_list_for_duration", lambda l, c: insert(l, 2, "  busy_timeout: [5s]"),
     "3:17: defaults.busy_timeout: expected a duration such as 90s, 15m or 1h30m, got a list"),
    ("duration_with_spaces", lambda l, c: insert(l, 2, "  jitter: 5 minutes"),
     "3:11: defaults.jitter: invalid duration '5 minutes': remove the spaces, e.g. 1h30m "
     "(valid examples: 90s, 15m, 1h30m, 2d, 1w)"),
    ("duration_fraction", lambda l, c: insert(l, 2, "  busy_timeout: 1.5s"),
     "3:17: defaults.busy_timeout: invalid duration '1.5s': fractions are not supported; combine units instead, "
     "e.g. 1h30m (valid examples: 90s, 15m, 1h30m, 2d, 1w)"),
    ("schedule_interval_without_every", lambda l, c: replace(l, 2, "  schedule: 5m"),
     "2:13: defaults.schedule: invalid schedule '5m': to back up at an interval, write 'every 5m'"),
    ("cron_minute_out_of_range", lambda l, c: replace(l, 2, '  schedule: "61 3 * * *"'),
     "2:13: defaults.schedule: minute field '61' in cron expression '61 3 * * *': 61 is out of range, must be 0–59"),
    ("cron_unknown_macro", lambda l, c: insert(l, 6, 'verify_schedule: "@fortnightly"'),
     "7:18: verify_schedule: invalid cron expression '@fortnightly': unknown macro; "
     "use @hourly, @daily, @weekly, @monthly or @yearly"),
    ("compression_level", lambda l, c: insert(l, 2, "  compression: zstd:25"),
     "3:16: defaults.compression: expected none, zstd or zstd:1 … zstd:19, got 'zstd:25'"),
    ("checkpoint_typo", lambda l, c: insert(l, 2, "  checkpoint: pasive"),
     "3:15: defaults.checkpoint: expected none, passive, full, restart or truncate, got 'pasive' — "
     "did you mean 'passive'?"),
    ("retention_keeps_nothing", lambda l, c: insert(l, 2, "  retention: { keep_last: 0 }"),
     "3:14: defaults.retention keeps nothing: set keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly or "
     "keep_yearly above 0, or keep_within, e.g. `retention: { keep_last: 3 }`"),
    ("time_zone_typo", lambda l, c: insert(l, 6, "time_zone: Europe/Pariss"),
     "7:12: time_zone: unknown time zone 'Europe/Pariss' — did you mean 'Europe/Paris'?"),
    ("relative_path", lambda l, c: replace(l, 9, "    path: app.db"),
     "9:11: databases.app.path: expected an absolute path (starting with /), got 'app.db'"),
    ("name_with_slash", lambda l, c: replace(l, 8, "  - name: app/db"),
     "8:11: database name 'app/db' may only contain letters, digits, '.', '_' and '-' (it names the backup folder)"),
    ("name_dot_dot", lambda l, c: replace(l, 8, '  - name: ".."'),
     "8:11: database name '..' cannot name a backup folder; choose another name"),
    ("duplicate_name", lambda l, c: l + ["  - name: app", f"    path: {c.path('data', 'other.db')}"],
     "10:11: duplicate database name 'app' (first used on line 8): each database needs its own name, "
     "which names its backup folder"),
    ("duplicate_key", lambda l, c: insert(l, 6, "time_zone: UTC", "time_zone: Europe/Berlin"),
     "7:1: key 'time_zone' appears more than once in the same mapping; keep only one"),
    ("no_databases", lambda l, c: l[:6] + ["databases: []"],
     "7:12: no databases configured: add a `databases:` list with at least one entry (name and path)"),
    ("missing_encryption", lambda l, c: l[:3] + l[5:],
     "6:5: no encryption configured for database 'app': add encryption.recipients or encryption.recipients_file, "
     "or `encryption: none` to store plaintext deliberately"),
    ("missing_recipients_file", lambda l, c: replace(l, 5, f"    recipients_file: {c.path('nowhere.txt')}"),
     "5:22: defaults.encryption.recipients_file: {dir}/nowhere.txt does not exist; create it with one age public "
     "key (age1…) per line"),
    # Root reads any file whatever its mode, so "unreadable" is a folder where the file should be.
    ("unreadable_recipients_file", lambda l, c: replace(l, 5, f"    recipients_file: {c.path('data')}"),
     "5:22: defaults.encryption.recipients_file: cannot read {dir}/data: Is a directory"),
    ("insecure_recipients_file", lambda l, c: replace(l, 5, f"    recipients_file: {c.path('open.txt')}"),
     "5:22: defaults.encryption.recipients_file: {dir}/open.txt is writable by group or others (mode 0666): anyone "
     "who can write it could add their own key and read future backups; run `chmod go-w {dir}/open.txt`"),
    ("bad_recipient", lambda l, c: replace(l, 5, "    recipients: [age1notakey]"),
     '5:18: defaults.encryption.recipients: invalid recipient "age1notakey": not a valid age public key: it contains '
     "a character an age key never has (after age1: letters and digits other than b, i, o and 1, no spaces); "
     "a recipient is an age public key such as age1… (age-keygen -y KEYFILE prints it)"),
    ("recipient_checksum", lambda l, c: replace(
        l, 5, "    recipients: [age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwx]"),
     '5:18: defaults.encryption.recipients: invalid recipient "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73'
     'equnujwx": not a valid age public key: its checksum does not match: a character is wrong, missing or extra '
     "(copy the key again); a recipient is an age public key such as age1… (age-keygen -y KEYFILE prints it)"),
    ("ssh_recipient", lambda l, c: replace(
        l, 5, '    recipients: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN a@b"]'),
     '5:18: defaults.encryption.recipients: invalid recipient "ssh-ed25519 …": SSH keys are not supported (age X25519 '
     "keys only); make one with `litesafe keygen` or `age-keygen`; a recipient is an age public key such as age1… "
     "(age-keygen -y KEYFILE prints it)"),
    # config/litesafe.yml's placeholder: backups encrypted to it could never be restored.
    ("example_key", lambda l, c: replace(
        l, 5, "    recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]"),
     "5:18: defaults.encryption.recipients holds the example key age1ql3z7hjy… from config/litesafe.yml, whose secret "
     "key nobody has: backups encrypted to it could never be restored; replace it with your own public key "
     "(`litesafe keygen -o key.txt` on another host prints it)"),
]


def check_variant(ctx, name, edit, expected):
    with open(ctx.recipients) as f:
        write_private(ctx.path("open.txt"), f.read())
    os.chmod(ctx.path("open.txt"), 0o666)
    path = ctx.path(f"{name}.yml")
    write_private(path, "\n".join(edit(base(ctx), ctx)) + "\n")
    r = ctx.litesafe("check-config", "--config", path)
    expect(r.returncode == 1, f"{name}: check-config exited {r.returncode}: {output(r)[-300:]}")
    problems = [l for l in r.stderr.splitlines() if l.startswith(path + ":") and l[len(path) + 1:][:1].isdigit()]
    want = path + ":" + expected.replace("{dir}", ctx.dir)
    expect(problems == [want], f"{name}: expected\n    {want}\n  got\n    " + "\n    ".join(r.stderr.splitlines()))
    summary = f"{path}: 1 error, 0 warnings; the configuration was not accepted"
    expect(summary in r.stderr.splitlines(), f"{name}: no summary line {summary!r}")
    started = ctx.litesafe("run", "--config", path, timeout=20)
    expect(started.returncode == 1 and want in started.stderr,
           f"{name}: run did not refuse the file the same way ({started.returncode}): {started.stderr[-300:]}")
    return want


def broken_variant_test(name, edit, expected):
    def test(ctx):
        import sqlite3
        sqlite3.connect(ctx.path("data", "app.db")).close()
        sqlite3.connect(ctx.path("data", "other.db")).close()
        check_variant(ctx, name, edit, expected)
    test.__doc__ = f"check-config and run refuse the {name.replace('_', ' ')} variant with its exact message."
    return test


# One named test per variant: test_config_broken_<name>.
for _name, _edit, _expected in VARIANTS:
    globals()[f"test_config_broken_{_name}"] = broken_variant_test(_name, _edit, _expected)
assert len(VARIANTS) >= 20


def test_config_valid_base_loads(ctx):
    """The base the variants edit is itself valid (so each variant tests one mistake)."""
    import sqlite3
    sqlite3.connect(ctx.path("data", "app.db")).close()
    path = ctx.path("base.yml")
    write_private(path, "\n".join(base(ctx)) + "\n")
    r = ctx.litesafe("check-config", "--config", path)
    expect(r.returncode == 0, f"the base configuration is refused: {output(r)}")


def test_config_insecure_config_file(ctx):
    import sqlite3
    sqlite3.connect(ctx.path("data", "app.db")).close()
    path = ctx.path("open.yml")
    write_private(path, "\n".join(base(ctx)) + "\n")
    os.chmod(path, 0o666)
    r = ctx.litesafe("check-config", "--config", path)
    expect(r.returncode == 1 and "is writable by group or others (mode 0666)" in r.stderr
           and f"chmod go-w {path}" in r.stderr, f"{output(r)}")
