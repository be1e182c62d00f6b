/* png-encode: the encode baseline of scripts/bench item (d). Decodes a PNG the mock served
 * (so the pixels are exactly the mock's), then times libpng encodes of those RGB pixels into
 * memory, with the settings novita-mock's ImageCodecs pins (PNGCompression):
 *   stored    libpng, level 0, Z_DEFAULT_STRATEGY, filter None         (PNGCompression.stored)
 *   zlib      libpng, level 1, Z_RLE, filter Up, memLevel 8, window 15 (PNGCompression.zlibRunLength,
 *             what the mock served before its own encoder)
 * with a 64 KiB IDAT buffer, and
 *   standard  the mock's own encoder, the very C it runs (CImageShims' cis_png_encode_segmented,
 *             compiled in): filter Up, segments of 256 rows deflated on one thread per core
 *             (PNGCompression.standard, what the mock serves).
 * Prints "stored_ms=… standard_ms=… zlib_ms=… stored_bytes=… standard_bytes=… zlib_bytes=…"
 * (the median of RUNS encodes each).
 *
 *   png-encode FILE.png [RUNS]
 *
 * Not part of the product; compiled by scripts/bench into a temp dir. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "png-sink.h"
#include "CImageShims.h"

static size_t encode(const unsigned char *rgb, png_uint_32 w, png_uint_32 h, int level, int strategy,
                     int filters) {
    /* Sized up front (the stored stream is just over w·h·3 bytes), so no realloc is timed. */
    struct sink s = {0};
    s.capacity = (size_t)w * h * 3 + h + 65536;
    s.data = malloc(s.capacity);
    if (!s.data) { fprintf(stderr, "out of memory\n"); exit(1); }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) { fprintf(stderr, "libpng write error\n"); exit(1); }
    png_set_write_fn(png, &s, sink_write, sink_flush);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
                 PNG_FILTER_TYPE_BASE);
    png_set_compression_level(png, level);
    png_set_compression_strategy(png, strategy);
    png_set_compression_mem_level(png, 8);
    png_set_compression_window_bits(png, 15);
    png_set_compression_buffer_size(png, 65536);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_write_info(png, info);
    for (png_uint_32 y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * w * 3));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(s.data);
    return s.size;
}

/* The mock's own encoder (PNGCompression.standard). */
static size_t encode_mock(const unsigned char *rgb, png_uint_32 w, png_uint_32 h) {
    cis_png_write_settings settings = {1, Z_RLE, 8, 15, PNG_FILTER_UP, 65536};
    uint8_t *out = NULL;
    size_t length = 0;
    char message[256];
    if (cis_png_encode_segmented(rgb, 3, w, h, &settings, 0, NULL, 0, &out, &length, message, sizeof message) != CIS_OK) {
        fprintf(stderr, "mock encoder: %s\n", message);
        exit(1);
    }
    cis_free(out);
    return length;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_encode(const unsigned char *rgb, png_uint_32 w, png_uint_32 h, int runs, int level,
                            int strategy, int filters, size_t *bytes) {
    double times[64];
    for (int i = 0; i < runs; i++) {
        double start = now_ms();
        *bytes = level < 0 ? encode_mock(rgb, w, h) : encode(rgb, w, h, level, strategy, filters);
        times[i] = now_ms() - start;
    }
    qsort(times, (size_t)runs, sizeof times[0], compare);
    return times[runs / 2];
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE.png [RUNS]\n", argv[0]); return 2; }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1) runs = 1;
    if (runs > 64) runs = 64;
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, argv[1])) { fprintf(stderr, "%s: %s\n", argv[1], image.message); return 1; }
    image.format = PNG_FORMAT_RGB;
    unsigned char *rgb = malloc(PNG_IMAGE_SIZE(image));
    if (!rgb || !png_image_finish_read(&image, NULL, rgb, 0, NULL)) { fprintf(stderr, "decode failed\n"); return 1; }
    size_t stored_bytes = 0, standard_bytes = 0, zlib_bytes = 0;
    encode(rgb, image.width, image.height, 0, Z_DEFAULT_STRATEGY, PNG_FILTER_NONE); /* warm-up */
    double stored = median_encode(rgb, image.width, image.height, runs, 0, Z_DEFAULT_STRATEGY, PNG_FILTER_NONE,
                                  &stored_bytes);
    double zlib = median_encode(rgb, image.width, image.height, runs, 1, Z_RLE, PNG_FILTER_UP, &zlib_bytes);
    encode_mock(rgb, image.width, image.height); /* warm-up */
    double standard = median_encode(rgb, image.width, image.height, runs, -1, 0, 0, &standard_bytes);
    printf("width=%u height=%u stored_ms=%.2f standard_ms=%.2f zlib_ms=%.2f stored_bytes=%zu standard_bytes=%zu "
           "zlib_bytes=%zu\n",
           image.width, image.height, stored, standard, zlib, stored_bytes, standard_bytes, zlib_bytes);
    free(rgb);
    return 0;
}
