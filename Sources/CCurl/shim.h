#include <curl/curl.h>

// libcurl is opened with dlopen when the first HTTP client is made (HTTP's LibCurl.swift), so these wrappers
// take the function dlsym found. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call: one typed wrapper per argument type used.
typedef CURLcode (*ccurl_setopt_function)(CURL *, CURLoption, ...);
typedef CURLcode (*ccurl_getinfo_function)(CURL *, CURLINFO, ...);

static inline CURLcode ccurl_setopt_long(void *setopt, CURL *handle, CURLoption option, long value) {
    return ((ccurl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode ccurl_setopt_off_t(void *setopt, CURL *handle, CURLoption option, curl_off_t value) {
    return ((ccurl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode ccurl_setopt_string(void *setopt, CURL *handle, CURLoption option, const char *value) {
    return ((ccurl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode ccurl_setopt_pointer(void *setopt, CURL *handle, CURLoption option, void *value) {
    return ((ccurl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode ccurl_setopt_slist(void *setopt, CURL *handle, CURLoption option, struct curl_slist *value) {
    return ((ccurl_setopt_function)setopt)(handle, option, value);
}
// Write, header and read callbacks share one C type: size_t (*)(char *, size_t, size_t, void *).
static inline CURLcode ccurl_setopt_callback(void *setopt, CURL *handle, CURLoption option,
                                             curl_write_callback value) {
    return ((ccurl_setopt_function)setopt)(handle, option, value);
}
// The progress callback (CURLOPT_XFERINFOFUNCTION), through which a transfer is cancelled.
static inline CURLcode ccurl_setopt_xferinfo(void *setopt, CURL *handle, curl_xferinfo_callback value) {
    return ((ccurl_setopt_function)setopt)(handle, CURLOPT_XFERINFOFUNCTION, value);
}
static inline CURLcode ccurl_getinfo_long(void *getinfo, CURL *handle, CURLINFO info, long *value) {
    return ((ccurl_getinfo_function)getinfo)(handle, info, value);
}

// CURL_READFUNC_ABORT and CURL_ERROR_SIZE are macros Swift may not import as typed constants.
static inline size_t ccurl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline size_t ccurl_error_size(void) { return CURL_ERROR_SIZE; }
