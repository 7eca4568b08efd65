"""One account's workbench server under JupyterHub: Voila, standalone, serving only the workbench.

JupyterHub spawns this for each logged-in account (`python -m workbench.hub_server`), so the account
is a property of the process: the Hub sets JUPYTERHUB_USER, and the kernels this server starts
inherit it; nothing the page sends can change it. Only the Hub's OAuth login lets a browser in, and
the Hub lets only the account itself (no one has `access:servers` on other accounts' servers).

What a browser can reach here is Voila's own, short list: the rendered workbench, its kernel's
websocket, static files, and the evidence files its kernel offered (workbench/files.py, read under
this account's scope). No Jupyter contents API, no terminals, no JupyterLab, no notebook files.
The kernel websocket forwards only widget messages (comm_*, kernel_info); `execute_request` and every
other message type are dropped (`ALLOWED_KERNEL_MESSAGES`), so a page cannot run code in its kernel
and read the database credentials it holds.
"""
from __future__ import annotations

import sys

if __name__ == "__main__":
    # jsonschema (through jupyter_events, which Voila's server imports) builds rfc3987_syntax's IRI
    # grammar when imported: seconds of CPU at every account's first login, for a format none of our
    # event schemas use. Marked missing, jsonschema simply leaves that format unchecked.
    sys.modules.setdefault("rfc3987_syntax", None)

import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubAuthorizer, JupyterHubIdentityProvider
from traitlets.config import Config

from .server import NOTEBOOK, WEBSOCKET_MAX_MESSAGE_BYTES

# The only kernel messages a page may send: what ipywidgets needs, nothing that runs code.
ALLOWED_KERNEL_MESSAGES = ["comm_open", "comm_close", "comm_msg", "comm_info_request", "kernel_info_request"]
# What the Voila page itself needs of the Jupyter server API: connect to and read its own kernel.
ALLOWED_REQUESTS = {("execute", "kernels"), ("read", "kernels")}
# No preheated kernels: the server starts when its account logs in, so a preheated kernel would
# start only a moment before the first page asks for it, and its replacement would double the work
# (and the memory) of every login. Each page starts its own kernel.
PREHEAT_KERNELS = False
# A closed page leaves its kernel without a connection: once it has also been idle this long it is shut
# down. A kernel with its page open is never culled, however long the reviewer reads.
KERNEL_IDLE_ENV = "JYJG_KERNEL_IDLE_SECONDS"
DEFAULT_KERNEL_IDLE_SECONDS = 180


def kernel_idle_seconds() -> int:
    return max(1, int(os.environ.get(KERNEL_IDLE_ENV) or DEFAULT_KERNEL_IDLE_SECONDS))


class HubIdentityProvider(JupyterHubIdentityProvider):
    """The Hub's OAuth login, for a standalone Voila: its callback and logout live under our prefix."""

    def get_handlers(self):
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        return [(url_path_join(prefix, path), *rest) for path, *rest in super().get_handlers()]


class WorkbenchAuthorizer(JupyterHubAuthorizer):
    """The Hub's access check, narrowed to what the workbench page needs."""

    def is_authorized(self, handler, user, action, resource):
        if (action, resource) not in ALLOWED_REQUESTS:
            self.log.warning("refused %s on %s for %s", action, resource, getattr(user, "username", user))
            return False
        return super().is_authorized(handler, user, action, resource)


def voila_config(prefix: str, ip: str, port: int, api_token: str) -> Config:
    c = Config()
    c.Voila.ip = ip
    c.Voila.port = port
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.base_url = prefix
    c.Voila.auto_token = True  # the identity provider has its own token (the Hub's); Voila must not set one
    c.Voila.identity_provider_class = HubIdentityProvider
    c.Voila.authorizer_class = WorkbenchAuthorizer
    c.HubOAuth.api_token = api_token
    c.Voila.tornado_settings = {
        "websocket_max_message_size": WEBSOCKET_MAX_MESSAGE_BYTES,
        "max_body_size": WEBSOCKET_MAX_MESSAGE_BYTES,
        "headers": {"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer"},
    }
    c.VoilaConfiguration.preheat_kernel = PREHEAT_KERNELS
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.file_allowlist = []
    c.VoilaConfiguration.file_denylist = [".*"]
    idle = kernel_idle_seconds()
    c.MappingKernelManager.cull_idle_timeout = idle
    c.MappingKernelManager.cull_interval = max(1, min(60, idle // 3))
    c.MappingKernelManager.cull_connected = False
    return c


def main() -> None:
    # The workbench's Voila (workbench/voila_app.py): with the evidence route, behind the Hub's login,
    # reading files as this server's account.
    from .voila_app import WorkbenchVoila

    service = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])  # where the Hub expects us: http://ip:port/user/NAME/
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    # The Hub token stays in this process: the kernels (which inherit the environment) do not get it.
    api_token = os.environ.pop("JUPYTERHUB_API_TOKEN", "") or os.environ.pop("JPY_API_TOKEN", "")
    os.environ.pop("JPY_API_TOKEN", None)
    config = voila_config(prefix, service.hostname or "127.0.0.1", service.port or 8888, api_token)
    # Voila runs the notebook from a private folder holding nothing else.
    workdir = Path(tempfile.mkdtemp(prefix="jyjg-hub-voila-"))
    os.chdir(workdir)
    # Voila's own list of allowed kernel messages (it has one) is replaced by ours, which drops shutdown too.
    WorkbenchVoila.launch_instance(argv=[str(NOTEBOOK)], config=config)


def _narrow_voila_messages() -> None:
    """Voila gives its kernel manager a list of allowed message types; make it ours."""
    import voila.app as voila_app

    original = voila_app.voila_kernel_manager_factory

    def factory(*args, **kwargs):
        manager_class = original(*args, **kwargs)

        class Narrowed(manager_class):
            def __init__(self, *a, **kw):
                kw["allowed_message_types"] = list(ALLOWED_KERNEL_MESSAGES)
                super().__init__(*a, **kw)

        return Narrowed

    voila_app.voila_kernel_manager_factory = factory


if __name__ == "__main__":
    _narrow_voila_messages()
    sys.exit(main())
