/* One Git service request over libcurl: credentials, redirects, deadline and the mapping of failures. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2/sys/credential.h>

#include "internal.h"

/* Redirects followed on the first request of an operation, as git's own `http.followRedirects=initial`. */
enum { XG_MAX_REDIRECTS = 5 };

/* Maximum length of the server text quoted in an error message, in bytes. */
enum { XG_MAX_QUOTED_BODY = 200 };

static const xg_service services[] = {
    {GIT_SERVICE_UPLOADPACK_LS, 0, "/info/refs?service=git-upload-pack", NULL,
     "application/x-git-upload-pack-advertisement"},
    {GIT_SERVICE_UPLOADPACK, 1, "/git-upload-pack", "application/x-git-upload-pack-request",
     "application/x-git-upload-pack-result"},
    {GIT_SERVICE_RECEIVEPACK_LS, 0, "/info/refs?service=git-receive-pack", NULL,
     "application/x-git-receive-pack-advertisement"},
    {GIT_SERVICE_RECEIVEPACK, 1, "/git-receive-pack", "application/x-git-receive-pack-request",
     "application/x-git-receive-pack-result"},
};

const xg_service *xg_service_for(git_smart_service_t action)
{
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        if (services[i].action == action) {
            return &services[i];
        }
    }
    return NULL;
}

/* Appends a chunk of the response body. Past the limit it marks the stream and returns 0, which makes curl
 * stop with CURLE_WRITE_ERROR. Chunked responses carry no length, so this check is what bounds them. */
static size_t receive_body(char *data, size_t size, size_t count, void *context)
{
    xg_stream *stream = context;
    size_t length = size * count;
    if ((uint64_t)stream->response.length + length > (uint64_t)XG_MAX_RESPONSE_BYTES) {
        stream->response_too_large = 1;
        return 0;
    }
    return xg_buffer_append(&stream->response, data, length) == 0 ? length : 0;
}

static char *base64_encode(const char *input, size_t length)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *output = malloc((length + 2) / 3 * 4 + 1);
    if (output == NULL) {
        return NULL;
    }

    size_t out = 0;
    for (size_t i = 0; i < length; i += 3) {
        unsigned value = (unsigned char)input[i] << 16;
        if (i + 1 < length) {
            value |= (unsigned char)input[i + 1] << 8;
        }
        if (i + 2 < length) {
            value |= (unsigned char)input[i + 2];
        }
        output[out++] = alphabet[(value >> 18) & 63];
        output[out++] = alphabet[(value >> 12) & 63];
        output[out++] = i + 1 < length ? alphabet[(value >> 6) & 63] : '=';
        output[out++] = i + 2 < length ? alphabet[value & 63] : '=';
    }
    output[out] = '\0';
    return output;
}

/* Builds "Authorization: Basic base64(user:password)" or "Authorization: Bearer password"; NULL on failure. */
static char *authorization_header(const xg_subtransport *subtransport)
{
    const char *username = subtransport->username;
    const char *password = subtransport->password;
    char *header = NULL;

    if (xg_operation_uses_bearer()) {
        size_t length = strlen("Authorization: Bearer ") + strlen(password) + 1;
        header = malloc(length);
        if (header != NULL) {
            snprintf(header, length, "Authorization: Bearer %s", password);
        }
        return header;
    }

    size_t pair_length = strlen(username) + 1 + strlen(password);
    char *pair = malloc(pair_length + 1);
    if (pair == NULL) {
        return NULL;
    }
    snprintf(pair, pair_length + 1, "%s:%s", username, password);
    char *encoded = base64_encode(pair, pair_length);
    xg_free_secret(pair);
    if (encoded == NULL) {
        return NULL;
    }

    size_t length = strlen("Authorization: Basic ") + strlen(encoded) + 1;
    header = malloc(length);
    if (header != NULL) {
        snprintf(header, length, "Authorization: Basic %s", encoded);
    }
    xg_free_secret(encoded);
    return header;
}

/* Frees a header list after overwriting every entry, because one of them carries the credential. */
static void free_headers(struct curl_slist *headers)
{
    for (struct curl_slist *item = headers; item != NULL; item = item->next) {
        explicit_bzero(item->data, strlen(item->data));
    }
    curl_slist_free_all(headers);
}

