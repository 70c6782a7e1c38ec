"""Replayed answers on the lean path (ticketing.lean): a read whose answer is the same for
everyone at a version is built once per kind of request, then replayed byte for byte."""

import asyncio
import re

from django.http import HttpResponse

from ticketing.lean import Route, lean_application


def _scope(path: str, **headers: str) -> dict:
    return {"type": "http", "method": "GET", "path": path, "scheme": "http",
            "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 5000),
            "headers": [(b"host", b"127.0.0.1"),
                        *((k.replace("_", "-").lower().encode(), v.encode())
                          for k, v in headers.items())]}


def _exchange(app, scope: dict) -> tuple[int, dict, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    headers = {k.decode().lower(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, sent[1]["body"]


def test_the_handler_builds_an_answer_once_per_version_and_kind_of_request(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    version = {"now": object()}
    built = []

    async def handler(request, thing_id):
        built.append(thing_id)
        return HttpResponse(b'{"thing": %d}' % thing_id, content_type="application/json")

    async def current(thing_id):
        return version["now"]

    async def fallback(scope, receive, send):
        raise AssertionError("every request here is the lean path's")

    app = lean_application([Route("GET", re.compile(r"/things/(?P<thing_id>[0-9]+)"),
                                  "things/<int:thing_id>", "GET", handler, current=current)],
                           fallback)
    first = _exchange(app, _scope("/things/7"))
    again = _exchange(app, _scope("/things/7", X_Request_ID="lb-1"))
    assert built == [7]  # replayed: the handler did not run again
    assert again[0] == 200 and again[2] == first[2] == b'{"thing": 7}'
    assert again[1]["x-request-id"] == "lb-1" != first[1]["x-request-id"]
    assert {k: v for k, v in again[1].items() if k != "x-request-id"} == {
        k: v for k, v in first[1].items() if k != "x-request-id"}
    _exchange(app, _scope("/things/8"))  # another thing
    _exchange(app, _scope("/things/7", X_Forwarded_Proto="https"))  # another kind of request
    version["now"] = object()  # what it shows changed
    _exchange(app, _scope("/things/7"))
    assert built == [7, 8, 7, 7]


def test_an_answer_that_sets_a_cookie_is_never_replayed(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    built = []

    async def handler(request, thing_id):
        built.append(thing_id)
        response = HttpResponse(b"{}", content_type="application/json")
        response.set_cookie("mine", str(len(built)))
        return response

    async def current(thing_id):
        return current  # always the same version

    async def fallback(scope, receive, send):
        raise AssertionError("every request here is the lean path's")

    app = lean_application([Route("GET", re.compile(r"/things/(?P<thing_id>[0-9]+)"),
                                  "things/<int:thing_id>", "GET", handler, current=current)],
                           fallback)
    cookies = [_exchange(app, _scope("/things/1"))[1]["set-cookie"] for _ in range(2)]
    assert built == [1, 1] and cookies[0] != cookies[1]


def test_made_request_ids_are_unique_in_a_process_and_in_its_forks():
    import os

    from ticketing.context import new_request_id

    here = {new_request_id() for _ in range(1000)}
    assert len(here) == 1000 and all(len(made) == 32 for made in here)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a forked worker process
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 64).decode() not in here | {new_request_id()}
