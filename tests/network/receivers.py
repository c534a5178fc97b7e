"""Webhook receivers for tests: real HTTP(S) servers on loopback, on free ports, that record
what they are sent; and a resolver that answers chosen names with chosen addresses."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class Receiver:
    """Answers every POST with ``status`` (and ``location``, for a redirect) and a body that a
    delivery log must never show. With ``tls`` (a trustme CA and a host name) it speaks HTTPS
    with a certificate for that name only, and records the SNI name it was asked for."""

    BODY = b"internal-service-answer-4242"

    def __init__(self, *, tls=None):
        self.requests: list[dict] = []
        self.server_names: list[str | None] = []
        self.status = 200
        self.location = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(receiver.BODY)))
                self.end_headers()
                self.wfile.write(receiver.BODY)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        scheme = "http"
        if tls is not None:
            ca, host_name = tls
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(host_name).configure_cert(context)
            context.sni_callback = lambda _sock, name, _ctx: receiver.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FakeDns:
    """``socket.getaddrinfo`` for chosen names: ``dns["hooks.example"] = ["203.0.113.7"]``, or a
    list of such lists to answer each lookup with the next one (the last one repeats). Other
    names and address literals go to the real resolver. ``lookups`` counts the chosen names'."""

    def __init__(self, real):
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def __setitem__(self, name: str, addresses) -> None:
        sequence = addresses if addresses and isinstance(addresses[0], list) else [addresses]
        self.answers[name] = [list(answer) for answer in sequence]

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        sequence = self.answers[name]
        answer = sequence.pop(0) if len(sequence) > 1 else sequence[0]
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in answer
        ]
