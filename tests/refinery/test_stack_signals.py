"""A process holding a Stack that is sent SIGTERM stops what it started (no orphaned services)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HOLDER = """
import subprocess, sys, time
from pathlib import Path
from refinery.devstack.stack import Stack

with Stack(Path(sys.argv[1])) as stack:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    stack.services["sleeper"] = [child]
    print(child.pid, flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone, only not yet reaped
        return stat.read().split()[2] != "Z"


def test_sigterm_to_the_holder_stops_the_stacks_processes(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True
    )
    child = int(holder.stdout.readline())
    assert _alive(child)
    holder.send_signal(signal.SIGTERM)
    assert holder.wait(timeout=30) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
