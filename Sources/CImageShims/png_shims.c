#include "CImageShims.h"
#include "cis_bytes.h"

#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// MARK: - Error plumbing

typedef struct cis_error_sink {
    char *message;
    size_t capacity;
} cis_error_sink;

static void cis_set_message(cis_error_sink *sink, const char *text) {
    if (sink != NULL && sink->message != NULL && sink->capacity > 0) {
        snprintf(sink->message, sink->capacity, "%s", text);
    }
}

static void cis_png_error(png_structp png, png_const_charp text) {
    cis_set_message((cis_error_sink *)png_get_error_ptr(png), text);
    png_longjmp(png, 1);
}

static void cis_png_warning(png_structp png, png_const_charp text) {
    // Warnings are not errors; libpng's default would print them to stderr.
    (void)png;
    (void)text;
}

void cis_free(void *pointer) { free(pointer); }

#if defined(__GLIBC__)
#include <malloc.h>
int cis_keep_freed_buffers(size_t bytes) {
    int limit = bytes > 0x7FFFFFFF ? 0x7FFFFFFF : (int)bytes;
    return mallopt(M_MMAP_THRESHOLD, limit) == 1 && mallopt(M_TRIM_THRESHOLD, limit) == 1;
}
#else
int cis_keep_freed_buffers(size_t bytes) {
    (void)bytes;
    return 0;
}
#endif

// MARK: - CRC-32

#if defined(__x86_64__)
#include <immintrin.h>

/* The CRC-32 of zlib (PNG's chunk check) of `length` bytes — a multiple of 16, at least 64 — by
 * carry-less multiplication: four 128-bit lanes folded 64 bytes at a time, then into one lane and
 * reduced (Gopal et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
 * Instruction", Intel 2009; the bit-reflected constants of its appendix, as in the Linux kernel's
 * crc32-pclmul). Takes and returns the register as zlib keeps it inside: inverted. About 8× zlib's
 * table-driven crc32 here, which was 4 % of a synchronous editor's CPU (a 1 MB input checked, a
 * 2 MB answer summed). */
__attribute__((target("sse4.1,pclmul"))) static uint32_t cis_crc32_fold(const uint8_t *data, size_t length,
                                                                         uint32_t crc) {
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
    const __m128i barrett = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)data), _mm_cvtsi32_si128((int)crc));
    __m128i b = _mm_loadu_si128((const __m128i *)(data + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(data + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(data + 48));
    data += 64;
    length -= 64;
    while (length >= 64) {
        __m128i a0 = _mm_clmulepi64_si128(a, k1k2, 0x00), b0 = _mm_clmulepi64_si128(b, k1k2, 0x00);
        __m128i c0 = _mm_clmulepi64_si128(c, k1k2, 0x00), d0 = _mm_clmulepi64_si128(d, k1k2, 0x00);
        a = _mm_clmulepi64_si128(a, k1k2, 0x11);
        b = _mm_clmulepi64_si128(b, k1k2, 0x11);
        c = _mm_clmulepi64_si128(c, k1k2, 0x11);
        d = _mm_clmulepi64_si128(d, k1k2, 0x11);
        a = _mm_xor_si128(_mm_xor_si128(a, a0), _mm_loadu_si128((const __m128i *)data));
        b = _mm_xor_si128(_mm_xor_si128(b, b0), _mm_loadu_si128((const __m128i *)(data + 16)));
        c = _mm_xor_si128(_mm_xor_si128(c, c0), _mm_loadu_si128((const __m128i *)(data + 32)));
        d = _mm_xor_si128(_mm_xor_si128(d, d0), _mm_loadu_si128((const __m128i *)(data + 48)));
        data += 64;
        length -= 64;
    }
    // Fold the four lanes into one, then any 16-byte blocks left.
    __m128i next[3] = {b, c, d};
    for (int i = 0; i < 3; i++) {
        __m128i low = _mm_clmulepi64_si128(a, k3k4, 0x00);
        a = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k3k4, 0x11), next[i]), low);
    }
    while (length >= 16) {
        __m128i low = _mm_clmulepi64_si128(a, k3k4, 0x00);
        a = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k3k4, 0x11), _mm_loadu_si128((const __m128i *)data)),
                          low);
        data += 16;
        length -= 16;
    }
    // 128 bits to 64, then Barrett reduction to 32.
    a = _mm_xor_si128(_mm_srli_si128(a, 8), _mm_clmulepi64_si128(a, k3k4, 0x10));
    a = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(a, low32), k5, 0x00), _mm_srli_si128(a, 4));
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(a, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(a, t), 1);
}

static int cis_crc32_has_fold(void) {
    static int known = -1;  // every thread that finds it unset computes the same answer
    int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (value < 0) {
        value = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        __atomic_store_n(&known, value, __ATOMIC_RELAXED);
    }
    return value;
}
#endif

uint32_t cis_crc32(uint32_t crc, const uint8_t *data, size_t length) {
#if defined(__x86_64__)
    if (length >= 64 && cis_crc32_has_fold()) {
        size_t bulk = length & ~(size_t)15;
        crc = ~cis_crc32_fold(data, bulk, ~crc);
        data += bulk;
        length -= bulk;
    }
#endif
    uLong value = crc;
    while (length > 0) {
        uInt chunk = length > 0x40000000u ? 0x40000000u : (uInt)length;
        value = crc32(value, data, chunk);
        data += chunk;
        length -= chunk;
    }
    return (uint32_t)value;
}

int cis_zlib_inflate(const uint8_t *data, size_t length, uint8_t *out, size_t capacity, size_t *out_length) {
    if (data == NULL || out_length == NULL || (out == NULL && capacity > 0) || length > UINT32_MAX ||
        capacity > UINT32_MAX) {
        return CIS_ERROR_ARGUMENT;
    }
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit(&stream) != Z_OK) return CIS_ERROR_NO_MEMORY;
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)length;
    stream.next_out = out;
    stream.avail_out = (uInt)capacity;
    int status = inflate(&stream, Z_FINISH);
    *out_length = capacity - stream.avail_out;
    inflateEnd(&stream);
    return status == Z_STREAM_END ? CIS_OK : CIS_ERROR_ARGUMENT;
}

// MARK: - Encoding

typedef struct cis_memory_writer {
    uint8_t *data;
    size_t length;
    size_t capacity;
} cis_memory_writer;

