#!/usr/bin/env python3
"""The daemon's cost, for `make bench`: idle memory and wake-ups with 3 databases, and
start-up time (config to READY=1) and memory with 1000 databases configured.

usage: bench-daemon.py LITESAFE_BINARY
       bench-daemon.py LITESAFE_BINARY --s3 ENDPOINT BUCKET   (only: idle memory with 3 databases
       backed up to a folder and an S3 store, credentials from AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY)
"""
import glob, os, socket, sqlite3, subprocess, sys, tempfile, threading, time

binary = sys.argv[1]

def rss_kib(pid, field="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

def switches(pid):
    """Context switches per thread, by thread id."""
    counts = {}
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        tid = status.split("/")[-2]
        try:
            counts[tid] = sum(int(l.split()[1]) for l in open(status) if "ctxt_switches" in l)
        except FileNotFoundError:
            pass
    return counts

def run(count, observe, s3=None):
    with tempfile.TemporaryDirectory(prefix="litesafe-bench-") as work:
        os.makedirs(f"{work}/data"); os.makedirs(f"{work}/backups", mode=0o700)
        key = subprocess.run(["age-keygen"], capture_output=True, text=True).stdout
        recipient = [l for l in key.splitlines() if l.startswith("# public key: ")][0].split()[-1]
        for i in range(count):
            db = sqlite3.connect(f"{work}/data/db{i}.db"); db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE t(x)"); db.execute("INSERT INTO t VALUES (1)"); db.commit(); db.close()
        with open(f"{work}/litesafe.yml", "w") as f:
            where = f"  destination: {work}/backups\n"
            if s3:
                endpoint, bucket = s3
                f.write(f"stores:\n  local: {{ path: {work}/backups }}\n"
                        f"  offsite:\n    s3: {{ bucket: {bucket}, prefix: idle-bench/, region: us-east-1, "
                        f"endpoint: {endpoint}, path_style: true }}\n")
                where = "  stores: [local, offsite]\n"
            f.write(f"defaults:\n  schedule: every 1h\n{where}"
                    f"  encryption:\n    recipients: [\"{recipient}\"]\nstate_directory: {work}/state\n"
                    f"max_concurrent_backups: 2\ndatabases:\n")
            for i in range(count):
                f.write(f"  - name: db{i}\n    path: {work}/data/db{i}.db\n")
        os.chmod(f"{work}/litesafe.yml", 0o600)
        sock_path = f"{work}/notify.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); sock.bind(sock_path); sock.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="10000000", WATCHDOG_PID="")
        start = time.monotonic()
        proc = subprocess.Popen([binary, "run", "--config", f"{work}/litesafe.yml", "--log-target", "console"],
                                env=env, stderr=subprocess.DEVNULL)
        env["WATCHDOG_PID"] = str(proc.pid)
        ready = None
        while ready is None:
            message = sock.recv(4096).decode()
            if "READY=1" in message:
                ready = time.monotonic() - start
        # Keep reading as systemd does: a full notification socket would block the daemon's sd_notify.
        def drain():
            try:
                while True: sock.recv(4096)
            except OSError:
                pass
        sock.settimeout(None)
        threading.Thread(target=drain, daemon=True).start()
        result = observe(proc.pid, ready)
        proc.terminate(); proc.wait(timeout=60)
        sock.close()
        return result

def idle(pid, ready):
    time.sleep(5)  # the first backups of the three databases run and finish
    before = switches(pid); time.sleep(10); after = switches(pid)
    # Threads that lived through the whole window; a thread started in it counts whole.
    woke = sum(n - before.get(tid, 0) for tid, n in after.items())
    return ready, rss_kib(pid), woke

def many(pid, ready):
    at_ready = rss_kib(pid)
    time.sleep(10)
    return ready, at_ready, rss_kib(pid, "VmHWM")

if len(sys.argv) == 5 and sys.argv[2] == "--s3":
    r, rss, woke = run(3, idle, s3=(sys.argv[3], sys.argv[4]))
    print(f"  idle daemon, 3 databases to a folder and an S3 store: {rss/1024:.1f} MiB resident (target < 24), "
          f"{woke} context switches in 10 s")
    sys.exit(0)

r, rss, woke = run(3, idle)
print(f"\ndaemon cost")
print(f"  3 databases, idle:     {rss/1024:6.1f} MiB resident (target < 20), {woke} context switches in 10 s (timers only)")
r, at_ready, peak = run(1000, many)
print(f"  1000 databases:        config to READY=1 in {r:.2f} s (target < 1), {at_ready/1024:.1f} MiB at READY, "
      f"{peak/1024:.1f} MiB peak while catching up (target < 64)")
