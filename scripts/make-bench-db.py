#!/usr/bin/env python3
"""Generates a deterministic benchmark database: several tables with indexes, text and blobs.

usage: make-bench-db.py PATH SIZE_MB [SEED]
The same SIZE_MB and SEED always give the same logical content (row values), so runs compare.
"""
import os, random, sqlite3, sys

path, size_mb = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
rng = random.Random(seed)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"]

if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
db.executescript("""
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, email TEXT, bio TEXT, created INTEGER);
CREATE INDEX customers_email ON customers(email);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, total INTEGER, status TEXT, notes TEXT);
CREATE INDEX orders_customer ON orders(customer, status);
CREATE TABLE attachments(id INTEGER PRIMARY KEY, order_id INTEGER, kind TEXT, body BLOB);
CREATE INDEX attachments_order ON attachments(order_id);
""")
target = size_mb * 1024 * 1024
i = 0
while True:
    db.execute("BEGIN")
    for _ in range(2000):
        i += 1
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(5, 60)))
        db.execute("INSERT INTO customers VALUES (?,?,?,?,?)", (i, f"customer {i}", f"c{i}@example.com", text, 1700000000 + i))
        db.execute("INSERT INTO orders VALUES (?,?,?,?,?)", (i, rng.randrange(1, i + 1), rng.randrange(100, 100000), rng.choice(["new", "paid", "shipped"]), text[:80]))
        if i % 3 == 0:
            # Half compressible (repeated text), half random: like real attachments.
            blob = rng.randbytes(rng.randrange(500, 3000)) + (text * 10).encode()[:3000]
            db.execute("INSERT INTO attachments VALUES (?,?,?,?)", (i, i, "note", blob))
    db.execute("COMMIT")
    if os.path.getsize(path) + os.path.getsize(path + "-wal") >= target:
        break
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
