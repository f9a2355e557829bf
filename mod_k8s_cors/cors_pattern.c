/*
 * Reading a PCRE2 pattern token by token (cors_pattern.h): for the pattern
 * index, the literal head and tail every match of a whole-origin pattern
 * has.
 */
#include <string.h>

#include "cors_ascii.h"
#include "cors_pattern.h"

/* ---- reading a pattern's literal head and tail ------------------------------
 * A whole-origin pattern is compiled PCRE2_ANCHORED | PCRE2_ENDANCHORED, so
 * a match covers the whole subject: when the pattern ends with unquantified
 * literal characters outside any group, every subject it matches ends with
 * them, and likewise for the start. Only constructs whose extent is known
 * exactly are stepped over; anything else makes the reader give up. */

typedef enum {
    TOK_LITERAL, /* one character matched as itself (modulo (?i)) */
    TOK_OTHER,   /* anything else: class, escape, group boundary, assertion, dot */
    TOK_QUANT,   /* a quantifier: the atom before it is optional or repeated */
    TOK_DOLLAR,  /* `$`: zero-width at the end of the subject (PCRE2_DOLLAR_ENDONLY) */
    TOK_GIVE_UP, /* outside what the reader understands */
} token;

/* From p[*i] == open, past the matching close; the text between may hold
 * no structure (an escape's argument, a quantifier's bounds). */
static int skip_delimited(const char *p, size_t *i, char close)
{
    size_t j = *i + 1;
    for (; p[j] != '\0' && p[j] != close; j++)
        if (p[j] == '(' || p[j] == ')' || p[j] == '[' || p[j] == ']' || p[j] == '|' || p[j] == '\\')
            return 0;
    if (p[j] == '\0')
        return 0;
    *i = j + 1;
    return 1;
}

/* PCRE2's check_posix_syntax: from p[i] == '[' followed by ':', '.' or '=',
 * the position of the terminator (":]" ...) or 0 when this is no POSIX
 * class (the '[' is then an ordinary class member). */
static size_t posix_end(const char *p, size_t i)
{
    char terminator = p[i + 1];
    for (size_t j = i + 2; p[j] != '\0'; j++) {
        if (p[j] == '\\' && (p[j + 1] == ']' || p[j + 1] == '\\'))
            j++;
        else if ((p[j] == '[' && p[j + 1] == terminator) || p[j] == ']')
            return 0;
        else if (p[j] == terminator && p[j + 1] == ']')
            return j;
    }
    return 0;
}

/* From p[*i] == '[', past the class's closing ']'. */
static int skip_class(const char *p, size_t *i)
{
    size_t j = *i + 1;
    if (p[j] == '^')
        j++;
    if (p[j] == ']') /* a leading ']' is a member */
        j++;
    for (;;) {
        if (p[j] == '\0')
            return 0;
        if (p[j] == '\\') {
            if (p[j + 1] == '\0' || p[j + 1] == 'Q')
                return 0;
            if (p[j + 1] == 'c' && p[j + 2] == '\0')
                return 0;
            j += p[j + 1] == 'c' ? 3 : 2; /* \c takes one more character */
            continue;
        }
        if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '.' || p[j + 1] == '=')) {
            size_t end = posix_end(p, j);
            j = end ? end + 2 : j + 1;
            continue;
        }
        if (p[j] == ']') {
            *i = j + 1;
            return 1;
        }
        j++;
    }
}

size_t cors_pattern_class_end(const char *p, size_t i)
{
    return skip_class(p, &i) ? i : 0;
}

size_t cors_pattern_group_end(const char *p, size_t i)
{
    int depth = 0;
    while (p[i] != '\0') {
        if (p[i] == '\\') {
            if (p[i + 1] == '\0')
                return 0;
            i += 2;
        } else if (p[i] == '[') {
            if (!skip_class(p, &i))
                return 0;
        } else if (p[i] == '(') {
            depth++;
            i++;
        } else if (p[i] == ')') {
            i++;
            if (--depth == 0)
                return i;
        } else {
            i++;
        }
    }
    return 0;
}

