#!/usr/bin/env python3
# tests/helpers/faultproxy.py: fault-injecting HTTP/1.1 proxy for loopback S3 tests (python3 stdlib only).
#
# usage: faultproxy.py --upstream http://127.0.0.1:PORT [--port N] [--port-file F] [--log F] [--rules F]
#                      [--tls-cert PEM --tls-key PEM]
#
# With --tls-cert/--tls-key it serves https (TLS terminated here, plain http upstream): an https S3
# endpoint in front of a store that only speaks http.
#
# Listens on 127.0.0.1 only (port 0 = any free one; the port is printed as "PORT n" and written to
# --port-file), forwards every request byte for byte (Host header untouched: the client signs for the
# proxy's host:port) over one upstream connection per client connection, so keep-alive and 16 MiB bodies
# cost one copy through a 1 MiB buffer. Requests whose path starts with /__faultproxy/ are control requests:
#
#   GET    /__faultproxy/ping            -> "pong"
#   PUT    /__faultproxy/rules           body: rule lines, replace all rules (and their match counters)
#   POST   /__faultproxy/rules           body: rule lines, appended
#   DELETE /__faultproxy/rules           no rules: plain forwarding
#   GET    /__faultproxy/rules           the rules with their match and fire counts
#   GET    /__faultproxy/count?m=METHOD&q=SUBSTRING   how many requests were seen (METHOD and q optional)
#   GET    /__faultproxy/log             one line per request seen: "seq METHOD TARGET STATUS ACTION"
#   POST   /__faultproxy/reset           forget the log and counters (rules stay)
#
# A rule line:   METHOD MATCH ACTION [WHEN] [BODY]      ('#' starts a comment)
#   METHOD  GET PUT POST DELETE HEAD or * (any)
#   MATCH   a substring of the request target (path?query), e.g. "?uploads", "partNumber=3", "uploadId=";
#           "~REGEX" for a regular expression; "*" for any target
#   ACTION  error:STATUS[:CODE]  answer STATUS with an S3 XML error body (CODE default: InternalError for
#                                5xx, SlowDown for 503, AccessDenied otherwise); the request body is read first
#           reset                read half of the request body, then reset the connection (RST)
#           reset-response       forward the request, send half of the response, then RST
#           delay:SECONDS        wait, then forward (fractions allowed)
#           drop                 close the connection without answering (nothing read beyond the headers)
#           skew:SECONDS         pretend the server clock is SECONDS ahead (negative: behind): a request whose
#                                x-amz-date is more than 300 s away from that clock gets 403
#                                RequestTimeTooSkewed with a Date header of that clock; others are forwarded
#           pass                 forward (useful to count, or to shield later rules)
#   WHEN    every (default) | nth=N (only the Nth match, 1-based) | first=N (the first N matches)
#           | after=N (every match after the Nth)
#   BODY    body:SUBSTRING | body~REGEX: the rule fits only a request whose body (as sent, read whole before
#           the rule decides) holds it, e.g. "PUT ?lifecycle error:501:NotImplemented body:<Tag>" refuses a
#           lifecycle rule that filters on tags and lets the others through
# The first rule whose METHOD and MATCH fit a request is the one that counts it and decides (a rule whose
# WHEN does not fire forwards the request unchanged).
import argparse
import email.utils
import os
import re
import select
import socket
import socketserver
import struct
import sys
import threading
import time
import calendar
from urllib.parse import parse_qs, urlsplit

BUF = 1 << 20
CONTROL = "/__faultproxy/"
SKEW_TOLERANCE = 300


class Rule:
    def __init__(self, line):
        parts = line.split()
        self.body = None  # None, or a function of the body text
        if len(parts) > 3 and parts[-1].startswith(("body:", "body~")):
            b = parts.pop()
            if b.startswith("body:"):
                sub = b[5:]
                self.body = lambda t: sub in t
            else:
                brx = re.compile(b[5:])
                self.body = lambda t: brx.search(t) is not None
        if len(parts) < 3 or len(parts) > 4:
            raise ValueError("rule needs METHOD MATCH ACTION [WHEN] [BODY]: %r" % line)
        self.text = line.strip()
        self.method = parts[0].upper()
        m = parts[1]
        if m == "*":
            self.match = lambda t: True
        elif m.startswith("~"):
            rx = re.compile(m[1:])
            self.match = lambda t: rx.search(t) is not None
        else:
            self.match = lambda t: m in t
        a = parts[2].split(":")
        self.action = a[0]
        self.args = a[1:]
        if self.action not in ("error", "reset", "reset-response", "delay", "drop", "skew", "pass"):
            raise ValueError("unknown action %r" % parts[2])
        if self.action == "error":
            self.status = int(self.args[0]) if self.args else 500
            if len(self.args) > 1:
                self.code = self.args[1]
            elif self.status == 503:
                self.code = "SlowDown"
            elif self.status >= 500:
                self.code = "InternalError"
            else:
                self.code = "AccessDenied"
        elif self.action in ("delay", "skew"):
            if not self.args:
                raise ValueError("%s needs :SECONDS" % self.action)
            self.seconds = float(self.args[0])
        self.when = parts[3] if len(parts) == 4 else "every"
        w = self.when.split("=")
        if w[0] not in ("every", "nth", "first", "after") or (w[0] != "every" and len(w) != 2):
            raise ValueError("bad WHEN %r" % self.when)
        self.when_kind = w[0]
        self.when_n = int(w[1]) if len(w) == 2 else 0
        self.matched = 0
        self.fired = 0

    def fits(self, method, target, body=None):
        if not ((self.method == "*" or self.method == method) and self.match(target)):
            return False
        return self.body is None or (body is not None and self.body(body))

    def fires(self, n):
        k = self.when_kind
        if k == "every":
            return True
        if k == "nth":
            return n == self.when_n
        if k == "first":
            return n <= self.when_n
        return n > self.when_n


