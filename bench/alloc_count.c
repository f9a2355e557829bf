/*
 * alloc_count.so: an LD_PRELOAD library for httpd that counts the APR pool
 * allocations (and header-table writes) made by one shared object, by
 * default mod_k8s_cors.so, to show which request paths allocate.
 *
 * Each interposed function looks at its return address: calls made from
 * inside the watched object are counted, then forwarded to APR. Counters
 * live in a shared file mapping (ALLOC_COUNT_FILE, 4 KiB), so httpd's
 * parent and children add to the same numbers and bench/run reads them
 * while httpd runs: the difference over N requests, divided by N, is the
 * count per request.
 *
 * Environment: ALLOC_COUNT_FILE (required), ALLOC_COUNT_OBJECT (a substring
 * of the watched object's path; default "mod_k8s_cors.so").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

/* Counter slots, in the order bench/run reads them. */
enum { C_ALLOC, C_TABLE, C_SLOTS };

static volatile uint64_t *counters;

static void attach(void)
{
    const char *path = getenv("ALLOC_COUNT_FILE");
    int fd;
    void *map;
    if (counters != NULL || path == NULL)
        return;
    fd = open(path, O_RDWR | O_CREAT, 0666);
    if (fd < 0)
        return;
    if (ftruncate(fd, 4096) == 0) {
        map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED)
            counters = map;
    }
    close(fd);
}

/* 1 when the caller's return address lies in the watched object (dladdr on
 * every call: slow, and only meant for counting runs). */
static int from_object(void *caller)
{
    Dl_info info;
    const char *wanted = getenv("ALLOC_COUNT_OBJECT");
    if (wanted == NULL)
        wanted = "mod_k8s_cors.so";
    if (dladdr(caller, &info) == 0 || info.dli_fname == NULL ||
        strstr(info.dli_fname, wanted) == NULL)
        return 0;
    return 1;
}

static void count(void *caller, int slot)
{
    attach();
    if (counters != NULL && from_object(caller))
        __atomic_add_fetch(&counters[slot], 1, __ATOMIC_RELAXED);
}

#define NEXT(name, type)                                                                           \
    static __typeof__(type) next_##name;                                                           \
    if (next_##name == NULL)                                                                       \
        next_##name = (type)dlsym(RTLD_NEXT, #name);

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    NEXT(apr_palloc, void *(*)(apr_pool_t *, apr_size_t));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_palloc(p, size);
}

#undef apr_pcalloc
void *apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    NEXT(apr_pcalloc, void *(*)(apr_pool_t *, apr_size_t));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_pcalloc(p, size);
}

char *apr_pstrdup(apr_pool_t *p, const char *s)
{
    NEXT(apr_pstrdup, char *(*)(apr_pool_t *, const char *));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_pstrdup(p, s);
}

char *apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    NEXT(apr_pstrmemdup, char *(*)(apr_pool_t *, const char *, apr_size_t));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_pstrmemdup(p, s, n);
}

char *apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n)
{
    NEXT(apr_pstrndup, char *(*)(apr_pool_t *, const char *, apr_size_t));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_pstrndup(p, s, n);
}

void *apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n)
{
    NEXT(apr_pmemdup, void *(*)(apr_pool_t *, const void *, apr_size_t));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_pmemdup(p, m, n);
}

char *apr_pvsprintf(apr_pool_t *p, const char *fmt, va_list ap)
{
    NEXT(apr_pvsprintf, char *(*)(apr_pool_t *, const char *, va_list));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_pvsprintf(p, fmt, ap);
}

char *apr_psprintf(apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char *out;
    NEXT(apr_pvsprintf, char *(*)(apr_pool_t *, const char *, va_list));
    count(__builtin_return_address(0), C_ALLOC);
    va_start(ap, fmt);
    out = next_apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return out;
}

/* apr_pstrcat is variadic and has no va_list twin: done here, with one
 * allocation from the real apr_palloc, as APR does. */
char *apr_pstrcat(apr_pool_t *p, ...)
{
    va_list ap;
    size_t total = 0;
    const char *s;
    char *out, *at;
    NEXT(apr_palloc, void *(*)(apr_pool_t *, apr_size_t));
    count(__builtin_return_address(0), C_ALLOC);
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL)
        total += strlen(s);
    va_end(ap);
    at = out = next_apr_palloc(p, total + 1);
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        size_t n = strlen(s);
        memcpy(at, s, n);
        at += n;
    }
    va_end(ap);
    *at = '\0';
    return out;
}

apr_array_header_t *apr_array_make(apr_pool_t *p, int nelts, int elt_size)
{
    NEXT(apr_array_make, apr_array_header_t * (*)(apr_pool_t *, int, int));
    count(__builtin_return_address(0), C_ALLOC);
    return next_apr_array_make(p, nelts, elt_size);
}

/* Table writes may grow the table (an allocation); the copying ones
 * always allocate. */
#define TABLE_WRITE(name)                                                                          \
    void name(apr_table_t *t, const char *key, const char *val)                                    \
    {                                                                                              \
        NEXT(name, void (*)(apr_table_t *, const char *, const char *));                           \
        count(__builtin_return_address(0), C_TABLE);                                               \
        next_##name(t, key, val);                                                                  \
    }
TABLE_WRITE(apr_table_set)
TABLE_WRITE(apr_table_setn)
TABLE_WRITE(apr_table_add)
TABLE_WRITE(apr_table_addn)
TABLE_WRITE(apr_table_merge)
TABLE_WRITE(apr_table_mergen)
