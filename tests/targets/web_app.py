"""A small web service in the style of Flask, for tests of what an evaluation sees at a breakpoint.

Like Flask, the app keeps the current request in a `ContextVar` (each request runs in a context of its
own) and a per-thread database session in a `threading.local`, and handlers reach both through helpers
(`current_request()`, `db.session`). Requests are served by `http.server.ThreadingHTTPServer`, one thread
per request. `GET /orders/<id>?user=<name>` runs `show_order`, whose line marked `@handler` is where tests
stop; `GET /slow-repr` holds a value whose repr hangs. Prints `LISTENING <port>`; thread `ticker` prints
`tick N` every 20 ms, so a test sees the service run. `GET /hold` makes thread `lock-holder` take the lock
`BlockedRepr` needs and keep it until `GET /release`.
"""

import contextvars
import http.server
import json
import threading
import time
import urllib.parse

_request_var = contextvars.ContextVar("request")
request_id = contextvars.ContextVar("request_id", default="no request")
db = threading.local()


class Request:
    def __init__(self, method, path, query):
        self.method = method
        self.path = path
        self.args = query


class DbSession:
    def __init__(self, user):
        self.user = user
        self.queries = []


def current_request():
    return _request_var.get()


class App:
    def __init__(self):
        self.routes = []

    def route(self, prefix):
        def register(view):
            self.routes.append((prefix, view))
            return view

        return register

    def dispatch(self, method, target, number):
        """Run the view for `target` in a context of its own, as a WSGI framework does per request."""
        parsed = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        return contextvars.copy_context().run(self._handle, method, parsed.path, query, number)

    def _handle(self, method, path, query, number):
        _request_var.set(Request(method, path, query))
        request_id.set(f"request-{number}")
        db.session = DbSession(query.get("user", "anonymous"))
        for prefix, view in self.routes:
            if path.startswith(prefix):
                return view(path[len(prefix) :])
        return {"error": "not found"}


app = App()


@app.route("/orders/")
def show_order(order_id):
    request = current_request()
    db.session.queries.append(f"select * from orders where id = {order_id}")
    order = {"id": int(order_id), "owner": db.session.user, "path": request.path}  # @handler
    return order


class HangingRepr:
    def __repr__(self):
        while True:
            pass


class BlockedRepr:
    def __init__(self, lock):
        self.lock = lock

    def __repr__(self):
        with self.lock:
            return "BlockedRepr(free)"


busy = threading.Lock()
held = threading.Event()
release = threading.Event()


def _hold():
    with busy:
        held.set()
        release.wait()
    held.clear()


@app.route("/hold")
def hold(rest):
    release.clear()
    threading.Thread(target=_hold, name="lock-holder", daemon=True).start()
    held.wait()
    return {"held": True}


@app.route("/release")
def let_go(rest):
    release.set()
    return {"held": False}


@app.route("/slow-repr")
def slow_repr(rest):
    hanging = HangingRepr()
    blocked = BlockedRepr(busy)
    plain = "still shown"
    count = 42
    kinds = [type(hanging).__name__, type(blocked).__name__]
    return {"plain": plain, "count": count, "kinds": kinds}  # @slow


class Handler(http.server.BaseHTTPRequestHandler):
    counter = iter(range(1, 1_000_000))

    def do_GET(self):
        body = json.dumps(app.dispatch("GET", self.path, next(Handler.counter))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def tick():
    number = 0
    while True:
        number += 1
        print(f"tick {number}", flush=True)
        time.sleep(0.02)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    threading.Thread(target=tick, name="ticker", daemon=True).start()
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
