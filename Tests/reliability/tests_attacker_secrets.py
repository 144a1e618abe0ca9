"""A second local user as the attacker, secrets that must never be printed, and hostile files in
a store (issue #17 items 6, 7 and 9, issue #16 item 3).

Each attacker test creates a real unprivileged user with useradd (removed afterwards) and gives
it a file or folder LiteSafe reads: LiteSafe must refuse what that user could have changed, as
sshd's StrictModes does. The hostile-input tests write manifests and age headers by hand."""
import base64, json, os, pwd, resource, secrets, sqlite3, subprocess, time
import support
from support import expect, info, make_bank, manifests, output, peak_rss_and_run, run, timeout

MiB = 1 << 20
CONTROL = ("\x1b", "\x07", "\x00", "\u202e", "\x9b")


def second_user(ctx):
    """A new system user with no home and no shell: (name, uid, gid); deleted at cleanup."""
    name = "lsrel" + secrets.token_hex(4)
    run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", name], check=True)
    ctx.defer(lambda: subprocess.run(["userdel", name], capture_output=True))
    entry = pwd.getpwnam(name)
    return name, entry.pw_uid, entry.pw_gid


def as_user(uid, gid, *args):
    """`args` run with the second user's ids and no supplementary groups."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *args]


def app_config(ctx, **kw):
    db = ctx.path("data", "app.db")
    if not os.path.exists(db):
        make_bank(db, transfers=50)
    return ctx.config({"app": db}, **kw)


def secret_key(ctx):
    with open(ctx.key) as f:
        return next(l.strip() for l in f if l.startswith("AGE-SECRET-KEY-"))


def expect_refused(r, message, what):
    expect(r.returncode == 1, f"{what}: exited {r.returncode}, expected a refusal: {output(r)[-400:]}")
    expect(message in output(r), f"{what}: the error does not say {message!r}: {output(r)[-600:]}")


# --- files another user could change -------------------------------------------------------

def test_attacker_config_owned_by_other_user(ctx):
    """A 0600 configuration owned by another user: that user turned encryption off, and neither
    check-config nor run may accept it."""
    name, uid, gid = second_user(ctx)
    cfg = app_config(ctx)
    os.chown(cfg, uid, gid)
    # The attack: the owner may rewrite its own file in place (it cannot create files beside it).
    r = run(as_user(uid, gid, "sh", "-c",
                    'new=$(sed "s/^  encryption:$/  encryption: none/; /recipients_file/d" "$0") && '
                    'printf "%s\\n" "$new" > "$0"', cfg))
    expect(r.returncode == 0, f"the second user could not edit its file: {output(r)}")
    with open(cfg) as f:
        expect("encryption: none" in f.read(), "the second user's edit did not land")
    message = f"{cfg} is owned by user {name} (uid {uid}), not by root"
    expect_refused(ctx.litesafe("check-config", "--config", cfg), message, "check-config")
    expect_refused(ctx.litesafe("run", "--config", cfg, timeout=20), message, "run")
    expect_refused(ctx.litesafe("backup", "--config", cfg), message, "backup")
    expect(not support.manifests(ctx.path("backups", "app")), "a backup was made with the attacker's file")


def test_attacker_config_in_folder_others_may_write(ctx):
    """A root-owned configuration in a 0777 folder (the attacker can replace it) or in a folder
    another user owns is refused; a sticky folder like /tmp is fine for root's own file, not for
    the attacker's."""
    name, uid, gid = second_user(ctx)
    folder = ctx.path("open")
    os.mkdir(folder)
    os.chmod(folder, 0o777)
    cfg = app_config(ctx, name="open/litesafe.yml")
    expect_refused(ctx.litesafe("check-config", "--config", cfg),
                   f"is in the folder {folder}, which group or others may write (mode 0777)", "0777 folder")

    os.chmod(folder, 0o1777)
    r = ctx.litesafe("check-config", "--config", cfg)
    expect(r.returncode == 0, f"root's file in a sticky folder is refused: {output(r)[-400:]}")
    theirs = os.path.join(folder, "theirs.yml")
    run(["cp", cfg, theirs], check=True)
    os.chown(theirs, uid, gid)
    expect_refused(ctx.litesafe("check-config", "--config", theirs), f"is owned by user {name}",
                   "the attacker's file in a sticky folder")

    owned = ctx.path("owned")
    os.mkdir(owned, 0o755)
    os.chown(owned, uid, gid)
    cfg = app_config(ctx, name="owned/litesafe.yml")
    expect_refused(ctx.litesafe("check-config", "--config", cfg),
                   f"is in the folder {owned}, owned by user {name} (uid {uid})", "a folder the attacker owns")


