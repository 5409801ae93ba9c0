#!/usr/bin/env python3
# bench/nullstore.py PORT_FILE: the least an S3 server can do for `redis-archiver backup`, to measure the
# archiver without the store's CPU. Listens on 127.0.0.1 (a free port, written to PORT_FILE). Small objects
# (records) are kept in memory; UploadPart bodies are read into one reused buffer and dropped; Complete
# makes an object of the parts' total size that HEAD reports. No signature is checked. Benchmark use only.
import http.server
import socketserver
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

LOCK = threading.Lock()
OBJECTS = {}  # key -> (bytes or None, size, mtime, etag)
UPLOADS = {}  # upload id -> [key, {part: size}]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    buf = None

    def log_message(self, *_):
        pass

    def reply(self, status=200, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def xml(self, text):
        self.reply(200, ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode(), [("Content-Type", "application/xml")])

    def body(self, keep):
        n = int(self.headers.get("Content-Length", "0"))
        if keep:
            return self.rfile.read(n)
        if self.buf is None:
            self.buf = memoryview(bytearray(1 << 20))
        left = n
        while left > 0:
            got = self.rfile.readinto(self.buf[: min(left, len(self.buf))])
            if not got:
                break
            left -= got
        return n

    def target(self):
        u = urlsplit(self.path)
        parts = u.path.lstrip("/").split("/", 1)
        return unquote(parts[1]) if len(parts) > 1 else "", parse_qs(u.query, keep_blank_values=True)

    def do_GET(self):
        key, q = self.target()
        if key:
            with LOCK:
                o = OBJECTS.get(key)
            if o is None or o[0] is None:
                return self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")
            return self.reply(200, o[0], [("ETag", o[3]), ("Content-Type", "application/octet-stream")])
        prefix = q.get("prefix", [""])[0]
        if "uploads" in q:
            with LOCK:
                ups = [(k, i) for i, (k, _) in UPLOADS.items() if k.startswith(prefix)]
            items = "".join("<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiated>%s</Initiated></Upload>"
                            % (escape(k), i, iso(time.time())) for k, i in ups)
            return self.xml("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>%s"
                            "</ListMultipartUploadsResult>" % items)
        if q.get("max-keys", [""])[0] == "0":
            return self.xml("<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>")
        with LOCK:
            objs = sorted((k, o) for k, o in OBJECTS.items() if k.startswith(prefix))
        items = "".join("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size>"
                        "</Contents>" % (escape(k), iso(o[2]), escape(o[3]), o[1]) for k, o in objs)
        self.xml("<ListBucketResult><KeyCount>%d</KeyCount><IsTruncated>false</IsTruncated>%s</ListBucketResult>"
                 % (len(objs), items))

    def do_HEAD(self):
        key, _ = self.target()
        with LOCK:
            o = OBJECTS.get(key)
        if o is None:
            return self.reply(404)
        self.send_response(200)
        self.send_header("Content-Length", str(o[1]))
        self.send_header("ETag", o[3])
        self.send_header("Last-Modified", self.date_time_string(o[2]))
        self.end_headers()

    def do_PUT(self):
        key, q = self.target()
        if "partNumber" in q:
            n = self.body(False)
            with LOCK:
                up = UPLOADS.get(q.get("uploadId", [""])[0])
                if up is not None:
                    up[1][int(q["partNumber"][0])] = n
            if up is None:
                return self.reply(404, b"<Error><Code>NoSuchUpload</Code></Error>")
            return self.reply(200, b"", [("ETag", '"%032x"' % n)])
        data = self.body(True)
        with LOCK:
            OBJECTS[key] = (data, len(data), time.time(), '"%032x"' % len(data))
        self.reply(200, b"", [("ETag", '"%032x"' % len(data))])

    def do_POST(self):
        key, q = self.target()
        self.body(True)
        if "uploads" in q:
            i = uuid.uuid4().hex
            with LOCK:
                UPLOADS[i] = [key, {}]
            return self.xml("<InitiateMultipartUploadResult><Key>%s</Key><UploadId>%s</UploadId>"
                            "</InitiateMultipartUploadResult>" % (escape(key), i))
        with LOCK:
            up = UPLOADS.pop(q.get("uploadId", [""])[0], None)
            if up is not None:
                etag = '"%032x-%d"' % (sum(up[1].values()), len(up[1]))
                OBJECTS[key] = (None, sum(up[1].values()), time.time(), etag)
        if up is None:
            return self.reply(404, b"<Error><Code>NoSuchUpload</Code></Error>")
        self.xml("<CompleteMultipartUploadResult><Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>"
                 % (escape(key), escape(etag)))

    def do_DELETE(self):
        key, q = self.target()
        with LOCK:
            if "uploadId" in q:
                UPLOADS.pop(q["uploadId"][0], None)
            else:
                OBJECTS.pop(key, None)
        self.reply(204)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write("%d\n" % srv.server_address[1])
    srv.serve_forever()
