"""A threaded HTTP service for `bench/nonstop.py`: one thread per request, as `http.server` serves them.

`GET /orders/N` answers a small JSON body computed in `show_order`, whose line marked `bench:order-line`
is where the bench stops one request. Prints `{"port": P}` once it listens.
"""

import http.server
import json


def show_order(number):
    order = {"id": number, "items": [number * 2, number * 3]}  # bench:order-line
    return order


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        number = int(self.path.rsplit("/", 1)[1])
        body = json.dumps(show_order(number)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the bench's clients are cut off at the end of each round


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
