#!/usr/bin/env python3
"""A paced SQLite writer for `make bench`: commit latency with and without a backup running.

usage: bench-writer.py DATABASE [--seconds S] [--rate N] [--until-eof] [--synchronous MODE]

Commits one small transaction (BEGIN IMMEDIATE; one INSERT of a ~300-byte row into
`bench_writer`, created if missing; COMMIT) N times a second (default 100) into the WAL database,
with `busy_timeout` 5000 ms, until S seconds have passed or, with --until-eof, its standard input
closes (whichever comes first; S defaults to 600 as a safety stop). It writes `bench-writer:
started` on standard error once its first commit is done, and at the end one JSON object on
standard output.

What is measured: commit i is due at start + i/N on the monotonic clock (no sleep drift); the
writer waits for that time, or, when late, commits at once (it catches up back to back, it never
skips). Each commit's service time (BEGIN IMMEDIATE to COMMIT's return) is measured, and its
latency is computed as a writer with an exact timer would have seen it: from its due time to its
end, after waiting for the commits before it (so a stall delays the commits queued behind it and
they count too, as for a writer serving N requests a second). A timer that wakes late is the
scheduler, not the database: that lateness is not in the latency but reported apart
(`wake_late_*`). `commit_*` are the service times alone. The first commit (the connection's
warm-up) is not counted; `bench-writer: started` follows it. A commit that fails (e.g.
SQLITE_BUSY after the 5000 ms timeout) is counted in `errors`, its time still in the latencies.

synchronous defaults to NORMAL, the setting SQLite's documentation suggests for WAL
(https://sqlite.org/pragma.html#pragma_synchronous): commits do not fsync, checkpoints do.
"""
import argparse, json, math, os, signal, sqlite3, sys, threading, time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("database")
parser.add_argument("--seconds", type=float, default=600.0)
parser.add_argument("--rate", type=float, default=100.0)
parser.add_argument("--until-eof", action="store_true", help="stop when standard input closes")
parser.add_argument("--synchronous", default="NORMAL", choices=["OFF", "NORMAL", "FULL", "EXTRA"])
args = parser.parse_args()
if args.rate <= 0 or args.seconds <= 0:
    sys.exit("bench-writer: --rate and --seconds must be positive")
if not os.path.isfile(args.database):
    sys.exit(f"bench-writer: {args.database}: no such database file")

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
if args.until_eof:
    def watch_stdin():
        while sys.stdin.buffer.read(4096):
            pass
        stop.set()
    threading.Thread(target=watch_stdin, daemon=True).start()

db = sqlite3.connect(args.database, isolation_level=None, timeout=5.0)
db.execute("PRAGMA busy_timeout=5000")
mode = db.execute("PRAGMA journal_mode").fetchone()[0]
if mode.lower() != "wal":
    sys.exit(f"bench-writer: {args.database} is in journal mode {mode}, not WAL; the bench measures a WAL database")
db.execute(f"PRAGMA synchronous={args.synchronous}")
db.execute("CREATE TABLE IF NOT EXISTS bench_writer(id INTEGER PRIMARY KEY, at REAL, pad BLOB)")

period = 1.0 / args.rate
services, wake_late = [], []   # per counted commit
errors, last_error = 0, None
start = time.monotonic()
deadline = start + args.seconds
i = 0
while not stop.is_set():
    due = start + i * period
    if due >= deadline:
        break
    now = time.monotonic()
    if now < due:
        # stop.wait, not sleep: a stop request ends the wait at once.
        if stop.wait(due - now):
            break
        now = time.monotonic()
        late = now - due
    else:
        late = 0.0   # behind after a slow commit: the queue below accounts for it
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO bench_writer(at, pad) VALUES (?, ?)", (time.time(), os.urandom(300)))
        db.execute("COMMIT")
    except sqlite3.Error as error:
        errors += 1
        last_error = str(error)
        if db.in_transaction:
            db.execute("ROLLBACK")
    service = time.monotonic() - now
    if i == 0:
        print("bench-writer: started", file=sys.stderr, flush=True)
    else:
        services.append(service)
        wake_late.append(late)
    i += 1
elapsed = time.monotonic() - start
db.close()

# The queue of a writer with an exact timer: commit k starts at its due time or when commit k-1
# ends, whichever is later, and takes its measured service time.
latencies, end = [], float("-inf")
for k, service in enumerate(services, 1):
    due = k * period
    end = max(due, end) + service
    latencies.append(end - due)


def percentile(values, p):
    """Nearest rank: the smallest value with at least p of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def ms(value):
    return None if value is None else round(value * 1000, 3)


print(json.dumps({
    "commits": len(latencies), "errors": errors, "last_error": last_error,
    "seconds": round(elapsed, 3), "rate": args.rate, "synchronous": args.synchronous,
    "p50_ms": ms(percentile(latencies, 0.50)), "p99_ms": ms(percentile(latencies, 0.99)),
    "max_ms": ms(max(latencies, default=None)),
    "commit_p50_ms": ms(percentile(services, 0.50)),
    "commit_p99_ms": ms(percentile(services, 0.99)),
    "commit_max_ms": ms(max(services, default=None)),
    "wake_late_p99_ms": ms(percentile(wake_late, 0.99)), "wake_late_max_ms": ms(max(wake_late, default=None)),
    # Every latency, so that several runs' can be pooled (make bench does: one run's p99 is a
    # handful of commits, and one automatic checkpoint more or less decides it).
    "latencies_ms": [ms(value) for value in latencies],
}))
