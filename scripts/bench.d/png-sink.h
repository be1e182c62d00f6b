/* What the two PNG baselines of scripts/bench share: a growing in-memory sink for libpng's
 * writes, and a monotonic clock in milliseconds. Included by decode-encode.c and png-encode.c. */
#ifndef PNG_SINK_H
#define PNG_SINK_H
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sink { unsigned char *data; size_t size, capacity; };

static void sink_write(png_structp png, png_bytep bytes, png_size_t count) {
    struct sink *s = png_get_io_ptr(png);
    if (s->size + count > s->capacity) {
        size_t capacity = s->capacity ? s->capacity * 2 : 1 << 20;
        while (capacity < s->size + count) capacity *= 2;
        s->data = realloc(s->data, capacity);
        if (!s->data) { fprintf(stderr, "out of memory\n"); exit(1); }
        s->capacity = capacity;
    }
    memcpy(s->data + s->size, bytes, count);
    s->size += count;
}
static void sink_flush(png_structp png) { (void)png; }

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

#endif
