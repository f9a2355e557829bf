/*
 * Secrets a request may carry that nothing may show: browsers cannot set
 * Authorization on a WebSocket, so Kubernetes clients in a page send the
 * bearer token as a subprotocol, `base64url.bearer.authorization.k8s.io.`
 * followed by the token in base64url (kube-apiserver's
 * wsstream/authenticator). Whatever a log line, a JSON answer or the console
 * shows of a request passes through cors_redact first.
 */
#ifndef CORS_SECRET_H
#define CORS_SECRET_H

#include <stddef.h>

#include <apr_pools.h>

#define CORS_BEARER_PROTOCOL_PREFIX "base64url.bearer.authorization.k8s.io."
#define CORS_REDACTED               "[redacted]"

/* text[0..len) with the token of every bearer subprotocol in it (any case)
 * replaced by CORS_REDACTED; text itself, unallocated, when it holds none.
 * *out_len (when not NULL) is the result's length. The result is
 * NUL-terminated when text is or when it was allocated. */
const char *cors_redact(apr_pool_t *pool, const char *text, size_t len, size_t *out_len);

#endif
