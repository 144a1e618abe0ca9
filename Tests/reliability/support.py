"""Shared pieces of the reliability suite: the per-test context, the real binary, the bank
writer, mounts and the store checks every test ends with.

Everything here runs real programs (litesafe, age, zstd, sqlite3, mount, losetup); the
suite is root-only because it mounts file systems.
"""
import contextlib, hashlib, json, os, signal, sqlite3, stat, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BANK_WRITER = os.path.join(REPO, "Tests", "tools", "bank-writer.py")
PYTHON = "/usr/bin/python3"
TEMP_PREFIX = ".litesafe-tmp-"
DATA_SUFFIX = ".sqlite.zst.age"
DUMP_SUFFIX = ".sql.zst.age"  # a stored dump's data file (`litesafe dump NAME --store`)
PAGES_SUFFIX = ".pages.age"  # a page snapshot's data file, its encrypted index (`format: pages`)
RESTORE_PAGES = os.path.join(REPO, "scripts", "restore-pages.py")
MANIFEST_SUFFIX = ".manifest.json"
BANK_ACCOUNTS = 100
CRASH_ENV = "LITESAFE_TEST_CRASH_AT"
# Which binary the tests run; set by the runner.
LITESAFE = os.path.join(REPO, ".build", "debug", "litesafe")


class Failure(Exception):
    """A test's expectation did not hold."""


def expect(condition, why):
    if not condition:
        raise Failure(why)


def timeout(seconds):
    """Marks a test with its own time limit (the default is 60 s)."""
    def mark(fn):
        fn.timeout = seconds
        return fn
    return mark


def info(text):
    """A measured number: printed, never asserted."""
    print(f"  info: {text}", flush=True)