static void cis_png_write(png_structp png, png_bytep bytes, png_size_t count) {
    cis_memory_writer *writer = (cis_memory_writer *)png_get_io_ptr(png);
    if (count > SIZE_MAX - writer->length) png_error(png, "PNG output too large");
    size_t needed = writer->length + count;
    if (needed > writer->capacity) {
        size_t capacity = writer->capacity < 4096 ? 4096 : writer->capacity;
        while (capacity < needed) {
            if (capacity > SIZE_MAX / 2) png_error(png, "PNG output too large");
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(writer->data, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->length, bytes, count);
    writer->length = needed;
}

static void cis_png_flush(png_structp png) { (void)png; }

// One writer for both layouts: `channels` is 3 (RGB) or 4 (RGBA, straight alpha). The RGB path
// makes exactly the calls it always made, so RGB files stay byte-identical.
static int cis_png_encode(const uint8_t *pixels, int channels, uint32_t width, uint32_t height,
                          const cis_png_write_settings *settings, const char *text, int text_is_utf8,
                          uint8_t **out, size_t *out_length, char *message, size_t message_capacity) {
    cis_error_sink sink = {message, message_capacity};
    if (message != NULL && message_capacity > 0) message[0] = '\0';
    if (pixels == NULL || (channels != 3 && channels != 4) || settings == NULL || out == NULL || out_length == NULL || width == 0 || height == 0) {
        cis_set_message(&sink, "invalid arguments");
        return CIS_ERROR_ARGUMENT;
    }
    *out = NULL;
    *out_length = 0;

    // The writer lives on the heap so its contents are well defined after a longjmp.
    cis_memory_writer *writer = (cis_memory_writer *)calloc(1, sizeof *writer);
    if (writer == NULL) return CIS_ERROR_NO_MEMORY;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, cis_png_error, cis_png_warning);
    if (png == NULL) {
        free(writer);
        return CIS_ERROR_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        free(writer);
        return CIS_ERROR_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(writer->data);
        free(writer);
        return CIS_ERROR_LIBPNG;
    }

    png_set_write_fn(png, writer, cis_png_write, cis_png_flush);
    png_set_IHDR(png, info, width, height, 8, channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, settings->compression_level);
    png_set_compression_strategy(png, settings->compression_strategy);
    png_set_compression_mem_level(png, settings->mem_level);
    png_set_compression_window_bits(png, settings->window_bits);
    png_set_compression_buffer_size(png, settings->idat_size);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, settings->filters);

    if (text != NULL) {
        png_text chunk;
        memset(&chunk, 0, sizeof chunk);
        chunk.compression = text_is_utf8 ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
        chunk.key = (png_charp) "parameters";
        chunk.text = (png_charp)text;
        chunk.text_length = strlen(text);
        chunk.lang = (png_charp) "";
        chunk.lang_key = (png_charp) "";
        png_set_text(png, info, &chunk, 1);
    }
    // No tIME chunk: nothing here may depend on the clock.
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    *out = writer->data;
    *out_length = writer->length;
    free(writer);
    return CIS_OK;
}

int cis_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                        const cis_png_write_settings *settings, const char *text, int text_is_utf8,
                        uint8_t **out, size_t *out_length, char *message, size_t message_capacity) {
    return cis_png_encode(rgb, 3, width, height, settings, text, text_is_utf8, out, out_length, message,
                          message_capacity);
}

int cis_png_encode_rgba8(const uint8_t *rgba, uint32_t width, uint32_t height,
                         const cis_png_write_settings *settings, const char *text, int text_is_utf8,
                         uint8_t **out, size_t *out_length, char *message, size_t message_capacity) {
    return cis_png_encode(rgba, 4, width, height, settings, text, text_is_utf8, out, out_length, message,
                          message_capacity);
}

// MARK: - Encoding without libpng: row filter + deflate in parallel segments

// Rows are cut into segments of `CIS_SEGMENT_ROWS` rows (a pure function of the height, so the
// bytes never depend on the thread count). Each segment is filtered and deflated on its own
// (raw deflate, ending in a sync flush, the last one in Z_FINISH); the segments are concatenated
// behind one zlib header, and their Adler-32s combined (adler32_combine), as pigz does.
#define CIS_SEGMENT_ROWS 256u
#define CIS_MAX_THREADS 8
// The bits a length code is taken to cost when choosing between a run and literals: 7 gave the
// smallest files on rendered 1024² images among 4…8 (−7 % against taking every run ≥ 3).
#define CIS_RUN_BITS 7

typedef struct cis_segment {
    const uint8_t *pixels;
    size_t stride;  // bytes per row, without the filter byte
    int channels;
    uint32_t row_begin, row_end;
    const cis_png_write_settings *settings;
    int is_last;
    uint8_t *out;
    size_t out_length;
    uint32_t adler;
    int status;
} cis_segment;

static void cis_filter_row(int filter, const uint8_t *row, const uint8_t *previous, size_t stride, int channels,
                           uint8_t *target) {
    target[0] = (uint8_t)filter;
    uint8_t *out = target + 1;
    switch (filter) {
    case 1:  // Sub
        for (size_t i = 0; i < (size_t)channels; i++) out[i] = row[i];
        for (size_t i = (size_t)channels; i < stride; i++) out[i] = (uint8_t)(row[i] - row[i - channels]);
        break;
    case 2:  // Up
        if (previous == NULL) {
            memcpy(out, row, stride);
        } else {
            for (size_t i = 0; i < stride; i++) out[i] = (uint8_t)(row[i] - previous[i]);
        }
        break;
    default:  // None
        target[0] = 0;
        memcpy(out, row, stride);
        break;
    }
}

