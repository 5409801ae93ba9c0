/* types.h - plain data of the S3 layer shared by the client, signing and XML: no handles, no I/O. */
#ifndef RA_STORAGE_S3_TYPES_H
#define RA_STORAGE_S3_TYPES_H

#include <stddef.h>
#include <time.h>

/* A borrowed name/value pair (request headers, query parameters, metadata to send). */
typedef struct ra_kv {
    const char *key;
    const char *value;
} ra_kv;

/* An owned name/value pair (metadata received: x-amz-meta-* with the prefix stripped, lower case). */
typedef struct ra_s3_meta {
    char *key;
    char *value;
} ra_s3_meta;
void ra_s3_meta_free(ra_s3_meta *meta, size_t n);

typedef struct ra_s3_object {
    char *key;
    long long size;
    time_t last_modified;
    char *etag;
} ra_s3_object;

typedef struct ra_s3_upload_ref {
    char *key;
    char *upload_id;
    time_t initiated;
} ra_s3_upload_ref;

/* Lifecycle. Rules are kept as XML text so rules this tool does not own survive a merge unchanged. */
typedef struct ra_s3_lifecycle_rule {
    char *id;   /* the rule's <ID>, "" when it has none */
    char *xml;  /* the whole <Rule>...</Rule> element as text */
} ra_s3_lifecycle_rule;
typedef struct ra_s3_lifecycle {
    ra_s3_lifecycle_rule *rules;
    size_t nrules;
} ra_s3_lifecycle;
void ra_s3_lifecycle_clear(ra_s3_lifecycle *lc);

#endif
