"""Local attackers against the store and staging (issue #17, items 4, 5 and 8): a second,
unprivileged user created by the test owns a folder LiteSafe writes, and races LiteSafe with a
process of its own that swaps files and folders in the gaps; LiteSafe runs as root, the way an
operator runs `litesafe backup` or `prune`. Each attack runs several times."""
import json, os, pwd, shutil, subprocess, time, uuid
import support
from support import PYTHON, check_store, eventually, expect, manifests, output, run
from tests_backup import backup, store_folder, world

ATTEMPTS = 8


def second_user(ctx):
    """A fresh system user with no home and no shell, removed when the test ends."""
    name = "lsrel" + uuid.uuid4().hex[:10]
    run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    ctx.defer(lambda: subprocess.run(["userdel", name], capture_output=True))
    return pwd.getpwnam(name)


def as_user(user, args):
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *args]


def racer(ctx, user, code, *args):
    """Runs `code` (Python) as `user` until the test ends; it prints "ready" once it runs."""
    p = ctx.spawn(as_user(user, [PYTHON, "-c", code, *args]), stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    expect(line.strip() == "ready", f"the racing process did not start: {line!r}")
    return p


# Renames every staging file LiteSafe creates and puts a file of its own (kept through a hard
# link in its own folder) at the same path, for SQLite to reopen by that path.
STEAL_STAGING = r"""
import os, sys, time
staging, loot = sys.argv[1], sys.argv[2]
print("ready", flush=True)
n = 0
while True:
    try:
        names = os.listdir(staging)
    except OSError:
        names = []
    for name in names:
        path = os.path.join(staging, name)
        try:
            if not name.endswith(".staging") or os.lstat(path).st_uid == os.getuid():
                continue
            os.rename(path, os.path.join(staging, f".moved-{n}"))
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666)
            os.close(fd)
            os.link(path, os.path.join(loot, f"snapshot-{n}"))
            n += 1
        except OSError:
            pass
    time.sleep(0.0002)
"""


def stolen_snapshots(loot):
    found = []
    for name in os.listdir(loot):
        with open(os.path.join(loot, name), "rb") as f:
            if f.read(16) == b"SQLite format 3\x00":
                found.append(name)
    return found


def refused(r, user, what):
    text = output(r)
    expect(r.returncode not in (0, -9), f"{what} exited {r.returncode} in a folder {user.pw_name} owns: {text[-600:]}")
    expect(f"belongs to user {user.pw_name}" in text and f"runuser -u {user.pw_name}" in text,
           f"{what}: the refusal does not name the owner and the fix: {text[-600:]}")


def test_attacker_owned_staging_is_refused(ctx):
    """The staging folder belongs to another user, who swaps each new staging file for one of
    their own: root must refuse the folder, so no snapshot (plaintext) ever lands in their file."""
    user = second_user(ctx)
    os.chmod(ctx.path("state"), 0o755)  # the attacker can reach their folder in it
    staging = ctx.path("state", "staging")
    os.mkdir(staging, 0o700)
    os.chown(staging, user.pw_uid, user.pw_gid)
    loot = ctx.path("loot")
    os.mkdir(loot, 0o700)
    os.chown(loot, user.pw_uid, user.pw_gid)
    # A rollback-journal database: a WAL one is captured with no staging file at all.
    db, w, cfg = world(ctx, writer=False, mode="delete")
    racer(ctx, user, STEAL_STAGING, staging, loot)
    for attempt in range(ATTEMPTS):
        r = backup(ctx, cfg, ok=False)
        refused(r, user, f"backup attempt {attempt + 1}")
    expect(stolen_snapshots(loot) == [], f"snapshots ended up in the attacker's files: {stolen_snapshots(loot)}")
    expect(manifests(store_folder(ctx)) == [], "a backup was published through an attacker's staging folder")


def test_attacker_owned_destination_is_refused(ctx):
    """The database's folder in the store belongs to another user: root must not write in it."""
    user = second_user(ctx)
    folder = store_folder(ctx)
    os.mkdir(folder, 0o700)
    os.chown(folder, user.pw_uid, user.pw_gid)
    db, w, cfg = world(ctx, writer=False)
    for attempt in range(ATTEMPTS):
        refused(backup(ctx, cfg, ok=False), user, f"backup attempt {attempt + 1}")
    expect(os.listdir(folder) == [], f"root wrote into a folder another user owns: {os.listdir(folder)}")


# Swaps the database's folder for a symlink to another folder and back, over and over.
SWAP_FOLDER = r"""
import os, sys, time
folder, elsewhere = sys.argv[1], sys.argv[2]
real = folder + ".real"
print("ready", flush=True)
while True:
    try:
        os.rename(folder, real)
        os.symlink(elsewhere, folder)
        time.sleep(0.0005)
        os.unlink(folder)
        os.rename(real, folder)
        time.sleep(0.0005)
    except OSError:
        pass
"""


def test_prune_refuses_a_store_another_user_owns(ctx):
    """The store belongs to the service user (here: a user the test made) and root runs `prune`:
    the owner swaps the database's folder for a symlink to a folder of root's in the gap between
    reading the manifests and removing the files. Root must refuse the store and remove nothing
    anywhere; before the fix, root removed files by path through the swapped folder."""
    user = second_user(ctx)
    db, w, cfg = world(ctx, retention="keep_last: 5", writer=False)
    for _ in range(4):
        backup(ctx, cfg)
    folder = store_folder(ctx)
    names = sorted(os.listdir(folder))
    # Root's folder holds files with the very names a prune would remove.
    victim = ctx.path("victim")
    os.mkdir(victim, 0o755)
    for name in names:
        if not name.startswith("."):
            shutil.copy(os.path.join(folder, name), os.path.join(victim, name))
    precious = sorted(os.listdir(victim))
    run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", ctx.path("backups")], check=True)
    ctx.config({"app": db}, defaults="retention: { keep_last: 1 }")
    racer(ctx, user, SWAP_FOLDER, folder, victim)
    for attempt in range(ATTEMPTS):
        r = ctx.litesafe("prune", "--config", cfg)
        refused(r, user, f"prune attempt {attempt + 1}")
    expect(sorted(os.listdir(victim)) == precious,
           f"root removed files outside the store: {sorted(set(precious) - set(os.listdir(victim)))}")


def test_crafted_manifests_delete_nothing(ctx):
    """Manifests naming `.lock` and another backup's data file: prune deletes neither (nor the
    backups those manifests stood for), `list` reports both and exits 1, restore takes the newest."""
    db, w, cfg = world(ctx, retention="keep_last: 5", writer=False)
    for _ in range(3):
        backup(ctx, cfg)
    folder = store_folder(ctx)
    oldest, middle, newest = manifests(folder)
    with open(os.path.join(folder, newest)) as f:
        newest_data = json.load(f)["file"]
    crafted = {oldest: newest_data, middle: ".lock"}
    kept = sorted(os.listdir(folder))
    for name, target in crafted.items():
        path = os.path.join(folder, name)
        with open(path) as f:
            m = json.load(f)
        m["file"] = target
        with open(path, "w") as f:
            json.dump(m, f)
    ctx.config({"app": db}, defaults="retention: { keep_last: 1 }")
    r = ctx.litesafe("prune", "--config", cfg)
    expect(sorted(os.listdir(folder)) == kept, f"prune deleted through crafted manifests: "
                                               f"{sorted(set(kept) - set(os.listdir(folder)))} ({output(r)[-400:]})")
    listed = ctx.litesafe("list", "--from", ctx.path("backups"), "app")
    expect(listed.returncode == 1, f"list exited {listed.returncode} with damaged manifests: {output(listed)}")
    expect(newest_data in listed.stdout, f"list does not show the newest backup: {output(listed)}")
    for name in crafted:
        expect(os.path.join(folder, name) in listed.stderr, f"list does not name {name}: {listed.stderr}")
    out = ctx.path("restored.db")
    r = ctx.litesafe("restore", "--from", ctx.path("backups"), "app", "--identity", ctx.key, "-o", out)
    expect(r.returncode == 0, f"restore of the newest backup failed: {output(r)[-600:]}")
    expect(support.integrity(out) == "ok", "the restored database is not whole")


def test_daemon_start_removes_staging_leftovers(ctx):
    """A snapshot left in staging by a killed run is plaintext: the daemon removes it when it
    starts, not at the next scheduled backup (an hour away here). A rollback-journal database's
    backup makes the staging folder (a WAL database's is captured without one)."""
    db, w, cfg = world(ctx, writer=False, mode="delete")
    backup(ctx, cfg)
    staging = ctx.path("state", "staging")
    left = os.path.join(staging, "app.0a1b2c.staging")
    with open(left, "wb") as f:
        f.write(b"SQLite format 3\x00" + b"\x00" * 4080)
    d = ctx.daemon(cfg)
    removed = eventually(lambda: not os.path.exists(left), timeout=10)
    started = eventually(lambda: "started" in d.log, timeout=10)
    d.stop()
    expect(started, f"the daemon did not start: {d.log[-600:]}")
    expect(removed, f"the daemon left {left} in staging after starting: {d.log[-600:]}")
    expect(len(manifests(store_folder(ctx))) == 1, "the daemon backed up although none was due")
    check_store(ctx, ctx.path("backups"))
