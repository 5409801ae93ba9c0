#!/usr/bin/env python3
# bench/nullstore.py PORT_FILE: the least an S3 server can do for `redis-archiver backup`, to measure the
# archiver without the store's CPU. Listens on 127.0.0.1 (a free port, written to PORT_FILE). Small objects
# (records) are kept in memory; UploadPart bodies are read into one reused buffer and dropped; Complete
# makes an object of the parts' total size that HEAD reports. No signature is checked. Benchmark use only.
#
# Options (after PORT_FILE):
#   --crc32c       behave like AWS S3 with checksums: an UploadPart with x-amz-checksum-crc32c is checked
#                  (400 BadDigest when the body does not match) and the checksum is echoed in the answer;
#                  an upload created with x-amz-checksum-algorithm CRC32C needs x-amz-checksum-crc32c on
#                  every part and the same <ChecksumCRC32C> per part in Complete (else 400 InvalidRequest
#                  / InvalidPart, as AWS answers)
#   --refuse-checksum WHERE
#                  behave like a store without checksum support: `create` refuses a CreateMultipartUpload
#                  with x-amz-checksum-algorithm and an UploadPart with x-amz-checksum-crc32c (400
#                  InvalidArgument "Unsupported header ...", Backblaze B2's answer); `part` takes (and
#                  ignores) the algorithm but refuses the part (501 NotImplemented "Header ... not
#                  implemented", Cloudflare R2's answer); `complete` ignores both headers but refuses a
#                  Complete that lists <ChecksumCRC32C> (400 MalformedXML, a strict schema)
#   --corrupt N    damage the first attempt at part N on arrival (one byte flipped before checking)
#   --log FILE     one JSON line per answered request: method, path, query, headers, status, and start and
#                  end times (the integration peer)
#   --crc-lib SO   compute CRC-32C with ra_crc32c from this shared library (the benchmark: Python's own
#                  table loop takes ~0.1 s per MiB); the default is the independent Python table
import base64
import json
import struct
import ctypes
import http.server
import socketserver
import re
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

LOCK = threading.Lock()
OPTS = {"crc32c": False, "corrupt": 0, "log": None, "lib": None, "refuse": None}
CORRUPTED = set()  # parts damaged once already


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_TABLE = _table()


def crc32c_update(crc, data):
    """Register form (no inversion) over data (bytes-like)."""
    if OPTS["lib"] is not None:
        n = len(data)
        buf = (ctypes.c_char * n).from_buffer(data) if n else None
        return (~OPTS["lib"].ra_crc32c(~crc & 0xFFFFFFFF, buf, n)) & 0xFFFFFFFF
    t = CRC_TABLE
    for b in bytes(data):
        crc = (crc >> 8) ^ t[(crc ^ b) & 0xFF]
    return crc


def b64crc(reg):
    return base64.b64encode(struct.pack(">I", reg ^ 0xFFFFFFFF)).decode()
