#pragma once

/* Declarations shared by the files of the libcurl subtransport; not part of the public header. */

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <git2.h>
#include <git2/sys/transport.h>

#include "GitCurlTransport.h"

/* A growable byte buffer for request and response bodies. */
typedef struct {
    char *bytes;
    size_t length;
    size_t capacity;
} xg_buffer;

int xg_buffer_append(xg_buffer *buffer, const char *bytes, size_t length);
void xg_buffer_clear(xg_buffer *buffer);
void xg_buffer_dispose(xg_buffer *buffer);

/* A copy of the process-wide settings, taken when a subtransport is created. */
typedef struct {
    char *ca_file;
    char *user_agent;
    long connect_timeout_ms;
} xg_settings;

int xg_settings_snapshot(xg_settings *out);
void xg_settings_dispose(xg_settings *settings);

/* Thread-local state of the current operation. */
int xg_operation_is_active(void);
int64_t xg_operation_deadline_ms(void);
int xg_operation_uses_bearer(void);
int64_t xg_now_ms(void);

/* Records `failure` for the calling thread and sets the libgit2 error text; returns -1 for `return xg_fail(...)`. */
int xg_fail(xg_failure failure, int error_class, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Records `failure` for the calling thread without touching the libgit2 error (set by a callback already). */
void xg_record_failure(xg_failure failure);

/* The parts of a remote URL that requests and messages need. */
typedef struct {
    char *scheme;    /* "https" or "http", lower case */
    char *host;      /* as written in the URL, IPv6 literals in brackets */
    long port;       /* explicit or the scheme's default */
    char *authority; /* host, plus ":port" when the URL names a port; used in messages */
    char *path;      /* the path without query, for messages */
} xg_endpoint;

/* Parses `url` and checks that it may carry a Git transfer: https, or http to a loopback host, and no
 * user information. On failure sets the libgit2 error (never echoing user information) and returns -1. */
int xg_endpoint_parse(xg_endpoint *out, const char *url);
void xg_endpoint_dispose(xg_endpoint *endpoint);

/* Whether `other` has the same scheme, host and port as `endpoint`. */
int xg_endpoint_same_origin(const xg_endpoint *endpoint, const xg_endpoint *other);

/* What one Git service request looks like on the wire. */
typedef struct {
    git_smart_service_t action;
    int is_post;
    const char *url_suffix;       /* appended to the repository URL */
    const char *request_type;     /* Content-Type of a POST body, or NULL */
    const char *response_type;    /* expected Content-Type of the response */
} xg_service;

const xg_service *xg_service_for(git_smart_service_t action);

/* The subtransport: one per libgit2 transport, so one per fetch, push or connect. */
typedef struct {
    git_smart_subtransport parent;
    git_transport *owner;
    xg_settings settings;
    CURL *curl;                       /* reused between requests so the TLS connection stays open */
    char error_text[CURL_ERROR_SIZE];

    char *remote_url;                 /* the URL libgit2 passed to `action` */
    char *base_url;                   /* `remote_url`, or where the first request was redirected to */
    xg_endpoint endpoint;             /* parsed `base_url` */

    int credential_requested;         /* the credential callback was asked at least once */
    char *username;                   /* NULL when the callback supplied nothing */
    char *password;
} xg_subtransport;

/* A request stream: libgit2 writes the body, the first read performs the request. */
typedef struct {
    git_smart_subtransport_stream parent;
    xg_subtransport *owner;
    const xg_service *service;
    xg_buffer request;
    xg_buffer response;
    size_t read_offset;
    int performed;
    int response_too_large;           /* the last response passed XG_MAX_RESPONSE_BYTES */
} xg_stream;

/* Performs the stream's request: credentials, redirects on the first request, status and content-type checks.
 * On success the response body is in `stream->response`. Returns 0 or a negative libgit2 error code. */
int xg_stream_perform(xg_stream *stream);

/* Asks libgit2's credential callback for a username and password and keeps a copy on the subtransport. */
int xg_request_credential(xg_subtransport *subtransport);

/* Overwrites and frees a string that held a secret. */
void xg_free_secret(char *secret);