def test_attacker_recipients_file_owned_by_other_user(ctx):
    """A recipients file another user owns: that user added their own key. The configuration and
    `backup --recipients-file` both refuse it, and no backup is made."""
    name, uid, gid = second_user(ctx)
    theirs = run(["age-keygen"], check=True).stdout
    their_public = next(l.split(": ")[1] for l in theirs.splitlines() if l.startswith("# public key: "))
    with open(ctx.recipients, "a") as f:
        f.write(their_public + "\n")
    os.chmod(ctx.recipients, 0o644)
    os.chown(ctx.recipients, uid, gid)
    cfg = app_config(ctx)
    message = f"{ctx.recipients} is owned by user {name} (uid {uid}), not by root"
    expect_refused(ctx.litesafe("check-config", "--config", cfg), message, "check-config")
    expect_refused(ctx.litesafe("backup", "--database", ctx.path("data", "app.db"), "--to", ctx.path("adhoc"),
                                "--recipients-file", ctx.recipients), message, "backup --recipients-file")
    expect(not os.path.exists(ctx.path("adhoc", "app")) or not manifests(ctx.path("adhoc", "app")),
           "a backup was encrypted to the attacker's key")


def test_attacker_identity_owned_by_other_user(ctx):
    """An identity file another user owns (they could swap the key a restore test trusts) is
    refused by restore, verify and the configuration's verify_identity."""
    name, uid, gid = second_user(ctx)
    cfg = app_config(ctx)
    r = ctx.litesafe("backup", "--config", cfg)
    expect(r.returncode == 0, f"setup backup failed: {output(r)}")
    key = ctx.path("their-key.txt")
    run(["cp", ctx.key, key], check=True)
    os.chown(key, uid, gid)
    message = f"{key} is owned by user {name} (uid {uid}), not by root"
    out = ctx.path("restored.db")
    expect_refused(ctx.litesafe("restore", "--config", cfg, "app", "--identity", key, "-o", out), message, "restore")
    expect(not os.path.exists(out), "restore wrote the database with the attacker's key")
    expect_refused(ctx.litesafe("verify", "--config", cfg, "--identity", key), message, "verify")
    cfg = app_config(ctx, top=f"verify_identity: {key}", name="verify.yml")
    expect_refused(ctx.litesafe("check-config", "--config", cfg), message, "verify_identity")


# --- secrets --------------------------------------------------------------------------------

def test_secret_key_is_never_echoed(ctx):
    """A secret key pasted where a public key (or any path) belongs: check-config (whose output goes
    to the journal under ExecStartPre/ExecReload) and `backup --recipient` say what it is and
    never repeat it."""
    secret = secret_key(ctx)
    body = secret[len("AGE-SECRET-KEY-1"):]
    db = ctx.path("data", "app.db")
    make_bank(db, transfers=50)

    def never_echoed(r, what):
        text = output(r)
        expect(r.returncode != 0, f"{what}: accepted: {text[-300:]}")
        for piece in (body[:12], body[20:32], body[-12:]):
            expect(piece not in text.upper(), f"{what}: the secret key is printed: {text[-500:]}")
        info(f"{what}: {text.strip().splitlines()[-2 if len(text.strip().splitlines()) > 1 else -1][:200]}")

    cfg = ctx.config({"app": db}, defaults=f"encryption:\n    recipients: [{secret}]", name="inline.yml")
    r = ctx.litesafe("check-config", "--config", cfg)
    never_echoed(r, "recipients: [secret]")
    expect("this is a secret key (AGE-SECRET-KEY-…" in r.stderr and "age-keygen -y FILE" in r.stderr,
           f"the error does not say it is a secret key: {r.stderr[-500:]}")
    cfg = ctx.config({"app": db}, defaults=f"encryption:\n    recipients: [{secret.lower()}]", name="lower.yml")
    never_echoed(ctx.litesafe("check-config", "--config", cfg), "recipients: [secret in lowercase]")
    cfg = ctx.config({"app": db}, top=f"verify_identity: {secret}", name="identity.yml")
    never_echoed(ctx.litesafe("check-config", "--config", cfg), "verify_identity: secret")
    never_echoed(ctx.litesafe("backup", "--database", db, "--to", ctx.path("adhoc"), "--recipient", secret),
                 "backup --recipient secret")
    never_echoed(ctx.litesafe("backup", "--database", db, "--to", ctx.path("adhoc"), "--recipients-file", ctx.key),
                 "backup --recipients-file KEYFILE")


