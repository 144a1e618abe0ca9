"""An S3 store the daemon loses its route to, in network namespaces the test makes: moto in one,
the daemon in the other, joined by a veth pair; the route is deleted and put back while the
daemon runs."""
import json, os, subprocess
import support
from support import eventually, expect, info, make_bank, output, run
from tests_s3 import BUCKET, TOOLS, VENV_PYTHON

# The test's own two hosts, in namespaces it made (never reachable from outside them).
SERVER_ADDRESS, DAEMON_ADDRESS = "10.213.7.1", "10.213.7.2"


class Namespaces:
    """Two network namespaces joined by a veth pair, removed (with their links) at clean-up."""

    def __init__(self, ctx):
        tag = str(os.getpid())[-5:]
        self.server, self.daemon = f"ls-srv-{tag}", f"ls-dmn-{tag}"
        for name in (self.server, self.daemon):
            run(["ip", "netns", "add", name], check=True)
            ctx.defer(lambda name=name: subprocess.run(["ip", "netns", "del", name], capture_output=True))
            self.exec(name, "ip", "link", "set", "lo", "up")
        run(["ip", "link", "add", f"v{tag}s", "netns", self.server, "type", "veth", "peer", "name", f"v{tag}d",
             "netns", self.daemon], check=True)
        for name, link, address in ((self.server, f"v{tag}s", SERVER_ADDRESS), (self.daemon, f"v{tag}d", DAEMON_ADDRESS)):
            self.exec(name, "ip", "address", "add", f"{address}/30", "dev", link)
            self.exec(name, "ip", "link", "set", link, "up")
        self.link = f"v{tag}d"

    def exec(self, name, *args):
        return run(["ip", "netns", "exec", name, *args], check=True)

    def prefix(self, name, args):
        return ["ip", "netns", "exec", name, *args]

    def cut(self):
        """No route to the server from the daemon's namespace: connect() fails with ENETUNREACH."""
        self.exec(self.daemon, "ip", "route", "del", "10.213.7.0/30", "dev", self.link)

    def restore(self):
        self.exec(self.daemon, "ip", "route", "add", "10.213.7.0/30", "dev", self.link)


@support.timeout(240)
def test_s3_no_route_local_goes_on_then_catches_up(ctx):
    """No route to the S3 endpoint: the folder store still gets every backup, `litesafe status`
    (exit 2) and the metrics show the off-site store failing; when the route returns, the
    off-site store gets the backups it missed, byte for byte, and status is clean again."""
    expect(os.access(VENV_PYTHON, os.X_OK), f"moto is not installed in {VENV_PYTHON}: run `make deps`")
    net = Namespaces(ctx)
    moto = ctx.spawn(net.prefix(net.server, [VENV_PYTHON, os.path.join(TOOLS, "moto-server.py"), "--bucket", BUCKET,
                                             "--host", SERVER_ADDRESS]),
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready = json.loads(moto.stdout.readline())
    credentials = ctx.path("s3.credentials")
    support.write_private(credentials, "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n"
                          .format(ready["access_key_id"], ready["secret_access_key"]))
    endpoint = f"http://{SERVER_ADDRESS}:{ready['port']}"

    db = ctx.path("data", "app.db")
    make_bank(db, "wal")
    metrics = ctx.path("state", "litesafe.prom")
    top = "\n".join([
        f"metrics_textfile: {metrics}",
        "stores:",
        f"  local: {{ path: {ctx.path('backups')} }}",
        "  offsite:",
        f"    s3: {{ bucket: {BUCKET}, prefix: db01/, region: {ready['region']}, endpoint: {endpoint},"
        f" path_style: true, allow_http: true, credentials: {credentials} }}",
    ])
    cfg = ctx.config({"app": db + "\n    stores: [local, offsite]"},
                     defaults="schedule: every 2s\nretention: { keep_last: 20 }", top=top)
    offsite = ["list", "--config", cfg, "--store", "offsite", "--json", "app"]

    def listed(store_args):
        r = run(net.prefix(net.daemon, [support.LITESAFE, *store_args]), env=support.clean_environment())
        expect(r.returncode == 0, f"litesafe {' '.join(store_args)}: {output(r)}")
        return sorted(b["file"] for b in json.loads(r.stdout))

    def local():
        return sorted(f for f in os.listdir(ctx.path("backups", "app")) if f.endswith(support.DATA_SUFFIX)
                      and not f.startswith(".")) if os.path.isdir(ctx.path("backups", "app")) else []

    daemon_log = ctx.path("daemon.log")
    with open(daemon_log, "ab") as out:
        daemon = ctx.spawn(net.prefix(net.daemon, [support.LITESAFE, "run", "--config", cfg, "--log-target", "console",
                                                   "--verbose"]),
                           stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=support.clean_environment())
    log = lambda: open(daemon_log, errors="replace").read()
    expect(eventually(lambda: len(local()) >= 1 and listed(offsite) == local()[:len(listed(offsite))] != [], timeout=60),
           f"the first backup did not reach both stores: {local()} / {log()[-1500:]}")

    net.cut()
    before = len(local())
    expect(eventually(lambda: "to store 'offsite' failed" in log() and len(local()) >= before + 2, timeout=90),
           f"no backup went on to the folder while the route was gone: {log()[-2000:]}")
    line = next(l for l in log().splitlines() if "to store 'offsite' failed" in l)
    info(f"with no route: {line.split('failed: ', 1)[-1][:160]}")
    expect("unreachable" in line.lower(), f"the failure does not say the network is unreachable: {line}")
    status = ctx.litesafe("status", "--config", cfg)
    expect(status.returncode == 2 and "STORE FAILED" in status.stdout,
           f"status does not show the failing store (exit {status.returncode}): {output(status)}")
    expect(eventually(lambda: os.path.exists(metrics) and 'litesafe_store_failing{database="app",store="offsite"} 1'
                      in open(metrics).read(), timeout=30),
           f"the metrics do not show the failing store: {open(metrics).read() if os.path.exists(metrics) else 'none'}")

    net.restore()
    expect(eventually(lambda: "lacked backup" in log() and listed(offsite) == local(), timeout=90),
           f"the off-site store did not catch up: {listed(offsite)} vs {local()}: {log()[-2000:]}")
    caught = [l for l in log().splitlines() if "lacked backup" in l]
    info(f"caught up {len(caught)} missed backups once the route returned")
    expect(eventually(lambda: ctx.litesafe("status", "--config", cfg).returncode == 0, timeout=30),
           f"status still failing after the catch-up: {output(ctx.litesafe('status', '--config', cfg))}")
    expect(daemon.poll() is None, "the daemon exited")
    daemon.terminate()
    daemon.wait(timeout=30)
    expect(daemon.returncode == 0, f"the daemon's exit status: {daemon.returncode}: {log()[-800:]}")
    # Whole: every object off-site matches its manifest's SHA-256 (the manifests are the folder's).
    r = run(net.prefix(net.daemon, [support.LITESAFE, "verify", "--config", cfg, "--store", "offsite", "app"]),
            env=support.clean_environment())
    expect(r.returncode == 0 and "FAILED" not in r.stdout, f"verify of the caught-up store: {output(r)}")
