"""Stored dumps (`litesafe dump NAME --store`, `dump_schedule`) under faults: kill -9 at each
point of a dump's publish leaves nothing listed, and the next run cleans up."""
import json, os
from support import (CRASH_ENV, DUMP_SUFFIX, check_modes, check_no_leftovers, check_store, expect, info,
                     leftovers, make_bank, manifests, output)


def world(ctx, retention="keep_last: 3"):
    """A bank database under constant writes, configured with retention."""
    db = ctx.path("data", "app.db")
    make_bank(db, "wal")
    w = ctx.bank_writer(db, "wal", sleep=0.001)
    cfg = ctx.config({"app": db}, defaults=f"retention: {{ {retention} }}\n")
    return db, w, cfg


def store_dump(ctx, cfg, env=None, ok=True):
    r = ctx.litesafe("dump", "--config", cfg, "app", "--store", env=env)
    if ok:
        expect(r.returncode == 0, f"dump --store failed ({r.returncode}): {output(r).strip()[-600:]}")
    return r


def listed_kinds(ctx):
    r = ctx.litesafe("list", "--from", ctx.path("backups"), "app", "--json")
    expect(r.returncode == 0, f"list failed: {output(r)[-400:]}")
    return sorted(b["kind"] for b in json.loads(r.stdout))


def dump_crash_at(ctx, point):
    """A snapshot and a dump, then a dump killed at `point`, then the next dump (the restart)."""
    db, w, cfg = world(ctx)
    r = ctx.litesafe("backup", "--config", cfg)
    expect(r.returncode == 0, f"backup failed: {output(r)[-400:]}")
    store_dump(ctx, cfg)
    folder = ctx.path("backups", "app")
    before = manifests(folder)
    r = store_dump(ctx, cfg, env={CRASH_ENV: point}, ok=False)
    expect(r.returncode == -9, f"expected death by SIGKILL at {point}, got status {r.returncode}: {output(r)[-400:]}")
    expect(manifests(folder) == before, f"a dump killed at {point} changed the manifests: {before} -> {manifests(folder)}")
    expect(listed_kinds(ctx) == ["dump", "snapshot"], f"list after the crash: {listed_kinds(ctx)}")
    left = leftovers(ctx.path("backups"), ctx.path("state"))
    info(f"{point}: the crash left {len(left)} leftover file(s)")
    store_dump(ctx, cfg)
    ctx.stop_writer(w)
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    expect(listed_kinds(ctx) == ["dump", "dump", "snapshot"], f"list after the next run: {listed_kinds(ctx)}")
    # Every snapshot and dump decrypts with stock age, decompresses with zstd, matches its
    # manifest and (a dump loaded by stock sqlite3) holds a whole bank.
    n = check_store(ctx, ctx.path("backups"))
    expect(n == 3, f"{n} backups in the store, expected 3")
    check_modes(ctx.path("backups"), ctx.path("state"))
    return left


def test_dump_crash_during_compression(ctx): dump_crash_at(ctx, "backup-during-compression")
def test_dump_crash_during_encryption(ctx): dump_crash_at(ctx, "backup-during-encryption")
def test_dump_crash_before_publish(ctx): dump_crash_at(ctx, "backup-before-publish")


def test_dump_crash_after_publish_before_manifest(ctx):
    # The data file has its final name but no manifest: never listed, and removed by the next
    # run because its intent record names it.
    left = dump_crash_at(ctx, "backup-after-publish")
    expect(any(p.endswith(DUMP_SUFFIX) for p in left), f"the crash left no published data file: {left}")


def test_dump_crash_during_manifest_write(ctx): dump_crash_at(ctx, "backup-before-manifest-publish")


def test_dump_retention_counts_apart(ctx):
    """keep_last 2: two dumps and two snapshots, however they interleave."""
    db, w, cfg = world(ctx, retention="keep_last: 2")
    for _ in range(3):
        expect(ctx.litesafe("backup", "--config", cfg).returncode == 0, "backup failed")
        store_dump(ctx, cfg)
    store_dump(ctx, cfg)
    ctx.stop_writer(w)
    expect(listed_kinds(ctx) == ["dump", "dump", "snapshot", "snapshot"], f"kept: {listed_kinds(ctx)}")
    r = ctx.litesafe("prune", "--config", cfg)
    expect(r.returncode == 0, f"prune failed: {output(r)[-400:]}")
    expect(listed_kinds(ctx) == ["dump", "dump", "snapshot", "snapshot"], f"after prune: {listed_kinds(ctx)}")
    n = check_store(ctx, ctx.path("backups"))
    expect(n == 4, f"{n} backups in the store, expected 4")
