/* xml.h - the S3 XML bodies: parse answers (libxml2, XML_PARSE_NONET, matched on local names so
 * the S3 namespace may or may not be present) and build requests. Pure: no I/O. */
#ifndef RA_STORAGE_S3_XML_H
#define RA_STORAGE_S3_XML_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "storage/s3/types.h"

/* s as XML element content on f: & < > " ' escaped, and CR as &#13; (a parser would read a bare one as a
 * line feed). The one escaper of every XML body the archiver writes (requests here, lifecycle rules). */
void ra_s3xml_put_escaped(FILE *f, const char *s);

/* An <Error> body. Fields are truncated to fit; "" when absent (RGW sends an empty Message). */
typedef struct ra_s3xml_error {
    char code[64];
    char message[256];
    char request_id[128];
    char region[64]; /* <Region> (AWS's AuthorizationHeaderMalformed and PermanentRedirect), "" when none */
} ra_s3xml_error;

/* 1 when body is an <Error> document (e filled), 0 when it is another document or empty,
 * -1 when it is not XML. */
int ra_s3xml_parse_error(const char *body, size_t len, ra_s3xml_error *e);

/* InitiateMultipartUploadResult -> *upload_id (malloc'd). */
int ra_s3xml_parse_upload_id(const char *body, size_t len, char **upload_id, ra_err *err);

/* The answer to CompleteMultipartUpload: any root element but <Error> is a success (AWS and RGW send
 * CompleteMultipartUploadResult, moto CompleteMultipartUploadResponse). A 200 whose body is <Error> is an
 * error (RA_E_STORE, with code and request id in the message); *etag (may be NULL) gets the ETag, "" when
 * absent (RGW 16.2). A body that is not XML is RA_E_STORE "malformed". */
int ra_s3xml_parse_complete(const char *body, size_t len, char **etag, ra_err *err);

/* One page of ListObjectsV2. */
typedef struct ra_s3xml_list {
    ra_s3_object *objects;
    size_t n;
    int truncated;
    char *next_token; /* NextContinuationToken, NULL when absent */
} ra_s3xml_list;
int ra_s3xml_parse_list(const char *body, size_t len, ra_s3xml_list *out, ra_err *err);
void ra_s3xml_list_clear(ra_s3xml_list *l);

/* One page of ListMultipartUploads. */
typedef struct ra_s3xml_uploads {
    ra_s3_upload_ref *uploads;
    size_t n;
    int truncated;
    char *next_key_marker;       /* NULL when absent */
    char *next_upload_id_marker; /* NULL when absent */
} ra_s3xml_uploads;
int ra_s3xml_parse_uploads(const char *body, size_t len, ra_s3xml_uploads *out, ra_err *err);
void ra_s3xml_uploads_clear(ra_s3xml_uploads *u);

/* DeleteResult of a quiet DeleteObjects: -1 (RA_E_STORE naming the first key and its code) when
 * it lists an <Error>, 0 when it lists none. */
int ra_s3xml_parse_delete_result(const char *body, size_t len, ra_err *err);

/* LifecycleConfiguration -> rules kept as raw <Rule> XML plus their ID. */
int ra_s3xml_parse_lifecycle(const char *body, size_t len, ra_s3_lifecycle *lc, ra_err *err);

/* GetBucketVersioning -> *versioned 1 when Status is Enabled or Suspended (versions exist), 0 when absent. */
int ra_s3xml_parse_versioning(const char *body, size_t len, int *versioned, ra_err *err);
/* GetObjectTagging -> *value (malloc'd) of the tag `key`, NULL when the object has no such tag. */
int ra_s3xml_parse_tag(const char *body, size_t len, const char *key, char **value, ra_err *err);

/* Builders; malloc'd text, NULL on out of memory. */
/* CompleteMultipartUpload with parts 1..n and their ETags (quoted as the server sent them). */
char *ra_s3xml_build_complete(const char *const *etags, size_t n);
/* The same with each part's <ChecksumCRC32C> (crc32c[i], base64) when crc32c is not NULL. */
char *ra_s3xml_build_complete_crc32c(const char *const *etags, const char *const *crc32c, size_t n);
/* Delete with Quiet=true. */
char *ra_s3xml_build_delete(const char *const *keys, size_t n);
/* LifecycleConfiguration from the rules' raw XML. */
char *ra_s3xml_build_lifecycle(const ra_s3_lifecycle *lc);

/* "2013-05-24T00:00:00.000Z" -> time_t (UTC); 0 when unparseable. */
time_t ra_s3xml_parse_time(const char *s);

#endif
