#!/usr/bin/env python3
"""Changes PERCENT % of the rows of every table of a bench database (scripts/make-bench-db.py)
to new values of the same kind, checkpoints the WAL into the file (so a tool reading the file,
such as restic, sees the change), and prints how many pages changed, compared page by page.

usage: bench-churn.py DB PERCENT SEED
"""
import hashlib, random, sqlite3, sys

path, percent, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def pages():
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(18)[16:18], "big")
        size = 65536 if size == 1 else size
        f.seek(0)
        return [hashlib.sha1(block).digest() for block in iter(lambda: f.read(size), b"")]


db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
before = pages()
db.execute("BEGIN")
for table, column in (("customers", "bio"), ("orders", "notes"), ("attachments", "body")):
    ids = [row[0] for row in db.execute(f"SELECT id FROM {table}")]
    for id in rng.sample(ids, max(1, int(len(ids) * percent / 100))):
        if column == "body":
            text = " ".join(rng.choice(words) for _ in range(rng.randrange(5, 60)))
            value = rng.randbytes(rng.randrange(500, 3000)) + (text * 10).encode()[:3000]
        else:
            value = " ".join(rng.choice(words) for _ in range(rng.randrange(5, 60)))
        db.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (value, id))
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
after = pages()
changed = sum(1 for i, h in enumerate(after) if i >= len(before) or before[i] != h)
print(changed, len(after))