class Context:
    """One test's world: a private folder under /tmp and a stack of cleanups (processes,
    mounts, loop devices) that run even when the test fails or times out."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"litesafe-rel-{name}-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self._cleanups = []
        self.key = self.path("key.txt")
        self.recipients = self.path("recipients.txt")
        run([LITESAFE, "keygen", "-o", self.key], check=True)
        public = run(["age-keygen", "-y", self.key], check=True).stdout.strip()
        with open(self.recipients, "w") as f:
            f.write(public + "\n")
        os.chmod(self.recipients, 0o600)
        self.recipient = public
        for folder in ("data", "backups"):
            os.makedirs(self.path(folder), exist_ok=True)
        # The state directory exists before the daemon starts (systemd-tmpfiles makes it).
        os.mkdir(self.path("state"), 0o700)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def defer(self, fn):
        self._cleanups.append(fn)

    def close(self, keep):
        for fn in reversed(self._cleanups):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                print(f"  cleanup of {self.name}: {e}", file=sys.stderr)
        self._cleanups.clear()
        if not keep:
            subprocess.run(["rm", "-rf", "--one-file-system", self.dir])

    # --- mounts -------------------------------------------------------------------------
    def tmpfs(self, path, size):
        os.makedirs(path, exist_ok=True)
        run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path], check=True)
        self.defer(lambda: subprocess.run(["umount", "-l", path], capture_output=True))

    def ext4_loop(self, path, size_mb=64):
        """An ext4 file system on a loop device, mounted at `path`; returns (device, image)."""
        image = self.path(os.path.basename(path) + ".img")
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        run(["mkfs.ext4", "-q", "-F", image], check=True)
        device = run(["losetup", "--find", "--show", image], check=True).stdout.strip()
        self.defer(lambda: subprocess.run(["losetup", "-d", device], capture_output=True))
        os.makedirs(path, exist_ok=True)
        run(["mount", "-t", "ext4", device, path], check=True)
        self.defer(lambda: subprocess.run(["umount", path], capture_output=True))
        return device

    # --- processes ----------------------------------------------------------------------
    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        def stop():
            if p.poll() is None:
                p.kill()
                p.wait()
        self.defer(stop)
        return p

    def bank_writer(self, db, mode="wal", sleep=0.0, latency=None, pad=200):
        """Starts Tests/tools/bank-writer.py on `db` and waits for its "ready"."""
        args = [PYTHON, BANK_WRITER, db, mode, "--pad", str(pad)]
        if sleep:
            args += ["--sleep", str(sleep)]
        if latency:
            args += ["--latency", latency]
        p = self.spawn(args, stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        expect(line.strip() == "ready", f"bank writer did not start: {line!r}")
        return p

    def stop_writer(self, p):
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        expect(p.returncode == 0, f"bank writer failed with status {p.returncode}")

    # --- configuration ------------------------------------------------------------------
    def config(self, databases, defaults="", top="", name="litesafe.yml"):
        """Writes a configuration: `databases` maps name -> path (or a YAML fragment)."""
        base = {"schedule": "every 1h", "destination": self.path("backups"), "busy_timeout": "2s",
                "encryption": f"\n    recipients_file: {self.recipients}"}
        extra = [l for l in defaults.splitlines() if l.strip()]
        for l in extra:  # a key given in `defaults` replaces the base one
            base.pop(l.split(":")[0].strip(), None)
        lines = ["defaults:"] + [f"  {k}: {v}" if not v.startswith("\n") else f"  {k}:{v}" for k, v in base.items()]
        lines += ["  " + l for l in extra]
        lines += [f"state_directory: {self.path('state')}"]
        lines += [l for l in top.splitlines() if l.strip()]
        lines += ["databases:"]
        for db, where in databases.items():
            lines += [f"  - name: {db}", f"    path: {where}"]
        path = self.path(name)
        write_private(path, "\n".join(lines) + "\n")
        return path

    # --- the binary ---------------------------------------------------------------------
    def litesafe(self, *args, env=None, timeout=120, wrap=()):
        e = clean_environment()
        e.update(env or {})
        return run(list(wrap) + [LITESAFE, *args], env=e, timeout=timeout)

    def daemon(self, config, env=None, log_name="daemon.log", wrap=()):
        log = self.path(log_name)
        e = clean_environment()
        e.update(env or {})
        out = open(log, "ab")
        p = self.spawn([*wrap, LITESAFE, "run", "--config", config, "--log-target", "console", "--verbose"],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=e)
        out.close()
        d = Daemon(p, log, wrapped=bool(wrap))
        if wrap:
            # Signals go to the daemon, not to the wrapper (faketime(1) does not forward them),
            # and the daemon must not outlive a failed test.
            eventually(lambda: d.pid != p.pid, timeout=5)
            child = d.pid
            def kill_child():
                with contextlib.suppress(OSError):
                    with open(f"/proc/{child}/cmdline", "rb") as f:
                        mine = config.encode() in f.read()  # not a later process that got the pid
                    if mine:
                        os.kill(child, signal.SIGKILL)
            self.defer(kill_child)
        return d


class Daemon:
    def __init__(self, process, log, wrapped=False):
        self.process, self.log_path, self.wrapped = process, log, wrapped

    @property
    def pid(self):
        """The daemon's own pid: the wrapper's child when it runs under one."""
        if not self.wrapped:
            return self.process.pid
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                children = f.read().split()
            return int(children[0]) if children else self.process.pid
        except OSError:
            return self.process.pid

    @property
    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    @property
    def alive(self):
        return self.process.poll() is None

    def signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self, timeout=20):
        if self.alive:
            self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"daemon did not stop on SIGTERM within {timeout} s")


def clean_environment():
    return {k: v for k, v in os.environ.items()
            if not k.startswith("LITESAFE_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                                            "JOURNAL_STREAM", "INVOCATION_ID")}


def run(args, check=False, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    r = subprocess.run(args, **kw)
    if check and r.returncode != 0:
        raise Failure(f"{' '.join(map(str, args))} exited {r.returncode}: {r.stderr.strip()[-500:]}")
    return r


def write_private(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def eventually(condition, timeout=15, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def output(r):
    return (r.stdout or "") + (r.stderr or "")


# --- databases ------------------------------------------------------------------------------

def make_bank(path, mode="wal", accounts=BANK_ACCOUNTS, transfers=200):
    """A bank database (the writer's schema) with some history, written without a writer."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA journal_mode={mode}")
    db.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL, pad BLOB)")
    db.execute("CREATE TABLE transfers(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER, note TEXT)")
    db.execute("CREATE INDEX transfers_src ON transfers(src)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO accounts VALUES (?, 1000, randomblob(200))", [(i,) for i in range(accounts)])
    db.executemany("INSERT INTO transfers(src, dst, amount, note) VALUES (?, ?, 1, hex(randomblob(300)))",
                   [(i % accounts, (i + 1) % accounts) for i in range(transfers)])
    db.execute("COMMIT")
    db.close()


