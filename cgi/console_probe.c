/*
 * The probe's TLS client: one request to the configured API server on a
 * fresh connection, like `curl -v --cacert CA`. The peer is verified
 * (SSL_VERIFY_PEER against the configured CA bundle, the host name with
 * SSL_set1_host or the IP literal with X509_VERIFY_PARAM_set1_ip_asc, then
 * SSL_get_verify_result), TLS 1.2 at least, SNI for DNS names. Connect,
 * handshake and read each run under a deadline on a non-blocking socket
 * with poll(), and at most CONSOLE_PROBE_READ_MAX bytes are read: the
 * response head. No proxy is ever used, whatever the environment says.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "console.h"

typedef struct {
    apr_pool_t *pool;
    const char *phase;   /* where it failed */
    const char *message; /* why, or NULL */
} probe_state;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(probe_state *st, const char *phase, const char *message)
{
    st->phase = phase;
    st->message = message;
    return -1;
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long deadline)
{
    for (;;) {
        struct pollfd pfd = {fd, events, 0};
        long remaining = deadline - now_ms();
        int n;
        if (remaining <= 0)
            return 0;
        n = poll(&pfd, 1, (int)remaining);
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -1 : n > 0;
    }
}

static int connect_one(probe_state *st, const struct addrinfo *ai, long deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int error = 0, ready;
    socklen_t len = sizeof(error);

    if (fd < 0)
        return fail(st, "connect", apr_pstrcat(st->pool, "socket: ", strerror(errno), NULL));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        fail(st, "connect", apr_pstrcat(st->pool, "connect: ", strerror(errno), NULL));
        close(fd);
        return -1;
    }
    ready = wait_fd(fd, POLLOUT, deadline);
    if (ready <= 0) {
        fail(st, "connect", ready == 0 ? "connect timed out" : "poll failed");
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
        fail(st, "connect",
             apr_pstrcat(st->pool, "connect: ", strerror(error ? error : errno), NULL));
        close(fd);
        return -1;
    }
    return fd;
}

static int address_of(const struct addrinfo *ai, const unsigned char **addr, size_t *len)
{
    if (ai->ai_family == AF_INET) {
        *addr = (const unsigned char *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
        *len = 4;
        return 1;
    }
    if (ai->ai_family == AF_INET6) {
        *addr = (const unsigned char *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        *len = 16;
        return 1;
    }
    return 0;
}

static int connect_target(probe_state *st, const console_target *t, long timeout_ms)
{
    struct addrinfo hints, *list = NULL;
    char port[8];
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (t->host_is_ip ? AI_NUMERICHOST : 0);
    apr_snprintf(port, sizeof(port), "%u", t->port);
    rc = getaddrinfo(t->host, port, &hints, &list);
    if (rc != 0)
        return fail(st, "resolve", apr_pstrcat(st->pool, t->host, ": ", gai_strerror(rc), NULL));
    fail(st, "resolve", "no address");
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        const unsigned char *addr;
        size_t len;
        if (!address_of(ai, &addr, &len))
            continue;
        if (!console_address_allowed(addr, len)) {
            fail(st, "resolve",
                 "the host resolves to a link-local, unspecified or multicast "
                 "address: refused");
            continue;
        }
        fd = connect_one(st, ai, now_ms() + timeout_ms);
    }
    freeaddrinfo(list);
    if (fd >= 0)
        st->phase = st->message = NULL;
    return fd;
}

static const char *ssl_error_text(probe_state *st, SSL *ssl)
{
    long verify = SSL_get_verify_result(ssl);
    unsigned long e = ERR_get_error();
    char buffer[256];

    if (verify != X509_V_OK)
        return apr_pstrcat(
            st->pool, "certificate verify failed: ", X509_verify_cert_error_string(verify), NULL);
    if (e == 0)
        return "the connection was closed during the TLS handshake";
    ERR_error_string_n(e, buffer, sizeof(buffer));
    return apr_pstrdup(st->pool, buffer);
}

/* Runs an SSL operation to completion under deadline. Returns its result
 * (> 0), 0 at a clean end of stream, -1 on error or timeout. */
typedef int (*ssl_op)(SSL *ssl, void *buffer, int length);

static int op_connect(SSL *ssl, void *buffer, int length)
{
    (void)buffer;
    (void)length;
    return SSL_connect(ssl);
}

static int op_write(SSL *ssl, void *buffer, int length)
{
    return SSL_write(ssl, buffer, length);
}

static int op_read(SSL *ssl, void *buffer, int length)
{
    return SSL_read(ssl, buffer, length);
}

static int run_op(probe_state *st, SSL *ssl, int fd, ssl_op op, void *buffer, int length,
                  long deadline, const char *phase)
{
    for (;;) {
        int r, error, ready;
        ERR_clear_error();
        r = op(ssl, buffer, length);
        if (r > 0)
            return r;
        error = SSL_get_error(ssl, r);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            ready = wait_fd(fd, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (ready == 0)
                return fail(st, phase, apr_pstrcat(st->pool, phase, " timed out", NULL));
            if (ready < 0)
                return fail(st, phase, "poll failed");
            continue;
        }
        if (error == SSL_ERROR_ZERO_RETURN)
            return 0;
        return fail(st, phase, ssl_error_text(st, ssl));
    }
}

static SSL_CTX *make_context(probe_state *st, const char *ca_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        fail(st, "setup", "SSL_CTX_new failed");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file == NULL || ca_file[0] == '\0') {
        fail(st, "setup",
             "no CA bundle configured (SetEnv K8S_CORS_PROBE_CA /path/ca.pem, or "
             "\"system\" for the system's trust store)");
    } else if (strcmp(ca_file, "system") == 0
                   ? SSL_CTX_set_default_verify_paths(ctx) != 1
                   : SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        fail(st, "setup", apr_pstrcat(st->pool, "cannot load the CA bundle ", ca_file, NULL));
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

/* Names the peer to verify: the IP literal, or the DNS name (and SNI). */
static int set_peer_name(probe_state *st, SSL *ssl, const console_target *t)
{
    if (t->host_is_ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t->host) != 1)
            return fail(st, "setup", "cannot set the IP address to verify");
        return 0;
    }
    if (t->host[0] == '\0' || SSL_set1_host(ssl, t->host) != 1 ||
        SSL_set_tlsext_host_name(ssl, t->host) != 1)
        return fail(st, "setup", "cannot set the host name to verify");
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return 0;
}

