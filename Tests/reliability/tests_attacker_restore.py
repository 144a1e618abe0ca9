"""Local attackers against a restore run as root and against the daemon's small files: an
unprivileged second user (made by the test with useradd) who can write OUT's folder swaps files
in the gaps, in a tight loop, while litesafe runs many times. None of it may give a root file
away, change a root file's mode, or get a wrong database reported as restored."""
import os, pwd, signal, sqlite3, subprocess, time
import support
from support import PYTHON, TEMP_PREFIX, eventually, expect, info, make_bank, output, run, timeout

RESTORE_PREFIX = ".litesafe-restore-"
SECRET = b"root:$y$j9T$only-root-may-read-this\n"


def attacker(ctx):
    """A throwaway unprivileged user, removed again when the test ends; returns its passwd entry."""
    name = "lsatk" + os.urandom(4).hex()
    run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    ctx.defer(lambda: subprocess.run(["userdel", name], capture_output=True))
    return pwd.getpwnam(name)


def as_user(user, script, *args):
    """A Python `script` run as `user` (no supplementary groups)."""
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
            PYTHON, "-c", script, *args]


def root_secret(ctx):
    """A root-only file (0600 root:root) the attacker wants."""
    path = ctx.path("shadow")
    with open(path, "wb") as f:
        f.write(SECRET)
    os.chmod(path, 0o600)
    return path


def secret_intact(path):
    st = os.lstat(path)
    with open(path, "rb") as f:
        content = f.read()
    expect(st.st_uid == 0 and st.st_gid == 0, f"the root-only file now belongs to {st.st_uid}:{st.st_gid}")
    expect(st.st_mode & 0o7777 == 0o600, f"the root-only file is now mode {st.st_mode & 0o7777:o}")
    expect(content == SECRET, "the root-only file's content changed")


def backed_up_bank(ctx, transfers=400):
    """One backup of a bank database (WAL mode); returns the restore arguments."""
    db = ctx.path("data", "app.db")
    make_bank(db, transfers=transfers)
    r = ctx.litesafe("backup", "--config", ctx.config({"app": db}))
    expect(r.returncode == 0, f"setup backup failed: {output(r)}")
    return ["--from", ctx.path("backups"), "app", "--identity", ctx.key]


def dump(path):
    return run(["sqlite3", path, ".dump"], check=True).stdout


# The racer: whenever a temporary of ours for NAME appears in FOLDER, replace it with a symlink
# to TARGET (it may unlink it: the folder is its own). Runs until killed.
SWAP_RACER = r"""
import os, sys
folder, name, target = sys.argv[1:4]
while True:
    try:
        entries = os.listdir(folder)
    except OSError:
        continue
    for e in entries:
        if e.startswith(".litesafe-tmp-") and e.endswith("-" + name):
            p = os.path.join(folder, e)
            try:
                os.unlink(p)
                os.symlink(target, p)
            except OSError:
                pass
        elif e.startswith(".litesafe-restore-") and not e.endswith(".moved"):
            # Our private folder cannot be entered; put another in its place instead.
            p = os.path.join(folder, e)
            try:
                os.rename(p, p + ".moved")
                os.mkdir(p, 0o777)
                os.symlink(target, os.path.join(p, "app.db"))
            except OSError:
                pass
"""


@timeout(240)
def test_attacker_swaps_restore_temporary_for_symlink(ctx):
    """`restore --force` as root into a folder the application's user owns, that user swapping
    the temporary (and the private folder) for a symlink to a root-only file in a tight loop,
    40 times: the root-only file keeps its owner, mode and content; OUT is never a symlink, and
    each restore that reports success left the backed-up database, owned as OUT was."""
    user = attacker(ctx)
    restore_args = backed_up_bank(ctx)
    secret = root_secret(ctx)
    shared = ctx.path("shared")
    os.mkdir(shared, 0o755)
    os.chown(shared, user.pw_uid, user.pw_gid)
    out = os.path.join(shared, "app.db")
    r = ctx.litesafe("restore", *restore_args, "-o", out)
    expect(r.returncode == 0, f"setup restore failed: {output(r)}")
    expected = dump(out)
    os.chown(out, user.pw_uid, user.pw_gid)
    os.chmod(out, 0o640)
    ctx.spawn(as_user(user, SWAP_RACER, shared, "app.db", secret))
    succeeded = refused = 0
    reasons = set()
    deadline = time.monotonic() + 150
    for _ in range(40):
        if time.monotonic() > deadline:
            break
        r = ctx.litesafe("restore", *restore_args, "-o", out, "--force")
        secret_intact(secret)
        if os.path.islink(out):
            raise AssertionError(f"OUT became a symlink to {os.readlink(out)} (restore said: {output(r)[-300:]})")
        if r.returncode == 0:
            succeeded += 1
            st = os.lstat(out)
            expect((st.st_uid, st.st_gid) == (user.pw_uid, user.pw_gid), "OUT lost its owner")
            expect(dump(out) == expected, "a restore that succeeded left another database at OUT")
        else:
            refused += 1
            expect(r.returncode == 1, f"exit {r.returncode}: {output(r)[-300:]}")
            reasons.add(output(r).strip().splitlines()[-1][-150:])
    info(f"{succeeded} restores succeeded, {refused} refused under the racer: {sorted(reasons)}")


