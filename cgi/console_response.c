/*
 * What goes back: JSON error documents and the CGI response head. Every
 * answer, success or error, carries the same three headers.
 */
#include <apr_strings.h>

#include "console.h"

const char *console_status_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    }
    return "Error";
}

console_answer console_error(apr_pool_t *pool, int status, const char *code, const char *message)
{
    console_answer answer;
    answer.status = status;
    answer.json =
        apr_psprintf(pool, "{\"error\":{\"status\":%d,\"code\":%s,\"message\":%s}}", status,
                     cors_json_string(pool, code), cors_json_string(pool, message));
    return answer;
}

const char *console_response_text(apr_pool_t *pool, const console_answer *answer)
{
    return apr_psprintf(pool,
                        "Status: %d %s\r\n"
                        "Content-Type: application/json; charset=utf-8\r\n"
                        "X-Content-Type-Options: nosniff\r\n"
                        "Cache-Control: no-store\r\n"
                        "\r\n"
                        "%s\n",
                        answer->status, console_status_reason(answer->status), answer->json);
}
