"""Every message a kernel sends reaches its page: ZeroMQ's queues between a kernel and the server unbounded.

A kernel publishes its widget messages (IOPub) to the server, which passes them to the page. Opening the
核定 tab creates some thousand widget models at once (each widget opens its own model, its layout's and
its style's): about a megabyte in a fraction of a second. ZeroMQ queues at most 1000 messages on each side
of that connection by default, and a publishing socket silently drops what it cannot queue. On a busy
machine (a preheated kernel starting, other pages working) the server's ZeroMQ thread can fall behind for
a moment; the queues then fill and the page misses models that others name as children (seen once: a
run of 210 messages missing, the tab empty). The 核定 tab still comes up empty now and then with both
queues unbounded, so that has another cause as well, not found yet. Both ends are unbounded here: the server's (keep_every_kernel_message,
set by workbench/voila_app.py before any page connects) and the kernel's (send_every_message, set by the
notebook before the page connects). Memory holds at most a burst of the page's own widgets; a page cannot
make its kernel run anything else (workbench/hub_server.py: ALLOWED_KERNEL_MESSAGES)."""
from __future__ import annotations

import threading

import zmq


def keep_every_kernel_message(context: zmq.Context) -> None:
    """The server's side: the sockets `context` makes from now on queue whatever their kernel sends."""
    context.setsockopt(zmq.RCVHWM, 0)


def send_every_message() -> None:
    """The kernel's side, run in the kernel: its IOPub socket queues what the server has not taken yet
    instead of dropping it. Does nothing outside a kernel (scripts, tests)."""
    from IPython import get_ipython

    iopub = getattr(getattr(get_ipython(), "kernel", None), "iopub_thread", None)
    if iopub is None or iopub.socket is None:
        return
    applied = threading.Event()

    def apply() -> None:  # in the IOPub thread, which alone uses that socket
        iopub.socket.setsockopt(zmq.SNDHWM, 0)
        applied.set()

    iopub.io_loop.add_callback(apply)
    applied.wait(timeout=10)
