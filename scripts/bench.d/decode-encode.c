/* decode-encode: the baseline of scripts/bench item (f), the synchronous editors. Times what the
 * least an editor must do with its input costs, with the libraries the mock uses: decode the PNG
 * file's bytes (already in memory) with libpng's simplified API, then encode the pixels again into
 * memory with the encoder the mock uses for every PNG it serves (ImageCodecs' PNGCompression.standard:
 * the very C the mock runs, CImageShims' cis_png_encode_segmented, compiled in — filter Up, segments
 * of 256 rows deflated on one thread per core, 64 KiB IDAT chunks). The simplified API's own encoder
 * is not used: it compresses at zlib's default level 6, many times slower than what the mock does,
 * which would make the goal easy for the wrong reason.
 *
 * Prints "decode_ms=… rgb_ms=… rgba_ms=… rgb_bytes=… rgba_bytes=…": the median decode, and the
 * median decode + encode as RGB and as RGBA (remove-background answers with an alpha channel); then,
 * for information only, "fast_decode_ms=…": the median decode to RGB by the decoder the mock runs
 * first (CImageShims' cis_png_decode_rgb8_fast, compiled in; libpng stays the baseline).
 *
 *   decode-encode FILE.png [RUNS]
 *   decode-encode FILE.png --turns
 *
 * With --turns it reads one word per line from stdin — "decode", "rgb" or "rgba" — runs that once and
 * answers the milliseconds it took on one line: scripts/bench.d/helper.py asks for one baseline run
 * between each two editor calls, so host load that moves the mock moves its baseline the same way.
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

/* The mock's PNGCompression.standard: its own encoder. */
static size_t encode(const unsigned char *pixels, png_uint_32 w, png_uint_32 h, int channels) {
    cis_png_write_settings settings = {1, Z_RLE, 8, 15, PNG_FILTER_UP, 65536};
    uint8_t *out = NULL;
    size_t length = 0;
    char message[256];
    if (cis_png_encode_segmented(pixels, channels, w, h, &settings, 0, NULL, 0, &out, &length, message,
                                 sizeof message) != CIS_OK) {
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

/* Median of RUNS decodes by the mock's fast decoder (to RGB), or -1 when it declines the file. */
static double fast_median(const unsigned char *file, size_t size, int runs) {
    double times[64];
    png_uint_32 w = (png_uint_32)file[16] << 24 | file[17] << 16 | file[18] << 8 | file[19];
    png_uint_32 h = (png_uint_32)file[20] << 24 | file[21] << 16 | file[22] << 8 | file[23];
    size_t length = (size_t)w * h * 3;
    unsigned char *rgb = malloc(length);
    if (!rgb) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int i = 0; i < runs; i++) {
        double start = now_ms();
        int status = cis_png_decode_rgb8_fast(file, size, w, h, rgb, length);
        times[i] = now_ms() - start;
        if (status != CIS_OK) { free(rgb); return -1; }
    }
    free(rgb);
    qsort(times, (size_t)runs, sizeof times[0], compare);
    return times[runs / 2];
}

/* One run per line of stdin, its time on stdout (see the header). */
static int turns(const unsigned char *file, size_t size) {
    char word[32];
    size_t unused = 0;
    median(file, size, 2, 3, &unused); /* warm-up */
    while (fgets(word, sizeof word, stdin)) {
        int channels = strncmp(word, "rgba", 4) == 0 ? 4 : strncmp(word, "rgb", 3) == 0 ? 3 : 0;
        if (channels == 0 && strncmp(word, "decode", 6) != 0) {
            fprintf(stderr, "decode-encode --turns: expected decode, rgb or rgba, got %s", word);
            return 2;
        }
        printf("%.3f\n", median(file, size, 1, channels, &unused));
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE.png [RUNS | --turns]\n", argv[0]); return 2; }
    int serve_turns = argc > 2 && strcmp(argv[2], "--turns") == 0;
    int runs = argc > 2 && !serve_turns ? atoi(argv[2]) : 15;
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
    if (serve_turns) {
        int status = turns(file, size);
        free(file);
        return status;
    }
    size_t rgb_bytes = 0, rgba_bytes = 0, unused = 0;
    median(file, size, 2, 3, &unused); /* warm-up */
    double decode_ms = median(file, size, runs, 0, &unused);
    double rgb_ms = median(file, size, runs, 3, &rgb_bytes);
    double rgba_ms = median(file, size, runs, 4, &rgba_bytes);
    printf("decode_ms=%.2f rgb_ms=%.2f rgba_ms=%.2f rgb_bytes=%zu rgba_bytes=%zu\n", decode_ms, rgb_ms, rgba_ms,
           rgb_bytes, rgba_bytes);
    if (size >= 24) printf("fast_decode_ms=%.2f\n", fast_median(file, size, runs));
    free(file);
    return 0;
}
