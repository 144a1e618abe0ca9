"""`format: pages` under faults: kill -9 inside pack writing, the index's commit and the pack
sweep. After each crash every kept snapshot restores (with scripts/restore-pages.py, which uses
the real age and zstd, and with `litesafe verify --identity`), and the next run finishes the
job: no pack survives that no kept snapshot names."""
import hashlib, json, os, re, sqlite3, time
import support
from support import (CRASH_ENV, check_modes, check_no_leftovers, check_store, eventually, expect, info, make_bank,
                     manifests, output, pack_files, packs_named, peak_rss_and_run, timeout)
from tests_backup import backup, finish, list_and_verify_agree_with_disk, store_folder, world
from tests_scale import make_big_database


def tail_sha256(path, skip):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(skip)
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

PAGES = "format: pages\n"


def move_one(db):
    """A transfer between accounts 1 and 2: one page changes, the bank's total stays."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1")
        conn.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 2")
        conn.execute("COMMIT")
    finally:
        conn.close()


def expect_packs_named(ctx, when):
    folder = store_folder(ctx)
    stored, named = pack_files(folder), packs_named(folder)
    expect(named <= stored, f"{when}: packs a kept snapshot names are gone: {sorted(named - stored)}")
    expect(stored <= named, f"{when}: packs no kept snapshot names survive: {sorted(stored - named)}")


def pages_crash_at(ctx, point, mode="wal"):
    """A page snapshot, then one killed at `point` under the bank writer, then the restart."""
    db, w, cfg = world(ctx, mode=mode, defaults=PAGES)
    backup(ctx, cfg)
    before = manifests(store_folder(ctx))
    r = backup(ctx, cfg, env={CRASH_ENV: point}, ok=False)
    expect(r.returncode == -9, f"expected death by SIGKILL at {point}, got status {r.returncode}: {output(r)[-400:]}")
    after = manifests(store_folder(ctx))
    expect(after == before, f"a page snapshot killed at {point} changed the listed backups: {before} -> {after}")
    listed = ctx.litesafe("list", "--from", ctx.path("backups"), "app")
    expect(listed.returncode == 0 and listed.stdout.count(".pages.age") == len(before),
           f"list after the crash: {output(listed)}")
    check_store(ctx, ctx.path("backups"))  # the kept snapshot restores right after the crash
    info(f"{point}: {len(pack_files(store_folder(ctx)) - packs_named(store_folder(ctx)))} pack(s) left unnamed")
    backup(ctx, cfg)
    expect_packs_named(ctx, "after the restart")
    finish(ctx, w, expected_backups=len(before) + 1)


def test_pages_crash_during_capture(ctx): pages_crash_at(ctx, "backup-during-capture")
def test_pages_crash_after_pack(ctx): pages_crash_at(ctx, "backup-after-pack")
def test_pages_crash_after_pack_staged(ctx): pages_crash_at(ctx, "backup-after-pack", mode="delete")
def test_pages_crash_before_index_publish(ctx): pages_crash_at(ctx, "backup-before-publish")
def test_pages_crash_before_manifest_publish(ctx): pages_crash_at(ctx, "backup-before-manifest-publish")


def pages_prune_crash_at(ctx, point):
    """keep_last 2, one page changed before each backup (so each snapshot's new pack is wholly
    replaced by the next one's); the fourth backup commits, and its prune (which deletes the
    second snapshot and then its pack) is killed at `point`."""
    db, _, cfg = world(ctx, retention="keep_last: 2", writer=False, defaults=PAGES)
    for _ in range(3):
        move_one(db)
        backup(ctx, cfg)
        time.sleep(0.01)
    before = manifests(store_folder(ctx))
    expect(len(before) == 2, f"setup: {before}")
    move_one(db)
    r = backup(ctx, cfg, env={CRASH_ENV: point}, ok=False)
    expect(r.returncode == -9, f"expected death by SIGKILL at {point}, got {r.returncode}: {output(r)[-400:]}")
    after = manifests(store_folder(ctx))
    expect(len(after) == 2 and before[1] in after,
           f"the prune killed at {point} should have removed the oldest manifest only: {before} -> {after}")
    check_store(ctx, ctx.path("backups"))  # every kept snapshot restores right after the crash
    list_and_verify_agree_with_disk(ctx)
    info(f"{point}: {len(pack_files(store_folder(ctx)) - packs_named(store_folder(ctx)))} pack(s) left unnamed")
    move_one(db)
    backup(ctx, cfg)
    expect_packs_named(ctx, "after the next run")
    finish(ctx, None, expected_backups=2)


def test_pages_crash_during_prune_after_manifest(ctx): pages_prune_crash_at(ctx, "prune-after-manifest")
def test_pages_crash_during_pack_sweep(ctx): pages_prune_crash_at(ctx, "prune-during-pack-sweep")


@timeout(420)
def test_pages_past_the_lock_byte_page(ctx):
    """A WAL database over 1 GiB (SQLite's lock-byte page inside, an account past it): a page
    snapshot, a transfer touching that account, a second snapshot of a few pages; the second
    restores byte for byte with `litesafe restore`, and with scripts/restore-pages.py."""
    db = ctx.path("data", "big.db")
    ctx.defer(lambda: [os.unlink(p) for p in (db, ctx.path("restored.db"), ctx.path("check.db"))
                       if os.path.exists(p)])
    make_big_database(db, (1 << 30) + (96 << 20))
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    cfg = ctx.config({"big": db}, defaults=PAGES + "busy_timeout: 10s")
    r, peak = peak_rss_and_run([support.LITESAFE, "backup", "--config", cfg], timeout=400)
    expect(r.returncode == 0, f"the first page snapshot failed: {output(r)[-600:]}")
    info(f"first page snapshot of {os.path.getsize(db) >> 20} MiB: peak RSS {peak / 1024:.0f} MiB")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE accounts SET balance = balance - 5 WHERE id = 100")
    conn.execute("UPDATE accounts SET balance = balance + 5 WHERE id = 0")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    r = ctx.litesafe("backup", "--config", cfg, timeout=400)
    expect(r.returncode == 0, f"the second page snapshot failed: {output(r)[-600:]}")
    folder = ctx.path("backups", "big")
    with open(os.path.join(folder, manifests(folder)[-1])) as f:
        manifest = json.load(f)
    expect(manifest["pages"]["new_pages"] <= 4, f"the second snapshot stored {manifest['pages']['new_pages']} pages")
    out = ctx.path("restored.db")
    r = ctx.litesafe("restore", "--from", ctx.path("backups"), "big", "--identity", ctx.key, "-o", out, timeout=400)
    expect(r.returncode == 0, f"restore failed: {output(r)[-600:]}")
    # Byte for byte after page 1 (whose header counters the online backup sets as its own).
    expect(tail_sha256(out, 65536) == tail_sha256(db, 65536), "the restored pages 2…N are not the source's")
    accounts = "SELECT group_concat(id || ':' || balance) FROM accounts"
    expect(sqlite3.connect(out).execute(accounts).fetchone() == sqlite3.connect(db).execute(accounts).fetchone(),
           "the restored accounts are not the source's")
    os.unlink(out)
    expect(check_store(ctx, ctx.path("backups")) == 2, "not both snapshots were checked")


@timeout(90)
def test_pages_daemon_every_second(ctx):
    """The daemon backs up a page store every second under the bank writer, each snapshot a
    few pages, retention pruning and sweeping as it goes; a kill -9 mid-pack and a restart
    leave every kept snapshot restorable and no pack that none reads."""
    db = ctx.path("data", "app.db")
    make_bank(db)
    w = ctx.bank_writer(db, sleep=0.002)
    cfg = ctx.config({"app": db}, defaults="schedule: every 1s\nretention: { keep_last: 3 }\n" + PAGES)
    done = re.compile(r"backup of 'app' completed: (\S+\.pages\.age)")
    d = ctx.daemon(cfg, env={CRASH_ENV: "backup-after-pack"})
    expect(eventually(lambda: not d.alive, timeout=30), f"the daemon did not reach backup-after-pack: {d.log[-800:]}")
    d = ctx.daemon(cfg, log_name="restarted.log")
    expect(eventually(lambda: len(done.findall(d.log)) >= 6, timeout=60), f"too few backups: {d.log[-800:]}")
    code = d.stop()
    expect(code == 0, f"the daemon exited {code} on SIGTERM; log tail: {d.log[-800:]}")
    ctx.stop_writer(w)
    folder = store_folder(ctx)
    expect(len(manifests(folder)) == 3, f"retention kept {manifests(folder)}")
    expect_packs_named(ctx, "after the daemon stopped")
    check_store(ctx, ctx.path("backups"))
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    check_modes(ctx.path("backups"), ctx.path("state"))
