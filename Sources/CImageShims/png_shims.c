#include "CImageShims.h"

#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

uint32_t cis_crc32(uint32_t crc, const uint8_t *data, size_t length) {
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

typedef struct cis_segment {
    const uint8_t *pixels;
    size_t stride;  // bytes per row, without the filter byte
    int channels;
    uint32_t row_begin, row_end;
    const cis_png_write_settings *settings;
    int is_last;
    uint8_t *out;
    size_t out_length;
    uLong adler;
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

static uLong cis_adler32(const uint8_t *data, size_t length) {
    uLong adler = adler32(0L, Z_NULL, 0);
    while (length > 0) {
        uInt chunk = length > 0x40000000u ? 0x40000000u : (uInt)length;
        adler = adler32(adler, data, chunk);
        data += chunk;
        length -= chunk;
    }
    return adler;
}

// MARK: - A small deflate encoder for filtered PNG rows

// Literals plus runs of the previous byte (distance 1, as zlib's Z_RLE finds them), one dynamic
// Huffman block per segment with codes built from the segment's own counts. zlib spends most of
// a level-1 encode hashing and tallying; this does one counting pass and one writing pass.

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

// The run that starts at `data[i]` repeating `data[i - 1]`: its length, capped at `limit`.
static inline size_t cis_run_length(const uint8_t *data, size_t i, size_t limit) {
    uint8_t value = data[i - 1];
    size_t run = 0;
    uint64_t pattern = 0x0101010101010101ull * value;
    while (run + 8 <= limit) {
        uint64_t word;
        memcpy(&word, data + i + run, 8);
        uint64_t difference = word ^ pattern;
        if (difference != 0) return run + (size_t)(__builtin_ctzll(difference) >> 3);
        run += 8;
    }
    while (run < limit && data[i + run] == value) run++;
    return run;
}

// Deflates `data` (`length` bytes) as one dynamic block into `bits`; `final` sets BFINAL.
// `tokens` has room for `length` entries: a byte (0…255) or 256 + a run length (3…258).
static void cis_deflate_block(const uint8_t *data, size_t length, uint16_t *tokens, int final, cis_bits *bits) {
    pthread_once(&cis_length_once, cis_length_init);
    uint32_t freq[286] = {0};
    // Pass 1: tokens and their counts.
    size_t token_count = 0;
    if (length > 0) {
        tokens[token_count++] = data[0];
        freq[data[0]]++;
    }
    for (size_t i = 1; i < length;) {
        uint8_t value = data[i];
        // A run needs three bytes equal to the one before; most noisy bytes fail the first test.
        if (value == data[i - 1] && i + 3 <= length && data[i + 1] == value && data[i + 2] == value) {
            size_t limit = length - i < 258 ? length - i : 258;
            size_t run = cis_run_length(data, i, limit);
            if (run >= 3) {
                tokens[token_count++] = (uint16_t)(256 + run);
                freq[257 + cis_length_symbol[run]]++;
                i += run;
                continue;
            }
        }
        tokens[token_count++] = value;
        freq[value]++;
        i++;
    }
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
    // Per token: the literal's code, or a length symbol, its extra bits and the one-bit
    // distance code (0), as one value to put.
    uint32_t token_code[256 + 259];
    uint8_t token_bits[256 + 259];
    for (int value = 0; value < 256; value++) {
        token_code[value] = codes[value];
        token_bits[value] = lengths[value];
    }
    for (int run = 3; run <= 258; run++) {
        int index = cis_length_symbol[run];
        int symbol = 257 + index;
        uint32_t extra = (uint32_t)(run - cis_length_base[index]);
        token_code[256 + run] = codes[symbol] | (extra << lengths[symbol]);
        token_bits[256 + run] = (uint8_t)(lengths[symbol] + cis_length_extra[index] + 1);
    }
    // Pass 2: the tokens, two per store (≤ 2 × 21 bits + 7 pending < 64). The store writes
    // 8 bytes and keeps what is whole: the output has room (length * 2 + 1024 bytes).
    size_t t = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (bits->count >= 8) {
        bits->out[bits->length++] = (uint8_t)bits->accumulator;
        bits->accumulator >>= 8;
        bits->count -= 8;
    }
    uint64_t accumulator = bits->accumulator;
    unsigned pending = bits->count;
    uint8_t *cursor = bits->out + bits->length;
    for (; t + 2 <= token_count; t += 2) {
        uint16_t first = tokens[t];
        uint16_t second = tokens[t + 1];
        accumulator |= (uint64_t)token_code[first] << pending;
        pending += token_bits[first];
        accumulator |= (uint64_t)token_code[second] << pending;
        pending += token_bits[second];
        memcpy(cursor, &accumulator, 8);
        cursor += pending >> 3;
        accumulator >>= pending & ~7u;
        pending &= 7u;
    }
    bits->length = (size_t)(cursor - bits->out);
    bits->accumulator = accumulator;
    bits->count = pending;
#endif
    for (; t < token_count; t++) {
        uint16_t token = tokens[t];
        cis_bits_put(bits, token_code[token], token_bits[token]);
    }
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

static void cis_deflate_segment(cis_segment *segment) {
    size_t row_bytes = segment->stride + 1;
    size_t rows = segment->row_end - segment->row_begin;
    size_t length = rows * row_bytes;
    segment->status = CIS_ERROR_NO_MEMORY;
    uint8_t *filtered = (uint8_t *)malloc(length);
    uint8_t *out = (uint8_t *)malloc(length * 2 + 1024);
    uint16_t *tokens = (uint16_t *)malloc(length * sizeof *tokens);
    if (filtered == NULL || out == NULL || tokens == NULL) {
        free(filtered);
        free(out);
        free(tokens);
        return;
    }
    int filter = segment->settings->filters == 0x10 ? 1 : segment->settings->filters == 0x20 ? 2 : 0;
    for (uint32_t y = segment->row_begin; y < segment->row_end; y++) {
        const uint8_t *row = segment->pixels + (size_t)y * segment->stride;
        cis_filter_row(filter, row, y == 0 ? NULL : row - segment->stride, segment->stride, segment->channels,
                       filtered + (size_t)(y - segment->row_begin) * row_bytes);
    }
    segment->adler = cis_adler32(filtered, length);
    cis_bits bits = {out, 0, 0, 0};
    cis_deflate_block(filtered, length, tokens, segment->is_last, &bits);
    free(filtered);
    free(tokens);
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
    for (;;) {
        uint32_t index = __atomic_fetch_add(&queue->next, 1u, __ATOMIC_RELAXED);
        if (index >= queue->count) return NULL;
        cis_deflate_segment(&queue->segments[index]);
    }
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