/* A backslash sequence at p[*i]. */
static token read_escape(const char *p, size_t *i, unsigned char *literal)
{
    unsigned char c = (unsigned char)p[*i + 1];
    if (c == '\0' || c == 'Q')
        return TOK_GIVE_UP;
    if (!cors_ascii_is_alnum((unsigned char)c)) { /* an escaped punctuation character is itself */
        *literal = c;
        *i += 2;
        return TOK_LITERAL;
    }
    if (c == 'c') { /* \cX: one more character, whatever it is */
        if (p[*i + 2] == '\0')
            return TOK_GIVE_UP;
        *i += 3;
        return TOK_OTHER;
    }
    *i += 2;
    /* Arguments: \x{..} \o{..} \p{..} \g{..} \k<..> \g'..' \x41 \12 \g-1 ...
     * Swallowing letters and digits that were in fact literals only
     * shortens what the reader returns. */
    if (p[*i] == '{')
        return skip_delimited(p, i, '}') ? TOK_OTHER : TOK_GIVE_UP;
    if ((c == 'k' || c == 'g') && (p[*i] == '<' || p[*i] == '\''))
        return skip_delimited(p, i, p[*i] == '<' ? '>' : '\'') ? TOK_OTHER : TOK_GIVE_UP;
    if (c == 'g' && (p[*i] == '+' || p[*i] == '-'))
        (*i)++;
    while (cors_ascii_is_alnum((unsigned char)p[*i]) || p[*i] == '_')
        (*i)++;
    return TOK_OTHER;
}

/* An opening parenthesis at p[*i]. */
static token read_group(const char *p, size_t *i)
{
    if (p[*i + 1] == '*') /* verbs, (*ACCEPT) first: they decide where a match ends */
        return TOK_GIVE_UP;
    if (p[*i + 1] == '?') {
        size_t j = *i + 2;
        int extended = 0;
        if (p[j] == '#' || p[j] == 'C') /* comments and callouts hold free text */
            return TOK_GIVE_UP;
        for (; p[j] != '\0' && strchr("imnsxUJar^-", p[j]) != NULL; j++)
            extended |= p[j] == 'x';
        if (extended && (p[j] == ')' || p[j] == ':')) /* whitespace and # comments */
            return TOK_GIVE_UP;
    }
    (*i)++;
    return TOK_OTHER;
}

static token next_token(const char *p, size_t *i, int *depth, unsigned char *literal)
{
    unsigned char c = (unsigned char)p[*i];
    switch (c) {
    case '\\':
        return read_escape(p, i, literal);
    case '[':
        return skip_class(p, i) ? TOK_OTHER : TOK_GIVE_UP;
    case '(':
        (*depth)++;
        return read_group(p, i);
    case ')':
        (*i)++;
        return --(*depth) < 0 ? TOK_GIVE_UP : TOK_OTHER;
    case '|':
        (*i)++;
        return *depth == 0 ? TOK_GIVE_UP : TOK_OTHER;
    case '*':
    case '+':
    case '?':
        (*i)++;
        return TOK_QUANT;
    case '{': {
        /* {n}, {n,}, {n,m} (and, in later PCRE2, {,m} and spaces) are
         * quantifiers; any other '{' is a literal, counted as OTHER. */
        size_t j = *i + 1;
        while ((p[j] >= '0' && p[j] <= '9') || p[j] == ',' || p[j] == ' ')
            j++;
        if (p[j] == '}') {
            *i = j + 1;
            return TOK_QUANT;
        }
        (*i)++;
        return TOK_OTHER;
    }
    case '$':
        (*i)++;
        return TOK_DOLLAR;
    case '.':
    case '^':
        (*i)++;
        return TOK_OTHER;
    default:
        *literal = c;
        (*i)++;
        return TOK_LITERAL;
    }
}

