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