static const char *tls_json(apr_pool_t *pool, SSL *ssl)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    X509 *peer = SSL_get0_peer_certificate(ssl);
#else
    X509 *peer = SSL_get_peer_certificate(ssl);
#endif
    char *subject = peer ? X509_NAME_oneline(X509_get_subject_name(peer), NULL, 0) : NULL;
    char *issuer = peer ? X509_NAME_oneline(X509_get_issuer_name(peer), NULL, 0) : NULL;
    const char *json = apr_psprintf(
        pool, "{\"version\":%s,\"cipher\":%s,\"verify\":\"ok\",\"subject\":%s,\"issuer\":%s}",
        cors_json_string(pool, SSL_get_version(ssl)),
        cors_json_string(pool, SSL_get_cipher_name(ssl)), cors_json_string(pool, subject),
        cors_json_string(pool, issuer));
    OPENSSL_free(subject);
    OPENSSL_free(issuer);
#if OPENSSL_VERSION_NUMBER < 0x30000000L
    X509_free(peer);
#endif
    return json;
}

/* The status line and headers of a response head, as JSON fields. */
static const char *head_json(apr_pool_t *pool, const char *head, size_t len, int complete)
{
    const char *end = head + len, *line = head, *status_line = NULL, *headers = "";
    int status = 0, count = 0;

    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t line_len = eol ? (size_t)(eol - line) : (size_t)(end - line);
        if (line_len > 0 && line[line_len - 1] == '\r')
            line_len--;
        if (status_line == NULL) {
            status_line = apr_pstrmemdup(pool, line, line_len);
            if (line_len > 12 && strncmp(line, "HTTP/", 5) == 0)
                status = (int)apr_atoi64(apr_pstrmemdup(pool, line + 9, 3));
        } else if (line_len == 0) {
            break;
        } else {
            const char *colon = memchr(line, ':', line_len);
            size_t name_len = colon ? (size_t)(colon - line) : line_len;
            const char *value = colon ? colon + 1 : line + line_len;
            while (value < line + line_len && (*value == ' ' || *value == '\t'))
                value++;
            headers = apr_pstrcat(
                pool, headers, count++ ? "," : "", "[", cors_json_string_n(pool, line, name_len),
                ",", cors_json_string_n(pool, value, (size_t)(line + line_len - value)), "]", NULL);
        }
        if (eol == NULL)
            break;
        line = eol + 1;
    }
    return apr_psprintf(pool,
                        "\"status_line\":%s,\"status\":%d,\"headers\":[%s],\"raw_headers\":%s,"
                        "\"truncated\":%s",
                        cors_json_string(pool, status_line), status, headers,
                        cors_json_string_n(pool, head, len), complete ? "false" : "true");
}

