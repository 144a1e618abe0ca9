"""The daemon (`litesafe run`) under faults: reloads of broken files, a storm of SIGHUPs, a
kill -9 mid-backup and a restart, and the wall clock jumping."""
import os, re, signal, time
from support import (CRASH_ENV, check_modes, check_no_leftovers, check_store, eventually, expect, info, make_bank,
                     manifests, timeout, write_private)

COMPLETED = re.compile(r"backup of '([^']+)' completed: (\S+\.sqlite\.zst\.age)")


def completed(daemon, name="app"):
    """The files the daemon reported committed, in order."""
    return [f for db, f in COMPLETED.findall(daemon.log) if db == name]


def daemon_world(ctx, schedule="every 1s", retention="keep_last: 50", extra_databases=()):
    db = ctx.path("data", "app.db")
    make_bank(db)
    w = ctx.bank_writer(db, sleep=0.002)
    dbs = {"app": db}
    for name in extra_databases:
        make_bank(ctx.path("data", f"{name}.db"))
        dbs[name] = ctx.path("data", f"{name}.db")
    defaults = f"schedule: {schedule}\nretention: {{ {retention} }}"
    return w, dbs, ctx.config(dbs, defaults=defaults), defaults


def replace_config(ctx, path, text):
    """Writes the new file beside the old one and renames it over: a reload never reads half a file."""
    write_private(path + ".new", text)
    os.rename(path + ".new", path)


def stop_and_check(ctx, daemon, writer, min_backups=1):
    code = daemon.stop()
    expect(code == 0, f"the daemon exited {code} on SIGTERM; log tail: {daemon.log[-800:]}")
    if writer:
        ctx.stop_writer(writer)
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    n = check_store(ctx, ctx.path("backups"))
    expect(n >= min_backups, f"only {n} backups stored")
    check_modes(ctx.path("backups"), ctx.path("state"))
    return n


@timeout(60)
def test_daemon_sighup_with_broken_config_keeps_old(ctx):
    w, dbs, cfg, defaults = daemon_world(ctx)
    d = ctx.daemon(cfg)
    expect(eventually(lambda: len(completed(d)) >= 2), f"no backups: {d.log[-800:]}")
    good = open(cfg).read()
    replace_config(ctx, cfg, good.replace("  schedule: every 1s", "  shedule: every 1s"))
    d.signal(signal.SIGHUP)
    expect(eventually(lambda: f"reload of {cfg} refused" in d.log), f"no refusal logged: {d.log[-800:]}")
    expect("unknown key 'shedule'" in d.log, "the refusal does not say why")
    expect(d.alive, "the daemon died on a broken reload")
    n = len(completed(d))
    expect(eventually(lambda: len(completed(d)) >= n + 2), "backups stopped after the refused reload")
    stop_and_check(ctx, d, w, min_backups=4)


@timeout(90)
def test_daemon_hundred_sighups_in_a_second(ctx):
    """100 SIGHUPs within a second while backups run, the file alternating between two valid
    versions and ending on a third: the daemon lives, ends on the last file, and the store is whole."""
    w, dbs, cfg, defaults = daemon_world(ctx, extra_databases=("b", "final"))
    one = ctx.config({"app": dbs["app"]}, defaults=defaults, name="one.yml")
    two = ctx.config({"app": dbs["app"], "b": dbs["b"]}, defaults=defaults.replace("every 1s", "every 2s"),
                     name="two.yml")
    last = ctx.config({"app": dbs["app"], "final": dbs["final"]}, defaults=defaults, name="last.yml")
    texts = [open(p).read() for p in (one, two, last)]
    replace_config(ctx, cfg, texts[0])
    d = ctx.daemon(cfg)
    expect(eventually(lambda: len(completed(d)) >= 1), f"no backups: {d.log[-800:]}")
    start = time.monotonic()
    for i in range(100):
        replace_config(ctx, cfg, texts[2] if i == 99 else texts[i % 2])
        d.signal(signal.SIGHUP)
        time.sleep(0.008)
    took = time.monotonic() - start
    info(f"100 SIGHUPs sent in {took:.2f} s")
    expect(d.alive, f"the daemon died in the SIGHUP storm: {d.log[-800:]}")
    reloads = d.log.count(f"reloaded {cfg}")
    refused = d.log.count(f"reload of {cfg} refused")
    expect(refused == 0, f"{refused} reloads of valid files were refused: {d.log[-800:]}")
    before = len(completed(d, "final"))
    expect(eventually(lambda: len(completed(d, "final")) >= before + 2, timeout=20),
           f"the last configuration (database 'final') is not running: {d.log[-1200:]}")
    info(f"{reloads} reloads applied, {len(completed(d))} backups of app meanwhile")
    # Once settled, 'b' (only in the second file) is no longer scheduled.
    # Three more backups of 'final' (every 1s) prove that more than one period of 'b' (every 2s
    # in the second file) has passed.
    b_now = len(completed(d, "b"))
    final_now = len(completed(d, "final"))
    expect(eventually(lambda: len(completed(d, "final")) >= final_now + 3, timeout=20),
           f"the last configuration stopped backing up 'final': {d.log[-1200:]}")
    expect(len(completed(d, "b")) == b_now, "database 'b', absent from the last file, is still backed up")
    stop_and_check(ctx, d, w, min_backups=3)


