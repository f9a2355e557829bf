/*
 * libFuzzer target: cors_origin_parse on arbitrary bytes (not NUL-terminated,
 * so ASan catches any read past the value). Checks that an accepted origin is
 * printable ASCII without list, userinfo, path or escape characters, that its
 * normalized form is lower-case, within bounds and consistent with its
 * offsets, and that normalizing is idempotent.
 */
#include <stdint.h>

#include "fuzz_common.h"

static void check_accepted(const unsigned char *data, size_t size, const cors_origin *o)
{
    size_t slashes = 0;
    cors_origin again;
    cors_origin_status status;

    FUZZ_CHECK(size <= CORS_ORIGIN_MAX_LEN, "accepted %zu bytes", size);
    for (size_t i = 0; i < size; i++) {
        unsigned char c = data[i];
        FUZZ_CHECK(c > 0x20 && c < 0x7f, "accepted byte 0x%02x at %zu", c, i);
        FUZZ_CHECK(strchr(",@\\\"%'<>?#`{}|^", c) == NULL, "accepted '%c' at %zu", c, i);
        slashes += c == '/';
    }
    FUZZ_CHECK(slashes == 2, "accepted %zu slashes", slashes);
    FUZZ_CHECK(o->len <= CORS_ORIGIN_MAX_LEN, "normalized length %zu", o->len);
    FUZZ_CHECK(memchr(o->text, '\0', CORS_ORIGIN_MAX_LEN + 1) != NULL, "text not terminated");
    FUZZ_CHECK(strlen(o->text) == o->len, "len %zu, strlen %zu", o->len, strlen(o->text));
    for (size_t i = 0; i < o->len; i++)
        FUZZ_CHECK(!(o->text[i] >= 'A' && o->text[i] <= 'Z'), "upper case in \"%s\"", o->text);
    FUZZ_CHECK(o->scheme_len > 0 && o->scheme_len + 3 <= o->len, "scheme_len %zu", o->scheme_len);
    FUZZ_CHECK(memcmp(o->text + o->scheme_len, "://", 3) == 0, "no :// in \"%s\"", o->text);
    FUZZ_CHECK(o->host_off == o->scheme_len + 3, "host_off %zu", o->host_off);
    FUZZ_CHECK(o->host_len > 0 && o->host_off + o->host_len <= o->len, "host %zu+%zu of %zu",
               o->host_off, o->host_len, o->len);
    FUZZ_CHECK(o->port <= 65535, "port %u", o->port);

    status = cors_origin_parse(o->text, o->len, &again);
    FUZZ_CHECK(status == CORS_ORIGIN_OK, "normalized \"%s\" refused (%d)", o->text, status);
    FUZZ_CHECK(strcmp(again.text, o->text) == 0, "\"%s\" normalizes again to \"%s\"", o->text,
               again.text);
    FUZZ_CHECK(again.port == o->port, "port %u then %u", o->port, again.port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cors_origin origin;
    cors_origin_status status;
    char *value = malloc(size ? size : 1);

    if (value == NULL)
        abort();
    memcpy(value, data, size);
    status = cors_origin_parse(value, size, &origin);
    FUZZ_CHECK(status >= CORS_ORIGIN_OK && status <= CORS_ORIGIN_PATH, "status %d", status);
    FUZZ_CHECK(cors_origin_status_text(status) != NULL, "no text for %d", status);
    if (status == CORS_ORIGIN_OK)
        check_accepted(data, size, &origin);
    else if (status == CORS_ORIGIN_NULL)
        FUZZ_CHECK(size == 4 && memcmp(data, "null", 4) == 0, "NULL status for %zu bytes", size);
    free(value);
    return 0;
}