int xg_request_credential(xg_subtransport *subtransport)
{
    git_credential *credential = NULL;
    subtransport->credential_requested = 1;

    int result = git_transport_smart_credentials(&credential, subtransport->owner, NULL,
                                                 GIT_CREDENTIAL_USERPASS_PLAINTEXT);
    if (result == GIT_PASSTHROUGH) {
        return 0;
    }
    if (result < 0) {
        /* The callback set the error text (for example "the token was rejected ..."); keep it. */
        xg_record_failure(XG_FAILURE_AUTHENTICATION);
        if (git_error_last() == NULL) {
            git_error_set_str(GIT_ERROR_CALLBACK, "the Git credential callback failed without a message");
        }
        return result;
    }
    if (credential == NULL || credential->credtype != GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
        if (credential != NULL) {
            git_credential_free(credential);
        }
        return xg_fail(XG_FAILURE_AUTHENTICATION, GIT_ERROR_CALLBACK,
                       "the Git credential callback returned a credential that is not a username and password");
    }

    const git_credential_userpass_plaintext *userpass = (const git_credential_userpass_plaintext *)credential;
    char *username = strdup(userpass->username != NULL ? userpass->username : "");
    char *password = strdup(userpass->password != NULL ? userpass->password : "");

    /* libgit2's destructor of a plaintext credential overwrites the password before freeing it. */
    git_credential_free(credential);

    if (username == NULL || password == NULL) {
        free(username);
        xg_free_secret(password);
        git_error_set_oom();
        return -1;
    }

    xg_free_secret(subtransport->username);
    xg_free_secret(subtransport->password);
    subtransport->username = username;
    subtransport->password = password;
    return 0;
}

/* The first line of a response body, shortened and with control characters replaced, for error messages.
 * It is left out when it contains the password, in case a server echoes the credential. */
static void quote_body(char *out, size_t out_size, const xg_subtransport *subtransport, const xg_buffer *body)
{
    size_t length = 0;
    while (length < body->length && length < XG_MAX_QUOTED_BODY && length + 1 < out_size &&
           body->bytes[length] != '\n' && body->bytes[length] != '\r') {
        unsigned char byte = (unsigned char)body->bytes[length];
        out[length] = byte < 0x20 || byte == 0x7f ? '?' : (char)byte;
        length++;
    }
    out[length] = '\0';

    if (subtransport->password != NULL && subtransport->password[0] != '\0' &&
        strstr(out, subtransport->password) != NULL) {
        snprintf(out, out_size, "(server text withheld because it contains the credential)");
    } else if (length == 0) {
        snprintf(out, out_size, "(no message)");
    }
}

/* Explains a server certificate that failed verification because of its dates or names rather than its CA,
 * from CURLINFO_SSL_VERIFYRESULT. Returns 0 for other results, so the caller reports an untrusted certificate. The values are OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID (9) and X509_V_ERR_CERT_HAS_EXPIRED (10).
 * NOTE: libcurl 7.88.1 with OpenSSL 3.0 reports 1 when its own host name check fails; other libcurl builds may
 * report another value there, and then the message falls back to the untrusted-certificate text. */
static int fail_unusable_certificate(const char *host, const char *detail, long verify_result)
{
    switch (verify_result) {
    case 9:
        return xg_fail(XG_FAILURE_TLS, GIT_ERROR_SSL,
                       "the certificate of %s is not valid yet (%s); check this machine's clock", host, detail);
    case 10:
        return xg_fail(XG_FAILURE_TLS, GIT_ERROR_SSL,
                       "the certificate of %s has expired (%s); the server's administrator must renew it, or check "
                       "this machine's clock",
                       host, detail);
    case 1:
        return xg_fail(XG_FAILURE_TLS, GIT_ERROR_SSL,
                       "the certificate of %s does not name that host (%s); use a base URL with a host name that "
                       "the certificate names",
                       host, detail);
    default:
        return 0;
    }
}

