"""Hostile or damaged restore input: each is refused and OUT is left exactly as it was."""
import hashlib, json, os
from support import TEMP_PREFIX, expect, info, make_bank, manifests, output, run

PRECIOUS = b"precious: the database the operator still has\n"


def restore_world(ctx):
    """One backup of a bank database; OUT exists with content that must survive."""
    db = ctx.path("data", "app.db")
    make_bank(db, transfers=400)
    cfg = ctx.config({"app": db})
    r = ctx.litesafe("backup", "--config", cfg)
    expect(r.returncode == 0, f"setup backup failed: {output(r)}")
    folder = ctx.path("backups", "app")
    manifest_path = os.path.join(folder, manifests(folder)[0])
    with open(manifest_path) as f:
        manifest = json.load(f)
    os.makedirs(ctx.path("out"), exist_ok=True)
    out = ctx.path("out", "app.db")
    with open(out, "wb") as f:
        f.write(PRECIOUS)
    return os.path.join(folder, manifest["file"]), manifest_path, out


def refused(ctx, args, out, message=None):
    """`litesafe restore ARGS -o OUT --force` fails (with `message`), and OUT and its folder are untouched."""
    before = sorted(os.listdir(os.path.dirname(out)))
    r = ctx.litesafe("restore", *args, "-o", out, "--force")
    expect(r.returncode != 0, f"the restore succeeded: {output(r)[-400:]}")
    if message:
        expect(message in output(r), f"the error does not say {message!r}: {output(r)[-500:]}")
    with open(out, "rb") as f:
        expect(f.read() == PRECIOUS, "OUT was changed")
    errors = [l for l in output(r).splitlines() if "error" in l]
    info(f"refused: {(errors[-1] if errors else output(r).strip())[-220:]}")
    after = sorted(os.listdir(os.path.dirname(out)))
    expect(after == before, f"the restore left files beside OUT: {sorted(set(after) - set(before))}")
    return r


def by_name(ctx):
    return ["--from", ctx.path("backups"), "app", "--identity", ctx.key]


def test_restore_truncated_file(ctx):
    data, _, out = restore_world(ctx)
    os.truncate(data, os.path.getsize(data) - 1000)
    refused(ctx, by_name(ctx), out)