/* Start-of-pattern items: limits, optimisations, newline conventions. They
 * never change which subjects match (the subject holds no newline). */
static int skip_start_items(const char *p, size_t *i)
{
    static const char *const items[] = {
        "LIMIT_DEPTH=",
        "LIMIT_HEAP=",
        "LIMIT_MATCH=",
        "LIMIT_RECURSION=",
        "NOTEMPTY",
        "NOTEMPTY_ATSTART",
        "NO_AUTO_POSSESS",
        "NO_DOTSTAR_ANCHOR",
        "NO_JIT",
        "NO_START_OPT",
        "CR",
        "LF",
        "CRLF",
        "ANYCRLF",
        "ANY",
        "NUL",
        "BSR_ANYCRLF",
        "BSR_UNICODE",
    };
    while (p[*i] == '(' && p[*i + 1] == '*') {
        size_t j = *i + 2, name_len;
        int known = 0;
        while ((p[j] >= 'A' && p[j] <= 'Z') || p[j] == '_')
            j++;
        if (p[j] == '=') {
            j++;
            if (p[j] < '0' || p[j] > '9')
                return 0;
            while (p[j] >= '0' && p[j] <= '9')
                j++;
        }
        if (p[j] != ')')
            return 0;
        name_len = j - (*i + 2);
        for (size_t k = 0; k < sizeof(items) / sizeof(items[0]); k++) {
            size_t item_len = strlen(items[k]);
            if (items[k][item_len - 1] == '='
                    ? name_len > item_len && memcmp(p + *i + 2, items[k], item_len) == 0
                    : name_len == item_len && memcmp(p + *i + 2, items[k], item_len) == 0)
                known = 1;
        }
        if (!known)
            return 0;
        *i = j + 1;
    }
    return 1;
}

int cors_pattern_literals_read(const char *pattern, cors_pattern_literals *out)
{
    size_t i = 0;
    int depth = 0, head_open = 1, dollar = 0;

    out->tail_len = 0;
    out->head_len = 0;
    if (!skip_start_items(pattern, &i))
        goto give_up;
    while (pattern[i] != '\0') {
        unsigned char literal = 0;
        size_t start = i;
        token t = next_token(pattern, &i, &depth, &literal);
        if (t == TOK_GIVE_UP)
            goto give_up;
        if (t == TOK_LITERAL && depth > 0)
            t = TOK_OTHER;
        if (t == TOK_DOLLAR && depth > 0)
            t = TOK_OTHER;

        /* The head: literals from the start, up to the first anything else. */
        if (head_open) {
            if (t == TOK_LITERAL) {
                if (out->head_len < CORS_LITERAL_MAX)
                    out->head[out->head_len++] = cors_ascii_lower(literal);
                else
                    head_open = 0;
            } else if (t == TOK_OTHER && out->head_len == 0 && pattern[start] == '^' &&
                       i == start + 1) {
                /* a leading ^ is redundant with PCRE2_ANCHORED */
            } else {
                if (t == TOK_QUANT && out->head_len > 0)
                    out->head_len--; /* the quantified literal is not required */
                head_open = 0;
            }
        }

        /* The tail: literals since the last anything else; `$` may follow. */
        if (t == TOK_LITERAL) {
            if (dollar)
                out->tail_len = 0;
            dollar = 0;
            if (out->tail_len == CORS_LITERAL_MAX) { /* keep the last characters */
                memmove(out->tail, out->tail + 1, CORS_LITERAL_MAX - 1);
                out->tail_len--;
            }
            out->tail[out->tail_len++] = cors_ascii_lower(literal);
        } else if (t == TOK_DOLLAR) {
            dollar = 1;
        } else {
            out->tail_len = 0;
            dollar = 0;
        }
    }
    if (depth != 0)
        goto give_up;
    return 1;

give_up:
    out->tail_len = 0;
    out->head_len = 0;
    return 0;
}