def bank_total(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count, total = db.execute("SELECT count(*), sum(balance) FROM accounts").fetchone()
        return count, total
    finally:
        db.close()


def sha256_of(path):
    """The file's SHA-256, in hex: OpenSSL's through hashlib, five times as fast here as
    coreutils' sha256sum (which has no SHA-NI code), which cost 5 s of the 2 GiB scale test."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def expect_database_hash(path, manifest, name):
    """The database at `path` is the one `manifest` describes: its whole SHA-256 (format 1), or,
    for a snapshot captured page by page (format 2), that of its first page and of the rest."""
    if manifest.get("format") in (2, 3):
        size = manifest["page_size"]
        with open(path, "rb") as f:
            first = hashlib.sha256(f.read(size)).hexdigest()
            rest = hashlib.sha256()
            for block in iter(lambda: f.read(1 << 20), b""):
                rest.update(block)
        expect(first == manifest["first_page_sha256"], f"{name}: page 1's SHA-256 {first} is not the manifest's")
        expect(rest.hexdigest() == manifest["after_first_page_sha256"],
               f"{name}: the SHA-256 after page 1 {rest.hexdigest()} is not the manifest's")
    else:
        digest = sha256_of(path)
        expect(digest == manifest["plaintext_sha256"], f"{name}: SHA-256 {digest} is not the manifest's")


def integrity(path):
    r = run(["sqlite3", path, "PRAGMA integrity_check"])
    return r.stdout.strip() if r.returncode == 0 else f"sqlite3 failed: {r.stderr.strip()}"


# --- the store ------------------------------------------------------------------------------

def manifests(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(f for f in os.listdir(folder) if f.endswith(MANIFEST_SUFFIX) and not f.startswith("."))


def check_store(ctx, destination, databases=None, bank=True, key=None):
    """Every backup with a manifest: `age -d | zstd -d` with the real CLIs (a page snapshot:
    scripts/restore-pages.py, which uses them), its hash matches the manifest, `integrity_check`
    is ok, and the bank's total is whole. Returns the count."""
    key = key or ctx.key
    checked = 0
    out = ctx.path("check.db")
    names = databases or sorted(d for d in os.listdir(destination)
                                if os.path.isdir(os.path.join(destination, d)) and not d.startswith("."))
    for name in names:
        folder = os.path.join(destination, name)
        for m in manifests(folder):
            with open(os.path.join(folder, m)) as f:
                manifest = json.load(f)
            data = os.path.join(folder, manifest["file"])
            expect(os.path.exists(data), f"manifest {m} names {manifest['file']}, which is missing")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(out)
            plain = out + ".sql" if manifest.get("kind") == "dump" else out
            with contextlib.suppress(FileNotFoundError):
                os.unlink(plain)
            if "pages" in manifest:
                r = run([PYTHON, RESTORE_PAGES, "--as-stored", "--identity", key, folder, m[:-len(MANIFEST_SUFFIX)],
                         plain], timeout=600)
                expect(r.returncode == 0, f"{data}: restore-pages.py failed: {r.stderr.strip()[-400:]}")
            else:
                r = run(["sh", "-c", 'age -d -i "$0" "$1" | zstd -d -q -o "$2"', key, data, plain], timeout=600)
                expect(r.returncode == 0, f"{data}: age -d | zstd -d failed: {r.stderr.strip()}")
            expect_database_hash(plain, manifest, data)
            if plain != out:
                # A stored dump: SQL that stock sqlite3 loads into a fresh database.
                with open(plain, "rb") as sql:
                    r = run(["sqlite3", "-bail", out], stdin=sql, timeout=600)
                os.unlink(plain)
                expect(r.returncode == 0, f"{data}: sqlite3 could not load the dump: {r.stderr.strip()[:300]}")
            result = integrity(out)
            expect(result == "ok", f"{data}: integrity_check: {result[:300]}")
            if bank:
                count, total = bank_total(out)
                expect(total == count * 1000, f"{data}: the bank's total is {total}, not {count * 1000} (a torn copy)")
            checked += 1
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out)
    return checked


def leftovers(*folders):
    """Temporary, staging and manifest-less data files under `folders`."""
    found = []
    for top in folders:
        for root, dirs, files in os.walk(top):
            for f in files:
                p = os.path.join(root, f)
                if f.startswith(TEMP_PREFIX) or ".staging" in f:
                    found.append(p)
                else:
                    for suffix in (DATA_SUFFIX, DUMP_SUFFIX, PAGES_SUFFIX):
                        if f.endswith(suffix) and not os.path.exists(
                                os.path.join(root, f[: -len(suffix)] + MANIFEST_SUFFIX)):
                            found.append(p)
    return found


def pack_files(folder):
    """The packs in a database folder's page store, by name."""
    packs = os.path.join(folder, "pages", "packs")
    if not os.path.isdir(packs):
        return set()
    return {f[:-len(".pack")] for f in os.listdir(packs) if f.endswith(".pack") and not f.startswith(".")}


def packs_named(folder):
    """Every pack a page snapshot's manifest in `folder` names."""
    named = set()
    for m in manifests(folder):
        with open(os.path.join(folder, m)) as f:
            named.update(json.load(f).get("pages", {}).get("packs", []))
    return named


def check_no_leftovers(*folders):
    left = leftovers(*folders)
    expect(not left, f"leftovers after the next run: {left}")


def check_modes(*folders):
    """Every file LiteSafe created is 0600 and every folder 0700 (the roots themselves are ours)."""
    bad = []
    for top in folders:
        if not os.path.exists(top):
            continue
        for root, dirs, files in os.walk(top):
            for d in dirs:
                mode = stat.S_IMODE(os.lstat(os.path.join(root, d)).st_mode)
                if mode != 0o700:
                    bad.append(f"{os.path.join(root, d)} {mode:o}")
            for f in files:
                mode = stat.S_IMODE(os.lstat(os.path.join(root, f)).st_mode)
                if mode != 0o600:
                    bad.append(f"{os.path.join(root, f)} {mode:o}")
    expect(not bad, f"wrong modes: {bad}")


def peak_rss_and_run(args, env=None, timeout=600):
    """Runs `args` under /usr/bin/time -v; returns (result, peak RSS in KiB)."""
    e = clean_environment()
    e.update(env or {})
    r = run(["/usr/bin/time", "-v", *args], env=e, timeout=timeout)
    peak = None
    for line in r.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.split(":")[1])
    return r, peak
