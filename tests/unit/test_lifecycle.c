/* test_lifecycle.c - merging our lifecycle rule into the bucket's rules, and the read-back check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "command/lifecycle.h"

static ra_s3_lifecycle_rule R(const char *id, const char *xml) {
    return (ra_s3_lifecycle_rule){(char *)id, (char *)xml};
}

static void test_merge_add_update_same(void **state) {
    (void)state;
    ra_s3_lifecycle_rule rules[] = {R("other", "<Rule>o</Rule>"), R("", "<Rule>no id</Rule>")};
    ra_s3_lifecycle cur = {rules, 2}, out;
    ra_lifecycle_change ch;
    size_t others;
    ra_err err = {0};

    /* add: ours goes last, the others kept byte for byte and in order */
    assert_int_equal(ra_lifecycle_merge(&cur, "ra:x", "<Rule>x7</Rule>", &out, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_ADD);
    assert_int_equal(others, 2);
    assert_int_equal(out.nrules, 3);
    assert_string_equal(out.rules[0].xml, "<Rule>o</Rule>");
    assert_string_equal(out.rules[1].id, "");
    assert_string_equal(out.rules[2].id, "ra:x");
    assert_string_equal(out.rules[2].xml, "<Rule>x7</Rule>");
    /* a deep copy: cur's strings are not shared */
    assert_ptr_not_equal(out.rules[0].xml, rules[0].xml);

    /* update in place, then the same is "same" */
    ra_s3_lifecycle again;
    assert_int_equal(ra_lifecycle_merge(&out, "ra:x", "<Rule>x3</Rule>", &again, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_UPDATE);
    assert_int_equal(others, 2);
    assert_int_equal(again.nrules, 3);
    assert_string_equal(again.rules[2].xml, "<Rule>x3</Rule>");
    ra_s3_lifecycle same;
    assert_int_equal(ra_lifecycle_merge(&again, "ra:x", "<Rule>x3</Rule>", &same, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_SAME);
    assert_int_equal(same.nrules, 3);
    ra_s3_lifecycle_clear(&same);
    ra_s3_lifecycle_clear(&again);
    ra_s3_lifecycle_clear(&out);

    /* no rules at all */
    ra_s3_lifecycle none = {0};
    assert_int_equal(ra_lifecycle_merge(&none, "ra:x", "<Rule/>", &out, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_ADD);
    assert_int_equal(others, 0);
    assert_int_equal(out.nrules, 1);
    ra_s3_lifecycle_clear(&out);
}

/* Two instances apply at once from the same read: the second put drops the first one's rule. */
static void test_took_detects_lost_update(void **state) {
    (void)state;
    ra_s3_lifecycle_rule base[] = {R("keep", "<Rule>k</Rule>")};
    ra_s3_lifecycle cur = {base, 1}, a, b;
    ra_lifecycle_change ch;
    size_t others, vanished;
    ra_err err = {0};
    assert_int_equal(ra_lifecycle_merge(&cur, "ra:a", "<Rule>a</Rule>", &a, &ch, &others, &err), 0);
    assert_int_equal(ra_lifecycle_merge(&cur, "ra:b", "<Rule>b</Rule>", &b, &ch, &others, &err), 0);
    /* b's put landed last: a reads back b's rules */
    assert_int_equal(ra_lifecycle_took(&a, &b, "ra:a", "<Rule>a</Rule>", &vanished), 0);
    assert_int_equal(vanished, 0);
    assert_int_equal(ra_lifecycle_took(&b, &b, "ra:b", "<Rule>b</Rule>", &vanished), 1);
    /* a merges again from what it read: both are in */
    ra_s3_lifecycle both;
    assert_int_equal(ra_lifecycle_merge(&b, "ra:a", "<Rule>a</Rule>", &both, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_ADD);
    assert_int_equal(both.nrules, 3);
    assert_int_equal(ra_lifecycle_took(&both, &both, "ra:a", "<Rule>a</Rule>", &vanished), 1);
    assert_int_equal(ra_lifecycle_took(&b, &both, "ra:b", "<Rule>b</Rule>", &vanished), 1);
    /* another's rule gone, ours there: counted */
    ra_s3_lifecycle_rule only_a[] = {R("ra:a", "<Rule>a</Rule>")};
    ra_s3_lifecycle got = {only_a, 1};
    assert_int_equal(ra_lifecycle_took(&both, &got, "ra:a", "<Rule>a</Rule>", &vanished), 1);
    assert_int_equal(vanished, 2);
    /* ours there with other text (another days value): not taken */
    ra_s3_lifecycle_rule a9[] = {R("ra:a", "<Rule>a9</Rule>")};
    ra_s3_lifecycle got9 = {a9, 1};
    assert_int_equal(ra_lifecycle_took(&got, &got9, "ra:a", "<Rule>a</Rule>", &vanished), 0);
    ra_s3_lifecycle_clear(&both);
    ra_s3_lifecycle_clear(&a);
    ra_s3_lifecycle_clear(&b);
}

/* Stores re-serialise rules: moto puts Expiration before ID; RGW and AWS may indent or add a namespace
 * prefix. Such a rule is the same; one that says something else is not (stores.md row 11). */
static void test_compared_by_value(void **state) {
    (void)state;
    char *ours = ra_s3_lifecycle_rule_xml("redis-archiver:redis-archiver/x", "redis-archiver/x/", 7, 1);
    assert_non_null(ours);
    const char *moto = "<Rule><Expiration><Days>7</Days></Expiration><ID>redis-archiver:redis-archiver/x</ID>"
                       "<Filter><Prefix>redis-archiver/x/</Prefix></Filter><Status>Enabled</Status>"
                       "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                       "</AbortIncompleteMultipartUpload></Rule>";
    const char *pretty = "<s3:Rule xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
                         "  <s3:ID>redis-archiver:redis-archiver/x</s3:ID>\n"
                         "  <s3:Status>Enabled</s3:Status>\n"
                         "  <s3:Filter><s3:Prefix>redis-archiver/x/</s3:Prefix></s3:Filter>\n"
                         "  <s3:AbortIncompleteMultipartUpload><s3:DaysAfterInitiation> 1 </s3:DaysAfterInitiation>"
                         "</s3:AbortIncompleteMultipartUpload>\n"
                         "  <s3:Expiration><s3:Days>7</s3:Days></s3:Expiration>\n</s3:Rule>";
    const char *days3 = "<Rule><Expiration><Days>3</Days></Expiration><ID>redis-archiver:redis-archiver/x</ID>"
                        "<Filter><Prefix>redis-archiver/x/</Prefix></Filter><Status>Enabled</Status>"
                        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                        "</AbortIncompleteMultipartUpload></Rule>";
    /* the prefix moved out of Filter (legacy form) says something else to the store's parser: not the same */
    const char *legacy = "<Rule><ID>redis-archiver:redis-archiver/x</ID><Prefix>redis-archiver/x/</Prefix>"
                         "<Status>Enabled</Status><Expiration><Days>7</Days></Expiration>"
                         "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                         "</AbortIncompleteMultipartUpload></Rule>";
    /* an action added by hand (no abort rule) or a second expiry: not the same */
    const char *no_abort = "<Rule><ID>redis-archiver:redis-archiver/x</ID><Filter><Prefix>redis-archiver/x/</Prefix>"
                           "</Filter><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>";
    assert_int_equal(ra_s3_lifecycle_rule_equal(ours, ours), 1);
    assert_int_equal(ra_s3_lifecycle_rule_equal(moto, ours), 1);
    assert_int_equal(ra_s3_lifecycle_rule_equal(pretty, ours), 1);
    assert_int_equal(ra_s3_lifecycle_rule_equal(days3, ours), 0);
    assert_int_equal(ra_s3_lifecycle_rule_equal(legacy, ours), 0);
    assert_int_equal(ra_s3_lifecycle_rule_equal(no_abort, ours), 0);
    assert_int_equal(ra_s3_lifecycle_rule_equal("<Rule>a</Rule>", "<Rule>b</Rule>"), 0);
    /* text that is not XML equals only itself */
    assert_int_equal(ra_s3_lifecycle_rule_equal("<Rule>", "<Rule>"), 1);
    assert_int_equal(ra_s3_lifecycle_rule_equal("<Rule>", "<Rule> "), 0);
    /* a leaf's text is length-prefixed in the canonical form: no two texts collide by concatenation */
    assert_int_equal(ra_s3_lifecycle_rule_equal("<R><A>x</A><A>yz</A></R>", "<R><A>xy</A><A>z</A></R>"), 0);
    assert_int_equal(ra_s3_lifecycle_rule_equal("<R><A>yz</A><A>x</A></R>", "<R><A>x</A><A>yz</A></R>"), 1);

    /* the merge says "already up to date" for moto's form, and the read-back finds ours */
    ra_s3_lifecycle_rule rules[] = {R("keep", "<Rule><ID>keep</ID></Rule>"),
                                    R("redis-archiver:redis-archiver/x", moto)};
    ra_s3_lifecycle cur = {rules, 2}, out;
    ra_lifecycle_change ch;
    size_t others, vanished;
    ra_err err = {0};
    assert_int_equal(ra_lifecycle_merge(&cur, "redis-archiver:redis-archiver/x", ours, &out, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_SAME);
    assert_int_equal(others, 1);
    assert_int_equal(ra_lifecycle_took(&out, &cur, "redis-archiver:redis-archiver/x", ours, &vanished), 1);
    assert_int_equal(vanished, 0);
    ra_s3_lifecycle_clear(&out);
    rules[1].xml = (char *)days3;
    assert_int_equal(ra_lifecycle_merge(&cur, "redis-archiver:redis-archiver/x", ours, &out, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_UPDATE);
    assert_int_equal(ra_lifecycle_took(&out, &cur, "redis-archiver:redis-archiver/x", ours, &vanished), 0);
    ra_s3_lifecycle_clear(&out);
    /* a rule of others without an ID, read back re-serialised, has not vanished */
    ra_s3_lifecycle_rule put_r[] = {R("", "<Rule><Status>Enabled</Status><Prefix>logs/</Prefix></Rule>")};
    ra_s3_lifecycle_rule got_r[] = {R("", "<Rule><Prefix>logs/</Prefix><Status>Enabled</Status></Rule>")};
    ra_s3_lifecycle put = {put_r, 1}, got = {got_r, 1};
    assert_int_equal(ra_lifecycle_took(&put, &got, "ra:x", "<Rule/>", &vanished), 0);
    assert_int_equal(vanished, 0);
    free(ours);
}

/* Rule IDs stay within the AWS limit; long ones end with a hash of the whole name, so they stay distinct. */
static void test_rule_id(void **state) {
    (void)state;
    ra_err err = {0};
    char *id = ra_lifecycle_rule_id("redis-archiver/", "cache-1", &err);
    assert_string_equal(id, "redis-archiver:redis-archiver/cache-1");
    free(id);
    /* exactly at the limit: kept as it is */
    char prefix[600];
    size_t room = RA_LIFECYCLE_ID_MAX - strlen("redis-archiver:") - 1;
    memset(prefix, 'p', room);
    prefix[room] = '\0';
    id = ra_lifecycle_rule_id(prefix, "i", &err);
    assert_int_equal(strlen(id), RA_LIFECYCLE_ID_MAX);
    assert_null(strchr(id, '~'));
    free(id);
    /* one over: shortened to the limit, "~" and 16 hex digits at the end */
    memset(prefix, 'p', room + 1);
    prefix[room + 1] = '\0';
    char *a = ra_lifecycle_rule_id(prefix, "i", &err), *b = ra_lifecycle_rule_id(prefix, "j", &err);
    assert_int_equal(strlen(a), RA_LIFECYCLE_ID_MAX);
    assert_int_equal(strlen(b), RA_LIFECYCLE_ID_MAX);
    assert_int_equal(a[RA_LIFECYCLE_ID_MAX - 17], '~');
    assert_int_equal(strspn(a + RA_LIFECYCLE_ID_MAX - 16, "0123456789abcdef"), 16);
    assert_memory_equal(a, "redis-archiver:pppp", 19);
    assert_string_not_equal(a, b);
    /* the same name gives the same ID (the rule is found again on the next run) */
    char *a2 = ra_lifecycle_rule_id(prefix, "i", &err);
    assert_string_equal(a, a2);
    free(a);
    free(b);
    free(a2);
    /* a 512-byte prefix of 3-byte characters: cut on a character boundary, never inside one */
    size_t k = 0;
    while (k + 3 <= 510) {
        memcpy(prefix + k, "\xe5\x8d\x87", 3);
        k += 3;
    }
    prefix[k] = '\0';
    id = ra_lifecycle_rule_id(prefix, "cache", &err);
    size_t n = strlen(id), head = n - 17;
    assert_true(n <= RA_LIFECYCLE_ID_MAX);
    assert_int_equal(id[head], '~');
    assert_int_equal((head - strlen("redis-archiver:")) % 3, 0);
    free(id);
}

/* every character XML escapes, in the rule's ID and prefix (ra_s3xml_put_escaped, byte for byte) */
static void test_escaped(void **state) {
    (void)state;
    ra_err err = {0};
    ra_lifecycle_want w;
    assert_int_equal(ra_lifecycle_want_build("p'\"&/", "c<1>", RA_LIFECYCLE_TAGS, 7, 0, &w, &err), 0);
    assert_string_equal(w.xml[0], "<Rule><ID>redis-archiver:p&apos;&quot;&amp;/c&lt;1&gt;</ID><Filter><Prefix>"
                                  "p&apos;&quot;&amp;/c&lt;1&gt;/</Prefix></Filter><Status>Enabled</Status>"
                                  "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                                  "</AbortIncompleteMultipartUpload></Rule>");
    assert_string_equal(w.xml[1], "<Rule><ID>redis-archiver:p&apos;&quot;&amp;/c&lt;1&gt;:expire-tagged</ID><Filter>"
                                  "<And><Prefix>p&apos;&quot;&amp;/c&lt;1&gt;/</Prefix><Tag><Key>redis-archiver-retain"
                                  "</Key><Value>expire</Value></Tag></And></Filter><Status>Enabled</Status>"
                                  "<Expiration><Days>7</Days></Expiration></Rule>");
    ra_lifecycle_want_clear(&w);
}

/* the rules of each mode, found again by value, the And-less form RGW gives back, and removal of the tag rule */
static void test_want(void **state) {
    (void)state;
    ra_err err = {0};
    ra_lifecycle_want tags, sweep, age, vers;
    assert_int_equal(ra_lifecycle_want_build("redis-archiver/", "c<1>", RA_LIFECYCLE_TAGS, 7, 0, &tags, &err), 0);
    assert_string_equal(tags.id[0], "redis-archiver:redis-archiver/c<1>");
    assert_string_equal(tags.id[1], "redis-archiver:redis-archiver/c<1>:expire-tagged");
    assert_non_null(strstr(tags.xml[0], "<Prefix>redis-archiver/c&lt;1&gt;/</Prefix>"));
    assert_null(strstr(tags.xml[0], "<Expiration>"));
    assert_non_null(strstr(tags.xml[0], "<DaysAfterInitiation>1</DaysAfterInitiation>"));
    assert_non_null(strstr(tags.xml[1], "<And><Prefix>redis-archiver/c&lt;1&gt;/</Prefix><Tag><Key>redis-archiver-retain"
                                        "</Key><Value>expire</Value></Tag></And>"));
    assert_non_null(strstr(tags.xml[1], "<Expiration><Days>7</Days></Expiration>"));
    assert_null(strstr(tags.xml[1], "AbortIncomplete"));
    /* the same as the old single rule of retention-keep > 0, so existing buckets keep their rule */
    char *old = ra_s3_lifecycle_rule_xml(tags.id[0], "redis-archiver/c<1>/", 0, 1);
    assert_int_equal(ra_lifecycle_rule_same(old, tags.xml[0]), 1);
    free(old);
    assert_int_equal(ra_lifecycle_want_build("redis-archiver/", "c<1>", RA_LIFECYCLE_SWEEP, 7, 0, &sweep, &err), 0);
    assert_null(sweep.xml[1]);
    assert_string_equal(sweep.xml[0], tags.xml[0]);
    assert_int_equal(ra_lifecycle_want_build("redis-archiver/", "c<1>", RA_LIFECYCLE_AGE, 7, 0, &age, &err), 0);
    old = ra_s3_lifecycle_rule_xml(age.id[0], "redis-archiver/c<1>/", 7, 1);
    assert_int_equal(ra_lifecycle_rule_same(old, age.xml[0]), 1);
    free(old);
    assert_int_equal(ra_lifecycle_want_build("redis-archiver/", "c<1>", RA_LIFECYCLE_TAGS, 7, 1, &vers, &err), 0);
    assert_non_null(strstr(vers.xml[0], "<NoncurrentDays>1</NoncurrentDays>"));
    assert_non_null(strstr(vers.xml[0], "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"));
    /* RGW 16.2 answers the tag rule with Prefix and Tag straight under Filter */
    const char *rgw = "<Rule><Expiration><Days>7</Days></Expiration><ID>redis-archiver:redis-archiver/c&lt;1&gt;:expire-tagged"
                      "</ID><Filter><Prefix>redis-archiver/c&lt;1&gt;/</Prefix><Tag><Key>redis-archiver-retain</Key>"
                      "<Value>expire</Value></Tag></Filter><Status>Enabled</Status></Rule>";
    assert_int_equal(ra_lifecycle_rule_same(rgw, tags.xml[1]), 1);
    assert_int_equal(ra_lifecycle_rule_same(rgw, vers.xml[0]), 0);
    /* hashes differ by mode and versioning */
    char h1[RA_LIFECYCLE_HASH_LEN + 1], h2[RA_LIFECYCLE_HASH_LEN + 1], h3[RA_LIFECYCLE_HASH_LEN + 1];
    assert_int_equal(ra_lifecycle_want_hash(&tags, h1), 0);
    assert_int_equal(ra_lifecycle_want_hash(&sweep, h2), 0);
    assert_int_equal(ra_lifecycle_want_hash(&vers, h3), 0);
    assert_int_equal(strlen(h1), RA_LIFECYCLE_HASH_LEN);
    assert_string_not_equal(h1, h2);
    assert_string_not_equal(h1, h3);

    /* merge: both added after another rule; again: the same; then the sweep mode removes the tag rule */
    ra_s3_lifecycle_rule rules[] = {R("other", "<Rule>o</Rule>")};
    ra_s3_lifecycle cur = {rules, 1}, out, again, less;
    ra_lifecycle_change ch;
    size_t others, vanished;
    assert_int_equal(ra_lifecycle_merge_want(&cur, &tags, &out, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_ADD);
    assert_int_equal(others, 1);
    assert_int_equal(out.nrules, 3);
    assert_string_equal(out.rules[0].id, "other");
    assert_int_equal(ra_lifecycle_took_want(&out, &out, &tags, &vanished), 1);
    assert_int_equal(ra_lifecycle_took_want(&out, &cur, &tags, &vanished), 0);
    assert_int_equal(ra_lifecycle_merge_want(&out, &tags, &again, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_SAME);
    assert_int_equal(others, 1);
    assert_int_equal(ra_lifecycle_merge_want(&out, &sweep, &less, &ch, &others, &err), 0);
    assert_int_equal(ch, RA_LIFECYCLE_UPDATE);
    assert_int_equal(less.nrules, 2);
    assert_string_equal(less.rules[1].id, sweep.id[0]);
    assert_int_equal(ra_lifecycle_took_want(&less, &less, &sweep, &vanished), 1);
    assert_int_equal(ra_lifecycle_took_want(&less, &out, &sweep, &vanished), 0); /* the tag rule must be gone */
    ra_s3_lifecycle_clear(&out);
    ra_s3_lifecycle_clear(&again);
    ra_s3_lifecycle_clear(&less);
    ra_lifecycle_want_clear(&tags);
    ra_lifecycle_want_clear(&sweep);
    ra_lifecycle_want_clear(&age);
    ra_lifecycle_want_clear(&vers);
}

static void test_state(void **state) {
    (void)state;
    ra_lifecycle_state st = {.checked = 1764385200, .mode = RA_LIFECYCLE_SWEEP, .versioned = 1}, back;
    memcpy(st.rules, "0123456789abcdef", RA_LIFECYCLE_HASH_LEN + 1);
    char *text = ra_lifecycle_state_format(&st);
    assert_non_null(text);
    assert_int_equal(ra_lifecycle_state_parse(text, strlen(text), &back), 0);
    assert_int_equal(back.checked, st.checked);
    assert_int_equal(back.mode, RA_LIFECYCLE_SWEEP);
    assert_int_equal(back.versioned, 1);
    assert_string_equal(back.rules, st.rules);
    /* anything else is no state (the rules are then checked) */
    assert_int_equal(ra_lifecycle_state_parse(text, strlen(text) - 2, &back), -1);
    assert_int_equal(ra_lifecycle_state_parse("", 0, &back), -1);
    const char *bad[] = {
        "redis-archiver retention 1\nchecked 5\nmode fast\nversioned 0\nrules 0123456789abcdef\n",
        "redis-archiver retention 1\nchecked -5\nmode age\nversioned 0\nrules 0123456789abcdef\n",
        "redis-archiver retention 1\nchecked 5\nmode age\nversioned 2\nrules 0123456789abcdef\n",
        "redis-archiver retention 2\nchecked 5\nmode age\nversioned 0\nrules 0123456789abcdef\n",
        "redis-archiver retention 1\nchecked 5\nmode age\nversioned 0\nrules 0123\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ra_lifecycle_state_parse(bad[i], strlen(bad[i]), &back), -1);
    char nul[] = "redis-archiver retention 1\nchecked 5\0mode age\n";
    assert_int_equal(ra_lifecycle_state_parse(nul, sizeof(nul) - 1, &back), -1);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_add_update_same),
        cmocka_unit_test(test_took_detects_lost_update),
        cmocka_unit_test(test_compared_by_value),
        cmocka_unit_test(test_rule_id),
        cmocka_unit_test(test_escaped), cmocka_unit_test(test_want),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
