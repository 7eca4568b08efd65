"""`jyjg hub` and the per-account workbench server, without starting them (the browser tests in
tests/browser/test_hub.py run the real JupyterHub)."""
from __future__ import annotations

import pytest

pytest.importorskip("jupyterhub")

from shared.cli import main  # noqa: E402
from workbench import hub, hub_server  # noqa: E402


def test_hub_needs_postgresql(tmp_path, capsys):
    assert main(["hub", "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    assert "多用户模式须使用 PostgreSQL" in capsys.readouterr().err


def test_hub_says_how_to_get_the_proxy(monkeypatch, capsys):
    monkeypatch.setattr(hub, "find_proxy", lambda: None)
    assert hub.run_hub("postgresql+psycopg2://u@127.0.0.1:1/x") == 2
    assert "configurable-http-proxy" in capsys.readouterr().err


def test_the_workbench_server_lets_through_only_widget_messages_and_the_kernel_socket():
    assert "execute_request" not in hub_server.ALLOWED_KERNEL_MESSAGES
    assert {"comm_msg", "comm_open"} <= set(hub_server.ALLOWED_KERNEL_MESSAGES)
    assert not {"complete_request", "inspect_request", "history_request", "shutdown_request", "debug_request",
                "input_reply"} & set(hub_server.ALLOWED_KERNEL_MESSAGES)

    class Anyone:
        username = "heshan"

    authorizer = hub_server.WorkbenchAuthorizer.__new__(hub_server.WorkbenchAuthorizer)
    authorizer.log = __import__("logging").getLogger("test")
    for action, resource in [("read", "contents"), ("write", "contents"), ("execute", "terminals"),
                             ("write", "kernels"), ("read", "sessions"), ("read", "kernelspecs")]:
        assert authorizer.is_authorized(None, Anyone(), action, resource) is False


def test_the_workbench_server_uses_the_hubs_login_under_its_prefix(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/heshan/")
    config = hub_server.voila_config("/user/heshan/", "127.0.0.1", 5000, "secret")
    assert config.Voila.identity_provider_class is hub_server.HubIdentityProvider
    assert config.Voila.authorizer_class is hub_server.WorkbenchAuthorizer
    assert config.Voila.base_url == "/user/heshan/" and config.VoilaConfiguration.file_denylist == [".*"]
    provider = hub_server.HubIdentityProvider.__new__(hub_server.HubIdentityProvider)
    monkeypatch.setattr(hub_server.JupyterHubIdentityProvider, "get_handlers",
                        lambda self: [("/logout", object), ("/oauth_callback", object, {})])
    assert [h[0] for h in provider.get_handlers()] == ["/user/heshan/logout", "/user/heshan/oauth_callback"]


def test_each_page_starts_its_own_kernel_and_a_closed_pages_kernel_is_culled(monkeypatch):
    monkeypatch.delenv(hub_server.KERNEL_IDLE_ENV, raising=False)
    config = hub_server.voila_config("/user/heshan/", "127.0.0.1", 5000, "secret")
    # no preheated kernels: the server starts at login, so one would only double each login's work
    assert config.VoilaConfiguration.preheat_kernel is False
    assert config.MappingKernelManager.cull_connected is False  # an open page's kernel stays
    assert config.MappingKernelManager.cull_idle_timeout == 180
    assert config.MappingKernelManager.cull_interval == 60
    monkeypatch.setenv(hub_server.KERNEL_IDLE_ENV, "12")
    config = hub_server.voila_config("/user/heshan/", "127.0.0.1", 5000, "secret")
    assert (config.MappingKernelManager.cull_idle_timeout, config.MappingKernelManager.cull_interval) == (12, 4)


def _hub_config(monkeypatch, tmp_path, **env):
    from traitlets.config import Config

    for name, value in {"JYJG_HUB_STATE": str(tmp_path), "JYJG_HUB_DB": "sqlite://", "JYJG_DB": "sqlite://",
                        "JYJG_DATA": str(tmp_path), **env}.items():
        monkeypatch.setenv(name, value)
    config = Config()
    exec(hub.CONFIG_FILE.read_text(encoding="utf-8"), {"get_config": lambda: config, "__file__": str(hub.CONFIG_FILE)})
    return config


def test_idle_servers_are_stopped_by_the_culler_service_which_can_do_nothing_else(monkeypatch, tmp_path):
    monkeypatch.delenv("JYJG_SERVER_IDLE_SECONDS", raising=False)
    config = _hub_config(monkeypatch, tmp_path)
    [service] = config.JupyterHub.services
    assert service["name"] == "idle-culler" and "jupyterhub_idle_culler" in service["command"]
    assert "--timeout=600" in service["command"] and "--cull-every=60" in service["command"]
    [role] = config.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"]
    assert set(role["scopes"]) == {"list:users", "read:users:activity", "read:servers", "delete:servers"}
    assert config.JupyterHub.last_activity_interval == 60
    config = _hub_config(monkeypatch, tmp_path, JYJG_SERVER_IDLE_SECONDS="40", JYJG_KERNEL_IDLE_SECONDS="9")
    assert "--timeout=40" in config.JupyterHub.services[0]["command"]
    assert config.Spawner.environment["JYJG_KERNEL_IDLE_SECONDS"] == "9"


def test_a_locked_account_is_told_until_when_in_beijing_time(monkeypatch):
    import time
    from datetime import datetime, timedelta

    from workbench.hub_auth import WorkbenchAuthenticator, wrong_password_message

    monkeypatch.setenv("TZ", "UTC")  # the server's clock; NativeAuthenticator keeps naive local times
    time.tzset()
    try:
        authenticator = WorkbenchAuthenticator.__new__(WorkbenchAuthenticator)  # no Hub database needed
        authenticator.allowed_failed_logins = 5
        authenticator.seconds_before_next_try = 30 * 60
        last_try = datetime.now().replace(second=0, microsecond=0)
        authenticator.login_attempts = {"heshan": {"count": 5, "time": last_try}}
        told = wrong_password_message(authenticator, "heshan", None)
        unlocked_in_beijing = last_try + timedelta(minutes=30) + timedelta(hours=8)
        assert "因连续 5 次输错密码已被锁定" in told and "联系管理员" in told
        assert f"北京时间 {unlocked_in_beijing:%H:%M} 以后" in told
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