def test_identity_readable_by_others_warns(ctx):
    """restore and verify with a 0644 identity file work but warn (the daemon refuses it)."""
    cfg = app_config(ctx)
    r = ctx.litesafe("backup", "--config", cfg)
    expect(r.returncode == 0, f"setup backup failed: {output(r)}")
    os.chmod(ctx.key, 0o644)
    warning = f"warning: {ctx.key} holds a secret key but others may read it (mode 0644); run `chmod o-rwx {ctx.key}`"
    r = ctx.litesafe("restore", "--config", cfg, "app", "--identity", ctx.key, "-o", ctx.path("restored.db"))
    expect(r.returncode == 0, f"restore failed: {output(r)[-400:]}")
    expect(warning in r.stderr.splitlines(), f"restore did not warn {warning!r}: {r.stderr[-400:]}")
    r = ctx.litesafe("verify", "--config", cfg, "--identity", ctx.key)
    expect(r.returncode == 0, f"verify failed: {output(r)[-400:]}")
    expect(warning in r.stderr.splitlines(), f"verify did not warn: {r.stderr[-400:]}")
    os.chmod(ctx.key, 0o600)
    r = ctx.litesafe("verify", "--config", cfg, "--identity", ctx.key)
    expect(r.returncode == 0 and "warning" not in r.stderr, f"verify warned about a 0600 key: {output(r)[-300:]}")


def test_keygen_to_a_file_others_can_read_warns(ctx):
    """`litesafe keygen > FILE` under umask 000 makes a 0666 file: it warns, as age-keygen does;
    under umask 077 it does not."""
    out = ctx.path("open-key.txt")
    r = run(["sh", "-c", 'umask 000; exec "$0" keygen > "$1"', support.LITESAFE, out])
    expect(r.returncode == 0, f"keygen failed: {output(r)}")
    mode = os.stat(out).st_mode & 0o777
    expect(mode == 0o666, f"the shell made the file {mode:o}, not 666")
    expect("warning: writing the secret key to a file others can read (mode 0666)" in r.stderr,
           f"no warning for a 0666 secret key file: {r.stderr!r}")
    theirs = run(["sh", "-c", 'umask 000; exec age-keygen > "$0"', ctx.path("age-key.txt")])
    info(f"age-keygen says: {theirs.stderr.strip().splitlines()[0] if theirs.stderr.strip() else '(nothing)'}")
    private = ctx.path("private-key.txt")
    r = run(["sh", "-c", 'umask 077; exec "$0" keygen > "$1"', support.LITESAFE, private])
    expect(r.returncode == 0 and "warning" not in r.stderr, f"keygen warned about a 0600 file: {output(r)}")


