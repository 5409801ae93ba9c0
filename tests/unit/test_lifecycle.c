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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_add_update_same),
        cmocka_unit_test(test_took_detects_lost_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
