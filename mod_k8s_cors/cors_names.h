/*
 * An enum's names, written once: an array in the enum's order, read both
 * ways (a value's name for logs and JSON, a configured word's value).
 */
#ifndef CORS_NAMES_H
#define CORS_NAMES_H

#include <stddef.h>

#define CORS_NAMES_COUNT(names) (sizeof(names) / sizeof((names)[0]))

/* names[value], or "unknown" for a value outside the array. */
const char *cors_name_of(const char *const *names, size_t count, int value);

/* The value whose name is word (ASCII case-insensitive), or -1. */
int cors_name_find(const char *const *names, size_t count, const char *word);

#endif