// Adler-32 (RFC 1950 8.2) continued over `length` bytes, in blocks of ≤ 5536 bytes (a multiple
// of 32 within zlib's NMAX, 5552) so no 32-bit sum overflows before the modulo. Per 32 bytes:
// the byte sum and the sum weighted 32…1; with SSE2 (every x86-64) that is psadbw and pmaddwd,
// elsewhere plain loops the compiler vectorises.
static uint32_t cis_adler32(uint32_t adler, const uint8_t *data, size_t length) {
    uint64_t a = adler & 0xFFFFu, b = adler >> 16;
    while (length > 0) {
        size_t block = length < 5536 ? length : 5536;
        length -= block;
        size_t chunks = block / 32;
        uint64_t sum = 0, sums_before = 0, weighted = 0;  // bytes; Σ of `sum` before each chunk; weighted
#if defined(__SSE2__)
        const __m128i zero = _mm_setzero_si128();
        const __m128i w0 = _mm_setr_epi16(32, 31, 30, 29, 28, 27, 26, 25);
        const __m128i w1 = _mm_setr_epi16(24, 23, 22, 21, 20, 19, 18, 17);
        const __m128i w2 = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
        const __m128i w3 = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
        __m128i vsum = zero, vbefore = zero, vweighted = zero;
        for (size_t c = 0; c < chunks; c++, data += 32) {
            __m128i x = _mm_loadu_si128((const __m128i *)data);
            __m128i y = _mm_loadu_si128((const __m128i *)(data + 16));
            vbefore = _mm_add_epi32(vbefore, vsum);
            vsum = _mm_add_epi32(vsum, _mm_add_epi32(_mm_sad_epu8(x, zero), _mm_sad_epu8(y, zero)));
            __m128i m = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(x, zero), w0),
                                      _mm_madd_epi16(_mm_unpackhi_epi8(x, zero), w1));
            m = _mm_add_epi32(m, _mm_madd_epi16(_mm_unpacklo_epi8(y, zero), w2));
            m = _mm_add_epi32(m, _mm_madd_epi16(_mm_unpackhi_epi8(y, zero), w3));
            vweighted = _mm_add_epi32(vweighted, m);
        }
        uint32_t lanes[4];
        _mm_storeu_si128((__m128i *)lanes, vsum);
        sum = (uint64_t)lanes[0] + lanes[2];
        _mm_storeu_si128((__m128i *)lanes, vbefore);
        sums_before = (uint64_t)lanes[0] + lanes[2];
        _mm_storeu_si128((__m128i *)lanes, vweighted);
        weighted = (uint64_t)lanes[0] + lanes[1] + lanes[2] + lanes[3];
#else
        for (size_t c = 0; c < chunks; c++, data += 32) {
            uint32_t chunk_sum = 0, chunk_weighted = 0;
            for (uint32_t i = 0; i < 32; i++) {
                chunk_sum += data[i];
                chunk_weighted += (32 - i) * (uint32_t)data[i];
            }
            sums_before += sum;
            sum += chunk_sum;
            weighted += chunk_weighted;
        }
#endif
        b += a * 32 * chunks + sums_before * 32 + weighted;
        a += sum;
        for (size_t rest = block % 32; rest > 0; rest--) {
            a += *data++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (uint32_t)((b << 16) | a);
}

// MARK: - A small deflate encoder for filtered PNG rows

// Literals plus runs of the previous byte (distance 1, as zlib's Z_RLE finds them), one dynamic
// Huffman block per segment with codes built from the segment's own counts, found without a
// branch per byte:
// - one pass over the filtered segment, in cache-sized chunks, takes the Adler-32, a histogram
//   of every byte, and a bit per byte: "equals the byte before" (8 bytes per step, SWAR);
// - the stretches of ≥ 3 such bits are found a 64-bit word at a time; one becomes a run when
//   its bytes as literals would cost more (costs estimated from the histogram: after the Up
//   filter most bytes are 0, whose 1-bit code makes short runs of zeros dearer than literals);
//   runs are cut into lengths of ≤ 258, and the bytes they cover come off the histogram, which
//   leaves the literal counts;
// - the writing pass puts the literals between runs through a 64-bit bit buffer, three per
//   8-byte store.

typedef struct cis_bits {
    uint8_t *out;
    size_t length;
    uint64_t accumulator;
    unsigned count;
} cis_bits;

static inline void cis_bits_put(cis_bits *bits, uint64_t value, unsigned count) {
    bits->accumulator |= value << bits->count;
    bits->count += count;
    if (bits->count >= 32) {
        uint32_t word = (uint32_t)bits->accumulator;
        bits->out[bits->length] = (uint8_t)word;
        bits->out[bits->length + 1] = (uint8_t)(word >> 8);
        bits->out[bits->length + 2] = (uint8_t)(word >> 16);
        bits->out[bits->length + 3] = (uint8_t)(word >> 24);
        bits->length += 4;
        bits->accumulator >>= 32;
        bits->count -= 32;
    }
}

// Writes out whole bytes, padding the last with zero bits.
static void cis_bits_align(cis_bits *bits) {
    while (bits->count > 0) {
        bits->out[bits->length++] = (uint8_t)bits->accumulator;
        bits->accumulator >>= 8;
        bits->count = bits->count >= 8 ? bits->count - 8 : 0;
    }
    bits->accumulator = 0;
}

// Length 3…258 → symbol 257…285, extra bits, extra value (RFC 1951 3.2.5).
static const uint16_t cis_length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                             31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t cis_length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                             2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

static uint8_t cis_length_symbol[259];  // length → index into the tables above
static pthread_once_t cis_length_once = PTHREAD_ONCE_INIT;
static void cis_length_init(void) {
    for (int i = 0; i < 29; i++) {
        int end = i == 28 ? 259 : cis_length_base[i + 1];
        if (i == 27) end = 258;  // 258 has its own symbol (285), not 284 + 31
        for (int length = cis_length_base[i]; length < end; length++) cis_length_symbol[length] = (uint8_t)i;
    }
}

// Huffman code lengths for `count` symbols with frequencies `freq`, no longer than `limit`:
// the classic two-queue construction; when a code comes out too long, the counts are halved
// (keeping every used symbol ≥ 1) and the tree is built again. Deterministic: ties are broken
// by symbol order.
static void cis_huffman_lengths(const uint32_t *freq, int count, int limit, uint8_t *lengths) {
    uint32_t weights[288];
    int symbols[288];
    for (int i = 0; i < count; i++) weights[i] = freq[i];
    for (;;) {
        int used = 0;
        for (int i = 0; i < count; i++) {
            lengths[i] = 0;
            if (weights[i] > 0) symbols[used++] = i;
        }
        if (used == 0) return;
        if (used == 1) {
            lengths[symbols[0]] = 1;
            return;
        }
        // Sort the used symbols by weight, then symbol (insertion sort: ≤ 288 entries).
        for (int i = 1; i < used; i++) {
            int s = symbols[i];
            int j = i - 1;
            while (j >= 0 && (weights[symbols[j]] > weights[s] || (weights[symbols[j]] == weights[s] && symbols[j] > s))) {
                symbols[j + 1] = symbols[j];
                j--;
            }
            symbols[j + 1] = s;
        }
        // Nodes 0…used-1 are leaves (in sorted order), used… the internal nodes in creation order.
        uint64_t node_weight[576];
        int parent[576];
        for (int i = 0; i < used; i++) node_weight[i] = weights[symbols[i]];
        int leaf = 0, internal = used, created = used;
        for (int made = 0; made < used - 1; made++) {
            int pick[2];
            for (int k = 0; k < 2; k++) {
                if (leaf < used && (internal >= created || node_weight[leaf] <= node_weight[internal])) {
                    pick[k] = leaf++;
                } else {
                    pick[k] = internal++;
                }
            }
            node_weight[created] = node_weight[pick[0]] + node_weight[pick[1]];
            parent[pick[0]] = parent[pick[1]] = created;
            created++;
        }
        // Depths: the root is the last node created.
        int depth[576];
        depth[created - 1] = 0;
        int longest = 0;
        for (int node = created - 2; node >= 0; node--) {
            depth[node] = depth[parent[node]] + 1;
            if (node < used && depth[node] > longest) longest = depth[node];
        }
        if (longest <= limit) {
            for (int i = 0; i < used; i++) lengths[symbols[i]] = (uint8_t)depth[i];
            return;
        }
        for (int i = 0; i < count; i++) {
            if (weights[i] > 0) weights[i] = (weights[i] + 1) / 2;
        }
    }
}