# Whenever a temporary for NAME appears in FOLDER, replace it with a symlink to TARGET.
SMALL_FILE_RACER = r"""
import os, sys
folder, name, target = sys.argv[1:4]
while True:
    for e in os.listdir(folder):
        if e.startswith(".litesafe-tmp-") and e.endswith("-" + name + ".tmp"):
            p = os.path.join(folder, e)
            try:
                os.unlink(p)
                os.symlink(target, p)
            except OSError:
                pass
"""


def small_file_attack(ctx, folder, name, target_mode, top=""):
    """The daemon as root backs up every second and rewrites `folder/name` after each backup;
    the attacker owns `folder`, plants `name` as a symlink to a root file of `target_mode` and
    swaps every temporary for one: after 15 writes that file still has its owner and mode."""
    user = attacker(ctx)
    target = root_secret(ctx)
    os.chmod(target, target_mode)
    os.chown(folder, user.pw_uid, user.pw_gid)
    final = os.path.join(folder, name)
    os.symlink(target, final)
    os.lchown(final, user.pw_uid, user.pw_gid)
    db = ctx.path("data", "app.db")
    make_bank(db)
    cfg = ctx.config({"app": db}, defaults="schedule: every 1s\nretention: { keep_last: 3 }", top=top)
    ctx.spawn(as_user(user, SMALL_FILE_RACER, folder, name, target))
    d = ctx.daemon(cfg)
    # The state and metrics are rewritten after every backup, and after every failure: a state
    # folder another user owns is refused for staging (FolderTrust), so there every backup fails.
    writes = lambda: d.log.count("backup of 'app' completed") + d.log.count("backup of 'app' failed")
    expect(eventually(lambda: writes() >= 15, timeout=90), f"the daemon did not write 15 times: {d.log[-800:]}")
    code = d.stop()
    expect(code == 0, f"the daemon exited {code}: {d.log[-800:]}")
    st = os.lstat(target)
    expect(st.st_uid == 0 and st.st_gid == 0, f"the root file now belongs to {st.st_uid}:{st.st_gid}")
    expect(st.st_mode & 0o7777 == target_mode, f"the root file is now mode {st.st_mode & 0o7777:o}, was {target_mode:o}")
    with open(target, "rb") as f:
        expect(f.read() == SECRET, "the root file's content changed")


@timeout(120)
def test_attacker_swaps_metrics_temporary_for_symlink(ctx):
    """The metrics textfile (0644) in a folder the node_exporter user owns: a root-only 0600
    file is never made world-readable."""
    folder = ctx.path("textfile_collector")
    os.mkdir(folder, 0o755)
    small_file_attack(ctx, folder, "litesafe.prom", 0o600,
                      top=f"metrics_textfile: {os.path.join(folder, 'litesafe.prom')}")


@timeout(120)
def test_attacker_swaps_state_temporary_for_symlink(ctx):
    """state.json (0600) in a state folder another user owns: a root file of mode 0644 (say
    /etc/passwd) is never made 0600."""
    small_file_attack(ctx, ctx.path("state"), "state.json", 0o644)
    with open(ctx.path("daemon.log")) as f:
        expect("cannot use the state folder" in f.read(), "the daemon did not say it cannot use the state folder")


