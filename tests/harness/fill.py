# tests/harness/fill.py: writes RESP commands for N sample keys of mixed types to stdout, for `redis-cli --pipe`.
# usage: fill.py N [PREFIX]
# Values are random bytes (incompressible) so RDB sizes are realistic; key shapes are chosen so that the RDB holds
# several encodings (plain and int strings, listpack and hashtable hashes, intset and hashtable sets, lists,
# zsets, a stream, keys with a TTL).
import os
import random
import sys


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def main():
    n = int(sys.argv[1])
    prefix = sys.argv[2] if len(sys.argv) > 2 else "k"
    rnd = random.Random(prefix + ":" + str(n))  # shapes are reproducible; byte values are not (urandom)
    w = sys.stdout.buffer
    buf = []
    size = 0

    def emit(cmd):
        nonlocal size
        buf.append(cmd)
        size += len(cmd)
        if size > 1 << 20:
            w.write(b"".join(buf))
            buf.clear()
            size = 0

    for i in range(n):
        kind = i % 10
        if kind <= 3:
            emit(resp("SET", "%s:str:%d" % (prefix, i), os.urandom(rnd.randint(1, 2048))))
        elif kind == 4:
            emit(resp("SET", "%s:int:%d" % (prefix, i), rnd.randint(-(1 << 40), 1 << 40)))
        elif kind == 5:
            fields = rnd.choice((4, 16, 200))  # 200 fields: hashtable encoding, else listpack
            args = ["HSET", "%s:hash:%d" % (prefix, i)]
            for f in range(fields):
                args += ["f%d" % f, os.urandom(rnd.randint(1, 64))]
            emit(resp(*args))
        elif kind == 6:
            args = ["RPUSH", "%s:list:%d" % (prefix, i)]
            args += [os.urandom(rnd.randint(1, 128)) for _ in range(rnd.randint(1, 40))]
            emit(resp(*args))
        elif kind == 7:
            args = ["SADD", "%s:set:%d" % (prefix, i)]
            if i % 20 == 7:  # integers only: intset encoding
                args += [rnd.randint(0, 1 << 30) for _ in range(rnd.randint(1, 50))]
            else:
                args += [os.urandom(rnd.randint(1, 32)) for _ in range(rnd.randint(1, 50))]
            emit(resp(*args))
        elif kind == 8:
            args = ["ZADD", "%s:zset:%d" % (prefix, i)]
            for _ in range(rnd.randint(1, 40)):
                args += ["%.3f" % rnd.uniform(-1e6, 1e6), os.urandom(rnd.randint(1, 32))]
            emit(resp(*args))
        else:  # a key with a TTL far enough in the future to survive any test
            emit(resp("SET", "%s:ttl:%d" % (prefix, i), os.urandom(rnd.randint(1, 512)), "EX", 86400))
    # one stream, explicit IDs so it is the same wherever it is replayed
    for e in range(max(5, n // 20)):
        emit(resp("XADD", "%s:stream" % prefix, "%d-1" % (e + 1), "n", e, "payload", os.urandom(rnd.randint(1, 100))))
    w.write(b"".join(buf))
    w.flush()


if __name__ == "__main__":
    main()
