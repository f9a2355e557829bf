/*
 * The fixture every unit suite uses: a fresh APR pool per test, destroyed
 * after it, so that one test's allocations never reach the next and leak
 * checkers stay quiet. Include it once per suite file; a suite that needs
 * more per test calls unit_setup first in its own setup.
 */
#ifndef UNIT_FIXTURE_H
#define UNIT_FIXTURE_H

#include <apr_pools.h>
#include <check.h>

static apr_pool_t *pool;

static inline void unit_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static inline void unit_teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
}

#endif
