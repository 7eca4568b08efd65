"""A reviewer's browser as the server sees it, without the browser: the same HTTP requests and kernel
messages a workbench page sends, so that ten reviewers opening at once load the server as ten PCs would,
while the machine's two cores stay the server's (ten Chromiums on those cores would measure Chromium).

What one reviewer does (the order a real page follows, as recorded from Chromium):
1. GET the page (Voila renders it with a preheated kernel, or starts one when the pool is empty);
2. GET every script, style sheet and font the page loads (the list recorded from a real page in the same
   run), six at a time as a browser does, none cached: a first visit;
3. open the kernel's websocket, ask for kernel_info, open the `jupyter.widget.control` comm and ask for
   every widget's state: when that answer arrives the page can be drawn;
4. choose the 申报列表 tab and type a search into its box, then wait for the list to come back filtered:
   the page has answered.
"""
from __future__ import annotations

import asyncio
import datetime
import json
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

BROWSER_CONNECTIONS = 6  # parallel requests per host, as Chromium
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


@dataclass
class Opened:
    drawn: float  # seconds from the request to every widget's state received
    answered: float  # … to the filtered list received after the search


def _message(session: str, msg_type: str, content: dict, metadata: dict | None = None) -> str:
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "",
                   "version": "5.2", "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
        "parent_header": {}, "metadata": metadata or {}, "content": content, "channel": "shell", "buffers": []})


def _models(states: dict, name: str) -> list[tuple[str, dict]]:
    return [(comm, s["state"]) for comm, s in states.items() if s.get("model_name") == name]


async def _fetch_all(client: AsyncHTTPClient, urls: list[str], headers: dict) -> None:
    gate = asyncio.Semaphore(BROWSER_CONNECTIONS)

    async def one(url: str) -> None:
        async with gate:
            await client.fetch(HTTPRequest(url, headers=headers, request_timeout=300), raise_error=False)

    await asyncio.gather(*(one(u) for u in urls))


async def open_page(url: str, assets: list[str], search: str, gone: str, timeout: float = 300,
                    close_kernel: bool = True) -> Opened:
    """Open the workbench at `url` (with its ?token=) as one reviewer; `assets` are the page's own static
    URLs; the search `search` has answered when the list's caption says 符合条件 and `gone` is not in it."""
    client = AsyncHTTPClient(force_instance=True, max_clients=BROWSER_CONNECTIONS)
    start = time.perf_counter()
    try:
        page = await client.fetch(HTTPRequest(url, request_timeout=timeout))
        body = page.body.decode("utf-8")
        kernel_id = KERNEL_ID.search(body).group(1)
        cookies = "; ".join(c.split(";", 1)[0] for c in page.headers.get_list("Set-Cookie"))
        headers = {"Cookie": cookies} if cookies else {}
        await _fetch_all(client, assets, headers)
        parts = urlsplit(url)
        token = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("token", "")
        session = uuid.uuid4().hex
        ws_url = urlunsplit(("ws", parts.netloc, f"/api/kernels/{kernel_id}/channels",
                             f"session_id={session}&token={token}", ""))
        socket = await websocket_connect(HTTPRequest(ws_url, headers=headers, request_timeout=timeout),
                                         max_message_size=1 << 30)
        try:
            control = uuid.uuid4().hex
            await socket.write_message(_message(session, "kernel_info_request", {}))
            await socket.write_message(_message(session, "comm_open", {
                "comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                {"version": "1.0.0"}))  # the widget control protocol's version, as the page sends it
            await socket.write_message(_message(session, "comm_msg", {
                "comm_id": control, "data": {"method": "request_states"}}))
            states = None
            while states is None:
                msg = json.loads(await asyncio.wait_for(socket.read_message(), timeout))
                data = msg.get("content", {}).get("data", {})
                if msg.get("msg_type") == "comm_msg" and data.get("method") == "update_states":
                    states = data["states"]
            drawn = time.perf_counter() - start
            await socket.write_message(_message(session, "comm_close", {"comm_id": control, "data": {}}))
            tab_comm, tab = next((c, s) for c, s in _models(states, "TabModel") if "申报列表" in s.get("titles", ()))
            search_comm = next(c for c, s in _models(states, "TextModel") if "jyjg-search" in s.get("_dom_classes", ()))
            for comm, state in ((tab_comm, {"selected_index": list(tab["titles"]).index("申报列表")}),
                                (search_comm, {"value": search})):
                await socket.write_message(_message(session, "comm_msg", {
                    "comm_id": comm, "data": {"method": "update", "state": state, "buffer_paths": []}}))
            while True:
                msg = json.loads(await asyncio.wait_for(socket.read_message(), timeout))
                data = msg.get("content", {}).get("data", {})
                value = data.get("state", {}).get("value") if data.get("method") == "update" else None
                if isinstance(value, str) and "jyjg-list" in value and "符合条件" in value and gone not in value:
                    answered = time.perf_counter() - start
                    break
        finally:
            socket.close()
        if not close_kernel:
            return Opened(drawn, answered)
        # as a closed page does: shut its kernel down (with the _xsrf cookie's token, as the page sends it)
        xsrf = re.search(r"_xsrf=([^;]+)", cookies)
        await client.fetch(HTTPRequest(urlunsplit(("http", parts.netloc, f"/api/kernels/{kernel_id}", "", "")),
                                       method="DELETE", headers={**headers, "X-XSRFToken": xsrf.group(1) if xsrf else ""},
                                       request_timeout=timeout), raise_error=False)
        return Opened(drawn, answered)
    finally:
        client.close()


def static_assets(requested: list[str], origin: str) -> list[str]:
    """The page's own static files among the URLs a real page requested (not the page, not the kernel API,
    nothing from another site)."""
    return [u for u in dict.fromkeys(requested)
            if u.startswith(origin) and ("/static/" in u or "/labextensions/" in u)]