def parse_rules(text):
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            continue
        line = re.split(r"\s#", line, 1)[0].strip()
        if line:
            rules.append(Rule(line))
    return rules


class State:
    def __init__(self, logpath):
        self.lock = threading.Lock()
        self.rules = []
        self.log = []  # (seq, method, target, status, action)
        self.seq = 0
        self.logfile = open(logpath, "a", buffering=1) if logpath else None

    def wants_body(self, method, target):
        """Does a rule with a BODY condition fit the method and target (then the body is read first)?"""
        with self.lock:
            return any(r.body is not None and
                       (r.method == "*" or r.method == method) and r.match(target) for r in self.rules)

    def decide(self, method, target, body=None):
        """Count a request; return (seq, rule or None) where rule is the rule that fires."""
        with self.lock:
            self.seq += 1
            seq = self.seq
            for r in self.rules:
                if r.fits(method, target, body):
                    r.matched += 1
                    if r.fires(r.matched):
                        r.fired += 1
                        return seq, r
                    return seq, None
            return seq, None

    def record(self, seq, method, target, status, action):
        with self.lock:
            self.log.append((seq, method, target, status, action))
            if self.logfile:
                self.logfile.write("%d %s %s %s %s\n" % (seq, method, target, status, action))


class Closed(Exception):
    pass


def recv_head(sock, buf):
    """Read until CRLFCRLF. buf is a bytearray of bytes already read; returns (head, rest)."""
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            return bytes(buf[: i + 4]), bytearray(buf[i + 4:])
        if len(buf) > 256 * 1024:
            raise Closed("header too large")
        chunk = sock.recv(65536)
        if not chunk:
            raise Closed("eof")
        buf += chunk


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for l in lines[1:]:
        if not l:
            continue
        k, _, v = l.partition(":")
        headers.append((k.strip().lower(), v.strip()))
    return first, headers


def hget(headers, name, default=None):
    for k, v in headers:
        if k == name:
            return v
    return default


def sendall(sock, data):
    if data:
        sock.sendall(data)


class Body:
    """Copies a message body (Content-Length or chunked) from src to dst (dst None = discard)."""

    @staticmethod
    def copy_length(src, rest, n, dst, limit=None):
        """Copy n bytes (rest first); stop after `limit` bytes if given. Returns leftover bytes."""
        sent = 0
        stop = n if limit is None else min(n, limit)
        take = min(len(rest), stop)
        if dst is not None and take:
            dst.sendall(bytes(rest[:take]))
        sent = take
        leftover = bytearray(rest[take:]) if take == n else bytearray()
        if sent >= stop:
            return leftover
        mv = memoryview(bytearray(BUF))
        while sent < stop:
            k = src.recv_into(mv, min(BUF, stop - sent))
            if k == 0:
                raise Closed("eof in body")
            if dst is not None:
                dst.sendall(mv[:k])
            sent += k
        return bytearray()

    @staticmethod
    def copy_chunked(src, rest, dst):
        buf = bytearray(rest)

        def need_line():
            nonlocal buf
            while True:
                i = buf.find(b"\r\n")
                if i >= 0:
                    line = bytes(buf[: i + 2])
                    buf = buf[i + 2:]
                    return line
                c = src.recv(65536)
                if not c:
                    raise Closed("eof in chunked body")
                buf += c

        while True:
            line = need_line()
            if dst is not None:
                dst.sendall(line)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers until the empty line
                    t = need_line()
                    if dst is not None:
                        dst.sendall(t)
                    if t == b"\r\n":
                        return buf
            buf = Body.copy_length(src, buf, size + 2, dst)


