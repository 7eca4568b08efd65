"""workbench/voila_app.py without a browser: the server Voila runs for `jyjg serve` and each Hub account."""
from __future__ import annotations

import pytest
import zmq


@pytest.fixture
def voila(monkeypatch):
    """The server's Voila, set up as `jyjg serve` and each Hub user server set it up (not listening)."""
    from workbench.links import SECRET_ENV
    from workbench.server import NOTEBOOK
    from workbench.voila_app import WorkbenchVoila

    monkeypatch.setenv(SECRET_ENV, "test-secret")  # init_settings would otherwise put one in this environment
    app = WorkbenchVoila()
    app.initialize([str(NOTEBOOK)])
    app.init_settings()
    return app


def test_the_dashboard_server_queues_every_kernel_message(voila):
    """Its kernel manager makes unbounded IOPub sockets (workbench/iopub.py: the server's side)."""
    socket = voila.kernel_manager.context.socket(zmq.SUB)
    try:
        assert socket.rcvhwm == 0
    finally:
        socket.close(linger=0)


def test_the_dashboard_server_starts_kernels_that_queue_every_message(voila):
    """Its kernel manager starts the notebook's kernel as workbench/iopub.py's kernel (the kernel's side)."""
    from workbench.iopub import KERNEL_MODULE

    specs = voila.kernel_manager.kernel_spec_manager
    assert specs.get_kernel_spec("python3").argv[1:3] == ["-m", KERNEL_MODULE]
