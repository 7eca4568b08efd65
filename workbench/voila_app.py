"""The Voila server `jyjg serve` runs: Voila itself, with what the workbench needs added.

- the evidence route (workbench/files.py), behind the page's own login;
- the page sets the `_xsrf` cookie, which Voila's page needs to shut its kernel down when it is
  closed or reloaded (voila-dashboards/voila#1458: without it the shutdown is refused and the kernel
  lives on until culled);
- a Chinese login page that says what the token (访问口令) is;
- a quiet, Chinese log (see serve_logging);
- every message a kernel sends reaches its page (workbench/iopub.py).

Run as `python -m workbench.voila_app NOTEBOOK --Voila.config_file_paths=DIR` (workbench/server.py).
"""
from __future__ import annotations

import logging
import shutil
import sys
import warnings

from jupyter_core.utils import run_sync
from tornado import web
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler
from voila.voila_identity_provider import VoilaLoginHandler

from . import files
from .iopub import WorkbenchKernelSpecs, keep_every_kernel_message
from .links import ensure_secret
from .listing import text

LOGIN_ERRORS = {"Invalid credentials": "访问口令不正确，请核对后重新输入（注意区分大小写，前后不要有空格）。"}

LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>评审工作台 · 请输入访问口令</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; background: #f4f6f8; margin: 0; }}
.box {{ max-width: 560px; margin: 8vh auto; background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 28px 32px; }}
h1 {{ font-size: 20px; margin: 0 0 16px 0; }}
p {{ line-height: 1.7; color: #333; }}
label {{ display: block; margin: 16px 0 6px 0; font-weight: 600; }}
input[type=password] {{ width: 100%; box-sizing: border-box; font-size: 16px; padding: 8px 10px; border: 1px solid #bbb; border-radius: 4px; }}
button {{ margin-top: 16px; font-size: 16px; padding: 8px 24px; background: #1565c0; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }}
.error {{ background: #fde7e7; color: #8c1d18; border: 1px solid #f3b8b4; padding: 8px 12px; border-radius: 4px; }}
.muted {{ color: #666; font-size: 13px; }}
</style></head>
<body><div class="box">
<h1>节约型机关创建评价 · 评审工作台</h1>
{message}
<p>请输入<b>访问口令</b>后进入。</p>
<p class="muted">访问口令（token）是启动工作台时生成的一串字符，只有拿到口令的人才能看到申报材料。
它显示在运行 <code>jyjg serve</code> 的窗口中，即“评审工作台已启动：http://…/?token=<b>这里的字符</b>”一行里
<code>token=</code> 后面的部分。直接打开那一整行地址也可以免输口令进入。如不知道口令，请向启动工作台的管理员索取。</p>
<form action="{action}" method="post">
{xsrf}
<label for="password">访问口令</label>
<input type="password" id="password" name="password" autocomplete="current-password" autofocus>
<button type="submit">进入工作台</button>
</form>
</div></body></html>
"""


class LoginPage(VoilaLoginHandler):
    """Voila's token login, with a Chinese page that explains the token."""

    def _render(self, message=None) -> None:
        shown = ""
        if message:
            error = message.get("error") if isinstance(message, dict) else str(message)
            shown = f'<p class="error">{text(LOGIN_ERRORS.get(error, "登录失败，请重新输入访问口令。"))}</p>'
        next_url = self.get_argument("next", default=self.base_url)
        action = f"{self.base_url}login?next={web.escape.url_escape(next_url)}"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(LOGIN_PAGE.format(message=shown, action=text(action), xsrf=self.xsrf_form_html()))


class PageHandler(TornadoVoilaHandler):
    """The dashboard page; it sets the `_xsrf` cookie its kernel shutdown request needs."""

    @web.authenticated
    async def get(self, path=None):
        self.xsrf_token  # noqa: B018 - reading it sets the cookie
        return await super().get(path)


class WorkbenchVoila(Voila):
    """Voila with the workbench's routes; also what a multi-user server runs for each account (its own
    identity provider then logs people in, and the evidence route sits behind that login)."""

    def init_settings(self):
        ensure_secret()  # before the kernel pool is started: its kernels inherit the environment
        # Kernels talk to the server over Unix sockets in Voila's private connection folder: no TCP port
        # for anyone on the machine to connect to, and no plain-text warning from every kernel.
        self.config.KernelManager.transport = "ipc"
        self.voila_configuration.kernel_spec_manager_class = WorkbenchKernelSpecs  # kernels that drop nothing
        settings = super().init_settings()
        keep_every_kernel_message(self.kernel_manager.context)  # before any page connects to a kernel
        if self.identity_provider.login_handler_class is VoilaLoginHandler:
            self.identity_provider.login_handler_class = LoginPage  # the token login of `jyjg serve`
        return settings

    def init_handlers(self):
        handlers = [(route, PageHandler if handler is TornadoVoilaHandler else handler, *rest)
                    for route, handler, *rest in super().init_handlers()]
        return files.handlers(self.base_url) + handlers


    def stop(self):
        """Stop at once: kernels hold nothing to save (every write is already in the store). A preheated
        kernel still waiting for its page would otherwise answer a polite shutdown with a ZMQ traceback."""
        shutil.rmtree(self.connection_dir, ignore_errors=True)
        run_sync(self.kernel_manager.shutdown_all)(now=True)


def serve_logging() -> None:
    """Only what a person running the server must act on, in Chinese: the libraries' routine English
    notices and deprecation warnings are not for them (errors still reach the log)."""
    warnings.simplefilter("ignore")
    for name in ("tornado.access", "tornado.application", "tornado.general", "traitlets", "Voila",
                 "VoilaApp", "NotebookApp", "ServerApp", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main() -> None:
    serve_logging()
    sys.exit(WorkbenchVoila.launch_instance())


if __name__ == "__main__":
    main()
