#!/usr/bin/env python3
"""An HTTPS echo server for the OutboundHTTP tests: a real TLS stack that is not GnuTLS.

Usage: echo_server.py CERT KEY [refuse]. Listens on 127.0.0.1 at an ephemeral port, prints the port on
its first line, and answers every request with 200, the request body, and the method, target
and negotiated TLS version in X-Echo-Method / X-Echo-Target / X-TLS-Version. It exits when its
stdin closes, so it never outlives the test process that started it. With "refuse", every
request is answered 413 at once and the connection closed without reading the body.
"""
import http.server
import os
import ssl
import sys
import threading


REFUSE = len(sys.argv) > 3 and sys.argv[3] == "refuse"


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _echo(self):
        if REFUSE:
            self.send_response(413)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Echo-Method", self.command)
        self.send_header("X-Echo-Target", self.path)
        self.send_header("X-Echo-Host", self.headers.get("Host") or "")
        self.send_header("X-TLS-Version", self.connection.version() or "")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _echo

    def log_message(self, *args):
        pass


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
