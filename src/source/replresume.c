/* replresume.c - partial resynchronisation of an archive's link: the PSYNC answer line read byte-exact
 * off the socket (what follows it is the stream), nothing else. */
#include "source/replresume.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/resp.h"

#define LINE_MAX_BYTES 512
#define READ_CHUNK 65536

int ra_replresume_answer(const char *line, char newid[41], ra_err *err) {
    newid[0] = '\0';
    if (strncmp(line, "+FULLRESYNC", 11) == 0) return 0;
    if (strncmp(line, "+CONTINUE", 9) == 0) {
        const char *p = line + 9;
        if (*p == '\0') return 1;
        if (*p != ' ') goto bad;
        p++;
        size_t n = strlen(p);
        if (n != 40) goto bad;
        for (size_t i = 0; i < n; i++)
            if (!isxdigit((unsigned char)p[i])) goto bad;
        memcpy(newid, p, 41);
        return 1;
    }
bad:;
    char safe[120];
    ra_resp_printable(safe, sizeof(safe), line, strlen(line));
    return ra_err_set(err, RA_E_SOURCE, "the source answered '%s' to psync", safe);
}

/* One line (CRLF or LF, bare "\n" keep-alives skipped) into line; the bytes after it into *rest. */
static int read_line(ra_conn *c, long read_ms, char *line, uint8_t **rest, size_t *nrest, ra_err *err) {
    uint8_t *buf = malloc(READ_CHUNK);
    size_t have = 0;
    if (buf == NULL) return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    for (;;) {
        while (have > 0 && buf[0] == '\n') memmove(buf, buf + 1, --have);
        uint8_t *nl = memchr(buf, '\n', have);
        if (nl != NULL) {
            size_t n = (size_t)(nl - buf);
            size_t ln = n > 0 && buf[n - 1] == '\r' ? n - 1 : n;
            if (ln >= LINE_MAX_BYTES) ln = LINE_MAX_BYTES - 1;
            memcpy(line, buf, ln);
            line[ln] = '\0';
            *nrest = have - n - 1;
            memmove(buf, nl + 1, *nrest);
            *rest = buf;
            return 0;
        }
        if (have >= LINE_MAX_BYTES) {
            free(buf);
            return ra_err_set(err, RA_E_SOURCE, "'%s' sent an over-long line instead of an answer", ra_conn_name(c));
        }
        ssize_t r = ra_conn_read(c, buf + have, READ_CHUNK - have, read_ms, err);
        if (r <= 0) {
            free(buf);
            return r == 0 ? ra_err_set(err, RA_E_SOURCE, "'%s' closed the connection", ra_conn_name(c)) : -1;
        }
        have += (size_t)r;
    }
}

static int command(ra_conn *c, const char *const *argv, int argc, long read_ms, char *line, uint8_t **rest,
                   size_t *nrest, ra_err *err) {
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    if (ra_conn_write(c, buf, n, read_ms, err) < 0) return -1;
    return read_line(c, read_ms, line, rest, nrest, err);
}

int ra_replresume(ra_conn *conn, const char *replid, long long offset, long read_ms, ra_replica_stream *out,
                  ra_err *err) {
    memset(out, 0, sizeof(out[0]));
    char line[LINE_MAX_BYTES], next[24], newid[41];
    uint8_t *rest = NULL;
    size_t nrest = 0;
    const char *capa[5] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
    int rc = command(conn, capa, 5, read_ms, line, &rest, &nrest, err);
    if (rc == 0 && strcmp(line, "+OK") != 0) {
        char safe[120];
        ra_resp_printable(safe, sizeof(safe), line, strlen(line));
        rc = ra_err_set(err, RA_E_SOURCE, "'%s' answered '%s' to replconf", ra_conn_name(conn), safe);
    }
    free(rest);
    rest = NULL;
    if (rc == 0) {
        snprintf(next, sizeof(next), "%lld", offset + 1); /* the next byte wanted, as a replica asks */
        const char *psync[3] = {"PSYNC", replid, next};
        rc = command(conn, psync, 3, read_ms, line, &rest, &nrest, err);
    }
    if (rc == 0) rc = ra_replresume_answer(line, newid, err);
    if (rc != 1) {
        free(rest);
        ra_conn_close(conn);
        return rc;
    }
    out->conn = conn;
    out->tail = rest;
    out->tail_len = nrest;
    snprintf(out->replid, sizeof(out->replid), "%s", newid[0] ? newid : replid);
    out->offset = offset;
    return 1;
}