@timeout(60)
def test_daemon_killed_mid_backup_restarts_clean(ctx):
    """kill -9 of the daemon during encryption; the restarted daemon removes the leftovers,
    says so in its log, and backs up again."""
    w, dbs, cfg, defaults = daemon_world(ctx)
    d = ctx.daemon(cfg, env={CRASH_ENV: "backup-during-encryption"})
    expect(eventually(lambda: not d.alive), "the daemon did not reach the crash point")
    expect(d.process.returncode == -9, f"exit {d.process.returncode}")
    expect(manifests(ctx.path("backups", "app")) == [], "a backup was listed after the crash")
    d = ctx.daemon(cfg, log_name="restarted.log")
    expect(eventually(lambda: len(completed(d)) >= 2), f"no backups after the restart: {d.log[-800:]}")
    expect("left by an interrupted run" in d.log, f"the log does not say it removed leftovers: {d.log[-1000:]}")
    stop_and_check(ctx, d, w, min_backups=2)


# --- the wall clock jumps (libfaketime; the monotonic clock is left alone) ------------------------

def faked_offset_limit():
    """The largest forward offset libfaketime can give this machine's timers: a bit less than its uptime.

    libfaketime 0.9.10 moves absolute timerfd deadlines by minus its offset even on
    CLOCK_MONOTONIC (FAKETIME_DONT_FAKE_MONOTONIC notwithstanding), and Dispatch arms its timers
    with absolute CLOCK_MONOTONIC deadlines. An offset larger than the time since boot turns every
    deadline negative: timerfd_settime(2) fails with EINVAL, Dispatch drops the error, no timer of
    the daemon fires again, and the daemon stalls after the backup it starts without one. That
    was the "no backups" failure of clock_jump_back_an_hour in a fresh `make test` on a machine up
    for less than an hour (issue #16, item 6): libfaketime's doing, not LiteSafe's. A real
    clock step does not touch CLOCK_MONOTONIC deadlines."""
    limit = int(time.clock_gettime(time.CLOCK_MONOTONIC)) - 120
    expect(limit >= 60, f"the machine has been up only {limit + 120} s; libfaketime needs a few minutes of uptime "
                        "to fake a clock step under a daemon's timers")
    return limit


def clock_jump(ctx, start, to):
    """Runs the daemon with the wall clock `start` seconds off, then sets it `to` seconds off.

    libfaketime 0.9.10 shifts absolute timerfd deadlines by its offset even on CLOCK_MONOTONIC
    (FAKETIME_DONT_FAKE_MONOTONIC notwithstanding; seen with strace), so a daemon running at a
    negative offset would have its timers delayed by that much: not LiteSafe's doing. A jump
    back is therefore made from a positive offset to +0 (timers only fire early before it, and
    are exact after), and no offset exceeds `faked_offset_limit()`."""
    expect(max(start, to) <= faked_offset_limit(), f"a faked offset of {max(start, to)} s is past the machine's uptime")
    offset_seconds = to - start
    offset = ctx.path("faketime")
    with open(offset, "w") as f:
        f.write(f"{start:+d}\n")
    w, dbs, cfg, defaults = daemon_world(ctx, schedule="every 2s", retention="keep_last: 4")
    # Through the faketime(1) wrapper: a bare LD_PRELOAD (without the FAKETIME_SHARED it sets up)
    # garbles the Swift runtime's view of argv on Debian 12's libfaketime 0.9.10.
    # `env -u FAKETIME` so the offset comes from the file, which the test rewrites.
    d = ctx.daemon(cfg, env={"FAKETIME_TIMESTAMP_FILE": offset, "FAKETIME_NO_CACHE": "1",
                             "FAKETIME_DONT_FAKE_MONOTONIC": "1"},
                   wrap=["faketime", "-f", "+0", "env", "-u", "FAKETIME"])
    expect(eventually(lambda: len(completed(d)) >= 4, timeout=20), f"no backups: {d.log[-800:]}")
    before = completed(d)
    jumped = time.monotonic()
    with open(offset, "w") as f:
        f.write(f"{to:+d}\n")
    # The window ends on an event, the third backup after the jump, not after a blind sleep:
    # on schedule that takes about 4 s or more; a burst of catch-up backups gets there at once.
    expect(eventually(lambda: len(completed(d)) >= len(before) + 3, timeout=20),
           f"backups stopped after the jump: {len(completed(d)) - len(before)} in 20 s: {d.log[-800:]}")
    window = time.monotonic() - jumped
    after = completed(d)[len(before):]
    info(f"jump {offset_seconds:+d} s: {len(after)} backups in the {window:.1f} s after (every 2s), "
         f"{len(manifests(ctx.path('backups', 'app')))} stored")
    expect(d.alive, "the daemon died when the clock jumped")
    expect(len(after) <= window / 2 + 2, f"a burst of backups after the jump: {len(after)} in {window:.1f} s")
    expect(len(after) >= 2, f"backups stopped after the jump: {len(after)} in {window:.1f} s")
    stored = manifests(ctx.path("backups", "app"))
    expect(len(stored) >= 4, f"a mass prune after the jump: {len(stored)} backups left of keep_last 4")
    newest = after[-1][: -len(".sqlite.zst.age")] + ".manifest.json"
    expect(newest in stored, f"the backup just reported committed ({after[-1]}) was pruned; stored: {stored}")
    return d, w