static int fail_from_curl(const xg_subtransport *subtransport, const xg_stream *stream, CURLcode code,
                          long time_limit_ms)
{
    const char *host = subtransport->endpoint.authority;
    const char *detail = subtransport->error_text[0] != '\0' ? subtransport->error_text : curl_easy_strerror(code);

    long proxy_status = 0;
    curl_easy_getinfo(subtransport->curl, CURLINFO_HTTP_CONNECTCODE, &proxy_status);
    if (proxy_status == 407) {
        return xg_fail(XG_FAILURE_PROXY_AUTHENTICATION, GIT_ERROR_NET,
                       "the proxy in front of %s requires authentication (its response to CONNECT was 407); put "
                       "the proxy credentials in the https_proxy URL or use a proxy that does not need them",
                       host);
    }

    if (code == CURLE_FILESIZE_EXCEEDED || (code == CURLE_WRITE_ERROR && stream->response_too_large)) {
        return xg_fail(XG_FAILURE_RESPONSE_TOO_LARGE, GIT_ERROR_NET,
                       "the Git response from %s is larger than %lld bytes, so the transfer was stopped; check "
                       "the remote URL, because no Git server of this product's kind sends that much",
                       host, (long long)XG_MAX_RESPONSE_BYTES);
    }

    if (code == CURLE_PEER_FAILED_VERIFICATION) {
        long verify_result = 0;
        curl_easy_getinfo(subtransport->curl, CURLINFO_SSL_VERIFYRESULT, &verify_result);
        int result = fail_unusable_certificate(host, detail, verify_result);
        if (result != 0) {
            return result;
        }
    }

    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return xg_fail(XG_FAILURE_TIMED_OUT, GIT_ERROR_NET,
                       "the Git request to %s timed out after %ld ms; the server did not respond before the "
                       "operation's deadline (%s)",
                       host, time_limit_ms, detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return xg_fail(XG_FAILURE_TLS, GIT_ERROR_SSL,
                       "the certificate of %s is not trusted; pass its CA with --ca-file (%s)", host, detail);
    case CURLE_SSL_CACERT_BADFILE:
        return xg_fail(XG_FAILURE_TLS, GIT_ERROR_SSL,
                       "the CA file %s could not be loaded for %s; pass a readable PEM file with --ca-file (%s)",
                       subtransport->settings.ca_file != NULL ? subtransport->settings.ca_file : "(system)", host,
                       detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return xg_fail(XG_FAILURE_UNREACHABLE, GIT_ERROR_NET,
                       "could not reach %s for a Git transfer; check the URL and the network (%s)", host, detail);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return xg_fail(XG_FAILURE_INVALID_URL, GIT_ERROR_NET,
                       "the Git request to %s uses a scheme other than https or http (%s)", host, detail);
    default:
        return xg_fail(XG_FAILURE_PROTOCOL, GIT_ERROR_NET, "the Git request to %s failed: %s (curl error %d)", host,
                       detail, (int)code);
    }
}

/* Sends one request to `url` and stores the status and response body. */
static int exchange(xg_stream *stream, const char *url, long *status)
{
    xg_subtransport *subtransport = stream->owner;
    const xg_service *service = stream->service;
    CURL *curl = subtransport->curl;

    int64_t remaining = xg_operation_deadline_ms() - xg_now_ms();
    if (remaining <= 0) {
        return xg_fail(XG_FAILURE_TIMED_OUT, GIT_ERROR_NET,
                       "the Git operation with %s timed out before the request to %s could start",
                       subtransport->endpoint.authority, subtransport->endpoint.path);
    }
    long connect_limit = subtransport->settings.connect_timeout_ms;
    if (connect_limit > remaining) {
        connect_limit = (long)remaining;
    }

    struct curl_slist *headers = NULL;
    char *authorization = NULL;
    if (subtransport->password != NULL) {
        authorization = authorization_header(subtransport);
        if (authorization == NULL) {
            git_error_set_oom();
            return -1;
        }
    }

    char accept[128];
    snprintf(accept, sizeof accept, "Accept: %s", service->is_post ? service->response_type : "*/*");
    char content_type[128] = "";
    if (service->request_type != NULL) {
        snprintf(content_type, sizeof content_type, "Content-Type: %s", service->request_type);
    }

    /* "Expect:" stops curl from waiting for "100 Continue" before sending a large pack. */
    const char *lines[] = {accept, content_type[0] != '\0' ? content_type : NULL, "Expect:",
                           service->is_post ? NULL : "Pragma: no-cache", authorization};
    int failed = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (lines[i] == NULL) {
            continue;
        }
        struct curl_slist *extended = curl_slist_append(headers, lines[i]);
        if (extended == NULL) {
            failed = 1;
            break;
        }
        headers = extended;
    }
    xg_free_secret(authorization);
    if (failed) {
        free_headers(headers);
        git_error_set_oom();
        return -1;
    }

    /* Reset keeps the connection cache, so the TLS connection is reused within the operation. */
    curl_easy_reset(curl);
    subtransport->error_text[0] = '\0';
    xg_buffer_clear(&stream->response);
    stream->response_too_large = 0;

    CURLcode code = CURLE_OK;
    code = code ? code : curl_easy_setopt(curl, CURLOPT_URL, url);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
    code = code ? code : curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    /* CAINFO replaces only the bundle file; Debian's default CAPATH (/etc/ssl/certs) stays in effect, so the
     * extra CA adds to the system CAs instead of replacing them.
     * NOTE: no test covers this on the Git side, because an offline test would need a server certificate from a
     * CA in /etc/ssl/certs. Debian 12's libcurl 7.88.1 is built with --with-ca-path=/etc/ssl/certs
     * (`curl-config --configure`), and HTTPClientTests checks that built-in CAPATH through CURLINFO_CAPATH. */
    if (subtransport->settings.ca_file != NULL) {
        code = code ? code : curl_easy_setopt(curl, CURLOPT_CAINFO, subtransport->settings.ca_file);
    }
    code = code ? code : curl_easy_setopt(curl, CURLOPT_USERAGENT, subtransport->settings.user_agent);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_limit);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)remaining);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, subtransport->error_text);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    code = code ? code : curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, receive_body);
    code = code ? code : curl_easy_setopt(curl, CURLOPT_WRITEDATA, stream);
    /* Rejects a response whose Content-Length is over the limit before its body arrives. */
    code = code ? code : curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)XG_MAX_RESPONSE_BYTES);
    if (service->is_post) {
        const char *body = stream->request.bytes != NULL ? stream->request.bytes : "";
        code = code ? code : curl_easy_setopt(curl, CURLOPT_POST, 1L);
        code = code ? code : curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        code = code ? code : curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)stream->request.length);
    }

    if (code == CURLE_OK) {
        code = curl_easy_perform(curl);
    }

    /* The header list contains the credential, so drop it from the handle before overwriting it. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    free_headers(headers);

    if (code != CURLE_OK) {
        return fail_from_curl(subtransport, stream, code, (long)remaining);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

/* Whether the response's Content-Type (parameters ignored) is `expected`. */
static int content_type_matches(CURL *curl, const char *expected)
{
    char *actual = NULL;
    if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &actual) != CURLE_OK || actual == NULL) {
        return 0;
    }
    size_t length = strcspn(actual, "; \t");
    return length == strlen(expected) && strncasecmp(actual, expected, length) == 0;
}

