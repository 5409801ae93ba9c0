/* test_s3xml.c - every S3 XML parser and builder: namespaces, RGW quirks, 200-with-<Error>, garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/s3/s3.h"
#include "storage/s3/xml.h"

#define NS " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define P(s) (s), strlen(s)

static void test_error(void **state) {
    (void)state;
    ra_s3xml_error e;
    /* RGW 16.2: empty Message, no namespace on Error */
    const char *rgw = HEAD "<Error><Code>SignatureDoesNotMatch</Code><Message></Message>"
                           "<RequestId>tx0001-abc</RequestId><HostId>1010-default</HostId></Error>";
    assert_int_equal(ra_s3xml_parse_error(P(rgw), &e), 1);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_string_equal(e.message, "");
    assert_string_equal(e.request_id, "tx0001-abc");
    /* AWS style, with a namespace and a message, no RequestId */
    const char *aws = "<Error" NS "><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
                      "<Key>a&amp;b</Key></Error>";
    assert_int_equal(ra_s3xml_parse_error(P(aws), &e), 1);
    assert_string_equal(e.code, "NoSuchKey");
    assert_string_equal(e.message, "The specified key does not exist.");
    assert_string_equal(e.request_id, "");
    /* other documents, empty and garbage */
    assert_int_equal(ra_s3xml_parse_error(P("<ListBucketResult/>"), &e), 0);
    /* a slow Complete's keep-alive whitespace, then the error (before or after the declaration) */
    assert_int_equal(ra_s3xml_parse_error(P(" \r\n  <?xml version=\"1.0\"?><Error><Code>InternalError</Code></Error>"), &e), 1);
    assert_string_equal(e.code, "InternalError");
    assert_int_equal(ra_s3xml_parse_error(P("<?xml version=\"1.0\"?>\n   <Error><Code>SlowDown</Code></Error>"), &e), 1);
    assert_string_equal(e.code, "SlowDown");
    assert_int_equal(ra_s3xml_parse_error("", 0, &e), 0);
    assert_int_equal(ra_s3xml_parse_error(NULL, 0, &e), 0);
    assert_int_equal(ra_s3xml_parse_error(P("<Error><Code>x</Code>"), &e), -1);
    assert_int_equal(ra_s3xml_parse_error(P("not xml at all"), &e), -1);
    /* long fields are truncated, never overflow */
    char big[2048];
    memset(big, 'A', sizeof(big));
    int n = snprintf(big, sizeof(big), "<Error><Code>");
    memset(big + n, 'C', 300);
    strcpy(big + n + 300, "</Code></Error>");
    assert_int_equal(ra_s3xml_parse_error(P(big), &e), 1);
    assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
}

static void test_upload_id(void **state) {
    (void)state;
    ra_err err = {0};
    char *id = NULL;
    const char *ok = HEAD "<InitiateMultipartUploadResult" NS "><Bucket>b</Bucket><Key>k</Key>"
                          "<UploadId>2~abcDEF</UploadId></InitiateMultipartUploadResult>";
    assert_int_equal(ra_s3xml_parse_upload_id(P(ok), &id, &err), 0);
    assert_string_equal(id, "2~abcDEF");
    free(id);
    const char *no_ns = "<InitiateMultipartUploadResult><UploadId>x</UploadId></InitiateMultipartUploadResult>";
    assert_int_equal(ra_s3xml_parse_upload_id(P(no_ns), &id, &err), 0);
    assert_string_equal(id, "x");
    free(id);
    const char *bad[] = {"<InitiateMultipartUploadResult" NS "><Key>k</Key></InitiateMultipartUploadResult>",
                         "<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>",
                         "<Other><UploadId>x</UploadId></Other>", "<Initiate", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ra_s3xml_parse_upload_id(P(bad[i]), &id, &err), -1);
        assert_null(id);
        assert_int_equal(err.code, RA_E_STORE);
    }
}

