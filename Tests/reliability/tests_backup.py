"""The backup path under faults: kill -9 at each crash point, power loss, full and read-only
disks, errors injected into fsync, close and rename."""
import json, os, subprocess, time
import support
from support import (CRASH_ENV, TEMP_PREFIX, Failure, eventually, check_modes, check_no_leftovers, check_store, expect, info,
                     leftovers, make_bank, manifests, output, run)


def world(ctx, retention="keep_last: 3", mode="wal", writer=True, **config):
    """A bank database under constant writes and a configuration backing it up."""
    db = ctx.path("data", "app.db")
    make_bank(db, mode)
    w = ctx.bank_writer(db, mode, sleep=0.001) if writer else None
    cfg = ctx.config({"app": db}, defaults=f"retention: {{ {retention} }}\n" + config.get("defaults", ""))
    return db, w, cfg


def backup(ctx, cfg, env=None, wrap=(), ok=True):
    r = ctx.litesafe("backup", "--config", cfg, env=env, wrap=wrap)
    if ok:
        expect(r.returncode == 0, f"backup failed ({r.returncode}): {output(r).strip()[-600:]}")
    return r


def store_folder(ctx):
    return ctx.path("backups", "app")


def finish(ctx, writer, expected_backups=None):
    """The checks after every fault: the next run cleans up; every backup is whole; modes."""
    if writer:
        ctx.stop_writer(writer)
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    n = check_store(ctx, ctx.path("backups"))
    if expected_backups is not None:
        expect(n == expected_backups, f"{n} backups in the store, expected {expected_backups}")
    check_modes(ctx.path("backups"), ctx.path("state"))
    return n


# --- kill -9 at the crash points ---------------------------------------------------------------

def crash_at(ctx, point, mode="wal"):
    """A good backup, then one killed at `point`, then the next run (the restart). A WAL
    database is captured page by page (no staging copy); a rollback-journal one is staged."""
    db, w, cfg = world(ctx, mode=mode)
    backup(ctx, cfg)
    before = manifests(store_folder(ctx))
    r = backup(ctx, cfg, env={CRASH_ENV: point}, ok=False)
    expect(r.returncode == -9, f"expected death by SIGKILL at {point}, got status {r.returncode}: {output(r)[-400:]}")
    after = manifests(store_folder(ctx))
    expect(after == before, f"a backup killed at {point} changed the listed backups: {before} -> {after}")
    listed = ctx.litesafe("list", "--from", ctx.path("backups"), "app")
    expect(listed.returncode == 0 and listed.stdout.count(".sqlite.zst.age") == len(before),
           f"list after the crash: {output(listed)}")
    info(f"{point}: the crash left {len(leftovers(ctx.path('backups'), ctx.path('state')))} leftover file(s)")
    backup(ctx, cfg)
    finish(ctx, w, expected_backups=len(before) + 1)


def test_crash_during_snapshot(ctx): crash_at(ctx, "backup-during-snapshot", mode="delete")
def test_crash_after_snapshot(ctx): crash_at(ctx, "backup-after-snapshot", mode="delete")
def test_crash_during_capture(ctx): crash_at(ctx, "backup-during-capture")
def test_crash_after_reserved_start(ctx): crash_at(ctx, "backup-after-reserved-start")
def test_crash_during_compression(ctx): crash_at(ctx, "backup-during-compression")
def test_crash_during_compression_staged(ctx): crash_at(ctx, "backup-during-compression", mode="delete")
def test_crash_during_encryption(ctx): crash_at(ctx, "backup-during-encryption")
def test_crash_before_rename(ctx): crash_at(ctx, "backup-before-publish")
def test_crash_after_rename_before_folder_fsync(ctx): crash_at(ctx, "backup-after-publish")
def test_crash_during_manifest_write(ctx): crash_at(ctx, "backup-before-manifest-publish")


