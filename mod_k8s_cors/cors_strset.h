/*
 * A string-keyed hash set with one value per key, for exact origins and for
 * method and header names. Open addressing, FNV-1a: a lookup costs the same
 * with 10 keys or 100,000, and it never allocates.
 */
#ifndef CORS_STRSET_H
#define CORS_STRSET_H

#include <stddef.h>
#include <apr_pools.h>

typedef struct cors_strset cors_strset;

cors_strset *cors_strset_make(apr_pool_t *pool);

/* Adds a copy of key[0..len) with value. Returns the value already stored
 * when the key is present (and keeps it), or NULL when the key was added. */
const void *cors_strset_add(cors_strset *set, const char *key, size_t len, const void *value);

/* The value stored for key[0..len), or NULL. */
const void *cors_strset_get(const cors_strset *set, const char *key, size_t len);

size_t cors_strset_count(const cors_strset *set);

#endif
