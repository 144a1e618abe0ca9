#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would, and presses Ctrl-C
once a file matching GLOB exists; prints everything the terminal showed and exits with the
command's exit status (128+N if a signal N ended it).

usage: ctrl-c.py GLOB DEADLINE-SECONDS COMMAND...
Exits 124 if GLOB did not appear, or the command did not end, within the deadline.
"""
import glob, os, pty, select, signal, sys, time

pattern, limit, command = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
output = bytearray()


def pump(until):
    """Reads what the terminal shows until `until()` holds or the deadline passes."""
    deadline = time.monotonic() + limit
    while not until():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                data = b""
            if not data:
                return True
            output.extend(data)
    return True


def finish(code):
    sys.stdout.write(output.decode(errors="replace"))
    sys.exit(code)


if not pump(lambda: glob.glob(pattern)):
    os.killpg(pid, signal.SIGKILL)
    print(f"ctrl-c: nothing matched {pattern} within {limit:.0f} s")
    finish(124)
os.write(fd, b"\x03")  # the terminal turns it into SIGINT for its foreground process group
ended = []


def reaped():
    if not ended:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            ended.append(status)
    return bool(ended)


pump(reaped)
if not reaped():
    os.killpg(pid, signal.SIGKILL)
    print(f"ctrl-c: the command did not end within {limit:.0f} s of Ctrl-C")
    finish(124)
finish(os.waitstatus_to_exitcode(ended[0]) if os.WIFEXITED(ended[0]) else 128 + os.WTERMSIG(ended[0]))
