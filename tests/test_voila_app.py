"""workbench/voila_app.py without a browser: the server Voila runs for `jyjg serve` and each Hub account."""
from __future__ import annotations

import zmq


def test_the_dashboard_server_queues_every_kernel_message(monkeypatch):
    """What `jyjg serve` and each Hub user server run: its kernel manager makes unbounded IOPub sockets."""
    from workbench.links import SECRET_ENV
    from workbench.server import NOTEBOOK
    from workbench.voila_app import WorkbenchVoila

    monkeypatch.setenv(SECRET_ENV, "test-secret")  # init_settings would otherwise put one in this environment
    app = WorkbenchVoila()
    app.initialize([str(NOTEBOOK)])
    app.init_settings()
    socket = app.kernel_manager.context.socket(zmq.SUB)
    try:
        assert socket.rcvhwm == 0
    finally:
        socket.close(linger=0)
