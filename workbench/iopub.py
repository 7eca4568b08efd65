"""Every message a kernel sends reaches its page: ZeroMQ's queues between a kernel and the server unbounded.

A kernel publishes its widget messages (IOPub) to the server, which passes them to the page. Opening the
核定 tab creates some thousand widget models at once (each widget opens its own model, its layout's and
its style's): about a megabyte in under a second. ZeroMQ queues at most 1000 messages on each side of
that connection by default, and a publishing socket silently drops what it cannot queue. On a busy machine
(a preheated kernel starting, Chromium drawing, other pages working) the server can fall behind for a
moment; the kernel's queue for that page then fills and the page misses a run of models others name as
children, so the tab stays empty. Seen with Playwright: the page got exactly the first 1000 messages
after it connected, then nothing of the burst, while the server logged no rate limit and the kernel had
sent everything.

Both ends are unbounded here:
- the server's (keep_every_kernel_message, set by workbench/voila_app.py before any page connects);
- the kernel's (UnboundedIOPubKernelApp, the kernel workbench/voila_app.py starts through
  WorkbenchKernelSpecs). It must be set before the kernel binds its IOPub socket: ZeroMQ gives a
  connection the queue size its listening socket had when it was bound, so setting it later (from the
  notebook) reaches the connections already made but not a page that connects afterwards, and a page
  always connects after its preheated kernel has run the notebook.

Memory holds at most a burst of the page's own widgets; a page cannot make its kernel run anything else
(workbench/hub_server.py: ALLOWED_KERNEL_MESSAGES)."""
from __future__ import annotations

import sys

import zmq
from ipykernel.kernelapp import IPKernelApp
from jupyter_client.kernelspec import KernelSpecManager

KERNEL_MODULE = "workbench.iopub"  # `python -m workbench.iopub -f CONNECTION_FILE` runs UnboundedIOPubKernelApp


def keep_every_kernel_message(context: zmq.Context) -> None:
    """The server's side: the sockets `context` makes from now on queue whatever their kernel sends."""
    context.setsockopt(zmq.RCVHWM, 0)


class UnboundedIOPubKernelApp(IPKernelApp):
    """The kernel's side: an ipykernel whose IOPub socket queues, for every page that connects to it at any
    time, what the server has not taken yet instead of dropping it."""

    def init_iopub(self, context: zmq.Context) -> None:
        # pyzmq gives a context's options to the sockets it makes next: IOPub is made and bound in here.
        context.setsockopt(zmq.SNDHWM, 0)
        try:
            super().init_iopub(context)
        finally:
            context.sockopts.pop(zmq.SNDHWM, None)


class WorkbenchKernelSpecs(KernelSpecManager):
    """Python kernels started as UnboundedIOPubKernelApp, with this server's own interpreter."""

    def get_kernel_spec(self, kernel_name: str):
        spec = super().get_kernel_spec(kernel_name)
        if spec.language.lower() == "python":
            spec.argv = [sys.executable, "-m", KERNEL_MODULE, "-f", "{connection_file}"]
        return spec


if __name__ == "__main__":
    UnboundedIOPubKernelApp.launch_instance()
