/* Parsing and checking of the repository URLs that Git requests go to. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Whether `host` (as curl returns it, IPv6 literals in brackets) names the local machine. */
static int host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0) {
        return 1;
    }

    /* Any IPv4 address in 127.0.0.0/8. */
    unsigned a, b, c, d;
    char rest;
    if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &rest) == 4) {
        return a == 127 && b <= 255 && c <= 255 && d <= 255;
    }
    return 0;
}

static char *url_part(CURLU *handle, CURLUPart part, unsigned flags)
{
    char *value = NULL;
    if (curl_url_get(handle, part, &value, flags) != CURLUE_OK) {
        return NULL;
    }
    char *copy = strdup(value);
    curl_free(value);
    return copy;
}

int xg_endpoint_parse(xg_endpoint *out, const char *url)
{
    memset(out, 0, sizeof *out);

    CURLU *handle = curl_url();
    if (handle == NULL) {
        git_error_set_oom();
        return -1;
    }

    /* Messages below never repeat the URL itself: it could carry a password. */
    int result = -1;
    if (curl_url_set(handle, CURLUPART_URL, url, 0) != CURLUE_OK) {
        xg_fail(XG_FAILURE_INVALID_URL, GIT_ERROR_NET,
                "the Git remote URL is malformed; use a URL such as https://HOST/OWNER/REPO.git");
        goto done;
    }

    char *user = NULL;
    char *password = NULL;
    int has_user = curl_url_get(handle, CURLUPART_USER, &user, 0) == CURLUE_OK;
    int has_password = curl_url_get(handle, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK;
    if (password != NULL) {
        explicit_bzero(password, strlen(password));
    }
    curl_free(user);
    curl_free(password);

    out->scheme = url_part(handle, CURLUPART_SCHEME, 0);
    out->host = url_part(handle, CURLUPART_HOST, 0);
    char *port_text = url_part(handle, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    char *explicit_port = url_part(handle, CURLUPART_PORT, 0);
    out->path = url_part(handle, CURLUPART_PATH, 0);
    out->port = port_text != NULL ? strtol(port_text, NULL, 10) : 0;
    free(port_text);

    if (out->scheme == NULL || out->host == NULL || out->path == NULL || out->port <= 0) {
        free(explicit_port);
        xg_fail(XG_FAILURE_INVALID_URL, GIT_ERROR_NET,
                "the Git remote URL lacks a scheme, host or path; use a URL such as https://HOST/OWNER/REPO.git");
        goto done;
    }

    size_t authority_length = strlen(out->host) + (explicit_port != NULL ? strlen(explicit_port) + 1 : 0) + 1;
    out->authority = malloc(authority_length);
    if (out->authority == NULL) {
        free(explicit_port);
        git_error_set_oom();
        goto done;
    }
    if (explicit_port != NULL) {
        snprintf(out->authority, authority_length, "%s:%s", out->host, explicit_port);
    } else {
        snprintf(out->authority, authority_length, "%s", out->host);
    }
    free(explicit_port);

    if (has_user || has_password) {
        xg_fail(XG_FAILURE_INVALID_URL, GIT_ERROR_NET,
                "the Git remote URL for %s carries user information; remove it from the URL and pass the "
                "credential through the integration instead",
                out->authority);
        goto done;
    }

    if (strcmp(out->scheme, "https") != 0) {
        if (strcmp(out->scheme, "http") != 0 || !host_is_loopback(out->host)) {
            xg_fail(XG_FAILURE_INVALID_URL, GIT_ERROR_NET,
                    "the Git remote %s uses %s; only https is allowed (plain http only to this machine)",
                    out->authority, out->scheme);
            goto done;
        }
    }

    result = 0;

done:
    curl_url_cleanup(handle);
    if (result != 0) {
        xg_endpoint_dispose(out);
    }
    return result;
}

void xg_endpoint_dispose(xg_endpoint *endpoint)
{
    free(endpoint->scheme);
    free(endpoint->host);
    free(endpoint->authority);
    free(endpoint->path);
    memset(endpoint, 0, sizeof *endpoint);
}

int xg_endpoint_same_origin(const xg_endpoint *endpoint, const xg_endpoint *other)
{
    return strcmp(endpoint->scheme, other->scheme) == 0 && strcasecmp(endpoint->host, other->host) == 0 &&
           endpoint->port == other->port;
}
