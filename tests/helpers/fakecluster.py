#!/usr/bin/env python3
"""fakecluster.py PORT MODE TARGET: a cluster node that serves every slot on paper and redirects each
RESTORE elsewhere: MODE moved answers "-MOVED <slot> TARGET", MODE ask "-ASK <slot> TARGET" (TARGET is
host:port of a real server that takes the key). INFO says cluster_enabled:1 and no keys; CLUSTER SLOTS
gives all slots to itself; anything else is +OK. For restore.sh: the archiver must follow the redirects."""
import socket
import sys
import threading

PORT, MODE, TARGET = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def slot(key):
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % 16384


def commands(conn):
    buf = b""
    while True:
        while True:
            if not buf.startswith(b"*") or b"\r\n" not in buf:
                break
            head, rest = buf.split(b"\r\n", 1)
            n, args, ok = int(head[1:]), [], True
            for _ in range(n):
                if b"\r\n" not in rest:
                    ok = False
                    break
                lenline, rest2 = rest.split(b"\r\n", 1)
                ln = int(lenline[1:])
                if len(rest2) < ln + 2:
                    ok = False
                    break
                args.append(rest2[:ln])
                rest = rest2[ln + 2:]
            if not ok:
                break
            buf = rest
            yield args
        data = conn.recv(1 << 20)
        if not data:
            return
        buf += data


def serve(conn):
    for args in commands(conn):
        cmd = args[0].upper()
        if cmd == b"INFO":
            info = b"# Server\r\nredis_version:7.0.15\r\n# Cluster\r\ncluster_enabled:1\r\n# Keyspace\r\n"
            conn.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
        elif cmd == b"CLUSTER":
            conn.sendall(b"*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n" % PORT)
        elif cmd == b"RESTORE":
            conn.sendall(b"-%s %d %s\r\n" % (MODE.upper().encode(), slot(args[1]), TARGET.encode()))
        else:
            conn.sendall(b"+OK\r\n")
    conn.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", PORT))
s.listen(8)
s.settimeout(60)
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
