"""The S3 store under faults, with the real binary: a backup killed with SIGKILL while its parts
upload, against a moto server of the test's own (Tests/tools/moto-server.py) with the fault
proxy (Tests/tools/s3-fault-proxy.py) in front of it."""
import json, os, signal, sqlite3, subprocess, time, urllib.request
import xml.etree.ElementTree as ElementTree
import support
from support import check_store, eventually, expect, info, make_bank, output, run

VENV_PYTHON = os.path.join(support.REPO, ".build", "venv-moto", "bin", "python")
TOOLS = os.path.join(support.REPO, "Tests", "tools")
BUCKET = "litesafe-reliability"


class Moto:
    """moto on 127.0.0.1 (signatures not checked, so the test can look with plain HTTP) and the
    fault proxy in front of it, each stopped when its standard input closes."""

    def __init__(self, ctx):
        expect(os.access(VENV_PYTHON, os.X_OK), f"moto is not installed in {VENV_PYTHON}: run `make deps`")
        self.server = ctx.spawn([VENV_PYTHON, os.path.join(TOOLS, "moto-server.py"), "--bucket", BUCKET],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.server.stdout.readline())
        self.port = ready["port"]
        self.region = ready["region"]
        self.credentials = ctx.path("s3.credentials")
        support.write_private(self.credentials, "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n"
                              .format(ready["access_key_id"], ready["secret_access_key"]))
        self.proxy = ctx.spawn([support.PYTHON, os.path.join(TOOLS, "s3-fault-proxy.py"), str(self.port)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proxy_port = int(self.proxy.stdout.readline())

    def endpoint(self, proxied=False):
        return f"http://127.0.0.1:{self.proxy_port if proxied else self.port}"

    def flags(self, proxied=False):
        return ["--credentials", self.credentials, "--endpoint", self.endpoint(proxied), "--region", self.region,
                "--path-style"]

    def request(self, method, path, body=None):
        # moto checks no signature here, but takes a request without one for an anonymous
        # reader's, which the bucket refuses.
        authorization = ("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host, Signature=0")
        r = urllib.request.Request(self.endpoint() + path, data=body, method=method,
                                   headers={"Authorization": authorization,
                                            "Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(r, timeout=30) as response:
            return response.read()

    def uploads(self, prefix):
        """ListMultipartUploads under `prefix`: the keys of the unfinished uploads."""
        document = ElementTree.fromstring(self.request("GET", f"/{BUCKET}?uploads&prefix={prefix}"))
        return [e.text for e in document.iter() if e.tag.endswith("}Key") or e.tag == "Key"]

    def arm(self, fault, count):
        r = urllib.request.Request(f"{self.endpoint(True)}/fault-proxy/arm?fault={fault}&count={count}", data=b"",
                                   method="POST")
        urllib.request.urlopen(r, timeout=10).read()

    def report(self):
        with urllib.request.urlopen(f"{self.endpoint(True)}/fault-proxy/report", timeout=10) as response:
            return json.loads(response.read())


def database_of_parts(path, megabytes):
    """A bank database with `megabytes` MiB of random ballast (zstd cannot shrink it), so its
    backup takes several 8 MiB parts."""
    make_bank(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE ballast(b BLOB)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO ballast VALUES (randomblob(1048576))", [()] * megabytes)
    db.execute("COMMIT")
    db.close()


@support.timeout(240)
def test_s3_kill_mid_multipart(ctx):
    """kill -9 while parts are in flight: nothing listed, and the next backup's cleanup aborts
    the orphaned upload and publishes a whole backup."""
    moto = Moto(ctx)
    db = ctx.path("data", "app.db")
    database_of_parts(db, 40)
    prefix = "fleet/db01/"
    url = f"s3://{BUCKET}/{prefix}"
    staging = ctx.path("staging")
    backup = [support.LITESAFE, "backup", "--database", db, "--to", url, "--recipients-file", ctx.recipients,
              "--staging", staging]

    # Every part is held at the proxy (up to 10 s) until 1000 are there: the upload is surely
    # under way, and not finished, when the kill comes.
    moto.arm("gather-parts", 1000)
    killed = ctx.spawn(backup + moto.flags(proxied=True), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=support.clean_environment())
    expect(eventually(lambda: moto.uploads(prefix) and moto.report()["most_parts_in_flight"] > 0, timeout=60),
           "no multipart upload with a part in flight appeared")
    if killed.poll() is not None:
        raise support.Failure(f"the backup ended before the kill: {killed.communicate()}")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    expect(killed.returncode == -9, f"expected death by SIGKILL, got {killed.returncode}")
    orphans = moto.uploads(prefix)
    expect(orphans == [f"{prefix}app/" + orphans[0].split("/")[-1]] and orphans[0].endswith(support.DATA_SUFFIX),
           f"the killed run's upload: {orphans}")
    # The held parts never reach the server.
    moto.proxy.stdin.close()
    moto.proxy.wait(timeout=10)

    listed = ctx.litesafe("list", "--from", url, "--json", *moto.flags())
    expect(listed.returncode == 0, f"list after the kill: {output(listed)}")
    expect(json.loads(listed.stdout) == [], f"a partial backup is listed: {listed.stdout}")

    # The killed holder's lease stays until it expires (10 minutes); let it expire now.
    lease_path = f"/{BUCKET}/{prefix}app/.lock"
    lease = json.loads(moto.request("GET", lease_path))
    lease["expires_epoch"] = int(time.time()) - 1
    moto.request("PUT", lease_path, json.dumps(lease).encode())

    r = ctx.litesafe(*backup[1:], *moto.flags(), timeout=180)
    expect(r.returncode == 0, f"the next backup failed: {output(r)[-800:]}")
    expect("(unfinished upload)" in output(r), f"the next backup did not report the aborted upload: {output(r)}")
    expect(moto.uploads(prefix) == [], f"unfinished uploads after the next backup: {moto.uploads(prefix)}")
    expect(os.listdir(staging) == [], f"staging files left: {os.listdir(staging)}")

    listed = ctx.litesafe("list", "--from", url, "--json", *moto.flags())
    backups = json.loads(listed.stdout)
    expect(len(backups) == 1, f"expected one backup, got {listed.stdout}")
    # Whole: downloaded by a client nobody here wrote's path (plain HTTP), then age -d | zstd -d.
    store = ctx.path("downloaded", "app")
    os.makedirs(store)
    for name in (backups[0]["file"], os.path.basename(backups[0]["manifest_path"])):
        with open(os.path.join(store, name), "wb") as f:
            f.write(moto.request("GET", f"/{BUCKET}/{prefix}app/{name}"))
    expect(check_store(ctx, ctx.path("downloaded")) == 1, "the backup did not check out")
    info(f"backup of {os.path.getsize(db) >> 20} MiB: {backups[0]['stored_size'] >> 20} MiB stored")
