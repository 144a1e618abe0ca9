"""Scale: a thousand databases in one daemon, and a 2 GiB database across SQLite's lock-byte
page, each with bounded descriptors and memory."""
import json, os, random, shutil, sqlite3, time
import support
from support import (check_modes, check_no_leftovers, check_store, eventually, expect, info, make_bank, manifests,
                     output, peak_rss_and_run, timeout)

MiB = 1 << 20


def proc_status(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return fds, rss


@timeout(150)
def test_scale_1000_databases(ctx):
    """1000 configured databases, all due at start: descriptors and memory stay flat while the
    daemon works through them; a sample of the backups is checked with the stock tools."""
    t_setup = time.monotonic()
    names = [f"db{i:04d}" for i in range(1000)]
    template = ctx.path("template.db")
    make_bank(template, mode="delete", accounts=5, transfers=0)
    for name in names:
        shutil.copyfile(template, ctx.path("data", f"{name}.db"))
    cfg = ctx.config({n: ctx.path("data", f"{n}.db") for n in names},
                     defaults="schedule: every 1h", top="max_concurrent_backups: 2")
    t0 = time.monotonic()
    d = ctx.daemon(cfg)
    samples = []
    info(f"setup took {t0 - t_setup:.1f} s")
    deadline = time.monotonic() + 90
    eventually(lambda: "started" in d.log, timeout=20)
    while time.monotonic() < deadline and d.alive:
        samples.append(proc_status(d.pid))
        if d.log.count("completed: ") >= 1000:
            break
        time.sleep(0.5)
    took = time.monotonic() - t0
    done = d.log.count("completed: ")
    expect(d.alive, f"the daemon died: {d.log[-800:]}")
    fds = [s[0] for s in samples]
    rss = [s[1] for s in samples]
    info(f"1000 databases: {done} backed up in {took:.0f} s; open descriptors {min(fds)}–{max(fds)}; "
         f"RSS {min(rss) / 1024:.0f}–{max(rss) / 1024:.0f} MiB (sampled {len(samples)}×)")
    expect(done >= 200, f"only {done} of 1000 backed up in {took:.0f} s")
    expect(max(fds) < 100, f"descriptors grow with the number of databases: up to {max(fds)}")
    expect(max(rss) < 200 * 1024, f"RSS reached {max(rss) / 1024:.0f} MiB")
    t1 = time.monotonic()
    code = d.stop(timeout=60)
    info(f"stopped in {time.monotonic() - t1:.1f} s")
    expect(code == 0, f"the daemon exited {code} on SIGTERM")
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    check_modes(ctx.path("backups"), ctx.path("state"))
    backed = [n for n in names if manifests(ctx.path("backups", n))]
    sample = random.Random(6).sample(backed, min(20, len(backed)))
    n = check_store(ctx, ctx.path("backups"), databases=sample)
    expect(n == len(sample), f"{n} of {len(sample)} sampled backups checked")


def make_big_database(path, size_bytes):
    """A database of `size_bytes` in seconds: 64 KiB pages of 16 MiB zeroblob rows, written
    without a journal or fsyncs, plus the bank's tables for the invariant, with an account
    written last so that it lands past the 1 GiB lock-byte page."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("""
        PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL, pad BLOB);
        CREATE TABLE transfers(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER, note TEXT);
        CREATE TABLE filler(id INTEGER PRIMARY KEY, b BLOB);
        BEGIN;
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
            INSERT INTO accounts SELECT i, 1000, randomblob(100) FROM n;
        COMMIT;
    """)
    db.execute("BEGIN")
    for i in range(size_bytes // (16 * MiB)):
        db.execute("INSERT INTO filler VALUES (?, zeroblob(16777216))", (i,))
    db.execute("INSERT INTO accounts VALUES (100, 1000, randomblob(60000))")
    db.execute("COMMIT")
    db.close()


@timeout(420)
def test_scale_2gib_database(ctx):
    """A 2 GiB database (past SQLite's lock-byte page at 1 GiB) backed up and restored with
    bounded memory; the backup passes the stock-tool check."""
    db = ctx.path("data", "big.db")
    ctx.defer(lambda: [os.unlink(p) for p in (db, ctx.path("restored.db")) if os.path.exists(p)])
    t0 = time.monotonic()
    make_big_database(db, 2 << 30)
    size = os.path.getsize(db)
    info(f"built a {size / MiB:.0f} MiB database in {time.monotonic() - t0:.1f} s")
    expect(size > (1 << 30) + (64 << 10), "setup: the database does not cross the lock-byte page")
    cfg = ctx.config({"big": db}, defaults="busy_timeout: 10s")
    t0 = time.monotonic()
    r, peak = peak_rss_and_run([support.LITESAFE, "backup", "--config", cfg], timeout=400)
    took = time.monotonic() - t0
    expect(r.returncode == 0, f"backup of the 2 GiB database failed: {output(r)[-600:]}")
    info(f"2 GiB backup: {took:.1f} s, peak RSS {peak / 1024:.0f} MiB ({size / MiB / took:.0f} MiB/s)")
    expect(peak < 200 * 1024, f"peak RSS {peak / 1024:.0f} MiB during the backup")
    folder = ctx.path("backups", "big")
    with open(os.path.join(folder, manifests(folder)[0])) as f:
        manifest = json.load(f)
    expect(manifest["plaintext_size"] == size, f"manifest size {manifest['plaintext_size']} != {size}")
    out = ctx.path("restored.db")
    t0 = time.monotonic()
    r, peak = peak_rss_and_run([support.LITESAFE, "restore", "--from", ctx.path("backups"), "big",
                                "--identity", ctx.key, "-o", out], timeout=400)
    took = time.monotonic() - t0
    expect(r.returncode == 0, f"restore of the 2 GiB backup failed: {output(r)[-600:]}")
    info(f"2 GiB restore (hash and integrity_check included): {took:.1f} s, peak RSS {peak / 1024:.0f} MiB")
    expect(peak < 200 * 1024, f"peak RSS {peak / 1024:.0f} MiB during the restore")
    os.unlink(out)
    t0 = time.monotonic()
    n = check_store(ctx, ctx.path("backups"))
    expect(n == 1, "the backup was not checked")
    info(f"stock-tool check of the 2 GiB backup: {time.monotonic() - t0:.1f} s")
    check_no_leftovers(ctx.path("backups"), ctx.path("state"))
    check_modes(ctx.path("backups"), ctx.path("state"))
