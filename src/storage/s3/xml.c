/* xml.c - S3 XML answers parsed with libxml2 (network and entities off) and requests built as text. */
#include "storage/s3/xml.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "storage/s3/s3.h" /* ra_s3_lifecycle_rule_xml */

/* NONET: never fetch anything; no NOENT/DTDLOAD so no entity expansion from DTDs (XXE). */
#define XML_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS)

/* S3 answers never carry a DTD: a document with one is refused outright, so no entity (declared
 * or external) can change what a rule says between reading and writing it back. */
static xmlDocPtr parse(const char *body, size_t len) {
    if (body == NULL || len == 0 || len > INT_MAX) return NULL;
    xmlDocPtr doc = xmlReadMemory(body, (int)len, NULL, NULL, XML_FLAGS);
    if (doc && (doc->intSubset || doc->extSubset)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static int is(const xmlNode *n, const char *name) {
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* First element child called `name` (local name: the namespace is ignored). */
static xmlNode *child(const xmlNode *n, const char *name) {
    if (n == NULL) return NULL;
    for (xmlNode *c = n->children; c; c = c->next)
        if (is(c, name)) return c;
    return NULL;
}

/* Text of the child `name` as a malloc'd string; NULL when absent (or out of memory). */
static char *child_text(const xmlNode *n, const char *name) {
    xmlNode *c = child(n, name);
    if (c == NULL) return NULL;
    xmlChar *t = xmlNodeGetContent(c);
    char *s = strdup(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

static void copy_text(const xmlNode *n, const char *name, char *dst, size_t cap) {
    char *t = child_text(n, name);
    snprintf(dst, cap, "%s", t ? t : "");
    free(t);
}

static int child_bool(const xmlNode *n, const char *name) {
    char *t = child_text(n, name);
    int v = t && strcmp(t, "true") == 0;
    free(t);
    return v;
}

time_t ra_s3xml_parse_time(const char *s) {
    struct tm tm = {0};
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                            &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

int ra_s3xml_parse_error(const char *body, size_t len, ra_s3xml_error *e) {
    memset(e, 0, sizeof(*e));
    /* whitespace may come first (a slow Complete that failed after its 200 was sent): an error still */
    while (body != NULL && len > 0 && (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')) body++, len--;
    if (body == NULL || len == 0) return 0;
    xmlDocPtr doc = parse(body, len);
    if (doc == NULL) return -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    int r = 0;
    if (is(root, "Error")) {
        copy_text(root, "Code", e->code, sizeof(e->code));
        copy_text(root, "Message", e->message, sizeof(e->message));
        copy_text(root, "RequestId", e->request_id, sizeof(e->request_id));
        copy_text(root, "Region", e->region, sizeof(e->region));
        r = 1;
    }
    xmlFreeDoc(doc);
    return r;
}

static int bad_doc(ra_err *err, const char *what) {
    return ra_err_set(err, RA_E_STORE, "s3: malformed %s answer", what);
}

static xmlNode *root_of(xmlDocPtr doc, const char *name) {
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    return is(root, name) ? root : NULL;
}

int ra_s3xml_parse_upload_id(const char *body, size_t len, char **upload_id, ra_err *err) {
    *upload_id = NULL;
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = root_of(doc, "InitiateMultipartUploadResult");
    char *id = root ? child_text(root, "UploadId") : NULL;
    xmlFreeDoc(doc);
    if (id == NULL || *id == '\0') {
        free(id);
        return bad_doc(err, "CreateMultipartUpload");
    }
    *upload_id = id;
    return 0;
}

int ra_s3xml_parse_complete(const char *body, size_t len, char **etag, ra_err *err) {
    if (etag) *etag = NULL;
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (is(root, "Error")) {
        /* S3 may answer 200 and fail later in the body: the upload did NOT complete */
        ra_s3xml_error e;
        copy_text(root, "Code", e.code, sizeof(e.code));
        copy_text(root, "Message", e.message, sizeof(e.message));
        copy_text(root, "RequestId", e.request_id, sizeof(e.request_id));
        xmlFreeDoc(doc);
        return ra_err_set(err, RA_E_STORE, "s3: CompleteMultipartUpload failed after 200: %s%s%s (request id %s)",
                          e.code[0] ? e.code : "unknown error", e.message[0] ? ": " : "", e.message,
                          e.request_id[0] ? e.request_id : "none");
    }
    /* any other root is a success, as botocore reads it: AWS and RGW say CompleteMultipartUploadResult,
     * moto says CompleteMultipartUploadResponse */
    if (root == NULL || root->type != XML_ELEMENT_NODE) {
        xmlFreeDoc(doc);
        return bad_doc(err, "CompleteMultipartUpload");
    }
    if (etag) {
        char *t = child_text(root, "ETag");
        *etag = t ? t : strdup("");
    }
    xmlFreeDoc(doc);
    return 0;
}

void ra_s3xml_list_clear(ra_s3xml_list *l) {
    if (l == NULL) return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->objects[i].key);
        free(l->objects[i].etag);
    }
    free(l->objects);
    free(l->next_token);
    memset(l, 0, sizeof(*l));
}

static size_t count_children(const xmlNode *n, const char *name) {
    size_t k = 0;
    for (xmlNode *c = n->children; c; c = c->next) k += is(c, name);
    return k;
}

/* A listing asked with encoding-type=url names it in <EncodingType>; then keys (and the key markers of an
 * upload listing) come percent-encoded, a space as '+' (AWS) or %20 (RGW, moto). Continuation tokens and
 * upload ids are opaque and never encoded. */
static int url_encoded(const xmlNode *root) {
    char *t = child_text(root, "EncodingType");
    int r = t != NULL && strcasecmp(t, "url") == 0;
    free(t);
    return r;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode s in place; -1 for a decoded NUL byte or a '%' without two hex digits. NULL is left alone. */
static int url_decode(char *s) {
    if (s == NULL) return 0;
    char *o = s;
    for (const char *i = s; *i; i++) {
        if (*i == '+') {
            *o++ = ' ';
        } else if (*i == '%') {
            int hi = hexval(i[1]), lo = hi < 0 ? -1 : hexval(i[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = *i;
        }
    }
    *o = '\0';
    return 0;
}

/* Ceph RGW 16 encodes the keys of ListMultipartUploads when asked but does not say so (no <EncodingType>):
 * without it, a key is decoded when it reads as encoded (only what url-encoding leaves: unreserved
 * characters, '/' and %XX), as the archiver's own keys (letters, digits, '/', '-', '.', '_') do either way. */
static int looks_encoded(const char *s) {
    for (; s && *s; s++) {
        if (*s == '%') {
            if (hexval(s[1]) < 0 || hexval(s[2]) < 0 || (s[1] == '0' && s[2] == '0')) return 0;
            s += 2;
        } else if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                     strchr("-_.~/", *s))) {
            return 0;
        }
    }
    return 1;
}

/* enc 1: decode (-1 when malformed); enc 0 (the answer names no EncodingType): decode what looks encoded. */
static int decode_key(char *s, int enc) {
    if (enc) return url_decode(s);
    if (looks_encoded(s)) url_decode(s);
    return 0;
}

int ra_s3xml_parse_list(const char *body, size_t len, ra_s3xml_list *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = root_of(doc, "ListBucketResult");
    if (root == NULL) {
        xmlFreeDoc(doc);
        return bad_doc(err, "ListObjectsV2");
    }
    size_t k = count_children(root, "Contents");
    int enc = url_encoded(root);
    out->objects = calloc(k ? k : 1, sizeof(*out->objects));
    if (out->objects == NULL) goto oom;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (!is(c, "Contents")) continue;
        ra_s3_object *o = &out->objects[out->n];
        o->key = child_text(c, "Key");
        if (o->key == NULL || (enc && url_decode(o->key) < 0)) {
            free(o->key);
            xmlFreeDoc(doc);
            ra_s3xml_list_clear(out);
            return bad_doc(err, "ListObjectsV2");
        }
        out->n++;
        char *t = child_text(c, "Size");
        o->size = t ? strtoll(t, NULL, 10) : 0;
        free(t);
        t = child_text(c, "LastModified");
        o->last_modified = ra_s3xml_parse_time(t);
        free(t);
        o->etag = child_text(c, "ETag");
    }
    out->truncated = child_bool(root, "IsTruncated");
    out->next_token = child_text(root, "NextContinuationToken");
    xmlFreeDoc(doc);
    if (out->truncated && (out->next_token == NULL || *out->next_token == '\0')) {
        ra_s3xml_list_clear(out);
        return ra_err_set(err, RA_E_STORE, "s3: truncated listing without NextContinuationToken");
    }
    return 0;
oom:
    xmlFreeDoc(doc);
    ra_s3xml_list_clear(out);
    return ra_err_set(err, RA_E_INTERNAL, "out of memory");
}

void ra_s3xml_uploads_clear(ra_s3xml_uploads *u) {
    if (u == NULL) return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->uploads[i].key);
        free(u->uploads[i].upload_id);
    }
    free(u->uploads);
    free(u->next_key_marker);
    free(u->next_upload_id_marker);
    memset(u, 0, sizeof(*u));
}

int ra_s3xml_parse_uploads(const char *body, size_t len, ra_s3xml_uploads *out, ra_err *err) {
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = root_of(doc, "ListMultipartUploadsResult");
    if (root == NULL) {
        xmlFreeDoc(doc);
        return bad_doc(err, "ListMultipartUploads");
    }
    size_t k = count_children(root, "Upload");
    int enc = url_encoded(root);
    out->uploads = calloc(k ? k : 1, sizeof(*out->uploads));
    if (out->uploads == NULL) {
        xmlFreeDoc(doc);
        return ra_err_set(err, RA_E_INTERNAL, "out of memory");
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (!is(c, "Upload")) continue;
        ra_s3_upload_ref *u = &out->uploads[out->n];
        u->key = child_text(c, "Key");
        u->upload_id = child_text(c, "UploadId");
        out->n++;
        if (u->key == NULL || u->upload_id == NULL || decode_key(u->key, enc) < 0) {
            xmlFreeDoc(doc);
            ra_s3xml_uploads_clear(out);
            return bad_doc(err, "ListMultipartUploads");
        }
        char *t = child_text(c, "Initiated");
        u->initiated = ra_s3xml_parse_time(t);
        free(t);
    }
    out->truncated = child_bool(root, "IsTruncated");
    out->next_key_marker = child_text(root, "NextKeyMarker");
    out->next_upload_id_marker = child_text(root, "NextUploadIdMarker");
    xmlFreeDoc(doc);
    if (decode_key(out->next_key_marker, enc) < 0) {
        ra_s3xml_uploads_clear(out);
        return bad_doc(err, "ListMultipartUploads");
    }
    if (out->truncated && (out->next_key_marker == NULL || *out->next_key_marker == '\0')) {
        ra_s3xml_uploads_clear(out);
        return ra_err_set(err, RA_E_STORE, "s3: truncated upload listing without NextKeyMarker");
    }
    return 0;
}

int ra_s3xml_parse_delete_result(const char *body, size_t len, ra_err *err) {
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = root_of(doc, "DeleteResult");
    if (root == NULL) {
        xmlFreeDoc(doc);
        return bad_doc(err, "DeleteObjects");
    }
    xmlNode *e = child(root, "Error");
    if (e) {
        char *key = child_text(e, "Key"), *code = child_text(e, "Code"), *msg = child_text(e, "Message");
        ra_err_set(err, RA_E_STORE, "s3: DeleteObjects: '%s': %s%s%s", key ? key : "?", code ? code : "error",
                   msg && *msg ? ": " : "", msg ? msg : "");
        free(key);
        free(code);
        free(msg);
    }
    xmlFreeDoc(doc);
    return e ? -1 : 0;
}

void ra_s3_lifecycle_clear(ra_s3_lifecycle *lc) {
    if (lc == NULL) return;
    for (size_t i = 0; i < lc->nrules; i++) {
        free(lc->rules[i].id);
        free(lc->rules[i].xml);
    }
    free(lc->rules);
    lc->rules = NULL;
    lc->nrules = 0;
}

int ra_s3xml_parse_lifecycle(const char *body, size_t len, ra_s3_lifecycle *lc, ra_err *err) {
    lc->rules = NULL;
    lc->nrules = 0;
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = root_of(doc, "LifecycleConfiguration");
    if (root == NULL) {
        xmlFreeDoc(doc);
        return bad_doc(err, "GetBucketLifecycleConfiguration");
    }
    size_t k = count_children(root, "Rule");
    lc->rules = calloc(k ? k : 1, sizeof(*lc->rules));
    if (lc->rules == NULL) goto oom;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (!is(c, "Rule")) continue;
        ra_s3_lifecycle_rule *r = &lc->rules[lc->nrules++];
        r->id = child_text(c, "ID");
        if (r->id == NULL) r->id = strdup("");
        /* the rule as text; an inherited default namespace is not repeated, so the text fits
         * back into our own <LifecycleConfiguration xmlns=...> unchanged */
        xmlBufferPtr buf = xmlBufferCreate();
        if (buf == NULL) goto oom;
        if (xmlNodeDump(buf, doc, c, 0, 0) < 0) {
            xmlBufferFree(buf);
            goto oom;
        }
        r->xml = strdup((const char *)xmlBufferContent(buf));
        xmlBufferFree(buf);
        if (r->id == NULL || r->xml == NULL) goto oom;
    }
    xmlFreeDoc(doc);
    return 0;
oom:
    xmlFreeDoc(doc);
    ra_s3_lifecycle_clear(lc);
    return ra_err_set(err, RA_E_INTERNAL, "out of memory");
}

void ra_s3xml_put_escaped(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\r': fputs("&#13;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* buf is only valid after fclose, hence the pointer to it */
static char *finish(FILE *f, char **buf) {
    if (fclose(f) != 0) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

char *ra_s3xml_build_complete(const char *const *etags, size_t n) {
    return ra_s3xml_build_complete_crc32c(etags, NULL, n);
}

char *ra_s3xml_build_complete_crc32c(const char *const *etags, const char *const *crc32c, size_t n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) return NULL;
    fputs(XML_HEAD "<CompleteMultipartUpload xmlns=\"" S3_NS "\">", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
        ra_s3xml_put_escaped(f, etags[i]);
        fputs("</ETag>", f);
        if (crc32c && crc32c[i]) {
            fputs("<ChecksumCRC32C>", f);
            ra_s3xml_put_escaped(f, crc32c[i]);
            fputs("</ChecksumCRC32C>", f);
        }
        fputs("</Part>", f);
    }
    fputs("</CompleteMultipartUpload>", f);
    return finish(f, &buf);
}

char *ra_s3xml_build_delete(const char *const *keys, size_t n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) return NULL;
    fputs(XML_HEAD "<Delete xmlns=\"" S3_NS "\"><Quiet>true</Quiet>", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<Object><Key>", f);
        ra_s3xml_put_escaped(f, keys[i]);
        fputs("</Key></Object>", f);
    }
    fputs("</Delete>", f);
    return finish(f, &buf);
}

char *ra_s3xml_build_lifecycle(const ra_s3_lifecycle *lc) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) return NULL;
    fputs(XML_HEAD "<LifecycleConfiguration xmlns=\"" S3_NS "\">", f);
    for (size_t i = 0; i < lc->nrules; i++) fputs(lc->rules[i].xml, f);
    fputs("</LifecycleConfiguration>", f);
    return finish(f, &buf);
}

char *ra_s3_lifecycle_rule_xml(const char *id, const char *prefix, int expire_days, int abort_days) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) return NULL;
    fputs("<Rule><ID>", f);
    ra_s3xml_put_escaped(f, id ? id : "");
    /* <Prefix/> for "": the form libxml2 writes back, so a parsed rule compares equal */
    if (prefix && *prefix) {
        fputs("</ID><Filter><Prefix>", f);
        ra_s3xml_put_escaped(f, prefix);
        fputs("</Prefix></Filter><Status>Enabled</Status>", f);
    } else {
        fputs("</ID><Filter><Prefix/></Filter><Status>Enabled</Status>", f);
    }
    if (expire_days > 0) fprintf(f, "<Expiration><Days>%d</Days></Expiration>", expire_days);
    if (abort_days > 0)
        fprintf(f, "<AbortIncompleteMultipartUpload><DaysAfterInitiation>%d</DaysAfterInitiation>"
                   "</AbortIncompleteMultipartUpload>",
                abort_days);
    fputs("</Rule>", f);
    return finish(f, &buf);
}

