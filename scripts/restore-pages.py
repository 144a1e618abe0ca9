#!/usr/bin/env python3
"""Rebuild a LiteSafe page snapshot (`format: pages`) without LiteSafe: Python's standard
library plus the stock `age` and `zstd` commands.

    scripts/restore-pages.py --identity KEY.txt /var/backups/litesafe/app [STEM] OUT.db

FOLDER is the database's folder in the store (it holds the manifests and `pages/`); STEM names
a snapshot (`app-20261203T120000.000000Z`, the manifest's name without `.manifest.json`; the
newest page snapshot if left out). OUT must not exist. Every pack is checked against its name
(the SHA-256 of its bytes), every page against its ID in the pack's table (HMAC-SHA256 under the
page key), and the database against the two SHA-256 hashes the index records; anything that
does not match stops the restore with nothing at OUT.

The formats, as LiteSafe writes them (all integers little-endian):
- the snapshot's data file `<stem>.pages.age`: age( zstd( index ) ), index =
  "LSINDEX1", page size u32, page count u32, SHA-256 of page 1 [32], SHA-256 of pages 2..N [32],
  flags u32 (1 = WAL), key name length u32, key name, pack count u32, packs [32 bytes each, the
  pack's name in hex], run count u32, runs (first page, count, pack number, first slot; u32 each);
- a pack `pages/packs/<name>.pack`: age( skippable frame [0x184D2A5E, size, "LSPACK1\\n", page size
  u32, count u32, count page IDs of 32 bytes] + zstd(pages in slot order) );
- the key `pages/keys/<key name>`: age( 32 bytes ).
"""
import argparse
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys


def fail(message):
    sys.exit(f"restore-pages: error: {message}")


