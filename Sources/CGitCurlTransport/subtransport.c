/* The git_smart_subtransport and its streams, and their registration with libgit2. */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int stream_read(git_smart_subtransport_stream *base, char *buffer, size_t size, size_t *bytes_read)
{
    xg_stream *stream = (xg_stream *)base;
    *bytes_read = 0;

    /* NOTE: the whole response body is buffered before libgit2 reads it, so a first fetch of a large
     * repository needs as much memory as its pack. */
    if (!stream->performed) {
        int result = xg_stream_perform(stream);
        if (result < 0) {
            return result;
        }
        stream->performed = 1;
    }

    size_t available = stream->response.length - stream->read_offset;
    size_t count = available < size ? available : size;
    if (count > 0) {
        memcpy(buffer, stream->response.bytes + stream->read_offset, count);
        stream->read_offset += count;
    }
    *bytes_read = count;
    return 0;
}

static int stream_write(git_smart_subtransport_stream *base, const char *buffer, size_t length)
{
    xg_stream *stream = (xg_stream *)base;

    if (!stream->service->is_post || stream->performed) {
        git_error_set_str(GIT_ERROR_NET, "libgit2 wrote to a Git request stream that takes no more data");
        return -1;
    }
    return xg_buffer_append(&stream->request, buffer, length);
}

static void stream_free(git_smart_subtransport_stream *base)
{
    xg_stream *stream = (xg_stream *)base;
    xg_buffer_dispose(&stream->request);
    xg_buffer_dispose(&stream->response);
    free(stream);
}

/* Removes trailing slashes, so that appending "/info/refs" gives a single slash. */
static char *copy_without_trailing_slashes(const char *url)
{
    size_t length = strlen(url);
    while (length > 0 && url[length - 1] == '/') {
        length--;
    }
    return strndup(url, length);
}

/* Points the subtransport at `url`: on a new URL, and on every advertisement request, since that is the
 * first request of a connection and redirects found earlier no longer apply. */
static int select_remote(xg_subtransport *subtransport, const char *url, const xg_service *service)
{
    int same_url = subtransport->remote_url != NULL && strcmp(subtransport->remote_url, url) == 0;
    if (same_url && service->is_post && subtransport->base_url != NULL) {
        return 0;
    }

    xg_endpoint endpoint;
    char *remote_url = strdup(url);
    char *base_url = copy_without_trailing_slashes(url);
    if (remote_url == NULL || base_url == NULL) {
        free(remote_url);
        free(base_url);
        git_error_set_oom();
        return -1;
    }
    if (xg_endpoint_parse(&endpoint, base_url) < 0) {
        free(remote_url);
        free(base_url);
        return -1;
    }

    free(subtransport->remote_url);
    free(subtransport->base_url);
    xg_endpoint_dispose(&subtransport->endpoint);
    subtransport->remote_url = remote_url;
    subtransport->base_url = base_url;
    subtransport->endpoint = endpoint;
    return 0;
}

static int subtransport_action(git_smart_subtransport_stream **out, git_smart_subtransport *base, const char *url,
                               git_smart_service_t action)
{
    xg_subtransport *subtransport = (xg_subtransport *)base;
    *out = NULL;

    const xg_service *service = xg_service_for(action);
    if (service == NULL) {
        git_error_set_str(GIT_ERROR_NET, "libgit2 asked the Git HTTP transport for an unknown service");
        return -1;
    }
    if (select_remote(subtransport, url, service) < 0) {
        return -1;
    }

    if (subtransport->curl == NULL) {
        subtransport->curl = curl_easy_init();
        if (subtransport->curl == NULL) {
            git_error_set_str(GIT_ERROR_NET, "libcurl could not create a handle for the Git transfer");
            return -1;
        }
    }

    xg_stream *stream = calloc(1, sizeof *stream);
    if (stream == NULL) {
        git_error_set_oom();
        return -1;
    }
    stream->parent.subtransport = base;
    stream->parent.read = stream_read;
    stream->parent.write = stream_write;
    stream->parent.free = stream_free;
    stream->owner = subtransport;
    stream->service = service;

    *out = &stream->parent;
    return 0;
}

static int subtransport_close(git_smart_subtransport *base)
{
    (void)base;
    return 0;
}

static void subtransport_free(git_smart_subtransport *base)
{
    xg_subtransport *subtransport = (xg_subtransport *)base;

    if (subtransport->curl != NULL) {
        curl_easy_cleanup(subtransport->curl);
    }
    xg_settings_dispose(&subtransport->settings);
    xg_endpoint_dispose(&subtransport->endpoint);
    free(subtransport->remote_url);
    free(subtransport->base_url);
    xg_free_secret(subtransport->username);
    xg_free_secret(subtransport->password);
    free(subtransport);
}

static int subtransport_new(git_smart_subtransport **out, git_transport *owner, void *parameter)
{
    (void)parameter;
    *out = NULL;

    xg_subtransport *subtransport = calloc(1, sizeof *subtransport);
    if (subtransport == NULL) {
        git_error_set_oom();
        return -1;
    }
    if (xg_settings_snapshot(&subtransport->settings) < 0) {
        free(subtransport);
        return -1;
    }
    subtransport->parent.action = subtransport_action;
    subtransport->parent.close = subtransport_close;
    subtransport->parent.free = subtransport_free;
    subtransport->owner = owner;

    *out = &subtransport->parent;
    return 0;
}

/* rpc = 1: every request is a self-contained HTTP exchange, as in git's stateless smart-HTTP protocol. */
static git_smart_subtransport_definition curl_definition = {subtransport_new, 1, NULL};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;
static pthread_mutex_t registration_lock = PTHREAD_MUTEX_INITIALIZER;
static int registered;

static void initialize_curl(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int xg_transport_register(void)
{
    pthread_once(&curl_once, initialize_curl);
    if (curl_init_result != CURLE_OK) {
        git_error_set_str(GIT_ERROR_NET, "libcurl failed to initialise; the Git HTTP transport is unavailable");
        return -1;
    }

    pthread_mutex_lock(&registration_lock);
    int result = 0;
    if (!registered) {
        result = git_transport_register("https", git_transport_smart, &curl_definition);
        if (result == 0) {
            result = git_transport_register("http", git_transport_smart, &curl_definition);
            if (result < 0) {
                git_transport_unregister("https");
            }
        }
        if (result == GIT_EEXISTS) {
            git_error_set_str(GIT_ERROR_NET, "another Git transport is already registered for https or http");
        }
        registered = result == 0;
    }
    pthread_mutex_unlock(&registration_lock);
    return result;
}
