#!/usr/bin/env python3
"""hookd.py PORTFILE OUTDIR [FAIL_FIRST]: a loopback HTTP listener for notify-url tests. Each POST body is
saved as OUTDIR/<n>.json (and its headers as <n>.headers); the first FAIL_FIRST requests get a 503 (to
exercise retries). Writes the port it bound to PORTFILE."""
import http.server
import os
import sys

portfile, outdir = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = [0]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        seen[0] += 1
        if seen[0] <= fail_first:
            self.send_response(503)
            self.end_headers()
            return
        k = len([f for f in os.listdir(outdir) if f.endswith(".json")]) + 1
        with open(os.path.join(outdir, "%d.headers" % k), "w") as f:
            f.write("%s %s\n%s" % (self.command, self.path, self.headers))
        with open(os.path.join(outdir, "%d.json" % k), "wb") as f:
            f.write(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