const char *console_probe_exchange(apr_pool_t *pool, const console_probe_config *config,
                                   const char *method, const char *path, const char *extra_headers,
                                   int *ok)
{
    probe_state st = {pool, NULL, NULL};
    const console_target *t = config->target;
    char *request = apr_psprintf(pool,
                                 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: k8s-cors-console-probe"
                                 "\r\nAccept: application/json, */*\r\n%sConnection: close\r\n\r\n",
                                 method, path, t->authority, extra_headers ? extra_headers : "");
    char *buffer = apr_palloc(pool, CONSOLE_PROBE_READ_MAX + 1);
    size_t got = 0;
    int fd, complete = 0;
    long started = now_ms();
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    const char *tls = "null", *head = NULL, *result;

    *ok = 0;
    fd = connect_target(&st, t, config->timeout_ms);
    if (fd < 0)
        goto done;
    ctx = make_context(&st, config->ca_file);
    if (ctx == NULL)
        goto done;
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        fail(&st, "setup", "SSL_new failed");
        goto done;
    }
    if (set_peer_name(&st, ssl, t) < 0)
        goto done;
    if (run_op(&st, ssl, fd, op_connect, NULL, 0, now_ms() + config->timeout_ms, "handshake") <=
        0) {
        if (st.phase == NULL)
            fail(&st, "handshake", "the connection was closed during the TLS handshake");
        goto done;
    }
    /* SSL_VERIFY_PEER already failed the handshake on a bad chain or name;
     * checked again so that no path returns data from an unverified peer. */
    if (SSL_get_verify_result(ssl) != X509_V_OK) {
        fail(&st, "verify", ssl_error_text(&st, ssl));
        goto done;
    }
    tls = tls_json(pool, ssl);
    {
        long deadline = now_ms() + config->timeout_ms;
        size_t sent = 0, total = strlen(request);
        while (sent < total) {
            int n = run_op(&st, ssl, fd, op_write, request + sent, (int)(total - sent), deadline,
                           "write");
            if (n <= 0) {
                if (st.phase == NULL)
                    fail(&st, "write", "the connection was closed");
                goto done;
            }
            sent += (size_t)n;
        }
        while (got < CONSOLE_PROBE_READ_MAX) {
            int n = run_op(&st, ssl, fd, op_read, buffer + got, (int)(CONSOLE_PROBE_READ_MAX - got),
                           deadline, "read");
            if (n <= 0)
                break;
            got += (size_t)n;
            buffer[got] = '\0';
            if (strstr(buffer, "\r\n\r\n") != NULL) {
                complete = 1;
                break;
            }
        }
        if (got == 0) {
            if (st.phase == NULL)
                fail(&st, "read", "the server closed the connection without a response");
            goto done;
        }
        st.phase = NULL; /* a head arrived: whatever ended the read, report it */
        st.message = NULL;
        head =
            head_json(pool, buffer,
                      complete ? (size_t)(strstr(buffer, "\r\n\r\n") - buffer) + 2 : got, complete);
        *ok = 1;
    }

done:
    if (ssl != NULL)
        SSL_free(ssl);
    if (ctx != NULL)
        SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    result =
        apr_psprintf(pool,
                     "{\"method\":%s,\"url\":%s,\"request\":%s,\"ok\":%s,\"error\":%s,\"tls\":%s,%s"
                     "\"elapsed_ms\":%ld}",
                     cors_json_string(pool, method),
                     cors_json_string(pool, apr_pstrcat(pool, t->url, path, NULL)),
                     cors_json_string(pool, request), *ok ? "true" : "false",
                     st.phase ? apr_psprintf(pool, "{\"phase\":%s,\"message\":%s}",
                                             cors_json_string(pool, st.phase),
                                             cors_json_string(pool, st.message))
                              : "null",
                     tls, head ? apr_pstrcat(pool, head, ",", NULL) : "", now_ms() - started);
    return result;
}