def hot_journal(ctx, restore_args, table="pwned"):
    """A rollback journal that, replayed into a fresh copy of the backup (as SQLite replays a
    hot journal it finds beside a database), turns it into the backup plus table `table`.

    Written by hand in the format of sqlite.org/fileformat2.html#the_rollback_journal: every
    page of the attacker's database, so the replay is complete whatever the pages were."""
    model = ctx.path("attacker.db")
    data = [a for a in restore_args]
    source = os.path.join(data[1], data[2])
    newest = sorted(f for f in os.listdir(source) if f.endswith(".sqlite.zst.age"))[-1]
    run(["sh", "-c", f'age -d -i "{ctx.key}" "{os.path.join(source, newest)}" | zstd -d -q -o "{model}"'], check=True)
    c = sqlite3.connect(model, isolation_level=None)
    c.execute(f"CREATE TABLE {table}(x)")
    c.execute(f"INSERT INTO {table} VALUES ('the attacker was here')")
    c.close()
    with open(model, "rb") as f:
        image = f.read()
    page_size = int.from_bytes(image[16:18], "big")
    pages = len(image) // page_size
    nonce = int.from_bytes(os.urandom(4), "big")
    header = (bytes.fromhex("d9d505f920a163d7") + pages.to_bytes(4, "big") + nonce.to_bytes(4, "big")
              + pages.to_bytes(4, "big") + (512).to_bytes(4, "big") + page_size.to_bytes(4, "big"))
    records = []
    for n in range(pages):
        page = image[n * page_size:(n + 1) * page_size]
        checksum, i = nonce, page_size - 200
        while i > 0:
            checksum += page[i]
            i -= 200
        records.append((n + 1).to_bytes(4, "big") + page + (checksum & 0xFFFFFFFF).to_bytes(4, "big"))
    journal = ctx.path("planted-journal")
    with open(journal, "wb") as f:
        f.write(header.ljust(512, b"\0") + b"".join(records))
    os.chmod(journal, 0o644)
    return journal


# Whenever a temporary of ours for NAME appears in FOLDER, put JOURNAL beside it as its -journal.
JOURNAL_RACER = r"""
import os, sys
folder, name, journal = sys.argv[1:4]
data = open(journal, "rb").read()
while True:
    for e in os.listdir(folder):
        if e.startswith(".litesafe-tmp-") and e.endswith("-" + name):
            try:
                with open(os.path.join(folder, e + "-journal"), "xb") as f:
                    f.write(data)
            except OSError:
                pass
"""


def journal_attack(ctx, folder, out_name, attempts=15):
    user = attacker(ctx)
    restore_args = backed_up_bank(ctx, transfers=2000)
    model = ctx.path("model.db")
    r = ctx.litesafe("restore", *restore_args, "-o", model)
    expect(r.returncode == 0, f"setup restore failed: {output(r)}")
    expected = dump(model)
    journal = hot_journal(ctx, restore_args)
    out = os.path.join(folder, out_name)

    def remove_ours():
        for e in os.listdir(folder):
            if e == out_name or e.startswith(out_name + "-") or (e.startswith(TEMP_PREFIX) and out_name in e):
                os.unlink(os.path.join(folder, e))
    ctx.defer(remove_ours)
    ctx.spawn(as_user(user, JOURNAL_RACER, folder, out_name, journal))
    succeeded = 0
    for _ in range(attempts):
        r = ctx.litesafe("restore", *restore_args, "-o", out, "--force")
        if r.returncode == 0:
            succeeded += 1
            tables = run(["sqlite3", out, "SELECT name FROM sqlite_schema"], check=True).stdout.split()
            expect("pwned" not in tables, "the restore reported success but OUT holds the attacker's table")
            expect(dump(out) == expected, "the restore reported success but OUT differs from the backup")
    expect(succeeded > 0, "no restore succeeded under the racer")
    info(f"{succeeded} of {attempts} restores succeeded, each with the backed-up content")