/* canon: an element as text that depends on neither the order of its element children nor whitespace,
 * namespaces or serialisation: name{len:trimmed text} for a leaf, name[children's canons, sorted] else.
 * Malloc'd; NULL when out of memory. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *canon(const xmlNode *n) {
    char *buf = NULL, **kids = NULL;
    size_t len = 0, k = 0, nk = 0;
    for (const xmlNode *c = n->children; c; c = c->next) nk += c->type == XML_ELEMENT_NODE;
    if (nk > 0 && (kids = calloc(nk, sizeof(*kids))) == NULL) return NULL;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if ((kids[k++] = canon(c)) == NULL) goto out;
    }
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) goto out;
    fputs((const char *)n->name, f);
    if (nk == 0) {
        xmlChar *t = xmlNodeGetContent(n);
        const char *s = t ? (const char *)t : "";
        size_t a = strspn(s, " \t\r\n"), z = strlen(s);
        while (z > a && strchr(" \t\r\n", s[z - 1])) z--;
        fprintf(f, "{%zu:%.*s}", z - a, (int)(z - a), s + a);
        xmlFree(t);
    } else {
        qsort(kids, nk, sizeof(*kids), cmp_str);
        fputc('[', f);
        for (size_t i = 0; i < nk; i++) fputs(kids[i], f);
        fputc(']', f);
    }
    if (finish(f, &buf) == NULL) buf = NULL;
out:
    for (size_t i = 0; i < k; i++) free(kids[i]);
    free(kids);
    return buf;
}

/* canon of a text; *oom is set when it failed for want of memory (not for text that is not XML) */
static char *canon_text(const char *xml, int *oom) {
    xmlDocPtr doc = parse(xml, strlen(xml));
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    char *c = root ? canon(root) : NULL;
    if (root && c == NULL) *oom = 1;
    xmlFreeDoc(doc);
    return c;
}

