#include <strings.h>

#include "cors_names.h"

const char *cors_name_of(const char *const *names, size_t count, int value)
{
    if (value < 0 || (size_t)value >= count || names[value] == NULL)
        return "unknown";
    return names[value];
}

int cors_name_find(const char *const *names, size_t count, const char *word)
{
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(names[i], word) == 0)
            return (int)i;
    return -1;
}