@timeout(180)
def test_attacker_plants_hot_journal_in_shared_folder(ctx):
    """Restoring into a world-writable sticky folder while another user plants a hot
    `-journal` beside every temporary of ours: each restore reports success only with
    exactly the backed-up database at OUT."""
    shared = ctx.path("shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    journal_attack(ctx, shared, "app.db")


@timeout(180)
def test_attacker_plants_hot_journal_in_tmp(ctx):
    """The README's runbook case, `-o /tmp/app.db`, with another user planting a hot journal."""
    journal_attack(ctx, "/tmp", f"litesafe-rel-{os.getpid()}-{os.urandom(3).hex()}.db")


def ours(folder):
    return sorted(e for e in os.listdir(folder) if e.startswith(TEMP_PREFIX) or e.startswith(RESTORE_PREFIX))


@timeout(240)
def test_restore_killed_mid_way_leaves_no_plaintext(ctx):
    """`kill -9` while a restore writes its temporary, then a second restore into the same
    folder: afterwards no temporary and no private folder of ours is left beside OUT, and
    nothing that is not ours was removed."""
    db = ctx.path("data", "big.db")
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE blobs(x)")
    c.executemany("INSERT INTO blobs VALUES (randomblob(1000))", [()] * 60000)
    c.commit()
    c.close()
    r = ctx.litesafe("backup", "--config", ctx.config({"big": db}))
    expect(r.returncode == 0, f"setup backup failed: {output(r)}")
    restore_args = ["--from", ctx.path("backups"), "big", "--identity", ctx.key]
    folder = ctx.path("out")
    os.mkdir(folder)
    bystander = os.path.join(folder, TEMP_PREFIX + "not-ours-at-all")
    with open(bystander, "w") as f:
        f.write("someone else's file with our prefix but another name\n")
    out = os.path.join(folder, "big.db")
    killed = False
    for attempt in range(10):
        p = ctx.spawn([support.LITESAFE, "restore",
                       *restore_args, "-o", out, "--force"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Wait for the temporary to hold data, then kill.
        def writing():
            for e in ours(folder):
                path = os.path.join(folder, e)
                try:
                    files = [os.path.join(path, f) for f in os.listdir(path)] if os.path.isdir(path) else [path]
                    if any(os.path.getsize(f) > 1 << 20 for f in files):
                        return True
                except OSError:
                    pass
            return p.poll() is not None
        eventually(writing, timeout=60, every=0.001)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed = True
            break
    expect(killed, "the restore always finished before it could be killed")
    left = ours(folder)
    expect(left, "setup: the killed restore left nothing to clean up")
    info(f"the killed restore left {left}")
    r = ctx.litesafe("restore", *restore_args, "-o", out, "--force")
    expect(r.returncode == 0, f"the second restore failed: {output(r)}")
    left = [e for e in ours(folder) if os.path.join(folder, e) != bystander]
    expect(not left, f"plaintext left beside OUT after the next restore: {left}")
    expect(os.path.exists(bystander), "the next restore removed a file that was not its own")


def sqlite_header(page_size=4096, pages=2):
    """The first 100 bytes of a database of `pages` pages, its in-header size valid."""
    h = bytearray(100)
    h[0:16] = b"SQLite format 3\x00"
    h[16:18] = page_size.to_bytes(2, "big") if page_size < 65536 else (1).to_bytes(2, "big")
    h[18], h[19], h[21], h[22], h[23] = 1, 1, 64, 32, 32
    h[24:28] = (1).to_bytes(4, "big")
    h[28:32] = pages.to_bytes(4, "big")
    h[44:48] = (4).to_bytes(4, "big")
    h[92:96] = (1).to_bytes(4, "big")
    h[96:100] = (3040001).to_bytes(4, "big")
    return bytes(h)


@timeout(120)
def test_restore_bomb_behind_sqlite_header_keeps_free_space(ctx):
    """A few-kB zstd file whose plaintext starts with a valid SQLite header declaring two 4 kB
    pages, then 150 MB of zeros, restored onto a 64 MB tmpfs: refused naming the header's size,
    and the tmpfs never loses more than a megabyte of free space on the way."""
    folder = ctx.path("out")
    ctx.tmpfs(folder, "64m")
    bomb = ctx.path("bomb.sqlite.zst")
    header = ctx.path("header.bin")
    with open(header, "wb") as f:
        f.write(sqlite_header())
    run(["sh", "-c", f'(cat "{header}"; head -c 150000000 /dev/zero) | zstd -q -19 -o "{bomb}"'], check=True)
    expect(os.path.getsize(bomb) < 100_000, "setup: the bomb is not small")
    free = lambda: os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    before = free()
    out = os.path.join(folder, "app.db")
    p = ctx.spawn([support.LITESAFE, "restore", bomb, "-o", out],
                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lowest = before
    while p.poll() is None:
        lowest = min(lowest, free())
    lowest = min(lowest, free())
    text = p.stdout.read()
    expect(p.returncode != 0, f"the bomb was restored: {text[-300:]}")
    info(f"refused: {text.strip()[-200:]}; lowest free space {lowest >> 20} MB of {before >> 20} MB")
    expect(before - lowest < 1 << 20, f"the restore used {(before - lowest) >> 20} MB of the tmpfs on the way")
    expect("its SQLite header declares" in text, f"the refusal does not name the header's size: {text[-300:]}")
    expect(not os.path.exists(out), "OUT was created")
    expect(not ours(folder), f"left beside OUT: {ours(folder)}")
