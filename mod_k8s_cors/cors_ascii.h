/*
 * ASCII character classes, whatever the locale. apr_isalpha and friends are
 * the C library's isalpha: a call through the locale's table for every
 * byte, which on the request path (the Origin, the names of
 * Access-Control-Request-Headers) cost more than the parsing around it
 * (callgrind, `make bench`). These compare ranges inline; a byte over 0x7f
 * is never a letter or a digit.
 */
#ifndef CORS_ASCII_H
#define CORS_ASCII_H

static inline int cors_ascii_is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static inline int cors_ascii_is_digit(unsigned char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline int cors_ascii_is_alnum(unsigned char c)
{
    return cors_ascii_is_alpha(c) || cors_ascii_is_digit(c);
}

static inline char cors_ascii_lower(char c)
{
    return (unsigned char)(c - 'A') < 26 ? (char)(c | 0x20) : c;
}

#endif