// Canonical codes (RFC 1951 3.2.2), bit-reversed for LSB-first output.
static void cis_huffman_codes(const uint8_t *lengths, int count, uint16_t *codes) {
    uint16_t per_length[16] = {0};
    for (int i = 0; i < count; i++) per_length[lengths[i]]++;
    per_length[0] = 0;
    uint16_t next[16];
    uint16_t code = 0;
    for (int bits = 1; bits < 16; bits++) {
        code = (uint16_t)((code + per_length[bits - 1]) << 1);
        next[bits] = code;
    }
    for (int i = 0; i < count; i++) {
        int length = lengths[i];
        if (length == 0) {
            codes[i] = 0;
            continue;
        }
        uint16_t value = next[length]++;
        uint16_t reversed = 0;
        for (int b = 0; b < length; b++) reversed |= (uint16_t)(((value >> b) & 1u) << (length - 1 - b));
        codes[i] = reversed;
    }
}

// Bit i of `equal` (word i / 64): data[i] == data[i - 1], for i in [begin, end) with begin a
// multiple of 64; data[-1] must be readable (the caller makes it differ from data[0]) and so
// must 64 bytes past `end` (the bits past `end` are cleared).
// With SSE2 (every x86-64): 16 bytes per compare and movemask; elsewhere 8 bytes per step, SWAR.
static void cis_equal_bits(const uint8_t *data, size_t begin, size_t end, uint64_t *equal) {
#if defined(__SSE2__)
    for (size_t word = begin; word < end; word += 64) {
        uint64_t bits = 0;
        for (unsigned group = 0; group < 4; group++) {
            const uint8_t *p = data + word + group * 16;
            __m128i same = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), _mm_loadu_si128((const __m128i *)(p - 1)));
            bits |= (uint64_t)(uint32_t)_mm_movemask_epi8(same) << (group * 16);
        }
        if (end - word < 64) bits &= (1ull << (end - word)) - 1;
        equal[word / 64] = bits;
    }
#else
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    for (size_t word = begin; word < end; word += 64) {
        uint64_t bits = 0;
        for (unsigned group = 0; group < 8; group++) {
            const uint8_t *p = data + word + group * 8;
            uint64_t difference = cis_load64le(p) ^ cis_load64le(p - 1);
            // High bit of each byte: set where the byte is zero (exact, no borrows across bytes).
            uint64_t zero = ~(((difference & low7) + low7) | difference) & ~low7;
            bits |= ((zero >> 7) * 0x0102040810204080ull >> 56) << (group * 8);
        }
        if (end - word < 64) bits &= (1ull << (end - word)) - 1;
        equal[word / 64] = bits;
    }
#endif
}

// The histogram counts one 64-byte line in this many (and scales): about a quarter of the
// encoder's time was counting every byte, for code lengths an estimate serves as well.
#define CIS_HISTOGRAM_STRIDE 4

// One pass over a segment's filtered bytes: the histogram of all bytes, the "equal" bits and
// the Adler-32, in chunks small enough to stay in L1 between the three loops.
static void cis_analyse(const uint8_t *data, size_t length, uint64_t *equal, uint32_t *histogram,
                        uint32_t *adler) {
    // Eight tables: most bytes are 0 (or ±1) after the filter, and eight counters in a row for
    // one value would wait on each other's stores.
    uint32_t counts[8][256];
    memset(counts, 0, sizeof counts);
    uint32_t sum = 1;
    const size_t chunk = 4096;  // a multiple of 64
    for (size_t begin = 0; begin < length; begin += chunk) {
        size_t end = length - begin < chunk ? length : begin + chunk;
        const uint8_t *p = data + begin;
        // One 64-byte line in CIS_HISTOGRAM_STRIDE is counted: the counts only shape the codes.
        size_t n = end - begin;
        for (size_t line = 0; line < n; line += 64 * CIS_HISTOGRAM_STRIDE) {
            size_t stop = n - line < 64 ? n : line + 64, i = line;
            for (; i + 8 <= stop; i += 8) {
                for (unsigned k = 0; k < 8; k++) counts[k][p[i + k]]++;
            }
            for (; i < stop; i++) counts[0][p[i]]++;
        }
        sum = cis_adler32(sum, p, n);
        cis_equal_bits(data, begin, end, equal);
    }
    for (int v = 0; v < 256; v++) {
        uint32_t total = 0;
        for (unsigned k = 0; k < 8; k++) total += counts[k][v];
        histogram[v] = total * CIS_HISTOGRAM_STRIDE;
    }
    *adler = sum;
}

// The stretches of ≥ 3 set bits in `equal` (`words` words, then one zero word): start and
// length, in order. Returns how many.
static size_t cis_find_runs(const uint64_t *equal, size_t words, uint32_t *runs) {
    size_t count = 0;
    uint64_t before = 0;  // the bit just below the current word
    for (size_t k = 0; k < words; k++) {
        uint64_t e = equal[k], next = equal[k + 1];
        uint64_t e1 = (e >> 1) | (next << 63), e2 = (e >> 2) | (next << 62);
        uint64_t starts = e & e1 & e2 & ~((e << 1) | before);
        before = e >> 63;
        while (starts != 0) {
            unsigned bit = (unsigned)__builtin_ctzll(starts);
            starts &= starts - 1;
            size_t start = k * 64 + bit;
            size_t w = k;
            uint64_t zeros = ~e & (~0ull << bit);
            while (zeros == 0) zeros = ~equal[++w];  // ends at the zero word
            size_t end = w * 64 + (unsigned)__builtin_ctzll(zeros);
            runs[count * 2] = (uint32_t)start;
            runs[count * 2 + 1] = (uint32_t)(end - start);
            count++;
        }
    }
    return count;
}

