"""The nightly lock: one run at a time, the holder named, freed by the kernel on kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ossmetrics.errors import AlreadyRunning, NightlyError
from ossmetrics.nightly.lock import NightlyLock, lock_path_for

HOLD = """
import sys, time
from ossmetrics.nightly.lock import NightlyLock
lock = NightlyLock(sys.argv[1]); lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_lock_file_sits_beside_the_store(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "a.duckdb") == tmp_path / "a.duckdb.nightly.lock"


def test_second_holder_is_refused_with_the_pid(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with NightlyLock(path):
        assert path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(AlreadyRunning) as err:
            NightlyLock(path).acquire()
        assert err.value.pid == os.getpid()
        assert f"another nightly run (process {os.getpid()}) holds {path}" in err.value.one_line()
    # released: the next run gets it
    with NightlyLock(path):
        pass


def test_kill_9_frees_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        with pytest.raises(AlreadyRunning) as err:
            NightlyLock(path).acquire()
        assert err.value.pid == proc.pid
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with NightlyLock(path):  # no stale lock, though the file (with the dead PID) remains
        assert path.read_text() == f"{os.getpid()}\n"


def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NightlyError, match="cannot create the lock file"):
        NightlyLock(tmp_path / "no" / "such" / "x.lock").acquire()
