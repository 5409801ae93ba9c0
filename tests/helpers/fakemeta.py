#!/usr/bin/env python3
# tests/helpers/fakemeta.py: loopback fakes of the AWS credential endpoints (python3 stdlib only).
#
# usage: fakemeta.py --mode imds|container|sts-proxy [--port-file F] [--log F] [--life SECONDS]
#                    [--upstream URL]
#
#   imds       EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (with the
#              X-aws-ec2-metadata-token-ttl-seconds header) gives a session token; every GET must carry it in
#              X-aws-ec2-metadata-token (else 401). /latest/meta-data/iam/security-credentials/ names the role,
#              /latest/meta-data/iam/security-credentials/ROLE gives the credentials.
#   container  the ECS / EKS Pod Identity endpoint: any GET path; the Authorization header must equal
#              $FAKE_AUTH_TOKEN (when set), else 401.
#   sts-proxy  forwards POST / to --upstream (moto's STS) and hands its answer back with AccessKeyId and
#              SecretAccessKey replaced by the fake's keys (moto's own random keys would be refused by a store
#              that checks signatures); its SessionToken is kept, its Expiration replaced when --life is given.
#
# The credentials handed out are $FAKE_ACCESS_KEY / $FAKE_SECRET_KEY (from the environment, never argv), with a
# session token that changes at each handout ("fake-token-N") and an Expiration --life seconds ahead (default
# 3600). Each handout appends "creds N" to --log; every request appends "METHOD PATH STATUS".
# Listens on 127.0.0.1 only, on a free port written to --port-file.
import argparse
import datetime
import os
import re
import secrets
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "ra-test-role"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True, choices=["imds", "container", "sts-proxy"])
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--life", type=int, default=None)
    ap.add_argument("--upstream")
    args = ap.parse_args()
    ak, sk = os.environ.get("FAKE_ACCESS_KEY", ""), os.environ.get("FAKE_SECRET_KEY", "")
    auth = os.environ.get("FAKE_AUTH_TOKEN")
    lock = threading.Lock()
    state = {"handouts": 0, "tokens": set()}

    def log(line):
        if args.log:
            with lock, open(args.log, "a") as f:
                f.write(line + "\n")

    def expiration():
        life = args.life if args.life is not None else 3600
        t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=life)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def handout():
        with lock:
            state["handouts"] += 1
            n = state["handouts"]
        log("creds %d" % n)
        return n

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body, ctype="text/plain"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            log("%s %s %d" % (self.command, self.path, status))

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def creds_json(self, extra):
            n = handout()
            d = dict(extra)
            d.update({"AccessKeyId": ak, "SecretAccessKey": sk, "Token": "fake-token-%d" % n,
                      "Expiration": expiration()})
            import json
            return json.dumps(d)

        def do_PUT(self):
            self.body()
            if args.mode == "imds" and self.path == "/latest/api/token":
                if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self.answer(400, "missing X-aws-ec2-metadata-token-ttl-seconds")
                tok = secrets.token_hex(16)
                with lock:
                    state["tokens"].add(tok)
                return self.answer(200, tok)
            self.answer(404, "not found")

        def do_GET(self):
            if args.mode == "imds":
                with lock:
                    ok = self.headers.get("X-aws-ec2-metadata-token") in state["tokens"]
                if not ok:
                    return self.answer(401, "IMDSv2 session token required")
                base = "/latest/meta-data/iam/security-credentials/"
                if self.path == base:
                    return self.answer(200, ROLE)
                if self.path == base + ROLE:
                    return self.answer(200, self.creds_json({"Code": "Success", "Type": "AWS-HMAC",
                                                             "LastUpdated": expiration()}), "application/json")
                return self.answer(404, "not found")
            if args.mode == "container":
                if auth is not None and self.headers.get("Authorization") != auth:
                    return self.answer(401, '{"message": "bad authorization token"}', "application/json")
                return self.answer(200, self.creds_json({"RoleArn": "arn:aws:iam::123456789012:role/" + ROLE}),
                                   "application/json")
            self.answer(404, "not found")

        def do_POST(self):
            data = self.body()
            if args.mode != "sts-proxy":
                return self.answer(404, "not found")
            fwd = {k: self.headers[k] for k in ("Content-Type", "Authorization", "X-Amz-Date", "X-Amz-Security-Token")
                   if self.headers.get(k)}
            req = urllib.request.Request(args.upstream.rstrip("/") + "/", data=data, method="POST", headers=fwd)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    status, text = r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                status, text = e.code, e.read().decode()
            if status == 200 and "<Credentials>" in text:
                handout()
                text = re.sub(r"<AccessKeyId>[^<]*</AccessKeyId>", "<AccessKeyId>%s</AccessKeyId>" % ak, text, 1)
                text = re.sub(r"<SecretAccessKey>[^<]*</SecretAccessKey>",
                              "<SecretAccessKey>%s</SecretAccessKey>" % sk, text, 1)
                if args.life is not None:
                    text = re.sub(r"<Expiration>[^<]*</Expiration>", "<Expiration>%s</Expiration>" % expiration(),
                                  text, 1)
                m = re.search(rb"(?:^|&)Action=([A-Za-z]+)", data)
                log("sts %s%s" % (m.group(1).decode() if m else "?",
                                  " signed" if self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 ")
                                  else ""))
            self.answer(status, text, "text/xml")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print("PORT %d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
