/* answer.c - what an S3 answer's status and error code mean: retriable, throttling, expired or wrong
 * credentials, and the reason phrase of a status. Pure: codes in, verdicts out (answer.h). */
#include "storage/s3/answer.h"

#include <string.h>

int ra_s3_code_throttle(const char *code) {
    return strcmp(code, "SlowDown") == 0 || strcmp(code, "Throttling") == 0 ||
           strcmp(code, "ThrottlingException") == 0 || strcmp(code, "RequestLimitExceeded") == 0 ||
           strcmp(code, "TooManyRequestsException") == 0;
}

int ra_s3_code_retriable(const char *code) {
    static const char *const codes[] = {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                                        "Throttling", "ThrottlingException", "RequestTimeoutException"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(code, codes[i]) == 0) return 1;
    return 0;
}

const char *ra_s3_reason(long status) {
    switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "error";
    }
}

int ra_s3_code_expired(const char *code) {
    return strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0 ||
           strcmp(code, "TokenRefreshRequired") == 0;
}

/* The 403 codes that usually mean wrong credentials, region or clock ("" when the answer has none,
 * as to a HEAD). AccessDenied is left as it is: signed right, the identity lacks a permission. */
int ra_s3_code_credentials(const char *code) {
    return *code == '\0' || strcmp(code, "SignatureDoesNotMatch") == 0 || strcmp(code, "InvalidAccessKeyId") == 0 ||
           strcmp(code, "InvalidToken") == 0 ||
           strcmp(code, "AuthorizationHeaderMalformed") == 0;
}