static void test_complete(void **state) {
    (void)state;
    ra_err err = {0};
    char *etag = NULL;
    const char *aws = HEAD "<CompleteMultipartUploadResult" NS "><Location>l</Location><Bucket>b</Bucket>"
                           "<Key>k</Key><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
                           "</CompleteMultipartUploadResult>";
    assert_int_equal(ra_s3xml_parse_complete(P(aws), &etag, &err), 0);
    assert_string_equal(etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    free(etag);
    /* RGW 16.2: the ETag element is empty */
    const char *rgw = HEAD "<CompleteMultipartUploadResult" NS "><Location>l</Location><Bucket>b</Bucket>"
                           "<Key>k</Key><ETag></ETag></CompleteMultipartUploadResult>";
    assert_int_equal(ra_s3xml_parse_complete(P(rgw), &etag, &err), 0);
    assert_string_equal(etag, "");
    free(etag);
    /* a 200 that carries <Error> is a failure */
    const char *late = HEAD "\n\n<Error><Code>InternalError</Code><Message>We encountered an internal error."
                            "</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>";
    assert_int_equal(ra_s3xml_parse_complete(P(late), &etag, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "InternalError"));
    assert_non_null(strstr(err.msg, "656c76696e6727732072657175657374"));
    assert_null(etag);
    /* moto 5: another root name, as botocore accepts (it never looks at the root) */
    const char *moto = HEAD "<CompleteMultipartUploadResponse" NS "><Location>http://b.s3.amazonaws.com/k</Location>"
                            "<Bucket>b</Bucket><Key>k</Key><ETag>\"64496dad94ef0bb1cb8a3f6b6d8c41d6-2\"</ETag>"
                            "</CompleteMultipartUploadResponse>";
    assert_int_equal(ra_s3xml_parse_complete(P(moto), &etag, &err), 0);
    assert_string_equal(etag, "\"64496dad94ef0bb1cb8a3f6b6d8c41d6-2\"");
    free(etag);
    assert_int_equal(ra_s3xml_parse_complete(P("<AnyOtherRoot/>"), &etag, &err), 0);
    assert_string_equal(etag, "");
    free(etag);
    /* not XML: malformed */
    assert_int_equal(ra_s3xml_parse_complete(P("<CompleteMultipartUploadResult>"), &etag, &err), -1);
    assert_int_equal(err.code, RA_E_STORE);
    assert_non_null(strstr(err.msg, "malformed"));
    assert_null(etag);
    assert_int_equal(ra_s3xml_parse_complete("", 0, NULL, &err), -1);
    assert_int_equal(ra_s3xml_parse_complete(P(" \n" HEAD "<CompleteMultipartUploadResult/>"), &etag, &err), -1);
    assert_null(etag);
}

static void test_list(void **state) {
    (void)state;
    ra_err err = {0};
    ra_s3xml_list l;
    const char *page =
        HEAD "<ListBucketResult" NS "><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
             "<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
             "<Contents><Key>p/a &amp; b</Key><LastModified>2013-05-24T00:00:01.000Z</LastModified>"
             "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
             "<StorageClass>STANDARD</StorageClass></Contents>"
             "<Contents><Key>p/\xc3\xa9</Key><LastModified>2026-11-24T05:00:00Z</LastModified>"
             "<Size>6442450944</Size></Contents>"
             "<NextContinuationToken>p/\xc3\xa9</NextContinuationToken></ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(page), &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_true(l.truncated);
    assert_string_equal(l.next_token, "p/\xc3\xa9");
    assert_string_equal(l.objects[0].key, "p/a & b");
    assert_int_equal(l.objects[0].size, 0);
    assert_int_equal(l.objects[0].last_modified, 1369353601);
    assert_string_equal(l.objects[0].etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_int_equal(l.objects[1].size, 6442450944LL);
    assert_null(l.objects[1].etag);
    ra_s3xml_list_clear(&l);
    const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(last), &l, &err), 0);
    assert_int_equal(l.n, 0);
    assert_false(l.truncated);
    assert_null(l.next_token);
    ra_s3xml_list_clear(&l);
    /* a truncated page without a token would loop forever: refuse it */
    const char *loop = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(loop), &l, &err), -1);
    assert_int_equal(ra_s3xml_parse_list(P("<ListBucketResult><Contents><Size>1</Size></Contents>"
                                           "</ListBucketResult>"),
                                         &l, &err),
                     -1);
    assert_int_equal(ra_s3xml_parse_list(P("<Error><Code>x</Code></Error>"), &l, &err), -1);
    assert_int_equal(ra_s3xml_parse_list(P("<<<"), &l, &err), -1);
    ra_s3xml_list_clear(&l);
}