// 256 · log2(x) for x ≥ 1, the fraction interpolated linearly (error < 0.09 bits).
static int32_t cis_log2_fixed(uint32_t x) {
    int bits = 31 - __builtin_clz(x);
    uint32_t fraction = bits >= 8 ? (x >> (bits - 8)) & 0xFF : (x << (8 - bits)) & 0xFF;
    return bits * 256 + (int32_t)fraction;
}

// Deflates `data` (`length` bytes, with `equal` and `histogram` from `cis_analyse`) as one
// dynamic block into `bits`; `final` sets BFINAL. `runs` has room for length / 4 + 1 pairs.
static void cis_deflate_block(const uint8_t *data, size_t length, const uint64_t *equal, uint32_t *histogram,
                              uint32_t *runs, int final, cis_bits *bits) {
    pthread_once(&cis_length_once, cis_length_init);
    uint32_t freq[286] = {0};
    size_t found = cis_find_runs(equal, (length + 63) / 64, runs);
    // What a literal of each value will cost, in 1/256 bits: log2(bytes / count), at least 1
    // bit, from the counts of every byte (integers only, so the same on every machine).
    uint32_t literal_cost[256];
    int32_t log_total = cis_log2_fixed((uint32_t)length);
    for (int v = 0; v < 256; v++) {
        int32_t cost = histogram[v] == 0 ? 15 * 256 : log_total - cis_log2_fixed(histogram[v]);
        literal_cost[v] = cost < 256 ? 256 : (uint32_t)cost;
    }
    // A stretch shorter than 258 becomes a run only if its literals would cost more than a run
    // (a length code of ~CIS_RUN_BITS bits, its extra bits and the distance bit).
    size_t run_count = 0;
    for (size_t r = 0; r < found; r++) {
        uint32_t start = runs[r * 2], n = runs[r * 2 + 1];
        if (n < 258) {
            uint32_t run_cost = 256u * (CIS_RUN_BITS + cis_length_extra[cis_length_symbol[n]] + 1);
            if (n * literal_cost[data[start - 1]] <= run_cost) continue;
        }
        runs[run_count * 2] = start;
        runs[run_count * 2 + 1] = n;
        run_count++;
    }
    // Each stretch: ⌊n / 258⌋ runs of 258, then the rest as one run if ≥ 3, else as literals.
    for (size_t r = 0; r < run_count; r++) {
        uint32_t start = runs[r * 2], n = runs[r * 2 + 1];
        uint32_t rest = n % 258, covered = rest >= 3 ? n : n - rest;
        freq[257 + 28] += n / 258;
        if (rest >= 3) freq[257 + cis_length_symbol[rest]]++;
        uint8_t value = data[start - 1];
        histogram[value] = histogram[value] > covered ? histogram[value] - covered : 0;
    }
    // Estimates: every byte value gets a code, so a literal the sample missed is still one.
    for (int v = 0; v < 256; v++) freq[v] = histogram[v] > 0 ? histogram[v] : 1;
    freq[256] = 1;
    uint8_t lengths[286 + 1];
    cis_huffman_lengths(freq, 286, 15, lengths);
    int hlit = 286;
    while (hlit > 257 && lengths[hlit - 1] == 0) hlit--;
    // One distance code (0: distance 1), length 1.
    lengths[hlit] = 1;
    int total = hlit + 1;

    // The code lengths, run-length coded with 16/17/18 (RFC 1951 3.2.7).
    uint8_t cl_symbols[288];
    uint8_t cl_extra[288];
    int cl_count = 0;
    uint32_t cl_freq[19] = {0};
    for (int i = 0; i < total;) {
        uint8_t value = lengths[i];
        int run = 1;
        while (i + run < total && lengths[i + run] == value) run++;
        if (value == 0 && run >= 3) {
            int take = run > 138 ? 138 : run;
            cl_symbols[cl_count] = take >= 11 ? 18 : 17;
            cl_extra[cl_count++] = (uint8_t)(take >= 11 ? take - 11 : take - 3);
            i += take;
        } else if (value != 0 && run >= 4) {
            cl_symbols[cl_count] = value;
            cl_extra[cl_count++] = 0;
            int take = run - 1 > 6 ? 6 : run - 1;
            cl_symbols[cl_count] = 16;
            cl_extra[cl_count++] = (uint8_t)(take - 3);
            i += 1 + take;
        } else {
            cl_symbols[cl_count] = value;
            cl_extra[cl_count++] = 0;
            i++;
        }
    }
    for (int i = 0; i < cl_count; i++) cl_freq[cl_symbols[i]]++;
    uint8_t cl_lengths[19];
    uint16_t cl_codes[19];
    cis_huffman_lengths(cl_freq, 19, 7, cl_lengths);
    cis_huffman_codes(cl_lengths, 19, cl_codes);
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int hclen = 19;
    while (hclen > 4 && cl_lengths[order[hclen - 1]] == 0) hclen--;

    cis_bits_put(bits, final ? 1u : 0u, 1);
    cis_bits_put(bits, 2u, 2);  // dynamic Huffman
    cis_bits_put(bits, (uint64_t)(hlit - 257), 5);
    cis_bits_put(bits, 0u, 5);  // HDIST - 1
    cis_bits_put(bits, (uint64_t)(hclen - 4), 4);
    for (int i = 0; i < hclen; i++) cis_bits_put(bits, cl_lengths[order[i]], 3);
    for (int i = 0; i < cl_count; i++) {
        uint8_t symbol = cl_symbols[i];
        cis_bits_put(bits, cl_codes[symbol], cl_lengths[symbol]);
        if (symbol == 16) cis_bits_put(bits, cl_extra[i], 2);
        if (symbol == 17) cis_bits_put(bits, cl_extra[i], 3);
        if (symbol == 18) cis_bits_put(bits, cl_extra[i], 7);
    }

    uint16_t codes[286];
    cis_huffman_codes(lengths, hlit, codes);
    uint32_t literal_entry[256];
    for (int value = 0; value < 256; value++) literal_entry[value] = codes[value] | (uint32_t)lengths[value] << 24;
    // A run of n (3…258): its length symbol, the extra bits and the one-bit distance code (0),
    // as one value of ≤ 15 + 5 + 1 bits.
    uint32_t run_code[259];
    uint8_t run_bits[259];
    for (int n = 3; n <= 258; n++) {
        int index = cis_length_symbol[n];
        int symbol = 257 + index;
        uint32_t extra = (uint32_t)(n - cis_length_base[index]);
        run_code[n] = codes[symbol] | (extra << lengths[symbol]);
        run_bits[n] = (uint8_t)(lengths[symbol] + cis_length_extra[index] + 1);
    }

    // The writing pass. Each store writes 8 bytes and keeps the whole ones (the output has room:
    // length * 2 + 1024 bytes); ≤ 7 bits stay pending, so three literals of ≤ 15 bits or one run
    // of ≤ 21 bits fit before the next store.
    while (bits->count >= 8) {
        bits->out[bits->length++] = (uint8_t)bits->accumulator;
        bits->accumulator >>= 8;
        bits->count -= 8;
    }
    uint64_t accumulator = bits->accumulator;
    unsigned pending = bits->count;
    uint8_t *cursor = bits->out + bits->length;
#define CIS_PUT(code, count)                         \
    do {                                             \
        accumulator |= (uint64_t)(code) << pending; \
        pending += (count);                          \
    } while (0)
#define CIS_STORE()                                  \
    do {                                             \
        cis_store64le(cursor, accumulator);          \
        cursor += pending >> 3;                      \
        accumulator >>= pending & ~7u;               \
        pending &= 7u;                               \
    } while (0)
    // Literals go three to a store: their entries (code | bit count << 24) shifted together,
    // the last group of a stretch with the entries past its end masked to nothing.
#define CIS_LITERALS(from, to)                                                                  \
    do {                                                                                        \
        size_t i_ = (from), end_ = (to);                                                        \
        for (; i_ < end_; i_ += 3) {                                                            \
            size_t left_ = end_ - i_;                                                           \
            uint32_t a_ = literal_entry[data[i_]];                                              \
            uint32_t b_ = literal_entry[data[i_ + 1]] & (left_ > 1 ? ~0u : 0u);                 \
            uint32_t c_ = literal_entry[data[i_ + 2]] & (left_ > 2 ? ~0u : 0u);                 \
            unsigned ab_ = (a_ >> 24) + (b_ >> 24);                                             \
            uint64_t group_ = (uint64_t)(a_ & 0xFFFFu) | (uint64_t)(b_ & 0xFFFFu) << (a_ >> 24) | \
                              (uint64_t)(c_ & 0xFFFFu) << ab_;                                  \
            CIS_PUT(group_, ab_ + (c_ >> 24));                                                  \
            CIS_STORE();                                                                        \
        }                                                                                       \
    } while (0)
    size_t position = 0;
    for (size_t r = 0; r < run_count; r++) {
        uint32_t start = runs[r * 2], n = runs[r * 2 + 1];
        CIS_LITERALS(position, start);
        for (uint32_t k = n / 258; k > 0; k--) {
            CIS_PUT(run_code[258], run_bits[258]);
            CIS_STORE();
        }
        uint32_t rest = n % 258;
        if (rest >= 3) {
            CIS_PUT(run_code[rest], run_bits[rest]);
            CIS_STORE();
        } else {
            CIS_LITERALS(start + n - rest, start + n);
        }
        position = start + n;
    }
    CIS_LITERALS(position, length);
#undef CIS_LITERALS
#undef CIS_STORE
#undef CIS_PUT
    bits->length = (size_t)(cursor - bits->out);
    bits->accumulator = accumulator;
    bits->count = pending;
    cis_bits_put(bits, codes[256], lengths[256]);
    if (!final) {
        // An empty stored block, as a sync flush ends: the next segment starts on a byte.
        cis_bits_put(bits, 0u, 3);
        cis_bits_align(bits);
        bits->out[bits->length++] = 0x00;
        bits->out[bits->length++] = 0x00;
        bits->out[bits->length++] = 0xFF;
        bits->out[bits->length++] = 0xFF;
    } else {
        cis_bits_align(bits);
    }
}