def test_key_holding_daemon_is_not_dumpable(ctx):
    """The daemon, run as an ordinary user with a verify_identity and an unlimited core size
    inherited, has RLIMIT_CORE 0 and is not dumpable (its /proc/PID files belong to root, so that
    user's other processes cannot read its memory)."""
    name, uid, gid = second_user(ctx)
    home = ctx.path("user")
    for folder in (home, os.path.join(home, "data"), os.path.join(home, "state"), os.path.join(home, "backups")):
        os.mkdir(folder, 0o700)
        os.chown(folder, uid, gid)
    db = os.path.join(home, "data", "app.db")
    make_bank(db, transfers=20)
    key = os.path.join(home, "key.txt")
    run(["cp", ctx.key, key], check=True)
    cfg = os.path.join(home, "litesafe.yml")
    support.write_private(cfg, "\n".join([
        "defaults:", "  schedule: every 1h", f"  destination: {home}/backups",
        f"  encryption:\n    recipients: [{ctx.recipient}]",
        f"state_directory: {home}/state", f"verify_identity: {key}", 'verify_schedule: "@daily"',
        "databases:", "  - name: app", f"    path: {db}", ""]))
    for path in (db, key, cfg):
        os.chown(path, uid, gid)

    def unlimited_core():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    log = open(ctx.path("daemon.log"), "ab")
    p = ctx.spawn(as_user(uid, gid, support.LITESAFE, "run", "--config", cfg, "--log-target", "console"),
                  stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=unlimited_core,
                  env=support.clean_environment())
    log.close()
    state = os.path.join(home, "state", "state.json")
    started = support.eventually(lambda: os.path.exists(state) or p.poll() is not None, timeout=30)
    with open(ctx.path("daemon.log"), errors="replace") as f:
        expect(started and p.poll() is None, f"the daemon did not start as {name}: {f.read()[-600:]}")
    with open(f"/proc/{p.pid}/status") as f:
        real_uid = int(next(l for l in f if l.startswith("Uid:")).split()[1])
    expect(real_uid == uid, f"the daemon runs as uid {real_uid}, not {uid}")
    with open(f"/proc/{p.pid}/limits") as f:
        core = next(l for l in f if l.startswith("Max core file size")).split()[4:6]
    expect(core == ["0", "0"], f"the daemon's core file limit is {core}, not 0")
    # The kernel gives a non-dumpable process's /proc/PID files (not the folder) to root.
    owner = os.stat(f"/proc/{p.pid}/mem").st_uid
    expect(owner == 0, f"/proc/{p.pid}/mem belongs to uid {owner}: the daemon is dumpable, so {name}'s other "
                       "processes can read its memory and its key")
    r = run(as_user(uid, gid, "cat", f"/proc/{p.pid}/environ"))
    expect(r.returncode != 0, f"{name} can read the daemon's /proc/PID/environ")


# --- hostile input --------------------------------------------------------------------------

def backed_up_manifest(ctx):
    cfg = app_config(ctx)
    r = ctx.litesafe("backup", "--config", cfg)
    expect(r.returncode == 0, f"setup backup failed: {output(r)}")
    folder = ctx.path("backups", "app")
    path = os.path.join(folder, manifests(folder)[0])
    with open(path) as f:
        return cfg, folder, path, json.load(f)


def test_hostile_manifest_text_is_escaped_in_list(ctx):
    """Terminal escapes, NUL, C1 controls and a right-to-left override in manifest fields reach the
    terminal escaped; a manifest whose database is not a valid name is not listed as a backup."""
    cfg, folder, path, manifest = backed_up_manifest(ctx)
    manifest["check"] = "quick_check ok\x1b]0;owned\x07\u202etxt.exe\x00\x9b2J"
    manifest["sqlite_version"] = "\x1b[2J3.40.1"
    with open(path, "w") as f:
        json.dump(manifest, f)
    r = ctx.litesafe("list", "--config", cfg)
    expect(r.returncode == 0, f"list failed: {output(r)[-400:]}")
    leaked = [c for c in CONTROL if c in output(r)]
    expect(not leaked, f"list printed raw control characters {leaked!r}: {output(r)!r}")
    expect("\\u{1B}]0;owned\\u{7}\\u{202E}txt.exe\\u{0}\\u{9B}2J" in r.stdout,
           f"list does not show the escaped text: {r.stdout!r}")

    manifest["database"] = "\x1b[31mevil"
    evil = os.path.join(folder, "evil" + support.MANIFEST_SUFFIX)
    with open(evil, "w") as f:
        json.dump(manifest, f)
    r = ctx.litesafe("list", "--config", cfg)
    leaked = [c for c in CONTROL if c in output(r)]
    expect(not leaked, f"list printed raw control characters {leaked!r}: {output(r)!r}")
    expect("evil" not in r.stdout or r.returncode != 0,
           f"a manifest for database '\\x1b[31mevil' was listed as a backup of app: {r.stdout!r}")
    info(f"the invalid database name: {output(r).strip().splitlines()[-1][:200]}")