/* Points the subtransport at `url` without its service suffix, after the first request was redirected there. */
static int adopt_redirected_base(xg_subtransport *subtransport, const xg_service *service, const char *url)
{
    size_t url_length = strlen(url);
    size_t suffix_length = strlen(service->url_suffix);
    if (url_length <= suffix_length || strcmp(url + url_length - suffix_length, service->url_suffix) != 0) {
        return xg_fail(XG_FAILURE_REDIRECT, GIT_ERROR_NET,
                       "%s redirected the Git request for %s to a URL that does not end in %s; use the "
                       "repository's final URL as the remote URL",
                       subtransport->endpoint.authority, subtransport->endpoint.path, service->url_suffix);
    }

    char *base = strndup(url, url_length - suffix_length);
    xg_endpoint endpoint;
    if (base == NULL || xg_endpoint_parse(&endpoint, base) < 0) {
        free(base);
        return -1;
    }
    free(subtransport->base_url);
    xg_endpoint_dispose(&subtransport->endpoint);
    subtransport->base_url = base;
    subtransport->endpoint = endpoint;
    return 0;
}

/* Checks that a redirect stays on the same scheme, host and port and returns a copy of its target. */
static int follow_redirect(xg_subtransport *subtransport, const xg_service *service, long status, char **url)
{
    const char *host = subtransport->endpoint.authority;
    char *location = NULL;
    curl_easy_getinfo(subtransport->curl, CURLINFO_REDIRECT_URL, &location);
    if (location == NULL) {
        return xg_fail(XG_FAILURE_PROTOCOL, GIT_ERROR_HTTP,
                       "%s returned HTTP %ld without a Location header for the Git request to %s", host, status,
                       subtransport->endpoint.path);
    }
    if (service->is_post) {
        return xg_fail(XG_FAILURE_REDIRECT, GIT_ERROR_NET,
                       "%s redirected a Git %s request for %s (HTTP %ld); Git follows redirects only on the first "
                       "request, so use the repository's final URL as the remote URL",
                       host, service->url_suffix + 1, subtransport->endpoint.path, status);
    }

    xg_endpoint target;
    if (xg_endpoint_parse(&target, location) < 0) {
        const git_error *reason = git_error_last();
        return xg_fail(XG_FAILURE_REDIRECT, GIT_ERROR_NET,
                       "%s redirected the Git request for %s to a URL that is not allowed: %s", host,
                       subtransport->endpoint.path, reason != NULL ? reason->message : "invalid URL");
    }
    int same_origin = xg_endpoint_same_origin(&subtransport->endpoint, &target);
    if (!same_origin) {
        int result = xg_fail(XG_FAILURE_REDIRECT, GIT_ERROR_NET,
                             "%s redirected the Git request for %s to another host or scheme (%s://%s); the "
                             "credential is not sent there, so use that host's URL as the remote URL if you trust it",
                             host, subtransport->endpoint.path, target.scheme, target.authority);
        xg_endpoint_dispose(&target);
        return result;
    }
    xg_endpoint_dispose(&target);

    char *copy = strdup(location);
    if (copy == NULL) {
        git_error_set_oom();
        return -1;
    }
    free(*url);
    *url = copy;
    return 0;
}