// What one worker reuses from segment to segment: the filtered rows (8 bytes before them, 64
// after, for the 8-byte loads), their "equal" bits and the runs.
typedef struct cis_scratch {
    uint8_t *filtered;
    uint64_t *equal;
    uint32_t *runs;
    size_t capacity;  // bytes of filtered rows it has room for
} cis_scratch;

static int cis_scratch_reserve(cis_scratch *scratch, size_t length) {
    if (length <= scratch->capacity) return 1;
    free(scratch->filtered == NULL ? NULL : scratch->filtered - 8);
    free(scratch->equal);
    free(scratch->runs);
    uint8_t *filtered = (uint8_t *)malloc(length + 8 + 64);
    scratch->filtered = filtered == NULL ? NULL : filtered + 8;
    scratch->equal = (uint64_t *)malloc((length / 64 + 2) * sizeof(uint64_t));
    scratch->runs = (uint32_t *)malloc((length / 4 + 1) * 2 * sizeof(uint32_t));
    if (filtered == NULL || scratch->equal == NULL || scratch->runs == NULL) {
        free(filtered);
        free(scratch->equal);
        free(scratch->runs);
        memset(scratch, 0, sizeof *scratch);
        return 0;
    }
    scratch->capacity = length;
    return 1;
}

static void cis_scratch_free(cis_scratch *scratch) {
    free(scratch->filtered == NULL ? NULL : scratch->filtered - 8);
    free(scratch->equal);
    free(scratch->runs);
}

