"""`format: pages` under faults: kill -9 inside pack writing, the index's commit and the pack
sweep. After each crash every kept snapshot restores (with scripts/restore-pages.py, which uses
the real age and zstd, and with `litesafe verify --identity`), and the next run finishes the
job: no pack survives that no kept snapshot names."""
import sqlite3, time
from support import CRASH_ENV, check_store, expect, info, manifests, output, pack_files, packs_named
from tests_backup import backup, finish, list_and_verify_agree_with_disk, store_folder, world

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
