"""Running a call with a generous time bound, in a forked child: proves it ends, without timing it."""
from __future__ import annotations

import multiprocessing
import pickle
import traceback


def _child(conn, func, args):
    try:
        conn.send(("ok", pickle.dumps(func(*args))))
    except BaseException as error:  # noqa: BLE001 - the parent re-raises it as a failure
        conn.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))


def within(seconds: float, func, *args):
    """func(*args)'s value, when it returns within `seconds`; else AssertionError (the child is killed)."""
    context = multiprocessing.get_context("fork")
    parent, child_end = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(child_end, func, args))
    child.start()
    child_end.close()
    if not parent.poll(seconds):
        child.kill()
        child.join()
        raise AssertionError(f"{getattr(func, '__name__', func)} did not end within {seconds} s")
    kind, payload = parent.recv()
    child.join()
    if kind == "error":
        raise AssertionError(payload)
    return pickle.loads(payload)


def ends_within(seconds: float, func, *args) -> bool:
    try:
        within(seconds, func, *args)
    except AssertionError:
        return False
    return True
