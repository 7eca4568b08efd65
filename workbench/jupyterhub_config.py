# JupyterHub configuration of the multi-user workbench (`jyjg hub` runs `jupyterhub -f` this file).
#
# Everything a deployment changes comes from the environment that `jyjg hub` sets (or, on Kubernetes,
# the pod's environment under zero-to-jupyterhub, where this file goes into hub.extraConfig):
#   JYJG_DB          the review store (PostgreSQL); the workbench servers get it, browsers never do
#   JYJG_DATA        the folder of original submissions, shared by all servers
#   JYJG_HUB_DB      the Hub's own database (the store's, schema `jupyterhub`: shared/accounts.hub_db_url)
#   JYJG_HUB_IP / JYJG_HUB_PORT             where people connect (the proxy)
#   JYJG_HUB_API_PORT / JYJG_PROXY_API_PORT internal ports, on 127.0.0.1
#   JYJG_HUB_STATE   a private folder for the cookie secret, the proxy's pid file, the servers' homes
#   JYJG_PROXY       the configurable-http-proxy command
#   JYJG_SERVER_IDLE_SECONDS / JYJG_KERNEL_IDLE_SECONDS  (optional) when idle servers and closed pages' kernels stop
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)
state = Path(os.environ["JYJG_HUB_STATE"])

c.JupyterHub.ip = os.environ.get("JYJG_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("JYJG_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("JYJG_HUB_API_PORT", "8081"))
c.JupyterHub.db_url = os.environ["JYJG_HUB_DB"]
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [os.environ.get("JYJG_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('JYJG_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Login: NativeAuthenticator. Accounts are made by an administrator (`jyjg user add`, or the
# 用户管理 screen), which approves them; nobody signs themselves up. Five wrong passwords in a row lock
# the account for half an hour. LDAP instead: see the README (ldapauthenticator, same role data).
# workbench/hub_auth.py: NativeAuthenticator with its pages in Chinese (workbench/hub_templates/), accounts
# read afresh at each login (they are changed outside the Hub), and self-service password changes audited.
c.JupyterHub.authenticator_class = "workbench.hub_auth.WorkbenchAuthenticator"
c.JupyterHub.template_paths = [str(Path(__file__).resolve().parent / "hub_templates")]
c.NativeAuthenticator.enable_signup = False
c.NativeAuthenticator.open_signup = False
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.check_common_password = True
c.NativeAuthenticator.allowed_failed_logins = 5
c.NativeAuthenticator.seconds_before_next_try = 30 * 60
c.Authenticator.allow_all = True  # whoever NativeAuthenticator lets in (approved, active) may use their workbench
c.Authenticator.admin_users = set()  # no Hub administrators: nobody reaches another account's server

# Each account gets its own workbench server: Voila only (workbench/hub_server.py), as the Hub's user.
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "homes" / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "workbench.hub_server"]
c.Spawner.args = []
c.Spawner.default_url = "/"
c.Spawner.environment = {
    "JYJG_DB": os.environ["JYJG_DB"],
    "JYJG_DATA": os.environ["JYJG_DATA"],
    "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    # how long a closed page's kernel stays (workbench/hub_server.py), when a deployment sets it
    **({"JYJG_KERNEL_IDLE_SECONDS": os.environ["JYJG_KERNEL_IDLE_SECONDS"]}
       if os.environ.get("JYJG_KERNEL_IDLE_SECONDS") else {}),
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.allow_named_servers = False

# An account's server with no traffic for JYJG_SERVER_IDLE_SECONDS (default 10 minutes) is stopped by
# jupyterhub-idle-culler, running as a Hub service allowed only to see activity and stop servers. An
# open page keeps its server: its websocket's pings pass through the proxy, which the Hub reads as
# activity every `last_activity_interval`. The next login starts the server again.
server_idle = max(10, int(os.environ.get("JYJG_SERVER_IDLE_SECONDS") or 600))
c.JupyterHub.last_activity_interval = min(60, max(5, server_idle // 4))
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={server_idle}",
                f"--cull-every={min(60, max(5, server_idle // 4))}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
c.JupyterHub.shutdown_on_logout = True
c.JupyterHub.redirect_to_server = True
c.JupyterHub.implicit_spawn_seconds = 3  # a stopped workbench (idle) opens again by itself when visited
