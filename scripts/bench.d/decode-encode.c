/* decode-encode: the baseline of scripts/bench item (f), the synchronous editors. Times what the
 * least an editor must do with its input costs, with the libraries the mock uses: decode the PNG
 * file's bytes (already in memory) with libpng's simplified API, then encode the pixels again into
 * memory with the settings the mock pins for every PNG it serves (ImageCodecs' PNGCompression.standard:
 * zlib level 1, Z_RLE, filter Up, memLevel 8, window 15, 64 KiB IDAT buffer). The simplified API's
 * own encoder is not used: it compresses at zlib's default level 6, several times slower than what
 * the mock does, which would make the goal easy for the wrong reason.
 *
 * Prints "decode_ms=… rgb_ms=… rgba_ms=… rgb_bytes=… rgba_bytes=…": the median decode, and the
 * median decode + encode as RGB and as RGBA (remove-background answers with an alpha channel).
 *
 *   decode-encode FILE.png [RUNS]
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

static unsigned char *decode(const unsigned char *file, size_t size, png_uint_32 format, png_uint_32 *w,
                             png_uint_32 *h) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, file, size)) { fprintf(stderr, "%s\n", image.message); exit(1); }
    image.format = format;
    unsigned char *pixels = malloc(PNG_IMAGE_SIZE(image));
    if (!pixels || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) { fprintf(stderr, "decode failed\n"); exit(1); }
    *w = image.width;
    *h = image.height;
    return pixels;
}

/* The mock's PNGCompression.standard. */
static size_t encode(const unsigned char *pixels, png_uint_32 w, png_uint_32 h, int channels) {
    struct sink s = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) { fprintf(stderr, "libpng write error\n"); exit(1); }
    png_set_write_fn(png, &s, sink_write, sink_flush);
    png_set_IHDR(png, info, w, h, 8, channels == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_set_compression_level(png, 1);
    png_set_compression_strategy(png, Z_RLE);
    png_set_compression_mem_level(png, 8);
    png_set_compression_window_bits(png, 15);
    png_set_compression_buffer_size(png, 65536);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_write_info(png, info);
    for (png_uint_32 y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * w * channels));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(s.data);
    return s.size;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of RUNS: decode only (encode_channels 0) or decode + encode. */
static double median(const unsigned char *file, size_t size, int runs, int encode_channels, size_t *bytes) {
    double times[64];
    for (int i = 0; i < runs; i++) {
        double start = now_ms();
        png_uint_32 w, h;
        unsigned char *pixels = decode(file, size, encode_channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB, &w, &h);
        if (encode_channels) *bytes = encode(pixels, w, h, encode_channels);
        times[i] = now_ms() - start;
        free(pixels);
    }
    qsort(times, (size_t)runs, sizeof times[0], compare);
    return times[runs / 2];
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE.png [RUNS]\n", argv[0]); return 2; }
    int runs = argc > 2 ? atoi(argv[2]) : 15;
    if (runs < 1) runs = 1;
    if (runs > 64) runs = 64;
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    size_t size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *file = malloc(size);
    if (!file || fread(file, 1, size, f) != size) { fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
    fclose(f);
    size_t rgb_bytes = 0, rgba_bytes = 0, unused = 0;
    median(file, size, 2, 3, &unused); /* warm-up */
    double decode_ms = median(file, size, runs, 0, &unused);
    double rgb_ms = median(file, size, runs, 3, &rgb_bytes);
    double rgba_ms = median(file, size, runs, 4, &rgba_bytes);
    printf("decode_ms=%.2f rgb_ms=%.2f rgba_ms=%.2f rgb_bytes=%zu rgba_bytes=%zu\n", decode_ms, rgb_ms, rgba_ms,
           rgb_bytes, rgba_bytes);
    free(file);
    return 0;
}
