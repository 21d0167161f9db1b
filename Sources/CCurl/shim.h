#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>

/*
 * Swift cannot call C variadic functions, and curl_easy_setopt, curl_easy_getinfo
 * and curl_multi_setopt are variadic. Each wrapper below fixes the argument type for
 * one kind of option, so Swift gets a normal, type-checked function. Pick the wrapper
 * that matches the option's documented type: passing the wrong type is undefined
 * behaviour in C as well.
 */

/* --- curl_easy_setopt --- */

/** For CURLOPTTYPE_LONG options (flags, counts, milliseconds, enums). */
static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/** For CURLOPTTYPE_STRINGPOINT options; libcurl copies the string (except CURLOPT_POSTFIELDS). */
static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/** For CURLOPTTYPE_OBJECTPOINT / CBPOINT options (CURLOPT_WRITEDATA, CURLOPT_PRIVATE, CURLOPT_ERRORBUFFER...). */
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/** For CURLOPTTYPE_OFF_T options (CURLOPT_POSTFIELDSIZE_LARGE...). */
static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/** For CURLOPTTYPE_SLISTPOINT options (CURLOPT_HTTPHEADER...). libcurl does not copy the list. */
static inline CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/** CURLOPT_WRITEFUNCTION. */
static inline CURLcode ccurl_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/** The CURLOPT_HEADERFUNCTION prototype (libcurl has no typedef of its own for it). */
typedef size_t (*ccurl_header_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

/** CURLOPT_HEADERFUNCTION. */
static inline CURLcode ccurl_easy_setopt_header_callback(CURL *handle, CURLoption option, ccurl_header_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/** CURLOPT_XFERINFOFUNCTION. */
static inline CURLcode ccurl_easy_setopt_xferinfo_callback(CURL *handle, CURLoption option, curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/* --- curl_easy_getinfo --- */

/** For CURLINFO_LONG infos. */
static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/** For CURLINFO_DOUBLE infos. */
static inline CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

/** For CURLINFO_OFF_T infos (the *_TIME_T timings in microseconds, *_SIZE_*_T sizes). */
static inline CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/** For CURLINFO_STRING infos; the string is owned by the handle. */
static inline CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

/** For CURLINFO_PRIVATE, which libcurl types as a string but which holds the CURLOPT_PRIVATE pointer. */
static inline CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

/* --- curl_multi_setopt --- */

/** For CURLMOPT options that take a long. */
static inline CURLMcode ccurl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

/* --- helpers for things Swift cannot import directly --- */

/** curl_global_init(CURL_GLOBAL_DEFAULT): the flag is a compound macro that Swift does not import. */
static inline CURLcode ccurl_global_init_default(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

/** CURLMsg.data is an anonymous union; reading the CURLcode member through C keeps Swift independent of its layout. */
static inline CURLcode ccurl_multi_msg_result(const CURLMsg *message) {
    return message->data.result;
}

#endif /* CCURL_SHIM_H */