def test_restore_flipped_bits_anywhere(ctx):
    """A bit flipped in the age header, its MAC, the first and a middle payload chunk, and the
    last byte: every one is refused."""
    data, _, out = restore_world(ctx)
    with open(data, "rb") as f:
        original = f.read()
    header_end = original.index(b"\n---") + 1
    positions = {"header": 30, "header MAC": header_end + 10, "nonce": header_end + 50,
                 "first chunk": header_end + 200, "middle": len(original) // 2, "last byte": len(original) - 1}
    for where, at in positions.items():
        damaged = bytearray(original)
        damaged[at] ^= 0x04
        with open(data, "wb") as f:
            f.write(damaged)
        try:
            refused(ctx, by_name(ctx), out)
        except Exception as e:
            raise type(e)(f"bit flipped in the {where} (byte {at}): {e}")


def test_restore_appended_data(ctx):
    data, _, out = restore_world(ctx)
    with open(data, "ab") as f:
        f.write(b"\x00trailing bytes")
    refused(ctx, by_name(ctx), out)


def test_restore_wrong_identity(ctx):
    data, _, out = restore_world(ctx)
    other = ctx.path("other-key.txt")
    run(["age-keygen", "-o", other], check=True)
    refused(ctx, ["--from", ctx.path("backups"), "app", "--identity", other], out, "no identity matches this file")


def test_restore_manifest_lies_about_hash(ctx):
    data, manifest_path, out = restore_world(ctx)
    with open(manifest_path) as f:
        manifest = json.load(f)
    # A captured (WAL) snapshot's manifest hashes page 1 and the rest apart; a staged one, whole.
    field = "after_first_page_sha256" if manifest.get("format") == 2 else "plaintext_sha256"
    manifest[field] = hashlib.sha256(b"something else").hexdigest()
    with open(manifest_path, "w") as f:
        json.dump(manifest, f)
    refused(ctx, by_name(ctx), out, "does not match its manifest")


def test_restore_name_with_dot_dot(ctx):
    data, _, out = restore_world(ctx)
    refused(ctx, ["--from", ctx.path("backups"), "../backups/app", "--identity", ctx.key], out)
    refused(ctx, ["--from", ctx.path("backups", "app"), "..", "--identity", ctx.key], out)


def test_restore_manifest_file_with_dot_dot(ctx):
    """A manifest whose `file` climbs out of its folder is not followed."""
    data, manifest_path, out = restore_world(ctx)
    outside = ctx.path("outside.sqlite.zst.age")
    os.rename(data, outside)
    with open(manifest_path) as f:
        manifest = json.load(f)
    manifest["file"] = "../../outside.sqlite.zst.age"
    with open(manifest_path, "w") as f:
        json.dump(manifest, f)
    refused(ctx, by_name(ctx), out)


def test_restore_destination_folder_is_symlink(ctx):
    """OUT's folder swapped for a symlink to elsewhere: refused, nothing written through it."""
    data, _, out = restore_world(ctx)
    elsewhere = ctx.path("elsewhere")
    os.mkdir(elsewhere)
    with open(os.path.join(elsewhere, "app.db"), "wb") as f:
        f.write(PRECIOUS)
    os.rename(ctx.path("out"), ctx.path("out.real"))
    os.symlink(elsewhere, ctx.path("out"))
    refused(ctx, by_name(ctx), out, "is a symbolic link, which LiteSafe refuses")
    expect(sorted(os.listdir(elsewhere)) == ["app.db"], f"written through the symlink: {os.listdir(elsewhere)}")


def test_restore_decompression_bomb(ctx):
    """A 200 MB zstd bomb (a few kB) of zeros without a manifest, OUT on an 8 MB tmpfs: stops
    (at its first 100 bytes, which are no SQLite header), OUT untouched, the tmpfs left empty
    but for OUT. tests_attacker_restore has the bomb behind a valid header."""
    ctx.tmpfs(ctx.path("out"), "8m")
    out = ctx.path("out", "app.db")
    with open(out, "wb") as f:
        f.write(PRECIOUS)
    bomb = ctx.path("bomb.sqlite.zst")
    run(["sh", "-c", f'head -c 200000000 /dev/zero | zstd -q -19 -o "{bomb}"'], check=True)
    expect(os.path.getsize(bomb) < 100_000, "setup: the bomb is not small")
    refused(ctx, [bomb], out)


def test_restore_decompression_bomb_with_lying_manifest(ctx):
    """A stored backup whose data expands far past the size its manifest records: refused at
    the manifest's size."""
    data, manifest_path, out = restore_world(ctx)
    run(["sh", "-c", f'head -c 100000000 /dev/zero | zstd -q -19 | age -r "{ctx.recipient}" -o "{data}.bomb"'],
        check=True)
    os.rename(data + ".bomb", data)
    refused(ctx, by_name(ctx), out)


def test_restore_checks_and_leaves_no_temporaries_on_success(ctx):
    """The control: the same backup restores over OUT with --force, checked, mode kept."""
    data, _, out = restore_world(ctx)
    os.chmod(out, 0o640)
    r = ctx.litesafe("restore", *by_name(ctx), "-o", out, "--force")
    expect(r.returncode == 0, f"restore failed: {output(r)}")
    expect(run(["sqlite3", out, "PRAGMA integrity_check"]).stdout.strip() == "ok", "restored file is damaged")
    expect(oct(os.stat(out).st_mode & 0o777) == oct(0o640), "OUT's mode was not kept")
    left = [f for f in os.listdir(ctx.path("out")) if f.startswith(TEMP_PREFIX)]
    expect(not left, f"temporaries left: {left}")


def test_restore_new_output_is_private(ctx):
    """A restore to a new OUT creates it 0600 (it holds the whole database), with nothing beside it."""
    restore_world(ctx)
    out = ctx.path("out", "new.db")
    r = ctx.litesafe("restore", *by_name(ctx), "-o", out)
    expect(r.returncode == 0, f"restore failed: {output(r)}")
    mode = os.stat(out).st_mode & 0o777
    expect(mode == 0o600, f"the restored database is mode {mode:o}, not 600")
    beside = sorted(f for f in os.listdir(ctx.path("out")) if f.startswith("new.db") or f.startswith(TEMP_PREFIX))
    expect(beside == ["new.db"], f"files beside OUT: {beside}")
    key_mode = os.stat(ctx.key).st_mode & 0o777
    expect(key_mode == 0o600, f"litesafe keygen wrote its identity with mode {key_mode:o}")