@timeout(60)
def test_clock_jump_forward_an_hour(ctx):
    """An hour forward, or as far as the machine's uptime lets libfaketime go (see faked_offset_limit)."""
    d, w = clock_jump(ctx, 0, min(3600, faked_offset_limit()))
    stop_and_check(ctx, d, w, min_backups=4)


@timeout(60)
def test_clock_jump_back_an_hour(ctx):
    """An hour back, or as far as the machine's uptime lets libfaketime go (see faked_offset_limit)."""
    d, w = clock_jump(ctx, min(3600, faked_offset_limit()), 0)
    stop_and_check(ctx, d, w, min_backups=4)


@timeout(60)
def test_daemon_destination_full_stays_up(ctx):
    """The destination fills up under a running daemon: the failure is logged with its cause,
    the daemon stays up, and the backups already made stay whole."""
    from tests_backup import grow
    ctx.tmpfs(ctx.path("backups"), "400k")
    db = ctx.path("data", "app.db")
    make_bank(db, "delete")
    cfg = ctx.config({"app": db}, defaults="schedule: every 1s\nretention: { keep_last: 2 }")
    d = ctx.daemon(cfg)
    expect(eventually(lambda: len(completed(d)) >= 1), f"no backups: {d.log[-800:]}")
    grow(db)
    expect(eventually(lambda: "No space left on device" in d.log, timeout=20),
           f"no disk-full failure logged: {d.log[-800:]}")
    line = next(l for l in d.log.splitlines() if "No space left on device" in l)
    info(f"logged: {line[:240]}")
    expect("backup of 'app' failed" in line and "free space" in line, f"the log line does not say what to do: {line}")
    time.sleep(1)
    expect(d.alive, "the daemon died when the disk filled up")
    # Leftovers are checked once it has stopped: while it runs (every 1s), the temporary file of
    # the backup in flight is no leftover, and looking then failed the test now and again.
    stop_and_check(ctx, d, None, min_backups=1)


def anonymous_kib(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("Anonymous:"))


@timeout(90)
def test_daemon_returns_backup_memory_between_backups(ctx):
    """Between backups the daemon holds little more than its own state: the buffers a backup of a
    larger database used (compression jobs, encryption batches, reads) go back to the system
    instead of staying resident until the next backup (glibc's default thresholds kept 20-40 MiB)."""
    db = ctx.path("data", "app.db")
    make_bank(db, transfers=40000)  # about 30 MB
    cfg = ctx.config({"app": db}, defaults="schedule: every 8s\nretention: { keep_last: 2 }")
    d = ctx.daemon(cfg)
    samples = []
    for n in range(1, 4):
        expect(eventually(lambda: len(completed(d)) >= n, timeout=30), f"backup {n} did not complete: {d.log[-800:]}")
        time.sleep(0.5)  # the next backup starts about 8 s after this one did
        sample = anonymous_kib(d.pid)
        started = d.log.count("backup of 'app' started")
        expect(started == n, f"backup {n + 1} had started before the sample; the test needs a longer schedule")
        samples.append(sample)
    info(f"anonymous memory after each of 3 backups of a {os.path.getsize(db) // 2**20} MiB database: "
         + ", ".join(f"{k / 1024:.1f} MiB" for k in samples))
    expect(max(samples[1:]) < 12 * 1024, f"the idle daemon kept {max(samples[1:]) / 1024:.1f} MiB after its backups")
    stop_and_check(ctx, d, None, min_backups=2)