static void cis_deflate_segment(cis_segment *segment, cis_scratch *scratch) {
    size_t row_bytes = segment->stride + 1;
    size_t rows = segment->row_end - segment->row_begin;
    size_t length = rows * row_bytes;
    segment->status = CIS_ERROR_NO_MEMORY;
    uint8_t *out = (uint8_t *)malloc(length * 2 + 1024);
    if (out == NULL || !cis_scratch_reserve(scratch, length)) {
        free(out);
        return;
    }
    uint8_t *filtered = scratch->filtered;
    int filter = segment->settings->filters == 0x10 ? 1 : segment->settings->filters == 0x20 ? 2 : 0;
    for (uint32_t y = segment->row_begin; y < segment->row_end; y++) {
        const uint8_t *row = segment->pixels + (size_t)y * segment->stride;
        cis_filter_row(filter, row, y == 0 ? NULL : row - segment->stride, segment->stride, segment->channels,
                       filtered + (size_t)(y - segment->row_begin) * row_bytes);
    }
    filtered[-1] = (uint8_t)~filtered[0];  // the first byte repeats nothing
    memset(filtered + length, 0, 64);
    uint32_t histogram[256];
    cis_analyse(filtered, length, scratch->equal, histogram, &segment->adler);
    scratch->equal[(length + 63) / 64] = 0;
    cis_bits bits = {out, 0, 0, 0};
    cis_deflate_block(filtered, length, scratch->equal, histogram, scratch->runs, segment->is_last, &bits);
    segment->out = out;
    segment->out_length = bits.length;
    segment->status = CIS_OK;
}

typedef struct cis_segment_queue {
    cis_segment *segments;
    uint32_t count;
    uint32_t next;  // taken with __atomic_fetch_add
} cis_segment_queue;

static void *cis_segment_worker(void *context) {
    cis_segment_queue *queue = (cis_segment_queue *)context;
    cis_scratch scratch = {NULL, NULL, NULL, 0};
    for (;;) {
        uint32_t index = __atomic_fetch_add(&queue->next, 1u, __ATOMIC_RELAXED);
        if (index >= queue->count) break;
        cis_deflate_segment(&queue->segments[index], &scratch);
    }
    cis_scratch_free(&scratch);
    return NULL;
}

static void cis_put32(uint8_t *target, uint32_t value) {
    target[0] = (uint8_t)(value >> 24);
    target[1] = (uint8_t)(value >> 16);
    target[2] = (uint8_t)(value >> 8);
    target[3] = (uint8_t)value;
}

// Appends one chunk (length, type, data, CRC) to `target`; returns the bytes written.
static size_t cis_put_chunk(uint8_t *target, const char *type, const uint8_t *data, size_t length) {
    cis_put32(target, (uint32_t)length);
    memcpy(target + 4, type, 4);
    if (length > 0) memcpy(target + 8, data, length);
    cis_put32(target + 8 + length, cis_crc32(0, target + 4, length + 4));
    return length + 12;
}

int cis_png_encode_segmented(const uint8_t *pixels, int channels, uint32_t width, uint32_t height,
                             const cis_png_write_settings *settings, int threads, const char *text,
                             int text_is_utf8, uint8_t **out, size_t *out_length, char *message,
                             size_t message_capacity) {
    cis_error_sink sink = {message, message_capacity};
    if (message != NULL && message_capacity > 0) message[0] = '\0';
    if (pixels == NULL || (channels != 3 && channels != 4) || settings == NULL || out == NULL ||
        out_length == NULL || width == 0 || height == 0 || width > 0x7FFFFFFFu / 4 || height > 0x7FFFFFFFu ||
        // A segment's byte positions are 32-bit: rows of at most 16 MiB.
        ((size_t)width * (size_t)channels + 1) * CIS_SEGMENT_ROWS > UINT32_MAX ||
        settings->idat_size == 0 || settings->idat_size > 0x7FFFFFFFu ||
        (settings->filters != 0x08 && settings->filters != 0x10 && settings->filters != 0x20)) {
        cis_set_message(&sink, "invalid arguments");
        return CIS_ERROR_ARGUMENT;
    }
    *out = NULL;
    *out_length = 0;
    size_t stride = (size_t)width * (size_t)channels;
    uint32_t count = (height + CIS_SEGMENT_ROWS - 1) / CIS_SEGMENT_ROWS;
    cis_segment *segments = (cis_segment *)calloc(count, sizeof *segments);
    if (segments == NULL) return CIS_ERROR_NO_MEMORY;
    for (uint32_t i = 0; i < count; i++) {
        segments[i].pixels = pixels;
        segments[i].stride = stride;
        segments[i].channels = channels;
        segments[i].row_begin = i * CIS_SEGMENT_ROWS;
        segments[i].row_end = i + 1 == count ? height : (i + 1) * CIS_SEGMENT_ROWS;
        segments[i].settings = settings;
        segments[i].is_last = i + 1 == count;
        segments[i].status = CIS_ERROR_NO_MEMORY;
    }
    cis_segment_queue queue = {segments, count, 0};
    if (threads <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        threads = online < 1 ? 1 : online > CIS_MAX_THREADS ? CIS_MAX_THREADS : (int)online;
    }
    if ((uint32_t)threads > count) threads = (int)count;
    pthread_t helpers[CIS_MAX_THREADS];
    int started = 0;
    for (int i = 1; i < threads && i < CIS_MAX_THREADS; i++) {
        if (pthread_create(&helpers[started], NULL, cis_segment_worker, &queue) != 0) break;  // fewer threads: same bytes
        started++;
    }
    cis_segment_worker(&queue);
    for (int i = 0; i < started; i++) pthread_join(helpers[i], NULL);

    int result = CIS_OK;
    size_t deflated = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (segments[i].status != CIS_OK) result = segments[i].status;
        deflated += segments[i].out_length;
    }
    uint8_t *stream = NULL;
    uint8_t *file = NULL;
    size_t text_length = text == NULL ? 0 : strlen(text);
    size_t text_chunk = text == NULL ? 0 : sizeof "parameters" + (text_is_utf8 ? 4 : 0) + text_length;
    if (result == CIS_OK) {
        // zlib header (CMF 0x78: deflate, 32 KiB window; FLG as zlib writes it for the level) + adler.
        size_t stream_length = 2 + deflated + 4;
        size_t idat_count = (stream_length + settings->idat_size - 1) / settings->idat_size;
        size_t file_length = 8 + 25 + (text == NULL ? 0 : 12 + text_chunk) + idat_count * 12 + stream_length + 12;
        stream = (uint8_t *)malloc(stream_length);
        file = (uint8_t *)malloc(file_length);
        uint8_t *chunk = text == NULL ? NULL : (uint8_t *)malloc(text_chunk);
        if (stream == NULL || file == NULL || (text != NULL && chunk == NULL)) {
            free(chunk);
            result = CIS_ERROR_NO_MEMORY;
        } else {
            int level = settings->compression_level;
            int level_flags = (settings->compression_strategy >= Z_HUFFMAN_ONLY || level < 2) ? 0
                              : level < 6                                                    ? 1
                              : level == 6                                                   ? 2
                                                                                             : 3;
            unsigned header = ((unsigned)(Z_DEFLATED + ((settings->window_bits - 8) << 4)) << 8) | ((unsigned)level_flags << 6);
            header += 31 - header % 31;
            stream[0] = (uint8_t)(header >> 8);
            stream[1] = (uint8_t)header;
            size_t position = 2;
            uLong adler = segments[0].adler;
            for (uint32_t i = 0; i < count; i++) {
                memcpy(stream + position, segments[i].out, segments[i].out_length);
                position += segments[i].out_length;
                if (i > 0) {
                    size_t bytes = (size_t)(segments[i].row_end - segments[i].row_begin) * (stride + 1);
                    adler = adler32_combine(adler, segments[i].adler, (z_off_t)bytes);
                }
            }
            cis_put32(stream + position, (uint32_t)adler);
            position += 4;

            static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
            size_t at = 0;
            memcpy(file, signature, 8);
            at += 8;
            uint8_t ihdr[13];
            cis_put32(ihdr, width);
            cis_put32(ihdr + 4, height);
            ihdr[8] = 8;                       // bit depth
            ihdr[9] = channels == 4 ? 6 : 2;  // RGBA or RGB
            ihdr[10] = ihdr[11] = ihdr[12] = 0;
            at += cis_put_chunk(file + at, "IHDR", ihdr, 13);
            if (text != NULL) {
                // tEXt: keyword NUL text (Latin-1). iTXt: keyword NUL, uncompressed (0 0), empty
                // language and translated keyword (NUL NUL), UTF-8 text. No tIME: no clock.
                memcpy(chunk, "parameters", sizeof "parameters");
                size_t offset = sizeof "parameters";
                if (text_is_utf8) {
                    memset(chunk + offset, 0, 4);
                    offset += 4;
                }
                memcpy(chunk + offset, text, text_length);
                at += cis_put_chunk(file + at, text_is_utf8 ? "iTXt" : "tEXt", chunk, text_chunk);
                free(chunk);
            }
            for (size_t offset = 0; offset < stream_length; offset += settings->idat_size) {
                size_t length = stream_length - offset < settings->idat_size ? stream_length - offset : settings->idat_size;
                at += cis_put_chunk(file + at, "IDAT", stream + offset, length);
            }
            at += cis_put_chunk(file + at, "IEND", NULL, 0);
            *out = file;
            *out_length = at;
            file = NULL;
        }
    }
    if (result != CIS_OK) cis_set_message(&sink, result == CIS_ERROR_NO_MEMORY ? "out of memory" : "deflate failed");
    for (uint32_t i = 0; i < count; i++) free(segments[i].out);
    free(segments);
    free(stream);
    free(file);
    return result;
}

