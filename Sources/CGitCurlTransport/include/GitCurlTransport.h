#pragma once

/*
 * A libgit2 smart-HTTP subtransport that performs its HTTP requests with libcurl.
 *
 * Debian's libgit2 1.5.1 has no network timeouts, verifies TLS with mbedTLS (where a CA setting replaces the
 * system trust store and IP addresses never match a certificate) and always sends a first request without
 * credentials. Registering this subtransport for `https://` and `http://` routes every Git transfer through
 * libcurl and OpenSSL instead: one trust store shared with the API client, a deadline on every request,
 * libcurl's proxy environment variables, and credentials sent on the first request.
 */

#include <stdint.h>

/* Why the last Git request of the calling thread's operation failed, so that callers classify the failure
 * without parsing message text. `xg_operation_begin` resets it to `XG_FAILURE_NONE`. */
typedef enum {
    XG_FAILURE_NONE = 0,
    /* The operation's deadline passed before the server responded. */
    XG_FAILURE_TIMED_OUT = 1,
    /* The server returned 401 after the credential callback was called twice, or no credential was given. */
    XG_FAILURE_AUTHENTICATION = 2,
    /* The server returned 403. */
    XG_FAILURE_ACCESS_DENIED = 3,
    /* The server returned 404. */
    XG_FAILURE_NOT_FOUND = 4,
    /* The TLS handshake failed, for example on an untrusted certificate, or the CA file could not be read. */
    XG_FAILURE_TLS = 5,
    /* The host could not be resolved or connected to, or the connection broke. */
    XG_FAILURE_UNREACHABLE = 6,
    /* The server redirected to another scheme, host or port, or redirected too often. */
    XG_FAILURE_REDIRECT = 7,
    /* The server returned an unexpected status or content type. */
    XG_FAILURE_PROTOCOL = 8,
    /* The URL is malformed, carries user information, or uses plain HTTP to a host other than loopback. */
    XG_FAILURE_INVALID_URL = 9,
    /* Called outside `xg_operation_begin` / `xg_operation_end`, so the request has no deadline. */
    XG_FAILURE_NO_OPERATION = 10,
    /* The proxy from https_proxy or http_proxy replied 407 Proxy Authentication Required to CONNECT. */
    XG_FAILURE_PROXY_AUTHENTICATION = 11,
    /* The response body was larger than XG_MAX_RESPONSE_BYTES, so the transfer was stopped. */
    XG_FAILURE_RESPONSE_TOO_LARGE = 12,
} xg_failure;

/* The largest Git response body accepted, in bytes (512 MiB). A fetch receives the whole pack in one response
 * and the subtransport keeps it in memory, so this limit bounds the memory that one hostile server can make
 * a transfer use. */
#define XG_MAX_RESPONSE_BYTES ((int64_t)512 << 20)

/*
 * Sets the process-wide settings that every later Git request reads. `ca_file` (or NULL) is a PEM file of
 * extra trusted CAs, added to the system CAs; `user_agent` must not be NULL; `connect_timeout_ms` must be
 * positive. Subtransports take a copy when they are created, so a call does not affect transfers already
 * running. Returns 0, or -1 with a libgit2 error set (class GIT_ERROR_SSL when the CA file cannot be read).
 */
int xg_transport_configure(const char *ca_file, const char *user_agent, long connect_timeout_ms);

/*
 * Registers the subtransport for the `https` and `http` schemes, once per process; later calls return 0.
 * Call it after `git_libgit2_init`. Returns 0, or a negative libgit2 error code with the error set.
 */
int xg_transport_register(void);

/*
 * Starts a Git network operation on the calling thread. libgit2 runs the subtransport on the thread that
 * calls `git_remote_fetch`, `git_remote_push` and the like, so these settings are thread-local.
 * `deadline_ms_since_epoch` is the wall-clock time (milliseconds since 1970, UTC) after which every request
 * fails as timed out. A non-zero `bearer_mode` sends `Authorization: Bearer PASSWORD` instead of Basic.
 */
void xg_operation_begin(int64_t deadline_ms_since_epoch, int bearer_mode);

/* Ends the operation started on the calling thread; later requests on this thread fail until the next begin. */
void xg_operation_end(void);

/* The failure recorded by the last failed request of the calling thread's operation, or XG_FAILURE_NONE. */
xg_failure xg_operation_failure(void);
