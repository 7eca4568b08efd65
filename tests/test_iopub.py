"""workbench/iopub.py with a real kernel: a burst of messages reaches a server that is not reading, whole."""
from __future__ import annotations

import pytest
import zmq
from jupyter_client import KernelManager

from workbench.iopub import keep_every_kernel_message

# Far more than ZeroMQ's default queues hold together (1000 at the kernel, 1000 at the server, plus the
# socket buffers): as many widget messages as opening a few large tabs at once sends.
BURST = 6000


def _received_while_not_reading(context: zmq.Context, tmp_path, in_kernel_first: str = "pass") -> int:
    """Start a real kernel; have it publish BURST display messages while the server's own IOPub socket
    (made by `context`, as the server's kernel manager makes it) is not read at all, as when the server is
    busy; then read that socket and count what arrived."""
    # over Unix sockets, as the server talks to its kernels (WorkbenchVoila: transport "ipc")
    manager = KernelManager(context=context, connection_file=str(tmp_path / "kernel.json"), transport="ipc",
                            ip=str(tmp_path / "kernel-ipc"))
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    iopub = manager.connect_iopub()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=120)
        first = client.execute(in_kernel_first, reply=True, timeout=120)
        assert first["content"]["status"] == "ok"
        first = first["parent_header"]["msg_id"]
        _read_until_idle(manager, iopub, first)  # its answer came: the subscription has reached the kernel
        reply = client.execute(f"from IPython.display import display\nfor i in range({BURST}): display(i)",
                               reply=True, timeout=120)  # all sent by now: read only from here on
        assert reply["content"]["status"] == "ok"
        burst = reply["parent_header"]["msg_id"]
        return sum(1 for msg in _read_until_idle(manager, iopub, burst) if msg["msg_type"] == "display_data")
    finally:
        iopub.close(linger=0)
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _read_until_idle(manager: KernelManager, socket: zmq.Socket, msg_id: str, seconds: float = 10) -> list[dict]:
    """The IOPub messages answering `msg_id`, up to the kernel's idle status for it (or a quiet spell)."""
    answering = []
    while socket.poll(timeout=seconds * 1000):
        _, parts = manager.session.feed_identities(socket.recv_multipart())
        msg = manager.session.deserialize(parts)
        if msg["parent_header"].get("msg_id") == msg_id:
            answering.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    return answering


@pytest.fixture
def context(tmp_path, monkeypatch):
    """A ZeroMQ context for the server's side; the kernels started with it keep their files in tmp_path."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # the kernel's history
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    made = zmq.Context()
    yield made
    made.term()


def test_a_burst_of_kernel_messages_reaches_a_busy_server_whole(tmp_path, context):
    """Opening the 核定 tab sends some thousand widget models at once; a page once lacked some of them (a
    run of 210 messages missing). With the server's queue unbounded nothing is dropped, however long the
    server does not read."""
    keep_every_kernel_message(context)
    assert _received_while_not_reading(context, tmp_path) == BURST


def test_a_kernel_queues_a_burst_the_server_has_not_taken_yet(tmp_path, context):
    """The kernel's side alone (the server's queue left at ZeroMQ's 1000): the notebook's first step makes
    the kernel keep what the server has not read yet instead of dropping it."""
    first = "from workbench.iopub import send_every_message\nsend_every_message()"
    assert _received_while_not_reading(context, tmp_path, in_kernel_first=first) == BURST