static int fail_from_status(xg_stream *stream, long status)
{
    xg_subtransport *subtransport = stream->owner;
    const char *host = subtransport->endpoint.authority;
    char quoted[XG_MAX_QUOTED_BODY + 64];
    quote_body(quoted, sizeof quoted, subtransport, &stream->response);

    switch (status) {
    case 401:
        if (subtransport->password == NULL) {
            return xg_fail(XG_FAILURE_AUTHENTICATION, GIT_ERROR_HTTP,
                           "%s requires authentication for %s (HTTP 401) but no credential was given", host,
                           subtransport->endpoint.path);
        }
        return xg_fail(XG_FAILURE_AUTHENTICATION, GIT_ERROR_HTTP,
                       "%s rejected the credential for %s (HTTP 401); verify the token or reconnect the integration",
                       host, subtransport->endpoint.path);
    case 403:
        return xg_fail(XG_FAILURE_ACCESS_DENIED, GIT_ERROR_HTTP, "%s refused access to %s (HTTP 403): %s", host,
                       subtransport->endpoint.path, quoted);
    case 404:
        return xg_fail(XG_FAILURE_NOT_FOUND, GIT_ERROR_HTTP, "repository not found at %s://%s%s (HTTP 404)",
                       subtransport->endpoint.scheme, host, subtransport->endpoint.path);
    default:
        return xg_fail(XG_FAILURE_PROTOCOL, GIT_ERROR_HTTP, "%s returned HTTP %ld for the Git request for %s: %s",
                       host, status, subtransport->endpoint.path, quoted);
    }
}

int xg_stream_perform(xg_stream *stream)
{
    xg_subtransport *subtransport = stream->owner;
    const xg_service *service = stream->service;

    if (!xg_operation_is_active()) {
        return xg_fail(XG_FAILURE_NO_OPERATION, GIT_ERROR_NET,
                       "a Git request to %s was made outside an operation, so it has no deadline; call "
                       "xg_operation_begin first",
                       subtransport->endpoint.authority);
    }

    /* Ask for the credential before the first request, so that it goes out without a 401 round trip. */
    if (!subtransport->credential_requested) {
        int result = xg_request_credential(subtransport);
        if (result < 0) {
            return result;
        }
    }

    size_t url_length = strlen(subtransport->base_url) + strlen(service->url_suffix) + 1;
    char *url = malloc(url_length);
    if (url == NULL) {
        git_error_set_oom();
        return -1;
    }
    snprintf(url, url_length, "%s%s", subtransport->base_url, service->url_suffix);

    int redirects = 0;
    int credential_renewed = 0;
    int result = 0;
    for (;;) {
        long status = 0;
        result = exchange(stream, url, &status);
        if (result < 0) {
            break;
        }

        if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
            if (++redirects > XG_MAX_REDIRECTS) {
                result = xg_fail(XG_FAILURE_REDIRECT, GIT_ERROR_NET,
                                 "%s redirected the Git request for %s more than %d times",
                                 subtransport->endpoint.authority, subtransport->endpoint.path, XG_MAX_REDIRECTS);
                break;
            }
            result = follow_redirect(subtransport, service, status, &url);
            if (result < 0) {
                break;
            }
            continue;
        }

        /* On a 401 ask the callback once more: it may supply another credential or report why it has none. */
        if (status == 401 && subtransport->password != NULL && !credential_renewed) {
            credential_renewed = 1;
            result = xg_request_credential(subtransport);
            if (result < 0) {
                break;
            }
            continue;
        }

        if (status != 200) {
            result = fail_from_status(stream, status);
            break;
        }

        if (!content_type_matches(subtransport->curl, service->response_type)) {
            char *actual = NULL;
            curl_easy_getinfo(subtransport->curl, CURLINFO_CONTENT_TYPE, &actual);
            result = xg_fail(XG_FAILURE_PROTOCOL, GIT_ERROR_NET,
                             "%s did not respond as a smart Git HTTP server for %s (Content-Type %s, expected %s); "
                             "check the repository URL",
                             subtransport->endpoint.authority, subtransport->endpoint.path,
                             actual != NULL ? actual : "missing", service->response_type);
            break;
        }

        if (redirects > 0) {
            result = adopt_redirected_base(subtransport, service, url);
        }
        break;
    }

    free(url);
    return result;
}
