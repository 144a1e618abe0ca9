#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of an S3 server (moto), for the S3 store's tests.

  s3-fault-proxy.py UPSTREAM_PORT [--tls CERT KEY]
Listens on 127.0.0.1 on a free port (with --tls, speaking HTTPS with that PEM certificate and
key: an endpoint with a private CA), prints it as its first line, and forwards every request to
127.0.0.1:UPSTREAM_PORT unchanged (the Host header too, so SigV4 signatures stay valid). Faults
are armed through its own paths, which never reach the server:
  POST /fault-proxy/arm?fault=slowdown&count=N[&after=M]   the next N requests (after M more
                                                 have passed) get 503 SlowDown
  POST /fault-proxy/arm?fault=drop-get&count=N[&after=M]   the next N object GETs send half
                                                 their body, then the connection is closed
  POST /fault-proxy/arm?fault=drop-answer&count=N[&after=M]   the next N requests reach the
                                                 server, but the connection is closed before
                                                 its answer is passed on
  POST /fault-proxy/arm?fault=corrupt-put&count=N[&after=M]   the next N PUTs with a body (an
                                                 object or a part) reach the server with one
                                                 byte flipped, headers unchanged: a body damaged
                                                 on the way that moto (checking no Content-MD5 or
                                                 checksum) stores
  POST /fault-proxy/arm?fault=gather-parts&count=N   every UploadPart waits (at most 10 s) until
                                                 N parts are waiting, then all go on: proof that
                                                 N are sent at once, whatever the timing
  GET  /fault-proxy/report                       JSON: faults served, the Range headers seen, the
                                                 requests passed on by method (a GET of the
                                                 bucket counted as LIST), the most parts
                                                 that were in flight at once, and "written":
                                                 every request that carried x-amz-storage-class
                                                 or x-amz-object-lock-* headers (method, path,
                                                 query, those headers)
It exits when its standard input closes, so it never outlives the test that started it.
"""
import http.client
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import urllib.parse

UPSTREAM = int(sys.argv[1])
lock = threading.Lock()
FAULTS = ("slowdown", "drop-get", "drop-answer", "corrupt-put", "gather-parts")
armed = {fault: [0, 0] for fault in FAULTS}  # [requests to let pass first, faults to serve]
served = {fault: 0 for fault in FAULTS}
ranges = []
requests = {}  # method (or LIST) -> requests passed on to the server
gets = []  # the path of every GET of an object, in order
written = []  # the requests with storage class or object lock headers (moto ignores those of multipart uploads)
parts = {"in_flight": 0, "most_in_flight": 0, "waiting": 0}
gathered = threading.Condition(lock)


def take(fault):
    with lock:
        after, count = armed[fault]
        if count == 0:
            return False
        if after > 0:
            armed[fault][0] -= 1
            return False
        armed[fault][1] -= 1
        served[fault] += 1
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def reply(self, status, body, content_type="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        if url.path == "/fault-proxy/arm":
            query = urllib.parse.parse_qs(url.query)
            with lock:
                armed[query["fault"][0]] = [int(query.get("after", ["0"])[0]), int(query["count"][0])]
            return self.reply(200, b"armed\n", "text/plain")
        if url.path == "/fault-proxy/report":
            with lock:
                report = {"served": served, "ranges": ranges, "requests": requests, "gets": gets,
                          "most_parts_in_flight": parts["most_in_flight"], "written": written}
            return self.reply(200, json.dumps(report).encode(), "application/json")
        if take("slowdown"):
            return self.reply(
                503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
                     b"<RequestId>fault-proxy</RequestId></Error>")
        if self.headers.get("Range"):
            with lock:
                ranges.append(self.headers["Range"])
        if self.command == "PUT" and body and take("corrupt-put"):
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        is_part = self.command == "PUT" and "partNumber=" in url.query
        # A GET of the bucket itself (ListObjectsV2, ListMultipartUploads) counts as a LIST.
        kind = "LIST" if self.command == "GET" and url.path.strip("/").count("/") == 0 else self.command
        settings = {name.lower(): value for name, value in self.headers.items()
                    if name.lower() == "x-amz-storage-class" or name.lower().startswith("x-amz-object-lock-")}
        with lock:
            requests[kind] = requests.get(kind, 0) + 1
            if settings:
                written.append({"method": self.command, "path": url.path, "query": url.query, "headers": settings})
            if kind == "GET":
                gets.append(url.path)
            if is_part:
                parts["in_flight"] += 1
                parts["most_in_flight"] = max(parts["most_in_flight"], parts["in_flight"])
                group = armed["gather-parts"][1]
                if group > 1:
                    parts["waiting"] += 1
                    gathered.notify_all()
                    gathered.wait_for(lambda: parts["waiting"] >= group, timeout=10)
        try:
            upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
            headers = {name: value for name, value in self.headers.items()}
            upstream.request(self.command, self.path, body=body if body else None, headers=headers)
            response = upstream.getresponse()
            content = response.read()
            upstream.close()
        finally:
            if is_part:
                with lock:
                    parts["in_flight"] -= 1
        if take("drop-answer"):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        object_get = self.command == "GET" and url.path.count("/") >= 2 and "uploads" not in url.query \
            and "list-type" not in url.query
        drop = object_get and response.status in (200, 206) and len(content) > 1 and take("drop-get")
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(name, value)
        # A HEAD's length is the object's, as the server said.
        length = response.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(content))
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command == "HEAD":
            return
        if drop:
            self.wfile.write(content[: len(content) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(content)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def exit_when_stdin_closes():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    # A child of a Swift test process inherits its blocked SIGTERM; let stopping work as usual.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 5 and sys.argv[2] == "--tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        # A handshake the client refuses fails in accept(), an OSError the server drops.
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
