#pragma once
#include <curl/curl.h>

/*
 * Typed wrappers for libcurl's variadic calls.
 *
 * Swift does not import C variadic functions, so curl_easy_setopt, curl_easy_getinfo and
 * curl_multi_setopt are unavailable from Swift as declared. Each wrapper below fixes the type of
 * the variadic argument. clang does not apply curl's type-check macros here, so the wrapper's
 * parameter type is the only check that an option gets the argument type it expects. Use the
 * _off variants for the *_LARGE options and the callback variants for the *FUNCTION options.
 */

/* curl_easy_setopt */

static inline CURLcode xapi_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode xapi_curl_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* For string options libcurl copies the string (except CURLOPT_POSTFIELDS), so it may be freed after the call. */
static inline CURLcode xapi_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode xapi_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/* CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION, which share curl_write_callback's signature. */
static inline CURLcode xapi_curl_easy_setopt_write_callback(CURL *handle, CURLoption option,
                                                             curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/* CURLOPT_XFERINFOFUNCTION. */
static inline CURLcode xapi_curl_easy_setopt_xferinfo_callback(CURL *handle, CURLoption option,
                                                                curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/* CURLOPT_HTTPHEADER and other curl_slist options. libcurl does not copy the list, so keep it until the
   transfer ends. */
static inline CURLcode xapi_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *list) {
    return curl_easy_setopt(handle, option, list);
}

/* curl_easy_getinfo */

static inline CURLcode xapi_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode xapi_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode xapi_curl_easy_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/* The string belongs to libcurl and stays valid only until the handle is reset or freed; copy it out at once. */
static inline CURLcode xapi_curl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    return curl_easy_getinfo(handle, info, (char **)value);
}

/* curl_multi_setopt, for a later batch transport over the multi interface. */

static inline CURLMcode xapi_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

static inline CURLMcode xapi_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}

/* CURLMOPT_SOCKETFUNCTION. */
static inline CURLMcode xapi_curl_multi_setopt_socket_callback(CURLM *multi, CURLMoption option,
                                                               curl_socket_callback callback) {
    return curl_multi_setopt(multi, option, callback);
}

/* CURLMOPT_TIMERFUNCTION. */
static inline CURLMcode xapi_curl_multi_setopt_timer_callback(CURLM *multi, CURLMoption option,
                                                              curl_multi_timer_callback callback) {
    return curl_multi_setopt(multi, option, callback);
}
