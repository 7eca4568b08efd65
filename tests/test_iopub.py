"""workbench/iopub.py with real kernels: a burst of messages reaches a page's connection whole, however
long the server does not read it, and whenever the page connected."""
from __future__ import annotations

import sys

import pytest
import zmq
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

from workbench.iopub import KERNEL_MODULE, WorkbenchKernelSpecs, keep_every_kernel_message

# Far more than ZeroMQ's default queues hold together (1000 at the kernel, 1000 at the server, plus the
# socket buffers): as many widget messages as opening a few large tabs at once sends.
BURST = 6000


def _received_while_not_reading(context: zmq.Context, tmp_path, specs: KernelSpecManager) -> int:
    """Start a real kernel as `specs` says; run a first cell (as Voila runs the notebook in a preheated
    kernel); only then connect the page's IOPub socket (made by `context`, as the server's kernel manager
    makes it); have the kernel publish BURST display messages while that socket is not read at all, as
    when the server is busy; then read it and count what arrived."""
    # over Unix sockets, as the server talks to its kernels (WorkbenchVoila: transport "ipc")
    manager = KernelManager(context=context, connection_file=str(tmp_path / "kernel.json"), transport="ipc",
                            ip=str(tmp_path / "kernel-ipc"), kernel_spec_manager=specs, kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    page = None
    try:
        client.start_channels()
        client.wait_for_ready(timeout=120)
        assert client.execute("notebook = 'run'", reply=True, timeout=120)["content"]["status"] == "ok"
        page = manager.connect_iopub()
        _until_subscribed(manager, client, page)
        reply = client.execute(f"from IPython.display import display\nfor i in range({BURST}): display(i)",
                               reply=True, timeout=120)  # all sent by now: read only from here on
        assert reply["content"]["status"] == "ok"
        burst = reply["parent_header"]["msg_id"]
        return sum(1 for msg in _read_until_idle(manager, page, burst) if msg["msg_type"] == "display_data")
    finally:
        if page is not None:
            page.close(linger=0)
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _until_subscribed(manager: KernelManager, client, socket: zmq.Socket) -> None:
    """A SUB socket gets nothing until its subscription has reached the kernel: ask until an answer comes."""
    for _ in range(50):
        reply = client.execute("pass", reply=True, timeout=120)
        if _read_until_idle(manager, socket, reply["parent_header"]["msg_id"], seconds=0.2):
            return
    raise AssertionError("the page's IOPub socket never got a message")


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
    """The server's side alone (a stock kernel): its queue unbounded, nothing is dropped however long the
    server does not read."""
    keep_every_kernel_message(context)
    assert _received_while_not_reading(context, tmp_path, KernelSpecManager()) == BURST


def test_the_workbench_kernel_queues_a_burst_for_a_page_that_connected_late(tmp_path, context):
    """The kernel's side alone (the server's queue left at ZeroMQ's 1000), for a page that connected after
    the notebook ran, as every page of a preheated kernel does. When the server's ZeroMQ thread fell behind
    (2 busy cores) the 核定 tab came up empty: the page got exactly its first 1000 messages."""
    assert _received_while_not_reading(context, tmp_path, WorkbenchKernelSpecs()) == BURST


def test_a_stock_kernel_drops_that_burst(tmp_path, context):
    """What the test above guards against, shown with the same steps: a stock ipykernel drops the messages
    its 1000-message queue for the page cannot hold."""
    assert _received_while_not_reading(context, tmp_path, KernelSpecManager()) < BURST


def test_the_workbench_kernel_spec_runs_this_interpreter_and_module():
    spec = WorkbenchKernelSpecs().get_kernel_spec("python3")
    assert spec.argv == [sys.executable, "-m", KERNEL_MODULE, "-f", "{connection_file}"]