OBJECTS = {}  # key -> (bytes or None, size, mtime, etag)
UPLOADS = {}  # upload id -> [key, {part: size}, algorithm or None, {part: crc32c base64}]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    buf = None

    def log_message(self, *_):
        pass

    def reply(self, status=200, body=b"", headers=()):
        self.log_answer(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def xml(self, text):
        self.reply(200, ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode(), [("Content-Type", "application/xml")])

    def body(self, keep, crc=None, corrupt=False):
        """The body: kept, or read into one reused buffer and dropped; with crc (a list holding the
        register), its CRC-32C is computed on the way (the first byte flipped when corrupt)."""
        n = int(self.headers.get("Content-Length", "0"))
        if keep:
            return self.rfile.read(n)
        if self.buf is None:
            self.raw = bytearray(1 << 20)
            self.buf = memoryview(self.raw)
        left = n
        while left > 0:
            got = self.rfile.readinto(self.buf[: min(left, len(self.buf))])
            if not got:
                break
            if crc is not None:
                if corrupt:
                    self.raw[0] ^= 0x01
                    corrupt = False
                crc[0] = crc32c_update(crc[0], self.buf[:got])
            left -= got
        return n

    def log_request_line(self):
        """Note the request; it is logged with its start and end times when answered (reply)."""
        u = urlsplit(self.path)
        self.rec = {"method": self.command, "path": unquote(u.path), "query": u.query, "start": time.time(),
                    "headers": {k.lower(): v for k, v in self.headers.items()}}

    def log_answer(self, status):
        rec = getattr(self, "rec", None)
        if OPTS["log"] is None or rec is None:
            return
        rec["end"], rec["status"], self.rec = time.time(), status, None
        with LOCK:
            with open(OPTS["log"], "a") as f:
                f.write(json.dumps(rec) + "\n")

    def target(self):
        self.log_request_line()
        u = urlsplit(self.path)
        parts = u.path.lstrip("/").split("/", 1)
        return unquote(parts[1]) if len(parts) > 1 else "", parse_qs(u.query, keep_blank_values=True)

    def refuse(self, header, value):
        """A store without checksum support answers a request that carries `header`."""
        if OPTS["refuse"] == "create":
            return self.reply(400, ("<Error><Code>InvalidArgument</Code><Message>Unsupported header '%s' received "
                                    "for this API call.</Message></Error>" % header).encode())
        return self.reply(501, ("<Error><Code>NotImplemented</Code><Message>Header '%s' with value '%s' not "
                                "implemented</Message></Error>" % (header, escape(value))).encode())

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
            part = int(q["partNumber"][0])
            sent = self.headers.get("x-amz-checksum-crc32c") if OPTS["crc32c"] else None
            corrupt = False
            if sent is not None and OPTS["corrupt"] == part:
                with LOCK:
                    corrupt = part not in CORRUPTED
                    CORRUPTED.add(part)
            crc = [0xFFFFFFFF] if sent is not None else None
            n = self.body(False, crc, corrupt)
            with LOCK:
                up = UPLOADS.get(q.get("uploadId", [""])[0])
            if up is None:
                return self.reply(404, b"<Error><Code>NoSuchUpload</Code></Error>")
            if OPTS["refuse"] in ("create", "part") and self.headers.get("x-amz-checksum-crc32c") is not None:
                return self.refuse("x-amz-checksum-crc32c", self.headers.get("x-amz-checksum-crc32c"))
            if OPTS["crc32c"] and up[2] == "CRC32C" and sent is None:
                return self.reply(400, b"<Error><Code>InvalidRequest</Code><Message>Checksum Type mismatch occurred, "
                                  b"expected checksum Type: crc32c, actual checksum Type: null</Message></Error>")
            headers = [("ETag", '"%032x"' % n)]
            if sent is not None:
                if b64crc(crc[0]) != sent:
                    return self.reply(400, b"<Error><Code>BadDigest</Code><Message>The CRC32C you specified did "
                                      b"not match the calculated checksum.</Message></Error>")
                headers.append(("x-amz-checksum-crc32c", sent))
            with LOCK:
                up[1][part] = n
                if sent is not None:
                    up[3][part] = sent
            return self.reply(200, b"", headers)
        data = self.body(True)
        with LOCK:
            OBJECTS[key] = (data, len(data), time.time(), '"%032x"' % len(data))
        self.reply(200, b"", [("ETag", '"%032x"' % len(data))])

    def do_POST(self):
        key, q = self.target()
        body = self.body(True)
        if "uploads" in q:
            algorithm = self.headers.get("x-amz-checksum-algorithm")
            if OPTS["refuse"] == "create" and algorithm is not None:
                return self.refuse("x-amz-checksum-algorithm", algorithm)
            if OPTS["refuse"]:
                algorithm = None  # not supported: ignored
            i = uuid.uuid4().hex
            with LOCK:
                UPLOADS[i] = [key, {}, algorithm, {}]
            return self.xml("<InitiateMultipartUploadResult><Key>%s</Key><UploadId>%s</UploadId>"
                            "</InitiateMultipartUploadResult>" % (escape(key), i))
        if OPTS["refuse"] == "complete" and b"<ChecksumCRC32C>" in body:
            return self.reply(400, b"<Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed "
                              b"or did not validate against our published schema</Message></Error>")
        if OPTS["crc32c"]:
            with LOCK:
                up = UPLOADS.get(q.get("uploadId", [""])[0])
            if up is not None and up[2] == "CRC32C":
                text = body.decode("utf-8", "replace")
                given = dict(re.findall(r"<PartNumber>(\d+)</PartNumber>.*?<ChecksumCRC32C>([^<]*)</ChecksumCRC32C>",
                                        text, re.S))
                # AWS's words (apache/opendal#4580); a wrong value is InvalidPart
                for p, c in sorted(up[3].items()):
                    if str(p) not in given:
                        return self.reply(400, ("<Error><Code>InvalidRequest</Code><Message>The upload was created "
                                                "using a crc32c checksum. The complete request must include the "
                                                "checksum for each part. It was missing for part %d in the request."
                                                "</Message></Error>" % p).encode())
                    if given[str(p)] != c:
                        return self.reply(400, b"<Error><Code>InvalidPart</Code><Message>One or more of the specified "
                                          b"parts could not be found. The part may not have been uploaded, or the "
                                          b"specified entity tag may not match the part's entity tag.</Message></Error>")
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
    args = sys.argv[2:]
    while args:
        a = args.pop(0)
        if a == "--crc32c":
            OPTS["crc32c"] = True
        elif a == "--refuse-checksum":
            OPTS["refuse"] = args.pop(0)
            if OPTS["refuse"] not in ("create", "part", "complete"):
                sys.exit("nullstore.py: --refuse-checksum takes create, part or complete")
        elif a == "--corrupt":
            OPTS["corrupt"] = int(args.pop(0))
        elif a == "--log":
            OPTS["log"] = args.pop(0)
        elif a == "--crc-lib":
            lib = ctypes.CDLL(args.pop(0))
            lib.ra_crc32c.restype = ctypes.c_uint32
            lib.ra_crc32c.argtypes = [ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]
            OPTS["lib"] = lib
        else:
            sys.exit("nullstore.py: unknown option " + a)
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write("%d\n" % srv.server_address[1])
    srv.serve_forever()