def prune_crash_at(ctx, point):
    """keep_last 2 with 2 backups stored; the third backup commits, and its prune is killed."""
    db, w, cfg = world(ctx, retention="keep_last: 2")
    backup(ctx, cfg)
    time.sleep(0.01)
    backup(ctx, cfg)
    before = manifests(store_folder(ctx))
    expect(len(before) == 2, f"setup: {before}")
    r = backup(ctx, cfg, env={CRASH_ENV: point}, ok=False)
    expect(r.returncode == -9, f"expected death by SIGKILL at {point}, got {r.returncode}: {output(r)[-400:]}")
    after = manifests(store_folder(ctx))
    new = [m for m in after if m not in before]
    expect(len(new) == 1, f"the backup committed before the prune is not listed: {before} -> {after}")
    expect(len(after) == 2, f"the prune killed at {point} should have removed the oldest manifest: {after}")
    check_store(ctx, ctx.path("backups"))  # whole right after the crash, before any cleanup
    list_and_verify_agree_with_disk(ctx)
    backup(ctx, cfg)
    after_restart = manifests(store_folder(ctx))
    expect(new[0] in after_restart, f"the backup committed before the crash was pruned: {after_restart}")
    finish(ctx, w, expected_backups=2)


def list_and_verify_agree_with_disk(ctx):
    """`litesafe list` shows exactly the backups whose manifests are on disk, and `litesafe
    verify` (scrub, then a full restore test with the key) passes every one of them."""
    folder = store_folder(ctx)
    r = ctx.litesafe("list", "--from", ctx.path("backups"), "app", "--json")
    expect(r.returncode == 0, f"list failed: {output(r)[-400:]}")
    listed = sorted(os.path.basename(b["manifest_path"]) for b in json.loads(r.stdout))
    expect(listed == sorted(manifests(folder)), f"list shows {listed}, the disk has {sorted(manifests(folder))}")
    for extra in ([], ["--identity", ctx.key]):
        r = ctx.litesafe("verify", "--from", ctx.path("backups"), "app", *extra)
        expect(r.returncode == 0, f"verify {' '.join(extra)} failed after the crash: {output(r)[-600:]}")
        expect(r.stdout.count(": ok") == len(listed), f"verify did not pass each listed backup: {r.stdout[-600:]}")


def test_crash_during_prune_after_manifest(ctx): prune_crash_at(ctx, "prune-after-manifest")
def test_crash_during_prune_after_delete(ctx): prune_crash_at(ctx, "prune-after-delete")


# --- power loss ---------------------------------------------------------------------------------

def test_power_loss_after_commit(ctx):
    """ext4 on a loop device, shut down without flushing right after a backup is reported
    committed; after a remount the committed backups are whole and listed."""
    mnt = ctx.path("ext4")
    device = ctx.ext4_loop(mnt)
    dest = os.path.join(mnt, "backups")
    os.mkdir(dest, 0o700)
    db = ctx.path("data", "app.db")
    make_bank(db, transfers=2000)
    w = ctx.bank_writer(db, sleep=0.001)
    cfg = ctx.config({"app": db}, defaults=f"destination: {dest}\nretention: {{ keep_last: 5 }}")
    for _ in range(3):
        r = backup(ctx, cfg)
    reported = r.stdout.split(": ", 1)[1].split(" (")[0] if ": " in r.stdout else ""
    expect(reported.endswith(".sqlite.zst.age"), f"no committed file in the report: {r.stdout!r}")
    down = run(["xfs_io", "-x", "-c", "shutdown", mnt])
    expect(down.returncode == 0, f"xfs_io shutdown: {output(down)}")
    ctx.stop_writer(w)
    run(["umount", mnt], check=True)
    run(["mount", "-t", "ext4", device, mnt], check=True)
    expect(os.path.exists(reported), f"the backup reported committed is gone after the power loss: {reported}")
    folder = os.path.join(dest, "app")
    expect(os.path.basename(reported)[: -len(".sqlite.zst.age")] + ".manifest.json" in manifests(folder),
           f"the committed backup's manifest is gone: {os.listdir(folder)}")
    n = check_store(ctx, dest)
    expect(n == 3, f"{n} whole backups after the power loss, expected 3")
    # The next run on the remounted file system cleans whatever the shutdown cut short.
    backup(ctx, cfg)
    check_no_leftovers(dest, ctx.path("state"))
    check_modes(dest)


