"""script/test and script/server (through script/bootstrap) wait for another package manager, then go on.

The test holds dpkg's real front-end lock for a few seconds (as apt-get does while it installs) and
checks that the bootstrap says it is waiting, stays waiting, and finishes once the lock is free.
It gives up at once if someone else holds the lock, and never holds it for more than ~10 s.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = Path("/var/lib/dpkg/lock-frontend")


@pytest.fixture()
def held_dpkg_lock():
    """Hold dpkg's front-end lock the way apt-get does (fcntl); skip if it is busy or not ours to take."""
    if not LOCK.exists() or not os.access(LOCK, os.W_OK):
        pytest.skip("needs Debian's dpkg lock and the right to take it")
    fd = os.open(LOCK, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        pytest.skip("another package manager holds the dpkg lock right now")
    taken = time.monotonic()
    held = {"fd": fd, "since": taken}

    def release():
        if held["fd"] is not None:
            fcntl.lockf(held["fd"], fcntl.LOCK_UN)
            os.close(held["fd"])
            held["fd"] = None
            held["seconds"] = time.monotonic() - taken

    held["release"] = release
    yield held
    release()
    assert held["seconds"] < 20  # never keep other package managers waiting for long


def _read_until(proc, needle: str, timeout: float) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and needle.encode() not in seen:
        chunk = proc.stdout.read()
        if chunk:
            seen += chunk
        elif proc.poll() is not None:
            break
        time.sleep(0.05)
    os.set_blocking(proc.stdout.fileno(), True)
    return seen.decode("utf-8", "replace")


def test_the_bootstrap_waits_for_the_dpkg_lock_then_goes_on(held_dpkg_lock):
    proc = subprocess.Popen([str(ROOT / "script/bootstrap"), "--no-db"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        output = _read_until(proc, "Waiting for another package manager", 8)
        assert "Waiting for another package manager to finish" in output, output
        assert "/var/lib/dpkg/lock-frontend is held by process" in output and str(os.getpid()) in output
        time.sleep(1.5)
        assert proc.poll() is None, "the bootstrap went on while the lock was held"
        held_dpkg_lock["release"]()
        rest = proc.communicate(timeout=120)[0].decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output + rest
    assert "The package manager is free" in output + rest and "going on" in output + rest
