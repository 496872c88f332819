/* Process-wide settings, the calling thread's operation state and small helpers of the subtransport. */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Default connect timeout until `xg_transport_configure` runs; NetworkSettings uses the same value. */
enum { XG_DEFAULT_CONNECT_TIMEOUT_MS = 10000 };

static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;
static char *configured_ca_file;
static char *configured_user_agent;
static long configured_connect_timeout_ms = XG_DEFAULT_CONNECT_TIMEOUT_MS;

static _Thread_local int operation_active;
static _Thread_local int64_t operation_deadline_ms;
static _Thread_local int operation_bearer;
static _Thread_local xg_failure operation_failure;

int xg_transport_configure(const char *ca_file, const char *user_agent, long connect_timeout_ms)
{
    if (user_agent == NULL || connect_timeout_ms <= 0) {
        git_error_set_str(GIT_ERROR_INVALID, "invalid Git transport settings: the user agent is missing or the "
                                             "connect timeout is not positive");
        return -1;
    }

    /* Check the CA file now, so that a wrong path fails at start-up and not in the middle of a push. */
    if (ca_file != NULL && access(ca_file, R_OK) != 0) {
        char text[512];
        snprintf(text, sizeof text, "the CA file %s cannot be read (%s); pass a readable PEM file with --ca-file",
                 ca_file, strerror(errno));
        git_error_set_str(GIT_ERROR_SSL, text);
        return -1;
    }

    char *ca_copy = ca_file != NULL ? strdup(ca_file) : NULL;
    char *agent_copy = strdup(user_agent);
    if ((ca_file != NULL && ca_copy == NULL) || agent_copy == NULL) {
        free(ca_copy);
        free(agent_copy);
        git_error_set_oom();
        return -1;
    }

    pthread_mutex_lock(&settings_lock);
    free(configured_ca_file);
    free(configured_user_agent);
    configured_ca_file = ca_copy;
    configured_user_agent = agent_copy;
    configured_connect_timeout_ms = connect_timeout_ms;
    pthread_mutex_unlock(&settings_lock);
    return 0;
}

int xg_settings_snapshot(xg_settings *out)
{
    memset(out, 0, sizeof *out);

    pthread_mutex_lock(&settings_lock);
    const char *agent = configured_user_agent != NULL ? configured_user_agent : "xapi-git";
    out->ca_file = configured_ca_file != NULL ? strdup(configured_ca_file) : NULL;
    /* GitHub, Bitbucket and Azure DevOps serve the smart protocol only to a User-Agent that starts with "git/"
     * (reported by the dulwich and libgit2 projects), so the product's name goes in the comment, as libgit2's
     * own "git/2.0 (libgit2 1.5.1)" does. */
    size_t length = strlen("git/2.0 ()") + strlen(agent) + 1;
    out->user_agent = malloc(length);
    if (out->user_agent != NULL) {
        snprintf(out->user_agent, length, "git/2.0 (%s)", agent);
    }
    out->connect_timeout_ms = configured_connect_timeout_ms;
    int failed = (configured_ca_file != NULL && out->ca_file == NULL) || out->user_agent == NULL;
    pthread_mutex_unlock(&settings_lock);

    if (failed) {
        xg_settings_dispose(out);
        git_error_set_oom();
        return -1;
    }
    return 0;
}

void xg_settings_dispose(xg_settings *settings)
{
    free(settings->ca_file);
    free(settings->user_agent);
    memset(settings, 0, sizeof *settings);
}

void xg_operation_begin(int64_t deadline_ms_since_epoch, int bearer_mode)
{
    operation_active = 1;
    operation_deadline_ms = deadline_ms_since_epoch;
    operation_bearer = bearer_mode != 0;
    operation_failure = XG_FAILURE_NONE;
}

void xg_operation_end(void)
{
    operation_active = 0;
    operation_deadline_ms = 0;
    operation_bearer = 0;
}

xg_failure xg_operation_failure(void)
{
    return operation_failure;
}

int xg_operation_is_active(void)
{
    return operation_active;
}

int64_t xg_operation_deadline_ms(void)
{
    return operation_deadline_ms;
}

int xg_operation_uses_bearer(void)
{
    return operation_bearer;
}

int64_t xg_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void xg_record_failure(xg_failure failure)
{
    operation_failure = failure;
}

int xg_fail(xg_failure failure, int error_class, const char *format, ...)
{
    char text[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);

    operation_failure = failure;
    git_error_set_str(error_class, text);
    return -1;
}

int xg_buffer_append(xg_buffer *buffer, const char *bytes, size_t length)
{
    if (length == 0) {
        return 0;
    }
    if (buffer->length + length < buffer->length) {
        git_error_set_oom();
        return -1;
    }

    size_t needed = buffer->length + length;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity > 0 ? buffer->capacity : 8192;
        while (capacity < needed) {
            capacity = capacity * 2 > capacity ? capacity * 2 : needed;
        }
        char *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) {
            git_error_set_oom();
            return -1;
        }
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }

    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length = needed;
    return 0;
}

void xg_buffer_clear(xg_buffer *buffer)
{
    buffer->length = 0;
}

void xg_buffer_dispose(xg_buffer *buffer)
{
    free(buffer->bytes);
    memset(buffer, 0, sizeof *buffer);
}

void xg_free_secret(char *secret)
{
    if (secret == NULL) {
        return;
    }
    explicit_bzero(secret, strlen(secret));
    free(secret);
}
