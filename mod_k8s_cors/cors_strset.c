/*
 * Open-addressing hash set (linear probing, FNV-1a, load kept under 1/2).
 * Built at configuration time; lookups at request time never allocate.
 */
#include <stdint.h>
#include <string.h>

#include <apr_strings.h>

#include "cors_strset.h"

typedef struct {
    const char *key; /* NULL: empty slot */
    size_t len;
    uint64_t hash;
    const void *value;
} slot;

struct cors_strset {
    apr_pool_t *pool;
    slot *slots;
    size_t capacity; /* a power of two */
    size_t count;
};

static uint64_t fnv1a(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

cors_strset *cors_strset_make(apr_pool_t *pool)
{
    cors_strset *set = apr_pcalloc(pool, sizeof(*set));
    set->pool = pool;
    set->capacity = 16;
    set->slots = apr_pcalloc(pool, set->capacity * sizeof(slot));
    return set;
}

static slot *find_slot(slot *slots, size_t capacity, const char *key, size_t len, uint64_t hash)
{
    size_t mask = capacity - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        slot *s = &slots[i];
        if (s->key == NULL || (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

static void grow(cors_strset *set)
{
    size_t capacity = set->capacity * 2;
    slot *slots = apr_pcalloc(set->pool, capacity * sizeof(slot));
    for (size_t i = 0; i < set->capacity; i++) {
        slot *old = &set->slots[i];
        if (old->key != NULL)
            *find_slot(slots, capacity, old->key, old->len, old->hash) = *old;
    }
    /* The old array stays in the pool until it is cleared: sets are built
     * once at configuration time, so the waste is bounded by 2x. */
    set->slots = slots;
    set->capacity = capacity;
}

const void *cors_strset_add(cors_strset *set, const char *key, size_t len, const void *value)
{
    uint64_t hash = fnv1a(key, len);
    slot *s = find_slot(set->slots, set->capacity, key, len, hash);
    if (s->key != NULL)
        return s->value;
    if ((set->count + 1) * 2 > set->capacity) {
        grow(set);
        s = find_slot(set->slots, set->capacity, key, len, hash);
    }
    s->key = apr_pstrmemdup(set->pool, key, len);
    s->len = len;
    s->hash = hash;
    s->value = value;
    set->count++;
    return NULL;
}

const void *cors_strset_get(const cors_strset *set, const char *key, size_t len)
{
    const slot *s = find_slot(set->slots, set->capacity, key, len, fnv1a(key, len));
    return s->key != NULL ? s->value : NULL;
}

size_t cors_strset_count(const cors_strset *set)
{
    return set->count;
}
