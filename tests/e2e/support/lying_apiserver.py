#!/usr/bin/env python3
"""A member cluster that lies, for fault tests: a TLS reverse proxy in front of a real kube-apiserver that
passes every request through faithfully, except that the first watch stream to carry an event tells one lie
just before that event:

  garble        a truncated JSON line
  unknown-type  the event with type "EXPLODED"
  wrong-kind    the event with its object's kind changed to "Pod"
  oversize      a 2 MiB ADDED event for an object that does not exist
  cut           half of the event's line, then the connection closes mid-chunk
  content-length  not a lie but unusual framing (a buffering proxy): the stream up to that event is sent
                as one body with a Content-Length instead of chunks, then the response ends
  silent-watch  every watch stream is accepted (200, chunked) and then says nothing, not even bookmarks,
                until the client hangs up: a cluster whose API answers but whose watches went stale

The real state stays in the real apiserver, so a test can compare the client's cache with `kubectl get`.
Bearer-token authentication passes through (client certificates cannot cross a TLS-terminating proxy).
"""
import argparse
import http.client
import http.server
import json
import ssl
import sys
import threading


def lie_lines(mode, event_line):
    """The bytes sent instead of `event_line`, and whether the connection is dropped after them."""
    if mode == "garble":
        return [b'{"type":"MODIFIED","object":{"metadata":{"name":"tru\n', event_line], False
    if mode == "unknown-type":
        event = json.loads(event_line)
        event["type"] = "EXPLODED"
        return [json.dumps(event).encode() + b"\n", event_line], False
    if mode == "wrong-kind":
        event = json.loads(event_line)
        event["object"]["kind"] = "Pod"
        return [json.dumps(event).encode() + b"\n", event_line], False
    if mode == "oversize":
        giant = {"type": "ADDED", "object": {"kind": "Service", "apiVersion": "v1",
                                             "metadata": {"name": "giant", "namespace": "x",
                                                          "resourceVersion": "1",
                                                          "annotations": {"a": "x" * (2 << 20)}}}}
        return [json.dumps(giant).encode() + b"\n", event_line], False
    if mode == "cut":
        return [event_line[: len(event_line) // 2]], True
    raise ValueError(mode)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_GET(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def do_PUT(self):
        self.forward()

    def do_PATCH(self):
        self.forward()

    def do_DELETE(self):
        self.forward()

    def forward(self):
        server = self.server
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPSConnection(server.upstream_host, server.upstream_port,
                                               context=server.upstream_tls)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("authorization", "content-type", "accept", "user-agent")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        watch = "watch=1" in self.path or "watch=true" in self.path
        if not watch or response.status != 200:
            data = response.read()
            self.send_response(response.status)
            for name in ("Content-Type", "Retry-After"):
                if response.getheader(name):
                    self.send_header(name, response.getheader(name))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()
            return
        if server.mode == "silent-watch":
            upstream.close()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            print("lying-apiserver: a watch falls silent", file=sys.stderr, flush=True)
            try:
                while self.rfile.read(1):
                    pass
            except OSError:
                pass
            self.close_connection = True
            return
        if server.mode == "content-length" and server.take_lie():
            body = b""
            while True:
                line = response.readline()
                body += line
                if not line or b'"BOOKMARK"' not in line[:40]:
                    break
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print("lying-apiserver: told a content-length lie", file=sys.stderr, flush=True)
            upstream.close()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            while True:
                line = response.readline()
                if not line:
                    break
                chunks, drop = [line], False
                if server.mode != "content-length" and b'"BOOKMARK"' not in line[:40] and server.take_lie():
                    chunks, drop = lie_lines(server.mode, line)
                    print(f"lying-apiserver: told a {server.mode} lie", file=sys.stderr, flush=True)
                for chunk in chunks:
                    if drop:
                        # Announce the whole line in the chunk header, send half, close: a cut mid-chunk.
                        self.wfile.write(b"%x\r\n" % (len(chunk) * 2) + chunk)
                    else:
                        self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                self.wfile.flush()
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        finally:
            upstream.close()


class LyingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, mode, upstream, ca):
        super().__init__(address, Handler)
        self.mode = mode
        self.upstream_host, port = upstream.rsplit(":", 1)
        self.upstream_port = int(port)
        self.upstream_tls = ssl.create_default_context(cafile=ca)
        self.lied = False
        self.lock = threading.Lock()

    def take_lie(self):
        with self.lock:
            if self.lied:
                return False
            self.lied = True
            return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="host:port of the real apiserver")
    parser.add_argument("--ca", required=True, help="CA that signed the apiserver's serving certificate")
    parser.add_argument("--cert", required=True, help="serving certificate for 127.0.0.1")
    parser.add_argument("--key", required=True)
    parser.add_argument("--lie", required=True,
                        choices=["garble", "unknown-type", "wrong-kind", "oversize", "cut", "content-length",
                                 "silent-watch"])
    args = parser.parse_args()
    server = LyingServer(("127.0.0.1", args.port), args.lie, args.upstream, args.ca)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    print(f"lying-apiserver: listening on 127.0.0.1:{args.port}, lie {args.lie}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
