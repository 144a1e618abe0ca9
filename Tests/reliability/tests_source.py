"""The source database misbehaving: locked, damaged, truncated, not a database, missing, a
symlink, and busy with writers in both journal modes."""
import os, subprocess, time
from support import (PYTHON, check_modes, check_no_leftovers, check_store, expect, info, make_bank, manifests,
                     output, timeout)
from tests_backup import backup, finish, store_folder

HOLD_LOCK = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE accounts SET balance = balance WHERE id = 0")
print("locked", flush=True)
time.sleep(600)
"""


def source_world(ctx, mode="delete"):
    db = ctx.path("data", "app.db")
    make_bank(db, mode, transfers=600)
    return db, ctx.config({"app": db}, defaults="busy_timeout: 1s")


def refused(ctx, cfg, message, published=0):
    """The backup fails with `message`, nothing new is listed and nothing is left behind."""
    before = manifests(store_folder(ctx))
    r = backup(ctx, cfg, ok=False)
    expect(r.returncode != 0, f"the backup succeeded: {output(r)}")
    expect(message in output(r), f"the error does not say {message!r}: {output(r)[-600:]}")
    expect(manifests(store_folder(ctx)) == before, "something was published")
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    n = check_store(ctx, ctx.path("backups"))
    expect(n == published, f"{n} backups stored, expected {published}")
    check_modes(ctx.path("backups"), ctx.path("state"))
    return r


def test_source_locked_past_busy_timeout(ctx):
    db, cfg = source_world(ctx)
    backup(ctx, cfg)
    holder = ctx.spawn([PYTHON, "-c", HOLD_LOCK, db], stdout=subprocess.PIPE, text=True)
    expect(holder.stdout.readline().strip() == "locked", "the lock holder did not start")
    t0 = time.monotonic()
    refused(ctx, cfg, "stayed locked by another connection for longer than the busy timeout (1000 ms)", published=1)
    info(f"gave up after {time.monotonic() - t0:.1f} s with busy_timeout 1s")


def test_source_bit_flipped_pages(ctx):
    db, cfg = source_world(ctx)
    backup(ctx, cfg)
    size = os.path.getsize(db)
    with open(db, "r+b") as f:  # flip every byte of pages 3 to 5 (b-tree pages, not the header)
        f.seek(4096 * 3)
        chunk = bytearray(f.read(4096 * 3))
        f.seek(4096 * 3)
        f.write(bytes(b ^ 0x5A for b in chunk))
    expect(os.path.getsize(db) == size, "setup")
    r = refused(ctx, cfg, "nothing was published", published=1)
    expect("integrity check" in output(r) or "quick_check" in output(r), f"message: {output(r)[-400:]}")


def test_source_truncated(ctx):
    db, cfg = source_world(ctx)
    backup(ctx, cfg)
    os.truncate(db, os.path.getsize(db) // 2 + 100)
    r = refused(ctx, cfg, "failed its integrity check", published=1)
    info(f"truncated source: {[l for l in output(r).splitlines() if 'failed' in l][0].split('failed: ', 1)[-1][:160]}")


def test_source_not_a_database(ctx):
    db, cfg = source_world(ctx)
    with open(db, "wb") as f:
        f.write(b"A" * 8192)
    refused(ctx, cfg, "is not an SQLite database")


def test_source_missing_nothing_created(ctx):
    db, cfg = source_world(ctx)
    os.unlink(db)
    refused(ctx, cfg, "does not exist (nothing was created)")
    left = sorted(os.listdir(ctx.path("data")))
    expect(left == [], f"the backup created files beside the missing source: {left}")


def test_source_replaced_by_symlink(ctx):
    db, cfg = source_world(ctx)
    os.rename(db, ctx.path("data", "real.db"))
    os.symlink(ctx.path("data", "real.db"), db)
    refused(ctx, cfg, "contains a symbolic link, which LiteSafe refuses")


# --- writers ----------------------------------------------------------------------------------

def latencies(path):
    with open(path) as f:
        return sorted(int(l) for l in f if l.strip())


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0


def backups_under_writes(ctx, mode, seconds=4.0, sleep=0.0):
    """The writer alone for `seconds`, then with backups back to back for `seconds`; returns
    (latencies without, latencies with, backups made, failures)."""
    db = ctx.path("data", "app.db")
    make_bank(db, mode, transfers=3000)
    cfg = ctx.config({"app": db}, defaults="retention: { keep_last: 50 }")
    alone = ctx.path("alone.lat")
    w = ctx.bank_writer(db, mode, latency=alone, sleep=sleep)
    time.sleep(seconds)
    ctx.stop_writer(w)
    during = ctx.path("during.lat")
    w = ctx.bank_writer(db, mode, latency=during, sleep=sleep)
    made, failures, durations = 0, [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        r = backup(ctx, cfg, ok=False)
        durations.append(time.monotonic() - t0)
        if r.returncode == 0:
            made += 1
        else:
            failures.append([l for l in output(r).splitlines() if "failed" in l][-1].split("failed: ", 1)[-1][:200])
    ctx.stop_writer(w)
    info(f"{mode}: {made} of {len(durations)} backups finished under constant writes "
         f"({min(durations):.2f}–{max(durations):.2f} s each)")
    return latencies(alone), latencies(during), made, failures


def report_latency(label, alone, during):
    p_alone, p_during = pct(alone, .99), pct(during, .99)
    info(f"{label}: writer stall (longest transaction) {max(during, default=0) / 1000:.1f} ms during backups vs "
         f"{max(alone, default=0) / 1000:.1f} ms alone; p99 {p_during / 1000:.2f} ms vs {p_alone / 1000:.2f} ms "
         f"(ratio {p_during / max(p_alone, 1):.1f}×); {len(during)} vs {len(alone)} transactions")


@timeout(60)
def test_rollback_journal_under_constant_writes(ctx):
    alone, during, made, failures = backups_under_writes(ctx, "delete", seconds=6.0, sleep=0.001)
    report_latency("rollback journal", alone, during)
    expect(not failures, f"{len(failures)} backups failed under writes, first: {failures[0] if failures else ''}")
    expect(made >= 1, "no backup finished")
    finish(ctx, None, expected_backups=made)
    expect(max(during) < 30_000_000, "a writer waited past its own 30 s busy timeout")


@timeout(60)
def test_wal_under_constant_writes(ctx):
    alone, during, made, failures = backups_under_writes(ctx, "wal")
    report_latency("WAL", alone, during)
    expect(not failures, f"{len(failures)} backups failed under writes, first: {failures[0] if failures else ''}")
    expect(made >= 2, f"only {made} backups finished under writes")
    finish(ctx, None, expected_backups=made)
