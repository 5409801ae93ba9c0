# tests/harness/cluster_route.py: splits RESP commands (fill.py's output, on stdin) by the hash slot of their
# key into OUT_DIR/<port>.resp, one file per master, as CLUSTER NODES of the node on PORT assigns the slots.
# usage: fill.py N PFX | cluster_route.py OUT_DIR PORT
import os, subprocess, sys
out_dir, first = sys.argv[1], sys.argv[2]
def crc16(b):
    crc = 0
    for x in b:
        crc ^= x << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc
def slot(k):
    s = k.find(b"{")
    if s >= 0:
        e = k.find(b"}", s + 1)
        if e > s + 1:
            k = k[s + 1:e]
    return crc16(k) % 16384
owner = [None] * 16384  # slot -> port of its master, from CLUSTER NODES
nodes = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", first, "cluster", "nodes"], capture_output=True,
                       check=True).stdout.decode()
for line in nodes.splitlines():
    f = line.split()
    if len(f) < 8 or "master" not in f[2].split(","):
        continue
    port = f[1].split("@")[0].rsplit(":", 1)[1]
    for r in f[8:]:
        if r.startswith("["):
            continue
        a, _, b = r.partition("-")
        for s in range(int(a), int(b or a) + 1):
            owner[s] = port
data = sys.stdin.buffer.read()
files = {}
i = 0
while i < len(data):
    # *N\r\n then N x $L\r\nBYTES\r\n
    j = data.index(b"\r\n", i)
    argc = int(data[i + 1:j])
    p = j + 2
    args = []
    for _ in range(argc):
        j = data.index(b"\r\n", p)
        ln = int(data[p + 1:j])
        args.append(data[j + 2:j + 2 + ln])
        p = j + 2 + ln + 2
    port = owner[slot(args[1])] if len(args) > 1 else None
    if port is None:
        sys.exit("no master owns the slot of %r" % args[1][:40])
    files.setdefault(port, []).append(data[i:p])
    i = p
for port, cmds in files.items():
    with open(os.path.join(out_dir, port + ".resp"), "wb") as f:
        f.write(b"".join(cmds))
