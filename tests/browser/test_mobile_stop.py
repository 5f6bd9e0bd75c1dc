"""`crmlab mobile` stops cleanly: an ordinary `kill` (SIGTERM) or Ctrl-C (SIGINT) ends Voila and its kernels.

Needs Voila (installed with crmlab), no browser: the page is asked for over HTTP so that Voila starts
a kernel, then the command is signalled and nothing may be left serving on the port.
"""
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from crmlab import system
from crmlab.system import mobile


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_voila_and_every_kernel(tmp_path, signum):
    db = tmp_path / "crm.db"
    system.open(db, demo=True).close()
    port = mobile.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "crmlab.cli", "mobile", str(db), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        mobile.wait_ready(f"http://127.0.0.1:{port}", timeout=90, proc=proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as page:   # starts a kernel
            assert page.status == 200
        family = psutil.Process(proc.pid).children(recursive=True)
        assert len(family) >= 2                     # Voila and at least one kernel
        proc.send_signal(signum)
        assert proc.wait(timeout=60) == 0          # stop() waits at most 10 + 10 + 3 s; a loaded CI needs slack
        gone, alive = psutil.wait_procs(family, timeout=15)
        assert not alive, [p.cmdline() for p in alive]
        assert _port_closed(port)
    finally:
        if proc.poll() is None:                     # a failed test leaves nothing running either
            mobile.stop(proc)


def _port_closed(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0