@timeout(120)
def test_hostile_header_stanza_count_is_capped(ctx):
    """An age file whose header holds 40,000 X25519 stanzas (within the 4 MiB header limit) is
    refused before any stanza is tried, not after 40,000 key agreements."""
    stanzas = []
    for _ in range(40_000):
        share = base64.b64encode(os.urandom(32)).rstrip(b"=")
        body = base64.b64encode(os.urandom(32)).rstrip(b"=")
        stanzas.append(b"-> X25519 " + share + b"\n" + body + b"\n")
    mac = base64.b64encode(os.urandom(32)).rstrip(b"=")
    hostile = ctx.path("hostile.sqlite.zst.age")
    with open(hostile, "wb") as f:
        f.write(b"age-encryption.org/v1\n" + b"".join(stanzas) + b"--- " + mac + b"\n" + os.urandom(1000))
    info(f"header of {os.path.getsize(hostile) / MiB:.1f} MiB")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = ctx.litesafe("restore", hostile, "--identity", ctx.key, "-o", ctx.path("out.db"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    info(f"litesafe restore of the hostile file: {cpu:.1f} s of CPU")
    expect(r.returncode != 0, f"the hostile file was restored: {output(r)[-300:]}")
    expect("more than 1000 recipient stanzas" in r.stderr, f"the error is not the stanza cap: {r.stderr[-400:]}")
    expect(cpu < 5, f"refusing the header took {cpu:.1f} s of CPU")
    expect(not os.path.exists(ctx.path("out.db")), "restore left an output file")


@timeout(300)
def test_hostile_manifests_are_capped_in_size(ctx):
    """50 manifests of 15 MB each (one file, hard-linked) do not make `list` hold them all: a
    manifest over 1 MiB is refused unparsed, and list's peak memory stays small."""
    cfg, folder, path, manifest = backed_up_manifest(ctx)
    manifest["check"] = "x" * (15 * 1000 * 1000)
    big = os.path.join(folder, "big" + support.MANIFEST_SUFFIX)
    with open(big, "w") as f:
        json.dump(manifest, f)
    for i in range(49):
        os.link(big, os.path.join(folder, f"big{i:02d}" + support.MANIFEST_SUFFIX))
    r, peak = peak_rss_and_run([support.LITESAFE, "list", "--config", cfg], timeout=240)
    info(f"list with 50 manifests of 15 MB: exit {r.returncode}, peak RSS {peak / 1024:.0f} MiB")
    expect("x" * 100 not in r.stdout, "a 15 MB manifest was listed")
    expect("1048576" in r.stderr or r.returncode == 0, f"list does not say the manifest is too large: {r.stderr[-400:]}")
    expect(peak < 150 * 1024, f"list's peak RSS is {peak / 1024:.0f} MiB")


def process_memory_contains(pid, needles):
    """The needles found in the writable memory of process `pid` (read as root through
    /proc/PID/mem, as a core dump would hold it): [(needle, region)]."""
    found = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("rw") or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]")):
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            for needle in needles:
                if needle in data:
                    found.append((needle.decode(), " ".join(fields[5:]) or "anonymous"))
    return found


def test_secret_key_text_is_wiped_once_parsed(ctx):
    """Once restore has read its identity file, the key's text (in either case: Bech32 decoding
    lowercases it) is nowhere in its memory, freed or not. The restore is held while it waits to
    open its source, a FIFO nobody writes yet."""
    fifo = ctx.path("held.sqlite.zst.age")
    os.mkfifo(fifo)
    body = secret_key(ctx)[len("AGE-SECRET-KEY-1"):]
    needles = [part.encode() for part in (body[:16], body[:16].lower(), body[-16:], body[-16:].lower())]
    p = ctx.spawn([support.LITESAFE, "restore", fifo, "--identity", ctx.key, "-o", ctx.path("out.db")],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=support.clean_environment())

    def waiting_for_the_source():
        with open(f"/proc/{p.pid}/wchan") as f:
            return f.read() == "wait_for_partner" or p.poll() is not None
    expect(support.eventually(waiting_for_the_source, timeout=30) and p.poll() is None,
           f"restore did not wait on the FIFO: {p.poll()} {p.stderr.read().decode()[-300:] if p.poll() else ''}")
    found = process_memory_contains(p.pid, needles)
    expect(not found, f"the secret key's text is still in restore's memory: {found}")
    # The same search finds what is there: the identity file's name, from the command line.
    expect(process_memory_contains(p.pid, [ctx.key.encode()]), "the memory search finds nothing at all")
