#!/usr/bin/env python3
"""A small HTTP/1.1 server for the HTTP client's tests, on 127.0.0.1.

Prints the port it listens on as its first line of output, then serves until killed:
  /echo            the request as JSON: method, path, headers, body length and SHA-256, client port
  /status/N        answers status N with a short body
  /s3error/N/CODE  answers status N with an S3 error document (Code CODE, RequestId test-request)
  /delay/S         waits S seconds, then answers 200
  /bytes/N         answers N bytes (byte i is i % 251), written in 64 KiB pieces
  /drop            announces 1,000,000 bytes, sends 1,000, then closes the connection
  /close           closes the connection at once, without reading the request's body
With --cert and --key it speaks TLS instead (python3 -m http.server cannot).
It exits when its standard input closes, so it never outlives the test that started it.
"""
import argparse
import hashlib
import http.server
import json
import socket
import os
import signal
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as S3 endpoints do

    def log_message(self, format, *args):
        pass

    def answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ValueError("chunked request bodies are not expected from the client")
        remaining = int(self.headers.get("Content-Length", "0"))
        digest, length = hashlib.sha256(), 0
        while remaining > 0:
            piece = self.rfile.read(min(remaining, 1 << 16))
            if not piece:
                break
            digest.update(piece)
            length += len(piece)
            remaining -= len(piece)
        return length, digest.hexdigest()

    def handle_any(self):
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if parts[0] == "close":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        length, sha256 = self.read_body()
        if parts[0] == "echo":
            report = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_length": length,
                "body_sha256": sha256,
                "client_port": self.client_address[1],
            }
            self.answer(200, json.dumps(report).encode(), "application/json")
        elif parts[0] == "status":
            self.answer(int(parts[1]), b"status %s\n" % parts[1].encode())
        elif parts[0] == "s3error":
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>as a service"
                    " answers it</Message><RequestId>test-request</RequestId></Error>" % parts[2]).encode()
            self.answer(int(parts[1]), body, "application/xml")
        elif parts[0] == "delay":
            time.sleep(float(parts[1]))
            self.answer(200, b"late\n")
        elif parts[0] == "bytes":
            count = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(count))
            self.end_headers()
            pattern = bytes(i % 251 for i in range(251 * 261))  # a whole number of periods, > 64 KiB
            sent = 0
            while sent < count:
                start = sent % 251
                piece = pattern[start:start + min(1 << 16, count - sent)]
                self.wfile.write(piece)
                sent += len(piece)
        elif parts[0] == "drop":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:
            self.answer(404, b"no such test path\n")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def exit_when_stdin_closes():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    # A child of a Swift test process inherits its blocked SIGTERM; let stopping work as usual.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