int ra_s3_lifecycle_rule_equal(const char *a, const char *b) {
    if (a == NULL || b == NULL) return a == b;
    if (strcmp(a, b) == 0) return 1;
    int oom = 0;
    char *ca = canon_text(a, &oom), *cb = canon_text(b, &oom);
    int r = oom ? -1 : ca && cb && strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return r;
}

int ra_s3xml_parse_versioning(const char *body, size_t len, int *versioned, ra_err *err) {
    *versioned = 0;
    xmlDocPtr doc = parse(body, len);
    xmlNode *root = root_of(doc, "VersioningConfiguration");
    if (root == NULL) root = root_of(doc, "GetBucketVersioningResponse"); /* moto's root */
    if (root == NULL) {
        xmlFreeDoc(doc);
        return bad_doc(err, "GetBucketVersioning");
    }
    char *status = child_text(root, "Status");
    /* Suspended still holds the versions made while it was Enabled */
    *versioned = status && (strcmp(status, "Enabled") == 0 || strcmp(status, "Suspended") == 0);
    free(status);
    xmlFreeDoc(doc);
    return 0;
}

int ra_s3xml_parse_tag(const char *body, size_t len, const char *key, char **value, ra_err *err) {
    *value = NULL;
    xmlDocPtr doc = parse(body, len);
    xmlNode *set = child(root_of(doc, "Tagging"), "TagSet");
    if (set == NULL) {
        xmlFreeDoc(doc);
        return bad_doc(err, "GetObjectTagging");
    }
    int rc = 0;
    for (xmlNode *t = set->children; t && *value == NULL && rc == 0; t = t->next) {
        if (!is(t, "Tag")) continue;
        char *k = child_text(t, "Key");
        if (k && strcmp(k, key) == 0 && (*value = child_text(t, "Value")) == NULL)
            rc = ra_err_set(err, RA_E_INTERNAL, "out of memory");
        free(k);
    }
    xmlFreeDoc(doc);
    return rc;
}