def amz_time(headers):
    v = hget(headers, "x-amz-date")
    if v:
        try:
            return calendar.timegm(time.strptime(v, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return None
    v = hget(headers, "date")
    if v:
        try:
            return email.utils.mktime_tz(email.utils.parsedate_tz(v))
        except (TypeError, ValueError):
            return None
    return None


def rst_close(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def xml_error(status, code, message, extra="", date=None, head_only=False):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
            "<RequestId>faultproxy</RequestId><HostId>faultproxy</HostId></Error>" % (code, message, extra)).encode()
    reason = {403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable",
              400: "Bad Request", 404: "Not Found", 501: "Not Implemented"}.get(status, "Error")
    head = "HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n" % (status, reason, len(body))
    head += "Date: %s\r\n" % email.utils.formatdate(date if date is not None else time.time(), usegmt=True)
    head += "Connection: keep-alive\r\n\r\n"
    return head.encode() + (b"" if head_only else body)  # a HEAD answer has no body, as from S3


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.up = None

    def finish(self):
        if self.up is not None:
            try:
                self.up.close()
            except OSError:
                pass

    def upstream(self):
        if self.up is not None:
            # a kept-alive upstream connection the server closed meanwhile: open a new one
            r, _, _ = select.select([self.up], [], [], 0)
            if r:
                try:
                    gone = self.up.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    gone = True
                if gone:
                    self.up.close()
                    self.up = None
        if self.up is None:
            self.up = socket.create_connection(self.server.upstream_addr, timeout=600)
            self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.up

    def handle(self):
        c = self.request
        buf = bytearray()
        try:
            while True:
                head, buf = recv_head(c, buf)
                keep = self.one(head, buf)
                if keep is None:
                    return
                buf = keep
        except (Closed, OSError, ValueError):
            return

    def read_body(self, headers, rest, dst, limit=None):
        te = (hget(headers, "transfer-encoding") or "").lower()
        if "chunked" in te:
            return Body.copy_chunked(self.request, rest, dst)
        n = int(hget(headers, "content-length", "0") or 0)
        return Body.copy_length(self.request, rest, n, dst, limit)

    def one(self, head, rest):
        """Serve one request; returns the bytes read past it (keep-alive) or None to close."""
        st = self.server.state
        first, headers = parse_head(head)
        try:
            method, target, version = first.split(" ", 2)
        except ValueError:
            return None
        if target.startswith(CONTROL):
            return self.control(method, target, headers, rest)
        c = self.request
        body = None
        continued = False
        if st.wants_body(method, target):
            # read the body as sent (raw) before deciding; it is then forwarded or discarded from `rest`
            if (hget(headers, "expect") or "").lower() == "100-continue":
                sendall(c, b"HTTP/1.1 100 Continue\r\n\r\n")
                continued = True
            raw = bytearray()
            left = self.read_body(headers, rest, _Collector(raw))
            rest = raw + left
            body = bytes(raw).decode("latin-1")
        seq, rule = st.decide(method, target, body)
        action = rule.action if rule else "pass"
        if (not continued and (hget(headers, "expect") or "").lower() == "100-continue"
                and action not in ("drop",)):
            sendall(c, b"HTTP/1.1 100 Continue\r\n\r\n")
        if action == "drop":
            st.record(seq, method, target, "-", "drop")
            c.shutdown(socket.SHUT_RDWR)
            c.close()
            return None
        if action == "reset":
            n = int(hget(headers, "content-length", "0") or 0)
            try:
                self.read_body(headers, rest, None, limit=n // 2)
            except Closed:
                pass
            st.record(seq, method, target, "-", "reset")
            rst_close(c)
            return None
        if action == "error":
            rest = self.read_body(headers, rest, None)
            sendall(c, xml_error(rule.status, rule.code, "injected by faultproxy", head_only=method == "HEAD"))
            st.record(seq, method, target, rule.status, "error:%s" % rule.code)
            return rest
        if action == "skew":
            server_now = time.time() + rule.seconds
            t = amz_time(headers)
            if t is None or abs(t - server_now) > SKEW_TOLERANCE:
                rest = self.read_body(headers, rest, None)
                rt = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t)) if t else ""
                st_ = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(server_now))
                sendall(c, xml_error(403, "RequestTimeTooSkewed",
                                     "The difference between the request time and the current time is too large.",
                                     "<RequestTime>%s</RequestTime><ServerTime>%s</ServerTime>" % (rt, st_),
                                     date=server_now, head_only=method == "HEAD"))
                st.record(seq, method, target, 403, "skew")
                return rest
            action = "pass(skew-ok)"
        if action == "delay":
            time.sleep(rule.seconds)
        return self.forward(seq, method, target, head, headers, rest, action)

    def forward(self, seq, method, target, head, headers, rest, action):
        st = self.server.state
        c = self.request
        try:
            up = self.upstream()
            up.sendall(head)
        except OSError as e:
            # the store is down: close without an answer, as a dead store would leave the client
            st.record(seq, method, target, "-", "upstream-error:%s" % type(e).__name__)
            return None
        rest = self.read_body(headers, rest, up)  # Closed / OSError here end the client connection
        # response: skip 1xx (the client already had our 100 Continue, if it asked)
        ubuf = bytearray()
        try:
            while True:
                rhead, ubuf = recv_head(up, ubuf)
                rfirst, rheaders = parse_head(rhead)
                status = int(rfirst.split(" ", 2)[1])
                if status >= 200:
                    break
        except (Closed, OSError) as e:
            st.record(seq, method, target, "-", "upstream-error:%s" % type(e).__name__)
            return None
        half = action == "reset-response"
        sendall(c, rhead)
        te = (hget(rheaders, "transfer-encoding") or "").lower()
        conn = (hget(rheaders, "connection") or "").lower()
        if method == "HEAD" or status in (204, 304):
            pass
        elif "chunked" in te:
            Body.copy_chunked(up, ubuf, c)
        elif hget(rheaders, "content-length") is not None:
            n = int(hget(rheaders, "content-length"))
            if half:
                Body.copy_length(up, ubuf, n, c, limit=n // 2)
                st.record(seq, method, target, status, "reset-response")
                rst_close(c)
                return None
            Body.copy_length(up, ubuf, n, c)
        else:  # until close
            sendall(c, bytes(ubuf))
            while True:
                d = up.recv(BUF)
                if not d:
                    break
                c.sendall(d)
            conn = "close"
        if half:  # no body to cut: cut right after the head
            st.record(seq, method, target, status, "reset-response")
            rst_close(c)
            return None
        st.record(seq, method, target, status, action)
        if conn == "close" or (hget(headers, "connection") or "").lower() == "close":
            return None
        return rest

    def control(self, method, target, headers, rest):
        st = self.server.state
        body = bytearray()
        if int(hget(headers, "content-length", "0") or 0) > 0:
            sink = _Collector(body)
            rest = self.read_body(headers, rest, sink)
        u = urlsplit(target)
        what = u.path[len(CONTROL):]
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        status, out = 200, ""
        try:
            if what == "ping":
                out = "pong\n"
            elif what == "rules" and method in ("PUT", "POST"):
                new = parse_rules(body.decode())
                with st.lock:
                    st.rules = new if method == "PUT" else st.rules + new
                out = "%d rules\n" % len(st.rules)
            elif what == "rules" and method == "DELETE":
                with st.lock:
                    st.rules = []
                out = "0 rules\n"
            elif what == "rules":
                with st.lock:
                    out = "".join("%s  # matched=%d fired=%d\n" % (r.text, r.matched, r.fired) for r in st.rules)
            elif what == "count":
                m = q.get("m", "*").upper()
                sub = q.get("q", "")
                with st.lock:
                    n = sum(1 for e in st.log if (m == "*" or e[1] == m) and sub in e[2])
                out = "%d\n" % n
            elif what == "log":
                with st.lock:
                    out = "".join("%d %s %s %s %s\n" % e for e in st.log)
            elif what == "reset" and method == "POST":
                with st.lock:
                    st.log = []
                    for r in st.rules:
                        r.matched = r.fired = 0
                out = "reset\n"
            else:
                status, out = 404, "unknown control request\n"
        except ValueError as e:
            status, out = 400, "%s\n" % e
        data = out.encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
        self.request.sendall(("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                              % (status, reason, len(data))).encode() + data)
        return rest


class _Collector:
    def __init__(self, b):
        self.b = b

    def sendall(self, d):
        self.b += d


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    tls = None  # ssl.SSLContext when serving https

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            # the handshake runs in the handler's thread, with its first read: a client that fails it
            # (an untrusted certificate) does not hold up the accept loop
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


def main():
    ap = argparse.ArgumentParser(description="fault-injecting HTTP proxy for loopback tests")
    ap.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", help="append one line per request to this file")
    ap.add_argument("--rules", help="file with initial rule lines")
    ap.add_argument("--pid-file")
    ap.add_argument("--tls-cert", help="serve https with this certificate (PEM chain)")
    ap.add_argument("--tls-key", help="its private key (PEM)")
    a = ap.parse_args()
    u = urlsplit(a.upstream)
    if u.scheme != "http" or not u.hostname:
        sys.exit("faultproxy: --upstream must be http://HOST:PORT")
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("faultproxy: upstream must be on loopback")
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.upstream_addr = (u.hostname, u.port or 80)
    if a.tls_cert:
        import ssl
        srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.tls.load_cert_chain(a.tls_cert, a.tls_key)
    srv.state = State(a.log)
    if a.rules:
        with open(a.rules) as f:
            srv.state.rules = parse_rules(f.read())
    port = srv.server_address[1]
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    print("PORT %d" % port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