static void test_uploads(void **state) {
    (void)state;
    ra_err err = {0};
    ra_s3xml_uploads u;
    const char *page = HEAD "<ListMultipartUploadsResult" NS "><Bucket>b</Bucket><KeyMarker></KeyMarker>"
                            "<UploadIdMarker></UploadIdMarker><NextKeyMarker>k2</NextKeyMarker>"
                            "<NextUploadIdMarker>id2</NextUploadIdMarker><MaxUploads>2</MaxUploads>"
                            "<IsTruncated>true</IsTruncated>"
                            "<Upload><Key>k1</Key><UploadId>id1</UploadId>"
                            "<Initiated>2026-11-24T05:00:00.000Z</Initiated></Upload>"
                            "<Upload><Key>k2</Key><UploadId>id2</UploadId></Upload>"
                            "</ListMultipartUploadsResult>";
    assert_int_equal(ra_s3xml_parse_uploads(P(page), &u, &err), 0);
    assert_int_equal(u.n, 2);
    assert_true(u.truncated);
    assert_string_equal(u.next_key_marker, "k2");
    assert_string_equal(u.next_upload_id_marker, "id2");
    assert_string_equal(u.uploads[0].key, "k1");
    assert_string_equal(u.uploads[0].upload_id, "id1");
    assert_int_equal(u.uploads[0].initiated, ra_s3xml_parse_time("2026-11-24T05:00:00Z"));
    assert_int_equal(u.uploads[1].initiated, 0);
    ra_s3xml_uploads_clear(&u);
    assert_int_equal(ra_s3xml_parse_uploads(P("<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                                              "</ListMultipartUploadsResult>"),
                                            &u, &err),
                     -1);
    assert_int_equal(ra_s3xml_parse_uploads(P("<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
                                              "</ListMultipartUploadsResult>"),
                                            &u, &err),
                     -1);
    assert_int_equal(ra_s3xml_parse_uploads(P("<ListMultipartUploadsResult/>"), &u, &err), 0);
    assert_int_equal(u.n, 0);
    ra_s3xml_uploads_clear(&u);
    assert_int_equal(ra_s3xml_parse_uploads(P("garbage"), &u, &err), -1);
}

/* encoding-type=url: keys (and upload key markers) decoded when the answer says EncodingType url; tokens and
 * upload ids never; without EncodingType (a store that ignored the parameter) nothing is decoded */
static void test_url_encoded_listings(void **state) {
    (void)state;
    ra_s3xml_list l;
    ra_err err = {0};
    const char *enc = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
                      "<Contents><Key>p/a+b%2Bc%01%C3%BC</Key><Size>1</Size></Contents>"
                      "<NextContinuationToken>t%2B1+</NextContinuationToken></ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(enc), &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.objects[0].key, "p/a b+c\x01\xc3\xbc");
    assert_string_equal(l.next_token, "t%2B1+");
    ra_s3xml_list_clear(&l);
    const char *plain = "<ListBucketResult><Contents><Key>p/a+b%2B</Key></Contents></ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(plain), &l, &err), 0);
    assert_string_equal(l.objects[0].key, "p/a+b%2B");
    ra_s3xml_list_clear(&l);
    const char *nul = "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%00b</Key></Contents>"
                      "</ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(nul), &l, &err), -1);
    assert_string_equal(err.msg, "s3: malformed ListObjectsV2 answer");
    const char *bad = "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%zz</Key></Contents>"
                      "</ListBucketResult>";
    assert_int_equal(ra_s3xml_parse_list(P(bad), &l, &err), -1);

    ra_s3xml_uploads u;
    const char *up = "<ListMultipartUploadsResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
                     "<NextKeyMarker>p/k%20%2B</NextKeyMarker><NextUploadIdMarker>u+1</NextUploadIdMarker>"
                     "<Upload><Key>p/k%20%2B</Key><UploadId>u+1</UploadId></Upload></ListMultipartUploadsResult>";
    assert_int_equal(ra_s3xml_parse_uploads(P(up), &u, &err), 0);
    assert_int_equal(u.n, 1);
    assert_string_equal(u.uploads[0].key, "p/k +");
    assert_string_equal(u.uploads[0].upload_id, "u+1");
    assert_string_equal(u.next_key_marker, "p/k +");
    assert_string_equal(u.next_upload_id_marker, "u+1");
    ra_s3xml_uploads_clear(&u);
    /* RGW 16 encodes upload keys without saying so: what reads as encoded is decoded, a raw key is kept */
    const char *rgw = "<ListMultipartUploadsResult><Upload><Key>p/k%20%2B%252B</Key><UploadId>u</UploadId></Upload>"
                      "<Upload><Key>p/raw +%2B</Key><UploadId>v</UploadId></Upload></ListMultipartUploadsResult>";
    assert_int_equal(ra_s3xml_parse_uploads(P(rgw), &u, &err), 0);
    assert_string_equal(u.uploads[0].key, "p/k +%2B");
    assert_string_equal(u.uploads[1].key, "p/raw +%2B");
    ra_s3xml_uploads_clear(&u);
}

static void test_lifecycle_roundtrip(void **state) {
    (void)state;
    ra_err err = {0};
    ra_s3_lifecycle lc;
    char *r1 = ra_s3_lifecycle_rule_xml("ra-daily", "daily/<&>", 7, 1);
    assert_string_equal(r1, "<Rule><ID>ra-daily</ID><Filter><Prefix>daily/&lt;&amp;&gt;</Prefix></Filter>"
                            "<Status>Enabled</Status><Expiration><Days>7</Days></Expiration>"
                            "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                            "</AbortIncompleteMultipartUpload></Rule>");
    char *r2 = ra_s3_lifecycle_rule_xml("only-abort", "", 0, 3);
    assert_null(strstr(r2, "Expiration>"));
    assert_non_null(strstr(r2, "<DaysAfterInitiation>3</DaysAfterInitiation>"));
    char *r3 = ra_s3_lifecycle_rule_xml("only-exp", "x/", 2, 0);
    assert_null(strstr(r3, "AbortIncomplete"));
    /* a foreign rule with a tag filter and no ID must survive unchanged */
    const char *foreign = "<Rule><Filter><Tag><Key>retention</Key><Value>short</Value></Tag></Filter>"
                          "<Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
    char id1[] = "ra-daily", id2[] = "only-abort", id3[] = "", *fx = strdup(foreign);
    ra_s3_lifecycle_rule rules[] = {{id1, r1}, {id2, r2}, {id3, fx}};
    ra_s3_lifecycle in = {rules, 3};
    char *doc = ra_s3xml_build_lifecycle(&in);
    assert_non_null(strstr(doc, "<LifecycleConfiguration" NS ">"));
    assert_int_equal(ra_s3xml_parse_lifecycle(P(doc), &lc, &err), 0);
    assert_int_equal(lc.nrules, 3);
    assert_string_equal(lc.rules[0].id, "ra-daily");
    assert_string_equal(lc.rules[0].xml, r1);
    assert_string_equal(lc.rules[1].id, "only-abort");
    assert_string_equal(lc.rules[1].xml, r2);
    assert_string_equal(lc.rules[2].id, "");
    assert_string_equal(lc.rules[2].xml, foreign);
    char *again = ra_s3xml_build_lifecycle(&lc);
    assert_string_equal(again, doc);
    ra_s3_lifecycle_clear(&lc);
    ra_s3_lifecycle_clear(&lc); /* idempotent */
    assert_int_equal(ra_s3xml_parse_lifecycle(P("<LifecycleConfiguration/>"), &lc, &err), 0);
    assert_int_equal(lc.nrules, 0);
    ra_s3_lifecycle_clear(&lc);
    assert_int_equal(ra_s3xml_parse_lifecycle(P("<Error><Code>NoSuchLifecycleConfiguration</Code></Error>"), &lc,
                                              &err),
                     -1);
    assert_int_equal(ra_s3xml_parse_lifecycle(P("<LifecycleConfiguration><Rule>"), &lc, &err), -1);
    free(again);
    free(doc);
    free(r1);
    free(r2);
    free(r3);
    free(fx);
}

static void test_builders(void **state) {
    (void)state;
    const char *etags[] = {"\"aa\"", "\"bb\""};
    char *c = ra_s3xml_build_complete(etags, 2);
    assert_string_equal(c, HEAD "<CompleteMultipartUpload" NS "><Part><PartNumber>1</PartNumber>"
                                "<ETag>&quot;aa&quot;</ETag></Part><Part><PartNumber>2</PartNumber>"
                                "<ETag>&quot;bb&quot;</ETag></Part></CompleteMultipartUpload>");
    free(c);
    const char *keys[] = {"a&b", "c<d>'\""};
    char *d = ra_s3xml_build_delete(keys, 2);
    assert_string_equal(d, HEAD "<Delete" NS "><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object>"
                                "<Object><Key>c&lt;d&gt;&apos;&quot;</Key></Object></Delete>");
    free(d);
    /* the escaper itself (lifecycle.c's rules use it too) */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    assert_non_null(f);
    ra_s3xml_put_escaped(f, "a&b<c>d'e\"f\rg");
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, "a&amp;b&lt;c&gt;d&apos;e&quot;f&#13;g");
    free(buf);
    d = ra_s3xml_build_delete(NULL, 0);
    assert_non_null(strstr(d, "<Quiet>true</Quiet></Delete>"));
    free(d);
}

static void test_dtd_refused(void **state) {
    (void)state;
    ra_err err = {0};
    ra_s3_lifecycle lc;
    ra_s3xml_error e;
    /* no entity of any kind is expanded or kept: a DTD makes the document unacceptable */
    const char *xxe = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                      "<LifecycleConfiguration><Rule><ID>&e;</ID></Rule></LifecycleConfiguration>";
    assert_int_equal(ra_s3xml_parse_lifecycle(P(xxe), &lc, &err), -1);
    const char *bomb = "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                       "<Error><Code>&b;</Code></Error>";
    assert_int_equal(ra_s3xml_parse_error(P(bomb), &e), -1);
}

static void test_time(void **state) {
    (void)state;
    assert_int_equal(ra_s3xml_parse_time("2013-05-24T00:00:00.000Z"), 1369353600);
    assert_int_equal(ra_s3xml_parse_time("1970-01-01T00:00:01Z"), 1);
    assert_int_equal(ra_s3xml_parse_time("yesterday"), 0);
    assert_int_equal(ra_s3xml_parse_time(NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error),   cmocka_unit_test(test_upload_id), cmocka_unit_test(test_complete),
        cmocka_unit_test(test_list),    cmocka_unit_test(test_uploads),   cmocka_unit_test(test_lifecycle_roundtrip),
        cmocka_unit_test(test_builders), cmocka_unit_test(test_dtd_refused), cmocka_unit_test(test_time),
        cmocka_unit_test(test_url_encoded_listings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
