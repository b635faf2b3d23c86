/* A proxy-style use: the host keeps the request's headers in its own list and walks it with a
 * callback (as NGINX and HAProxy modules do); the outgoing headers come back one by one through
 * another callback. */
#include <stdio.h>
#include <string.h>

#include "tracewire.h"

struct header {
    const char *name;
    const char *value;
};

struct request {
    const struct header *headers;
    size_t count;
};

/* The host's iteration: hand every header to tracewire. */
static void iterate(void *host, tracewire_visit_fn visit, void *visit_ctx) {
    const struct request *req = host;
    for (size_t i = 0; i < req->count; i++) {
        visit(visit_ctx, (const uint8_t *)req->headers[i].name, strlen(req->headers[i].name),
              (const uint8_t *)req->headers[i].value, strlen(req->headers[i].value));
    }
}

/* The host takes an outgoing header (here: prints it). */
static int set(void *host, const uint8_t *name, size_t name_len, const uint8_t *value, size_t value_len) {
    int *count = host;
    printf("%.*s: %.*s\n", (int)name_len, (const char *)name, (int)value_len, (const char *)value);
    (*count)++;
    return 0;
}

static const struct header incoming[] = {
    {"Host", "api.example.com"},
    {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    {"tracestate", "dd=s:2;o:rum,congo=t61rcWkgMzE"},
    {"b3", "80f198ee56343ba8-e457b5a2e4d86bd1-1"},
    {"baggage", "user.id=amy"},
};

int main(void) {
    static tracewire_config config;
    static tracewire_context context;
    static tracewire_buffers buffers;
    const char *names[] = {"DD_TRACE_PROPAGATION_STYLE"};
    const char *values[] = {"tracecontext,baggage"};
    tracewire_status s = tracewire_config_from_strings(&config, names, values, 1);
    if (s != TRACEWIRE_STATUS_OK) {
        fprintf(stderr, "config: %s\n", tracewire_strerror((int)s));
        return 1;
    }
    struct request req = {incoming, sizeof incoming / sizeof incoming[0]};
    s = tracewire_extract_callback(&config, iterate, &req, &context);
    if (s != TRACEWIRE_STATUS_OK) {
        fprintf(stderr, "extract: %s\n", tracewire_strerror((int)s));
        return 1;
    }
    const uint8_t *origin = NULL;
    size_t origin_len = 0;
    if (tracewire_context_origin(&context, &origin, &origin_len) == TRACEWIRE_STATUS_OK) {
        printf("origin %.*s\n", (int)origin_len, (const char *)origin);
    }
    printf("b3 style: %d (not configured = %d)\n",
           (int)tracewire_context_style_status(&context, TRACEWIRE_STYLE_B3_SINGLE),
           (int)TRACEWIRE_STYLE_STATUS_NOT_CONFIGURED);
    int count = 0;
    s = tracewire_inject_callback(&context, &config, &buffers, 0x2a, set, &count);
    if (s != TRACEWIRE_STATUS_OK) {
        fprintf(stderr, "inject: %s\n", tracewire_strerror((int)s));
        return 1;
    }
    printf("%d headers\n", count);
    return 0;
}