// MARK: - Decoding

typedef struct cis_memory_reader {
    const uint8_t *data;
    size_t length;
    size_t position;
} cis_memory_reader;

static void cis_png_read(png_structp png, png_bytep bytes, png_size_t count) {
    cis_memory_reader *reader = (cis_memory_reader *)png_get_io_ptr(png);
    if (count > reader->length - reader->position) png_error(png, "unexpected end of PNG data");
    memcpy(bytes, reader->data + reader->position, count);
    reader->position += count;
}

int cis_png_decode_rgb8(const uint8_t *data, size_t length, uint32_t width, uint32_t height,
                        uint8_t *rgb_out, size_t rgb_out_length, char *message, size_t message_capacity) {
    cis_error_sink sink = {message, message_capacity};
    if (message != NULL && message_capacity > 0) message[0] = '\0';
    if (data == NULL || rgb_out == NULL || width == 0 || height == 0 ||
        (size_t)width > SIZE_MAX / 4 / (size_t)height || rgb_out_length != (size_t)width * height * 3) {
        cis_set_message(&sink, "invalid arguments");
        return CIS_ERROR_ARGUMENT;
    }
    cis_memory_reader reader = {data, length, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, cis_png_error, cis_png_warning);
    if (png == NULL) return CIS_ERROR_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CIS_ERROR_NO_MEMORY;
    }
    // Assigned after setjmp, so volatile: the error path must see the current values.
    png_bytep *volatile rows = NULL;
    png_bytep volatile rgba = NULL;
    volatile int result = CIS_ERROR_LIBPNG;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(rgba);
        png_destroy_read_struct(&png, &info, NULL);
        return result;
    }

    png_set_read_fn(png, &reader, cis_png_read);
    // Belt and braces: the caller has checked the size already; libpng refuses anything bigger.
    png_set_user_limits(png, width, height);
    png_read_info(png, info);

    png_uint_32 found_width = 0, found_height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &found_width, &found_height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (found_width != width || found_height != height) {
        result = CIS_ERROR_SIZE_MISMATCH;
        png_error(png, "IHDR size differs from the checked header");
    }
    png_set_expand(png);    // palette → RGB, grey < 8 bits → 8 bits, tRNS → alpha
    png_set_scale_16(png);  // 16 → 8 bits, rounded
    png_set_gray_to_rgb(png);
    if (interlace != PNG_INTERLACE_NONE) (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if ((channels != 3 && channels != 4) || png_get_bit_depth(png, info) != 8 ||
        row_bytes != (size_t)width * (size_t)channels) {
        png_error(png, "unexpected pixel layout after transformations");
    }
    rows = (png_bytep *)malloc((size_t)height * sizeof(png_bytep));
    if (rows == NULL) {
        result = CIS_ERROR_NO_MEMORY;
        png_error(png, "out of memory");
    }
    uint8_t *target = rgb_out;
    if (channels == 4) {
        rgba = (png_bytep)malloc((size_t)width * height * 4);
        if (rgba == NULL) {
            result = CIS_ERROR_NO_MEMORY;
            png_error(png, "out of memory");
        }
        target = rgba;
    }
    for (uint32_t y = 0; y < height; y++) rows[y] = target + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    if (channels == 4) {
        size_t count = (size_t)width * height;
        const uint8_t *source = rgba;
        for (size_t i = 0; i < count; i++) {
            unsigned alpha = source[i * 4 + 3];
            for (int c = 0; c < 3; c++) {
                rgb_out[i * 3 + c] = (uint8_t)((source[i * 4 + c] * alpha + 127) / 255);
            }
        }
    }
    free(rows);
    free(rgba);
    png_destroy_read_struct(&png, &info, NULL);
    return CIS_OK;
}
