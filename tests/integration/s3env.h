/* s3env.h - the store the cmocka integration files run against (tests/run.sh exports RA_TEST_S3_*):
 * read once by s3env_load, a per-run key prefix, and NEED_ENV() to skip a test when none is given.
 * Included by s3_it.c and upload_it.c (each builds alone: the functions are static). */
#ifndef RA_TESTS_S3ENV_H
#define RA_TESTS_S3ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *endpoint, *access_key, *secret_key, *region, *bucket, *store;
    char prefix[96];
    int ok;
} env;

/* Read RA_TEST_S3_*; keys go under "<tag>-<time>-<pid>/". */
static int s3env_load(const char *tag) {
    env.endpoint = getenv("RA_TEST_S3_ENDPOINT");
    env.access_key = getenv("RA_TEST_S3_ACCESS_KEY");
    env.secret_key = getenv("RA_TEST_S3_SECRET_KEY");
    env.region = getenv("RA_TEST_S3_REGION");
    env.bucket = getenv("RA_TEST_S3_BUCKET");
    env.store = getenv("RA_TEST_S3_STORE");
    env.ok = env.endpoint && env.access_key && env.secret_key && env.bucket;
    if (env.region == NULL) env.region = "us-east-1";
    snprintf(env.prefix, sizeof(env.prefix), "%s-%ld-%d/", tag, (long)time(NULL), (int)getpid());
    return 0;
}

#define NEED_ENV()                                                                                                   \
    do {                                                                                                             \
        if (!env.ok) {                                                                                               \
            print_message("RA_TEST_S3_* not set: skipped\n");                                                        \
            skip();                                                                                                  \
        }                                                                                                            \
    } while (0)

#endif
