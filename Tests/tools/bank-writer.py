#!/usr/bin/env python3
"""A writer that moves money between accounts forever, keeping the total constant.

Used by tests to prove that every backup taken while it runs is a consistent snapshot:
a torn copy would show a total other than ACCOUNTS * 1000.

usage: bank-writer.py DB (wal|delete) [--accounts N] [--pad BYTES] [--latency FILE]
Prints "ready" once the database exists, then writes until killed (SIGTERM).
"""
import argparse, os, random, signal, sqlite3, sys, time

p = argparse.ArgumentParser()
p.add_argument("db"); p.add_argument("mode", choices=["wal", "delete"])
p.add_argument("--accounts", type=int, default=100)
p.add_argument("--pad", type=int, default=200, help="bytes of filler per account row")
p.add_argument("--latency", help="write each transaction's latency in microseconds here on exit")
p.add_argument("--sleep", type=float, default=0.0, help="pause between transactions, seconds")
a = p.parse_args()

stop = False
def on_term(*_):
    global stop; stop = True
signal.signal(signal.SIGTERM, on_term)
# A parent may have blocked SIGTERM (test runners do); children inherit the mask.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])

db = sqlite3.connect(a.db, timeout=30, isolation_level=None)
db.execute(f"PRAGMA journal_mode={a.mode}")
db.execute("CREATE TABLE IF NOT EXISTS accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL, pad BLOB)")
db.execute("CREATE TABLE IF NOT EXISTS transfers(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER, note TEXT)")
db.execute("CREATE INDEX IF NOT EXISTS transfers_src ON transfers(src)")
if db.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0:
    db.execute("BEGIN")
    for i in range(a.accounts):
        db.execute("INSERT INTO accounts VALUES (?, 1000, ?)", (i, os.urandom(a.pad)))
    db.execute("COMMIT")
print("ready", flush=True)

latencies = []
rng = random.Random(1)
while not stop:
    src, dst = rng.randrange(a.accounts), rng.randrange(a.accounts)
    amount = rng.randrange(1, 50)
    t0 = time.perf_counter()
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, src))
        db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, dst))
        db.execute("INSERT INTO transfers(src, dst, amount, note) VALUES (?, ?, ?, ?)", (src, dst, amount, "x" * rng.randrange(0, 200)))
        db.execute("COMMIT")
    except sqlite3.OperationalError as e:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if "locked" not in str(e) and "busy" not in str(e):
            raise
        continue
    latencies.append(int((time.perf_counter() - t0) * 1e6))
    if a.sleep:
        time.sleep(a.sleep)

if a.latency:
    with open(a.latency, "w") as f:
        f.write("\n".join(map(str, latencies)) + "\n")
