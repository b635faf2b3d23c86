/* A firmware-style loop: a request head arrives in a buffer, the trace is continued, and the
 * outgoing head is written into another buffer. No allocation: every struct is static.
 *
 *   firmware [FILE]   reads the request head from FILE (default: a built-in sample) and prints
 *                     the continued trace id and the outgoing trace headers. */
#include <stdio.h>
#include <string.h>

#include "tracewire.h"

static tracewire_config config;
static tracewire_context context;
static tracewire_buffers buffers;
static uint8_t request[16384];
static uint8_t outgoing[8192];

static const char sample[] =
    "GET /telemetry HTTP/1.1\r\n"
    "host: gateway.local\r\n"
    "x-datadog-trace-id: 11803532876627986230\r\n"
    "x-datadog-parent-id: 67667974448284343\r\n"
    "x-datadog-sampling-priority: 2\r\n"
    "x-datadog-tags: _dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6\r\n"
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
    "\r\n";

static int check(tracewire_status s, const char *what) {
    if (s != TRACEWIRE_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", what, tracewire_strerror((int)s));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    size_t len;
    if (argc > 1) {
        FILE *f = fopen(argv[1], "rb");
        if (f == NULL) {
            perror(argv[1]);
            return 2;
        }
        len = fread(request, 1, sizeof request, f);
        fclose(f);
    } else {
        len = sizeof sample - 1;
        memcpy(request, sample, len);
    }

    if (check(tracewire_config_default(&config), "config")) return 1;
    if (check(tracewire_extract_block(&config, request, len, &context), "extract")) return 1;
    if (!tracewire_context_has_trace(&context)) {
        printf("no trace context: a new trace starts here\n");
        return 0;
    }
    uint64_t hi = 0, lo = 0, parent = 0;
    int32_t priority = 0;
    check(tracewire_context_trace_id(&context, &hi, &lo), "trace id");
    check(tracewire_context_parent_id(&context, &parent), "parent id");
    printf("trace %016llx%016llx parent %016llx", (unsigned long long)hi, (unsigned long long)lo,
           (unsigned long long)parent);
    if (tracewire_context_sampling_priority(&context, &priority) == TRACEWIRE_STATUS_OK) {
        printf(" priority %d", (int)priority);
    }
    printf("\n");

    /* The gateway's own span: a firmware would take it from its RNG. */
    uint64_t span = 0x00000000000002a1ULL;
    size_t written = 0;
    if (check(tracewire_inject_block(&context, &config, &buffers, span, outgoing, sizeof outgoing,
                                     &written),
              "inject")) {
        return 1;
    }
    fwrite(outgoing, 1, written, stdout);
    /* Too small an output buffer gets nothing at all. */
    uint8_t tiny[16];
    size_t none = 1;
    tracewire_status s = tracewire_inject_block(&context, &config, &buffers, span, tiny, sizeof tiny, &none);
    if (s != TRACEWIRE_STATUS_FULL || none != 0) {
        fprintf(stderr, "a full buffer must get nothing\n");
        return 1;
    }
    return 0;
}