def decrypt(path, identity, encrypted):
    if not encrypted:
        with open(path, "rb") as f:
            return f.read()
    r = subprocess.run(["age", "-d", "-i", identity, path], capture_output=True)
    if r.returncode != 0:
        fail(f"age could not decrypt {path}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def decompress(data, what):
    r = subprocess.run(["zstd", "-d", "-q", "-c"], input=data, capture_output=True)
    if r.returncode != 0:
        fail(f"zstd could not decompress {what}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


class Reader:
    def __init__(self, data, what):
        self.data, self.what, self.at = data, what, 0

    def take(self, n):
        if self.at + n > len(self.data):
            fail(f"{self.what} ends early")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]


def newest_page_snapshot(folder):
    best = None
    for name in os.listdir(folder):
        if not name.endswith(".manifest.json") or name.startswith("."):
            continue
        with open(os.path.join(folder, name)) as f:
            manifest = json.load(f)
        if "pages" in manifest and (best is None or manifest["created"] > best[1]["created"]):
            best = (name[:-len(".manifest.json")], manifest)
    if best is None:
        fail(f"{folder} holds no page snapshot")
    return best[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--identity", help="an age identity file whose key the backups are encrypted to")
    parser.add_argument("--as-stored", action="store_true",
                        help="leave header bytes 18 and 19 as stored (rollback journal), so the file's first page "
                             "hashes to the manifest's first_page_sha256; by default a WAL database is put back in WAL mode")
    parser.add_argument("folder", help="the database's folder in the store")
    parser.add_argument("args", nargs="+", metavar="[STEM] OUT")
    options = parser.parse_args()
    if len(options.args) > 2:
        parser.error("give at most a STEM and OUT")
    out = options.args[-1]
    stem = options.args[0] if len(options.args) == 2 else newest_page_snapshot(options.folder)
    if os.path.lexists(out):
        fail(f"{out} exists: choose a new name")
    with open(os.path.join(options.folder, stem + ".manifest.json")) as f:
        manifest = json.load(f)
    if manifest.get("format") != 3 or "pages" not in manifest:
        fail(f"{stem} is not a page snapshot (format {manifest.get('format')})")
    encrypted = manifest["encryption"] == "age"
    if encrypted and not options.identity:
        fail("the snapshot is encrypted: give --identity KEY.txt")

    index = Reader(decompress(decrypt(os.path.join(options.folder, manifest["file"]), options.identity, encrypted),
                              "the index"), "the index")
    if index.take(8) != b"LSINDEX1":
        fail("the index does not start with LSINDEX1")
    page_size, page_count = index.u32(), index.u32()
    first_sha, rest_sha = index.take(32).hex(), index.take(32).hex()
    wal = index.u32() & 1 == 1
    key_name = index.take(index.u32()).decode()
    packs = [index.take(32).hex() for _ in range(index.u32())]
    wanted = {}  # pack number -> {slot: [page numbers]}
    for _ in range(index.u32()):
        first_page, count, pack, first_slot = struct.unpack("<IIII", index.take(16))
        for i in range(count):
            wanted.setdefault(pack, {}).setdefault(first_slot + i, []).append(first_page + i)

    pages_folder = os.path.join(options.folder, "pages")
    key = decrypt(os.path.join(pages_folder, "keys", key_name), options.identity, encrypted)
    if len(key) != 32:
        fail(f"the page key {key_name} is {len(key)} bytes, not 32")

    temporary = out + ".restore-pages-tmp"
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, page_count * page_size)
        written = 0
        for number, name in enumerate(packs):
            path = os.path.join(pages_folder, "packs", name + ".pack")
            with open(path, "rb") as f:
                stored = f.read()
            if hashlib.sha256(stored).hexdigest() != name:
                fail(f"pack {name} is damaged: its bytes do not hash to its name")
            plain = decrypt(path, options.identity, encrypted)
            table = Reader(plain, f"pack {name}")
            magic, size = struct.unpack("<II", table.take(8))
            end = table.at + size
            if magic != 0x184D2A5E or table.take(8) != b"LSPACK1\n" or table.u32() != page_size:
                fail(f"pack {name} has no table for pages of {page_size} bytes")
            ids = [table.take(32) for _ in range(table.u32())]
            if table.at != end:
                fail(f"pack {name}'s table has the wrong size")
            data = decompress(plain[end:], f"pack {name}")
            if len(data) != len(ids) * page_size:
                fail(f"pack {name} holds {len(data) // page_size} pages, its table {len(ids)}")
            for slot, numbers in wanted.get(number, {}).items():
                page = data[slot * page_size:(slot + 1) * page_size]
                if slot >= len(ids) or not hmac.compare_digest(hmac.new(key, page, hashlib.sha256).digest(), ids[slot]):
                    fail(f"pages {numbers} in pack {name} do not match their IDs")
                for page_number in numbers:
                    os.pwrite(fd, page, (page_number - 1) * page_size)
                    written += 1
        if written != page_count:
            fail(f"the index places {written} pages of {page_count}")
        first = os.pread(fd, page_size, 0)
        rest = hashlib.sha256()
        offset = page_size
        while offset < page_count * page_size:
            chunk = os.pread(fd, 1 << 20, offset)
            rest.update(chunk)
            offset += len(chunk)
        if hashlib.sha256(first).hexdigest() != first_sha or rest.hexdigest() != rest_sha:
            fail("the rebuilt database does not hash to the snapshot's hashes")
        if wal and not options.as_stored:
            os.pwrite(fd, b"\x02\x02", 18)  # WAL mode, as the source was (fileformat2.html 1.3.3)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.link(temporary, out)
        os.unlink(temporary)
        folder = os.open(os.path.dirname(os.path.abspath(out)), os.O_RDONLY)
        os.fsync(folder)
        os.close(folder)
    finally:
        if fd >= 0:
            os.close(fd)
        if os.path.exists(temporary):
            os.unlink(temporary)
    print(f"restored {stem} ({page_count} pages of {page_size} bytes) to {out}")


if __name__ == "__main__":
    main()