def test_power_loss_mid_backup(ctx):
    """ext4 shut down while a backup writes its hidden temporary file: after a remount the
    earlier backups are whole, and the next run removes what the cut left and backs up."""
    mnt = ctx.path("ext4")
    device = ctx.ext4_loop(mnt, size_mb=128)
    dest = os.path.join(mnt, "backups")
    os.mkdir(dest, 0o700)
    db = ctx.path("data", "app.db")
    make_bank(db, transfers=15000)
    cfg = ctx.config({"app": db}, defaults=f"destination: {dest}\ncompression: zstd:1")
    backup(ctx, cfg)
    folder = os.path.join(dest, "app")
    before = manifests(folder)
    # zstd:19 makes the cut backup slow enough to be caught while it writes.
    ctx.config({"app": db}, defaults=f"destination: {dest}\ncompression: zstd:19")
    p = ctx.spawn([support.LITESAFE, "backup", "--config", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                  text=True)
    writing = eventually(lambda: any(f.startswith(TEMP_PREFIX) for f in os.listdir(folder)), timeout=30, every=0.005)
    down = run(["xfs_io", "-x", "-c", "shutdown", mnt])
    expect(down.returncode == 0, f"xfs_io shutdown: {output(down)}")
    p.kill()  # the power is gone: so is the process
    p.wait()
    expect(writing, "the backup finished before it could be cut; make it slower")
    run(["umount", mnt], check=True)
    run(["mount", "-t", "ext4", device, mnt], check=True)
    expect(manifests(folder) == before, f"the listed backups changed: {before} -> {manifests(folder)}")
    expect(check_store(ctx, dest) == len(before), "the earlier backups are not whole")
    ctx.config({"app": db}, defaults=f"destination: {dest}\ncompression: zstd:1")
    backup(ctx, cfg)
    check_no_leftovers(dest, ctx.path("state"))
    expect(check_store(ctx, dest) == len(before) + 1, "the backup after the remount is not whole")
    check_modes(dest)


# --- full and read-only disks -------------------------------------------------------------------

def grow(db):
    """Adds ~1.5 MB of barely compressible rows, keeping the bank's invariant."""
    import sqlite3
    c = sqlite3.connect(db, isolation_level=None, timeout=30)
    c.execute("BEGIN IMMEDIATE")
    c.executemany("INSERT INTO transfers(src, dst, amount, note) VALUES (0, 1, 0, hex(randomblob(700)))",
                  [()] * 2000)
    c.execute("COMMIT")
    c.close()


def test_destination_full(ctx):
    ctx.tmpfs(ctx.path("backups"), "400k")
    db, w, cfg = world(ctx, writer=False)
    backup(ctx, cfg)
    before = manifests(store_folder(ctx))
    grow(db)
    r = backup(ctx, cfg, ok=False)
    expect(r.returncode != 0, "a backup larger than the disk succeeded")
    expect("No space left on device" in output(r) and "free space" in output(r), f"message: {output(r)}")
    expect(manifests(store_folder(ctx)) == before, "the listed backups changed")
    finish(ctx, None, expected_backups=1)


def test_one_store_full_the_other_gets_the_backup(ctx):
    """Two folder stores, one on a full disk: the other still gets every backup, the full one
    keeps its older backup and nothing partial, and the command says which store failed."""
    ctx.tmpfs(ctx.path("small"), "400k")
    os.makedirs(ctx.path("backups"), exist_ok=True)
    db = ctx.path("data", "app.db")
    make_bank(db, "wal")
    top = f"stores:\n  local: {{ path: {ctx.path('backups')} }}\n  small: {{ path: {ctx.path('small')} }}"
    cfg = ctx.config({"app": db + "\n    stores: [local, small]"}, defaults="retention: { keep_last: 3 }", top=top)
    backup(ctx, cfg)
    small_before = manifests(ctx.path("small", "app"))
    expect(len(small_before) == 1, f"the first backup did not reach the small store: {small_before}")
    grow(db)
    r = backup(ctx, cfg, ok=False)
    expect(r.returncode == 1, f"a store that failed did not fail the command: {r.returncode}: {output(r)[-400:]}")
    expect("to store 'small' failed" in output(r) and "No space left on device" in output(r),
           f"message does not name the store and the cause: {output(r)[-600:]}")
    expect("app: small: FAILED" in r.stdout and "app: local: " in r.stdout, f"per-store lines: {r.stdout}")
    expect(len(manifests(ctx.path("backups", "app"))) == 2, "the working store did not get the second backup")
    expect(manifests(ctx.path("small", "app")) == small_before, "the full store's listed backups changed")
    check_no_leftovers(ctx.path("small"), ctx.path("backups"), ctx.path("state"))
    expect(check_store(ctx, ctx.path("backups")) == 2, "the working store's backups are not whole")
    expect(check_store(ctx, ctx.path("small")) == 1, "the full store's older backup is not whole")
    # Room again: the next backup reaches the store, and so does the backup it missed (keep_last
    # 3: both stores now hold the same three, byte for byte).
    run(["mount", "-o", "remount,size=16m", ctx.path("small")], check=True)
    r = backup(ctx, cfg)
    expect("app: small: " in r.stdout and "and 1 older backup it had missed" in r.stdout,
           f"the store's line does not say it caught up: {r.stdout}")
    local, small = manifests(ctx.path("backups", "app")), manifests(ctx.path("small", "app"))
    expect(len(local) == 3 and small == local, f"the stores differ after the catch-up: {local} vs {small}")
    for name in local:
        with open(os.path.join(ctx.path("backups", "app"), name)) as f:
            data = json.load(f)["file"]
        for file in (name, data):
            same = run(["cmp", os.path.join(ctx.path("backups", "app"), file), os.path.join(ctx.path("small", "app"), file)])
            expect(same.returncode == 0, f"{file} differs between the stores: {same.stdout}{same.stderr}")
    check_no_leftovers(ctx.path("small"), ctx.path("backups"), ctx.path("state"))
    expect(check_store(ctx, ctx.path("small")) == 3, "the caught-up store's backups are not whole")


def test_staging_full(ctx):
    """A rollback-journal database is staged: a staging folder too small fails the backup cleanly."""
    staging = ctx.path("state", "staging")
    ctx.tmpfs(staging, "256k")
    db, w, cfg = world(ctx, writer=False, mode="delete")
    grow(db)
    r = backup(ctx, cfg, ok=False)
    expect(r.returncode != 0, "a snapshot larger than staging succeeded")
    expect("No space left on device" in output(r) and "free space" in output(r), f"message: {output(r)}")
    info(f"staging full: {[l for l in output(r).splitlines() if 'failed' in l][0].split('failed: ', 1)[-1][:200]}")
    expect(manifests(store_folder(ctx)) == [], "something was published")
    finish(ctx, None, expected_backups=0)


def test_wal_backup_needs_no_staging_space(ctx):
    """A WAL database is captured page by page into the store: a staging folder far smaller than
    the database (even full) does not matter, and nothing is written there."""
    staging = ctx.path("state", "staging")
    ctx.tmpfs(staging, "256k")
    # Filled to the last byte (dd stops at ENOSPC).
    filler = os.path.join(staging, "filler")
    run(["dd", "if=/dev/zero", "of=" + filler, "bs=4096"])
    os.chmod(filler, 0o600)
    db, w, cfg = world(ctx)
    grow(db)
    backup(ctx, cfg)
    expect(os.listdir(staging) == ["filler"], f"the backup wrote into staging: {os.listdir(staging)}")
    with open(os.path.join(store_folder(ctx), manifests(store_folder(ctx))[0])) as f:
        expect(json.load(f)["format"] == 2, "the WAL database's backup was not captured page by page")
    finish(ctx, w, expected_backups=1)


def test_destination_read_only(ctx):
    ctx.tmpfs(ctx.path("backups"), "4m")
    db, w, cfg = world(ctx)
    backup(ctx, cfg)
    run(["mount", "-o", "remount,ro", ctx.path("backups")], check=True)
    r = backup(ctx, cfg, ok=False)
    expect(r.returncode != 0, "wrote to a read-only file system")
    expect("read-only" in output(r), f"message does not say read-only: {output(r)}")
    check_store(ctx, ctx.path("backups"))
    run(["mount", "-o", "remount,rw", ctx.path("backups")], check=True)
    backup(ctx, cfg)
    finish(ctx, w, expected_backups=2)


# --- errors injected into system calls ----------------------------------------------------------

def first_close_in_store(ctx, cfg):
    """A probe backup under strace: the index (1-based) of the first close(2) of a file in the
    store, so injection can spare the dynamic loader and start-up (which abort on a failed close)."""
    trace = ctx.path("probe.strace")
    backup(ctx, cfg, wrap=["strace", "-f", "-y", "-qq", "-o", trace, "-e", "trace=close"])
    closes = [l for l in open(trace) if " close(" in l]
    for i, line in enumerate(closes, 1):
        if ctx.path("backups") in line:
            return i
    raise Failure("the probe backup closed nothing in the store")


def injected(ctx, call, error, message, when=""):
    """A good backup, then one with `call` failing with `error` (strace -e inject); it must
    fail saying so, publish nothing, and the next clean run must succeed."""
    # No checkpoint: SQLite's own fsync of the source would take the fault first.
    db, w, cfg = world(ctx, defaults="checkpoint: none")
    backup(ctx, cfg)
    if call == "close":
        when = f":when={first_close_in_store(ctx, cfg) + 1}+"  # + 1: one more manifest to read now
    before = manifests(store_folder(ctx))
    wrap = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={call}", "-e", f"inject={call}:error={error}{when}"]
    r = backup(ctx, cfg, wrap=wrap, ok=False)
    expect(r.returncode not in (0, -9, 137), f"a backup with {call} failing ({error}) exited {r.returncode}: "
                                             f"{output(r)[-500:]}")
    expect("backup of 'app' failed" in output(r) and message in output(r),
           f"the error does not say {message!r}: {output(r)[-600:]}")
    info(f"{call} {error}: {[l for l in output(r).splitlines() if 'failed' in l][0].split('failed: ', 1)[-1][:200]}")
    expect(manifests(store_folder(ctx)) == before, "a backup was published despite the failed call")
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    backup(ctx, cfg)
    finish(ctx, w, expected_backups=len(before) + 1)


def test_fsync_eio(ctx): injected(ctx, "fsync", "EIO", "Input/output error")
def test_fsync_enospc(ctx): injected(ctx, "fsync", "ENOSPC", "No space left on device")
def test_close_eio(ctx): injected(ctx, "close", "EIO", "Input/output error")
def test_close_enospc(ctx): injected(ctx, "close", "ENOSPC", "No space left on device")
# Data files are published through the folder's descriptor: linkat(2) (link(2) kept for any
# other caller).
def test_rename_exdev(ctx): injected(ctx, "link,linkat", "EXDEV", "cross-device")


def test_staging_and_destination_on_different_filesystems(ctx):
    """Staging on one tmpfs, the destination on another: nothing is renamed across them."""
    ctx.tmpfs(ctx.path("state", "staging"), "8m")
    ctx.tmpfs(ctx.path("backups"), "8m")
    db, w, cfg = world(ctx)
    backup(ctx, cfg)
    backup(ctx, cfg)
    finish(ctx, w, expected_backups=2)


def test_fsync_eio_on_folder_after_rename(ctx):
    """The data file is published, then fsync of its folder fails: not listed, removed next run."""
    injected(ctx, "fsync", "EIO", "Input/output error", when=":when=2")


def test_fsync_eio_on_folder_after_manifest_rename(ctx):
    """The manifest is published, then fsync of its folder fails: the backup failed, so it is
    not listed, and no manifest is left naming a data file that is gone."""
    injected(ctx, "fsync", "EIO", "Input/output error", when=":when=4")


# --- what the store holds besides whole backups -------------------------------------------------

def test_backups_without_manifests_are_kept(ctx):
    """An operator moves the manifests away (or copies data files back without them): the next
    backup reports the data files and keeps them; with the manifests back, all are listed and
    verify passes. Only what an interrupted run of LiteSafe left is ever removed."""
    db, w, cfg = world(ctx, retention="keep_last: 5")
    backup(ctx, cfg)
    time.sleep(0.01)
    backup(ctx, cfg)
    folder = store_folder(ctx)
    aside = ctx.path("aside")
    os.mkdir(aside, 0o700)
    moved = manifests(folder)
    for m in moved:
        os.rename(os.path.join(folder, m), os.path.join(aside, m))
    data = sorted(f for f in os.listdir(folder) if f.endswith(".sqlite.zst.age"))
    r = backup(ctx, cfg)
    expect(sorted(f for f in os.listdir(folder) if f in data) == data,
           f"the next backup deleted complete backups whose manifests were moved away: {output(r)[-600:]}")
    for name in data:
        expect(name in output(r) and "kept" in output(r), f"the backup did not report {name}: {output(r)[-600:]}")
        expect(f"removed {os.path.join(folder, name)}" not in output(r), f"{name} reported removed: {output(r)}")
    for m in moved:
        os.rename(os.path.join(aside, m), os.path.join(folder, m))
    list_and_verify_agree_with_disk(ctx)
    finish(ctx, w, expected_backups=3)


def test_damaged_manifest_blocks_nothing_else(ctx):
    """Two backups, the older one's manifest turned into invalid JSON: list and verify show
    every other backup and exit 1 naming the damaged file; restore by name takes the newest with
    a warning; prune never deletes the data file of the damaged manifest."""
    db, w, cfg = world(ctx, retention="keep_last: 5", writer=False)
    backup(ctx, cfg)
    time.sleep(0.01)
    backup(ctx, cfg)
    folder = store_folder(ctx)
    older, newer = manifests(folder)
    with open(os.path.join(folder, older)) as f:
        older_data = json.load(f)["file"]
    with open(os.path.join(folder, older), "w") as f:
        f.write("{ not json")
    damaged = os.path.join(folder, older)
    listed = ctx.litesafe("list", "--from", ctx.path("backups"))
    expect(listed.returncode == 1 and newer[: -len(".manifest.json")] in listed.stdout,
           f"list: {listed.returncode}: {output(listed)}")
    expect(damaged in listed.stderr and "damaged" in listed.stderr, f"list does not name the damaged file: {output(listed)}")
    expect("chown" not in listed.stderr, f"a damaged file is blamed on permissions: {listed.stderr}")
    out = ctx.path("restored.db")
    r = ctx.litesafe("restore", "--from", ctx.path("backups"), "app", "--identity", ctx.key, "-o", out)
    expect(r.returncode == 0, f"restore by name failed although the newest backup is whole: {output(r)[-600:]}")
    expect(damaged in r.stderr and "warning" in r.stderr, f"restore did not warn about {damaged}: {output(r)}")
    expect(support.integrity(out) == "ok", "the restored database is not whole")
    v = ctx.litesafe("verify", "--from", ctx.path("backups"), "app")
    expect(v.returncode == 1, f"verify exited {v.returncode} with a damaged manifest: {output(v)}")
    expect("verified 2 backups: 1 ok, 1 FAILED" in v.stdout and damaged in v.stdout, f"verify: {output(v)}")
    ctx.config({"app": db}, defaults="retention: { keep_last: 1 }")
    ctx.litesafe("prune", "--config", cfg)
    expect(os.path.exists(os.path.join(folder, older_data)), "prune deleted the data file of a damaged manifest")
    backup(ctx, cfg)
    expect(os.path.exists(os.path.join(folder, older_data)), "a backup deleted the data file of a damaged manifest")
