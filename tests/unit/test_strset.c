/*
 * cors_strset: binary-exact keys, first value wins, constant-cost lookups.
 */
#include <stdio.h>
#include <string.h>

#include <apr_pools.h>
#include <check.h>

#include "check_suites.h"
#include "cors_strset.h"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
}

static const int v1 = 1, v2 = 2, v3 = 3;

/* Basic add/get/count, and the key is copied (the caller's buffer may go). */
START_TEST(test_strset_add_get)
{
    cors_strset *set = cors_strset_make(pool);
    char key[32];

    ck_assert_ptr_nonnull(set);
    ck_assert_uint_eq(cors_strset_count(set), 0);
    ck_assert_ptr_null(cors_strset_get(set, "a", 1));

    strcpy(key, "https://a.example.com");
    ck_assert_ptr_null(cors_strset_add(set, key, strlen(key), &v1));
    memset(key, 'x', sizeof(key));
    ck_assert_uint_eq(cors_strset_count(set), 1);
    ck_assert_ptr_eq(cors_strset_get(set, "https://a.example.com", 21), &v1);

    ck_assert_ptr_null(cors_strset_add(set, "b", 1, &v2));
    ck_assert_uint_eq(cors_strset_count(set), 2);
    ck_assert_ptr_eq(cors_strset_get(set, "b", 1), &v2);
    ck_assert_ptr_eq(cors_strset_get(set, "https://a.example.com", 21), &v1);
}
END_TEST

/* A duplicate add returns the stored value and does not replace it. */
START_TEST(test_strset_duplicate)
{
    cors_strset *set = cors_strset_make(pool);

    ck_assert_ptr_null(cors_strset_add(set, "key", 3, &v1));
    ck_assert_ptr_eq(cors_strset_add(set, "key", 3, &v2), &v1);
    ck_assert_ptr_eq(cors_strset_add(set, "key", 3, &v3), &v1);
    ck_assert_ptr_eq(cors_strset_get(set, "key", 3), &v1);
    ck_assert_uint_eq(cors_strset_count(set), 1);
}
END_TEST

/* Keys compare byte for byte over exactly len bytes: case matters, prefixes
 * and extensions are different keys, and NUL bytes are ordinary bytes. */
START_TEST(test_strset_binary_exact)
{
    cors_strset *set = cors_strset_make(pool);

    ck_assert_ptr_null(cors_strset_add(set, "ab", 2, &v1));
    ck_assert_ptr_null(cors_strset_get(set, "abc", 3));
    ck_assert_ptr_null(cors_strset_get(set, "a", 1));
    ck_assert_ptr_null(cors_strset_get(set, "AB", 2));
    ck_assert_ptr_null(cors_strset_get(set, "Ab", 2));
    ck_assert_ptr_eq(cors_strset_get(set, "abc", 2), &v1); /* only len bytes count */

    ck_assert_ptr_null(cors_strset_add(set, "abc", 3, &v2));
    ck_assert_ptr_null(cors_strset_add(set, "AB", 2, &v3));
    ck_assert_uint_eq(cors_strset_count(set), 3);
    ck_assert_ptr_eq(cors_strset_get(set, "ab", 2), &v1);
    ck_assert_ptr_eq(cors_strset_get(set, "abc", 3), &v2);
    ck_assert_ptr_eq(cors_strset_get(set, "AB", 2), &v3);

    ck_assert_ptr_null(cors_strset_add(set, "x\0y", 3, &v1));
    ck_assert_ptr_eq(cors_strset_get(set, "x\0y", 3), &v1);
    ck_assert_ptr_null(cors_strset_get(set, "x\0z", 3));
    ck_assert_ptr_null(cors_strset_get(set, "x", 1));
    ck_assert_ptr_null(cors_strset_add(set, "x", 1, &v2));
    ck_assert_ptr_eq(cors_strset_get(set, "x", 1), &v2);
    ck_assert_ptr_eq(cors_strset_get(set, "x\0y", 3), &v1);
}
END_TEST

/* Many keys: every member found with its own value, non-members absent. */
START_TEST(test_strset_many)
{
    enum { N = 100000 };
    cors_strset *set = cors_strset_make(pool);
    int *vals = apr_palloc(pool, N * sizeof(*vals));
    char key[64];
    int i, n;

    for (i = 0; i < N; i++) {
        vals[i] = i;
        n = snprintf(key, sizeof(key), "https://host-%d.example.com", i);
        ck_assert_ptr_null(cors_strset_add(set, key, (size_t)n, &vals[i]));
    }
    ck_assert_uint_eq(cors_strset_count(set), N);

    for (i = 0; i < N; i++) {
        const int *got;
        n = snprintf(key, sizeof(key), "https://host-%d.example.com", i);
        got = cors_strset_get(set, key, (size_t)n);
        ck_assert_msg(got == &vals[i], "key %s: got %p, want %p", key, (const void *)got,
                      (const void *)&vals[i]);
    }
    for (i = N; i < N + 1000; i++) {
        n = snprintf(key, sizeof(key), "https://host-%d.example.com", i);
        ck_assert_ptr_null(cors_strset_get(set, key, (size_t)n));
        n = snprintf(key, sizeof(key), "https://HOST-%d.example.com", i - N);
        ck_assert_ptr_null(cors_strset_get(set, key, (size_t)n));
        n = snprintf(key, sizeof(key), "https://host-%d.example.co", i - N);
        ck_assert_ptr_null(cors_strset_get(set, key, (size_t)n));
    }
    /* re-adding still returns the original value and does not grow the set */
    n = snprintf(key, sizeof(key), "https://host-%d.example.com", 4242);
    ck_assert_ptr_eq(cors_strset_add(set, key, (size_t)n, &vals[0]), &vals[4242]);
    ck_assert_uint_eq(cors_strset_count(set), N);
}
END_TEST

Suite *strset_suite(void)
{
    Suite *s = suite_create("strset");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_strset_add_get);
    tcase_add_test(tc, test_strset_duplicate);
    tcase_add_test(tc, test_strset_binary_exact);
    tcase_add_test(tc, test_strset_many);
    suite_add_tcase(s, tc);
    return s;
}
