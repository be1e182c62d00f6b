// The fast PNG decoder (docs/architecture.md, CImageShims): 8-bit RGB and RGBA, not interlaced,
// without tRNS — what uploads almost always are. zlib's inflate, fed a row at a time by libpng, is
// most of libpng's decode time; here an inflater of its own decodes the whole zlib stream in one
// pass into one buffer, then the rows are unfiltered (SSE2, a pixel per step, for Sub, Average and
// Paeth when the target has it) straight into the caller's RGB buffer. Whatever it does not find
// plainly valid it declines, and the caller decodes with libpng (`cis_png_decode_rgb8`): which
// files are accepted, the errors and their messages stay libpng's, and what it accepts it decodes
// to the bytes libpng gives.

#include "CImageShims.h"
#include "cis_bytes.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// MARK: - Chunks

static uint32_t cis_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int cis_is_chunk(const uint8_t *type, const char *name) { return memcmp(type, name, 4) == 0; }

/// libpng's rule for a chunk type: four ASCII letters (png_check_chunk_name).
static int cis_chunk_letters(const uint8_t *type) {
    for (int i = 0; i < 4; i++) {
        uint8_t c = type[i];
        if (c < 65 || c > 122 || (c > 90 && c < 97)) return 0;
    }
    return 1;
}

/// Bit 5 of the first letter clear: a critical chunk.
static int cis_is_critical(const uint8_t *type) { return (type[0] & 0x20) == 0; }

/// Where the image data is: the first run of consecutive IDAT chunks, [first, end) in the file.
typedef struct cis_idat_run {
    size_t first;
    size_t end;
} cis_idat_run;

/// Walks every chunk after IHDR up to IEND and finds the IDAT run. Returns 0 (decline) for
/// anything libpng might treat otherwise than as plainly valid: a bad CRC anywhere, a length over
/// 2^31-1, a chunk cut short, no IEND, a second IHDR or PLTE, IDAT chunks that are not all
/// consecutive, tRNS before the image data (libpng would add alpha), a critical chunk it does not
/// know, PLTE after the image data, a zlib stream split by another chunk.
static int cis_walk_chunks(const uint8_t *data, size_t length, cis_idat_run *run) {
    size_t position = 33;
    int state = 0;  // 0: before IDAT, 1: in the IDAT run, 2: after it
    int saw_palette = 0;
    for (;;) {
        if (length - position < 12) return 0;
        uint32_t chunk_length = cis_be32(data + position);
        const uint8_t *type = data + position + 4;
        if (chunk_length > 0x7FFFFFFFu || !cis_chunk_letters(type)) return 0;
        if (chunk_length > length - position - 12) return 0;
        uint32_t crc = cis_crc32(0, type, (size_t)chunk_length + 4);
        if (crc != cis_be32(type + 4 + chunk_length)) return 0;
        int is_idat = cis_is_chunk(type, "IDAT");
        if (state == 1 && !is_idat) {
            run->end = position;
            state = 2;
        }
        if (state == 0) {
            if (is_idat) {
                run->first = position;
                state = 1;
            } else if (cis_is_chunk(type, "PLTE")) {
                if (saw_palette) return 0;
                saw_palette = 1;
            } else if (cis_is_chunk(type, "tRNS") || cis_is_critical(type)) {
                return 0;
            }
        } else if (state == 2) {
            if (cis_is_chunk(type, "IEND")) return 1;
            if (cis_is_critical(type)) return 0;
        }
        position += 12 + (size_t)chunk_length;
    }
}

// MARK: - Unfiltering (PNG spec §9.2)

static void cis_unfilter_up(uint8_t *restrict out, const uint8_t *restrict row, const uint8_t *restrict prev,
                            size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(row[i] + prev[i]);
}

#if defined(__SSE2__)
// One pixel (3 or 4 bytes) per step in the low lanes of a register; loads and stores move exactly
// `bpp` bytes, so nothing outside the rows is touched.
static inline __m128i cis_load_pixel(const uint8_t *p, int bpp) {
    uint32_t v = 0;
    memcpy(&v, p, (size_t)bpp);
    return _mm_cvtsi32_si128((int)v);
}

static inline void cis_store_pixel(uint8_t *p, __m128i v, int bpp) {
    uint32_t x = (uint32_t)_mm_cvtsi128_si32(v);
    memcpy(p, &x, (size_t)bpp);
}

static void cis_unfilter_sub_sse2(uint8_t *restrict out, const uint8_t *restrict row, size_t n, int bpp) {
    __m128i a = _mm_setzero_si128();
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        a = _mm_add_epi8(a, cis_load_pixel(row + i, bpp));
        cis_store_pixel(out + i, a, bpp);
    }
}

static void cis_unfilter_average_sse2(uint8_t *restrict out, const uint8_t *restrict row,
                                      const uint8_t *restrict prev, size_t n, int bpp) {
    const __m128i one = _mm_set1_epi8(1);
    __m128i a = _mm_setzero_si128();
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        __m128i b = cis_load_pixel(prev + i, bpp);
        // floor((a + b) / 2): pavgb rounds up, so take back the carry of odd sums.
        __m128i average = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), one));
        a = _mm_add_epi8(average, cis_load_pixel(row + i, bpp));
        cis_store_pixel(out + i, a, bpp);
    }
}

static void cis_unfilter_paeth_sse2(uint8_t *restrict out, const uint8_t *restrict row,
                                    const uint8_t *restrict prev, size_t n, int bpp) {
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero, c = zero;  // 16-bit lanes: left and upper-left
    for (size_t i = 0; i < n; i += (size_t)bpp) {
        __m128i b = _mm_unpacklo_epi8(cis_load_pixel(prev + i, bpp), zero);
        __m128i pa = _mm_sub_epi16(b, c);  // p - a
        __m128i pb = _mm_sub_epi16(a, c);  // p - b
        __m128i pc = _mm_add_epi16(pa, pb);
        pa = _mm_max_epi16(pa, _mm_sub_epi16(zero, pa));
        pb = _mm_max_epi16(pb, _mm_sub_epi16(zero, pb));
        pc = _mm_max_epi16(pc, _mm_sub_epi16(zero, pc));
        __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
        // a when pa is smallest, else b when pb is, else c: the spec's order of ties.
        __m128i use_a = _mm_cmpeq_epi16(smallest, pa);
        __m128i use_b = _mm_cmpeq_epi16(smallest, pb);
        __m128i b_or_c = _mm_or_si128(_mm_and_si128(use_b, b), _mm_andnot_si128(use_b, c));
        __m128i predictor = _mm_or_si128(_mm_and_si128(use_a, a), _mm_andnot_si128(use_a, b_or_c));
        __m128i value = _mm_add_epi8(_mm_packus_epi16(predictor, predictor), cis_load_pixel(row + i, bpp));
        cis_store_pixel(out + i, value, bpp);
        a = _mm_unpacklo_epi8(value, zero);
        c = b;
    }
}
#else
static void cis_unfilter_sub(uint8_t *restrict out, const uint8_t *restrict row, size_t n, int bpp) {
    for (int i = 0; i < bpp; i++) out[i] = row[i];
    for (size_t i = (size_t)bpp; i < n; i++) out[i] = (uint8_t)(row[i] + out[i - (size_t)bpp]);
}

static void cis_unfilter_average(uint8_t *restrict out, const uint8_t *restrict row, const uint8_t *restrict prev,
                                 size_t n, int bpp) {
    for (int i = 0; i < bpp; i++) out[i] = (uint8_t)(row[i] + (prev[i] >> 1));
    for (size_t i = (size_t)bpp; i < n; i++) {
        out[i] = (uint8_t)(row[i] + ((out[i - (size_t)bpp] + prev[i]) >> 1));
    }
}

static inline uint8_t cis_paeth(int a, int b, int c) {
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

static void cis_unfilter_paeth(uint8_t *restrict out, const uint8_t *restrict row, const uint8_t *restrict prev,
                               size_t n, int bpp) {
    for (int i = 0; i < bpp; i++) out[i] = (uint8_t)(row[i] + prev[i]);
    for (size_t i = (size_t)bpp; i < n; i++) {
        out[i] = (uint8_t)(row[i] + cis_paeth(out[i - (size_t)bpp], prev[i], prev[i - (size_t)bpp]));
    }
}

#endif

/// Undoes one row's filter into `out` (`n` bytes); `prev` is the row above, unfiltered (zeros for
/// the first row). Returns 0 for a filter type over 4.
static int cis_unfilter_row(uint8_t filter, uint8_t *restrict out, const uint8_t *restrict row,
                            const uint8_t *restrict prev, size_t n, int bpp) {
    switch (filter) {
    case 0: memcpy(out, row, n); return 1;
    case 2: cis_unfilter_up(out, row, prev, n); return 1;
#if defined(__SSE2__)
    case 1: cis_unfilter_sub_sse2(out, row, n, bpp); return 1;
    case 3: cis_unfilter_average_sse2(out, row, prev, n, bpp); return 1;
    case 4: cis_unfilter_paeth_sse2(out, row, prev, n, bpp); return 1;
#else
    case 1: cis_unfilter_sub(out, row, n, bpp); return 1;
    case 3: cis_unfilter_average(out, row, prev, n, bpp); return 1;
    case 4: cis_unfilter_paeth(out, row, prev, n, bpp); return 1;
#endif
    default: return 0;
    }
}

/// RGBA → RGB composited onto black as libpng's path does it: round(c * a / 255), exactly
/// (c * a + 127) / 255; (t * 0x8081) >> 23 equals t / 255 for every t ≤ 255 * 255 + 127.
static void cis_composite_row(uint8_t *restrict rgb, const uint8_t *restrict rgba, size_t pixels) {
    for (size_t i = 0; i < pixels; i++) {
        uint32_t alpha = rgba[i * 4 + 3];
        rgb[i * 3 + 0] = (uint8_t)(((rgba[i * 4 + 0] * alpha + 127) * 0x8081u) >> 23);
        rgb[i * 3 + 1] = (uint8_t)(((rgba[i * 4 + 1] * alpha + 127) * 0x8081u) >> 23);
        rgb[i * 3 + 2] = (uint8_t)(((rgba[i * 4 + 2] * alpha + 127) * 0x8081u) >> 23);
    }
}

// MARK: - Inflating (RFC 1950, RFC 1951)

/// Adler-32 (RFC 1950 §8.2) of `data`, from the initial value 1.
static uint32_t cis_adler32(const uint8_t *data, size_t length) {
    // 5552: the most bytes whose sums cannot overflow 32 bits before the modulo (zlib's NMAX).
    enum { base = 65521, most = 5552 };
    uint32_t s1 = 1, s2 = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i weights_high = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
    const __m128i weights_low = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
    while (length >= 16) {
        size_t block = length < most ? length & ~(size_t)15 : most - most % 16;
        length -= block;
        // Per 16 bytes: s2 += 16 * s1 + Σ (16 - i) * byte[i]; s1 += Σ byte[i]. Lanes hold partial
        // sums of these non-negative totals, so none overflows where the totals do not.
        __m128i sum1 = _mm_cvtsi32_si128((int)s1);
        __m128i sum2 = _mm_cvtsi32_si128((int)s2);
        __m128i sum1_before = zero;  // Σ of s1 before each 16 bytes
        for (size_t i = 0; i < block; i += 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(data + i));
            sum1_before = _mm_add_epi32(sum1_before, sum1);
            sum1 = _mm_add_epi32(sum1, _mm_sad_epu8(bytes, zero));
            sum2 = _mm_add_epi32(sum2, _mm_madd_epi16(_mm_unpacklo_epi8(bytes, zero), weights_high));
            sum2 = _mm_add_epi32(sum2, _mm_madd_epi16(_mm_unpackhi_epi8(bytes, zero), weights_low));
        }
        data += block;
        sum2 = _mm_add_epi32(sum2, _mm_slli_epi32(sum1_before, 4));
        uint32_t lanes1[4], lanes2[4];
        _mm_storeu_si128((__m128i *)lanes1, sum1);
        _mm_storeu_si128((__m128i *)lanes2, sum2);
        s1 = (uint32_t)(((uint64_t)lanes1[0] + lanes1[1] + lanes1[2] + lanes1[3]) % base);
        s2 = (uint32_t)(((uint64_t)lanes2[0] + lanes2[1] + lanes2[2] + lanes2[3]) % base);
    }
#endif
    while (length > 0) {
        size_t block = length < most ? length : most;
        length -= block;
        for (size_t i = 0; i < block; i++) {
            s1 += data[i];
            s2 += s1;
        }
        data += block;
        s1 %= base;
        s2 %= base;
    }
    return s2 << 16 | s1;
}


// A table entry: `bits` to consume, and what the code means. Tables are two-level: a primary
// table indexed by the next `primary` bits, whose entries for longer codes point to a subtable
// indexed by the bits after those.
typedef struct cis_code {
    uint16_t value;  ///< literal byte, length or distance base, or subtable offset
    uint8_t bits;    ///< bits of the code (for a subtable pointer: index bits of the subtable)
    uint8_t op;      ///< cis_op_*
} cis_code;

enum {
    cis_op_literal = 0x00,
    cis_op_base = 0x10,  ///< + extra bits (0…13): a length or a distance
    cis_op_end = 0x40,
    cis_op_subtable = 0x80,
    cis_op_invalid = 0xFF,
};

enum { cis_litlen_primary = 11, cis_distance_primary = 10 };
// Room for the primary table and, in the worst case, a full subtable under every entry.
#define CIS_LITLEN_TABLE_SIZE ((1 << 11) + (1 << 11) * (1 << 4))
#define CIS_DISTANCE_TABLE_SIZE ((1 << 10) + (1 << 10) * (1 << 5))

static const uint16_t cis_length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                             31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t cis_length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                             2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t cis_distance_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                               33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                               1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t cis_distance_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                               6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/// What symbol `symbol` of a literal/length (`distances` 0) or distance alphabet means.
static cis_code cis_symbol(int symbol, int distances) {
    cis_code code = {0, 0, cis_op_invalid};
    if (distances) {
        if (symbol < 30) {
            code.value = cis_distance_base[symbol];
            code.op = (uint8_t)(cis_op_base + cis_distance_extra[symbol]);
        }
    } else if (symbol < 256) {
        code.value = (uint16_t)symbol;
        code.op = cis_op_literal;
    } else if (symbol == 256) {
        code.op = cis_op_end;
    } else if (symbol < 286) {
        code.value = cis_length_base[symbol - 257];
        code.op = (uint8_t)(cis_op_base + cis_length_extra[symbol - 257]);
    }
    return code;
}

/// Builds the decoding table of a canonical Huffman code from its code lengths, with zlib's
/// rules (inflate_table): an over-subscribed set is an error; an incomplete set too, except a
/// single code of one bit in a literal/length or distance alphabet (its other code then decodes
/// as an error); no codes at all gives a table of errors. `kind`: 0 literal/length, 1 distance,
/// 2 the code-length alphabet (whose meanings are the symbols themselves). Returns 0 on error.
static int cis_build_table(cis_code *table, int primary, const uint8_t *lengths, int count, int kind) {
    uint16_t counts[16] = {0};
    for (int i = 0; i < count; i++) counts[lengths[i]]++;
    counts[0] = 0;
    int max = 15;
    while (max >= 1 && counts[max] == 0) max--;
    const cis_code invalid = {0, 1, cis_op_invalid};
    for (int i = 0; i < (1 << primary); i++) table[i] = invalid;
    if (max == 0) return kind != 2;
    int left = 1;
    for (int length = 1; length <= 15; length++) {
        left = (left << 1) - counts[length];
        if (left < 0) return 0;
    }
    if (left > 0 && (kind == 2 || max != 1)) return 0;

    uint16_t next[16];
    next[1] = 0;
    for (int length = 2; length <= 15; length++) next[length] = (uint16_t)((next[length - 1] + counts[length - 1]) << 1);
    const int sub_bits = max > primary ? max - primary : 0;
    int free_entry = 1 << primary;
    for (int symbol = 0; symbol < count; symbol++) {
        int length = lengths[symbol];
        if (length == 0) continue;
        unsigned code = next[length]++;
        unsigned reversed = 0;
        for (int b = 0; b < length; b++) reversed |= ((code >> b) & 1u) << (length - 1 - b);
        cis_code entry = kind == 2 ? (cis_code){(uint16_t)symbol, 0, cis_op_literal} : cis_symbol(symbol, kind);
        entry.bits = (uint8_t)length;
        if (length <= primary) {
            for (unsigned i = reversed; i < (1u << primary); i += 1u << length) table[i] = entry;
        } else {
            unsigned prefix = reversed & ((1u << primary) - 1);
            if (table[prefix].op != cis_op_subtable) {
                table[prefix] = (cis_code){(uint16_t)free_entry, (uint8_t)sub_bits, cis_op_subtable};
                free_entry += 1 << sub_bits;
            }
            cis_code *sub = table + table[prefix].value;
            for (unsigned i = reversed >> primary; i < (1u << sub_bits); i += 1u << (length - primary)) sub[i] = entry;
        }
    }
    return 1;
}

typedef struct cis_inflater {
    cis_code litlen[CIS_LITLEN_TABLE_SIZE];
    cis_code distance[CIS_DISTANCE_TABLE_SIZE];
    cis_code lengths_code[1 << 7];
} cis_inflater;

/// Inflates the zlib stream `in[0 ..< in_length]` into exactly `out_length` bytes at `out`.
/// `in` must be readable for 16 bytes past its end and `out` writable for 16 past its end. Returns 1
/// only for a stream that zlib inflates to exactly these bytes with its Adler-32 right and nothing
/// after it; 0 for anything else (errors, too little or too much output, extra input).
static int cis_inflate(cis_inflater *state, const uint8_t *in, size_t in_length, uint8_t *out, size_t out_length) {
    const uint8_t *const in_end = in + in_length;
    uint8_t *const out_start = out, *const out_end = out + out_length;
    // The zlib header: deflate with a 32 KiB window (checked by the caller), FCHECK, no dictionary.
    if (in_length < 6 || in[0] != 0x78 || (in[0] * 256u + in[1]) % 31 != 0 || (in[1] & 0x20) != 0) return 0;
    in += 2;
    uint64_t bits = 0;
    unsigned count = 0;
    // Up to 56 bits in `bits`; the input is padded, and decoding stops once it reads past the pad.
#define CIS_REFILL()                                  \
    do {                                              \
        if (in > in_end + 8) return 0;                \
        bits |= cis_load64le(in) << count;            \
        in += (63 - count) >> 3;                      \
        count |= 56;                                  \
    } while (0)
#define CIS_DROP(n)       \
    do {                  \
        bits >>= (n);     \
        count -= (n);     \
    } while (0)

    int final = 0;
    while (!final) {
        CIS_REFILL();
        final = (int)(bits & 1);
        unsigned type = (unsigned)(bits >> 1) & 3;
        CIS_DROP(3);
        if (type == 0) {
            // Stored: to the byte boundary, then LEN, NLEN and the bytes.
            CIS_DROP(count & 7);
            in -= count >> 3;
            bits = 0;
            count = 0;
            if (in_end - in < 4) return 0;
            unsigned length = in[0] | (unsigned)in[1] << 8;
            if ((length ^ 0xFFFFu) != (in[2] | (unsigned)in[3] << 8)) return 0;
            in += 4;
            if ((size_t)(in_end - in) < length || (size_t)(out_end - out) < length) return 0;
            memcpy(out, in, length);
            in += length;
            out += length;
            continue;
        }
        if (type == 3) return 0;
        if (type == 1) {
            uint8_t lengths[288 + 32];
            for (int i = 0; i < 288; i++) lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
            for (int i = 0; i < 32; i++) lengths[288 + i] = 5;
            cis_build_table(state->litlen, cis_litlen_primary, lengths, 288, 0);
            cis_build_table(state->distance, cis_distance_primary, lengths + 288, 32, 1);
        } else {
            unsigned literal_count = (unsigned)(bits & 31) + 257;
            unsigned distance_count = (unsigned)(bits >> 5 & 31) + 1;
            unsigned code_count = (unsigned)(bits >> 10 & 15) + 4;
            CIS_DROP(14);
            if (literal_count > 286 || distance_count > 30) return 0;
            static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
            uint8_t code_lengths[19] = {0};
            for (unsigned i = 0; i < code_count; i++) {
                CIS_REFILL();
                code_lengths[order[i]] = (uint8_t)(bits & 7);
                CIS_DROP(3);
            }
            if (!cis_build_table(state->lengths_code, 7, code_lengths, 19, 2)) return 0;
            uint8_t lengths[286 + 30];
            unsigned total = literal_count + distance_count;
            for (unsigned i = 0; i < total;) {
                CIS_REFILL();
                cis_code code = state->lengths_code[bits & 127];
                CIS_DROP(code.bits);
                unsigned symbol = code.value;
                if (symbol < 16) {
                    lengths[i++] = (uint8_t)symbol;
                    continue;
                }
                unsigned repeat;
                uint8_t value = 0;
                if (symbol == 16) {
                    if (i == 0) return 0;
                    value = lengths[i - 1];
                    repeat = 3 + (unsigned)(bits & 3);
                    CIS_DROP(2);
                } else if (symbol == 17) {
                    repeat = 3 + (unsigned)(bits & 7);
                    CIS_DROP(3);
                } else {
                    repeat = 11 + (unsigned)(bits & 127);
                    CIS_DROP(7);
                }
                if (repeat > total - i) return 0;
                while (repeat--) lengths[i++] = value;
            }
            if (lengths[256] == 0) return 0;
            if (!cis_build_table(state->litlen, cis_litlen_primary, lengths, (int)literal_count, 0) ||
                !cis_build_table(state->distance, cis_distance_primary, lengths + literal_count, (int)distance_count,
                                 1)) {
                return 0;
            }
        }
        // The block's codes. One refill (56 bits or more) covers a literal/length code (15 bits),
        // its extra bits (5), the distance code (15) and its extra bits (13).
        for (;;) {
            CIS_REFILL();
            cis_code code = state->litlen[bits & ((1u << cis_litlen_primary) - 1)];
            if (code.op >= cis_op_subtable) {
                if (code.op == cis_op_invalid) return 0;
                code = state->litlen[code.value + ((bits >> cis_litlen_primary) & ((1u << code.bits) - 1))];
            }
            CIS_DROP(code.bits);
            if (code.op == cis_op_literal) {
                if (out == out_end) return 0;
                *out++ = (uint8_t)code.value;
                continue;
            }
            if (code.op == cis_op_end) break;
            if (code.op == cis_op_invalid) return 0;
            unsigned extra = code.op - cis_op_base;
            size_t length = code.value + (unsigned)(bits & ((1u << extra) - 1));
            CIS_DROP(extra);
            code = state->distance[bits & ((1u << cis_distance_primary) - 1)];
            if (code.op >= cis_op_subtable) {
                if (code.op == cis_op_invalid) return 0;
                code = state->distance[code.value + ((bits >> cis_distance_primary) & ((1u << code.bits) - 1))];
            }
            if (code.op == cis_op_invalid) return 0;
            CIS_DROP(code.bits);
            extra = code.op - cis_op_base;
            size_t distance = code.value + (unsigned)(bits & ((1u << extra) - 1));
            CIS_DROP(extra);
            if (distance > (size_t)(out - out_start) || length > (size_t)(out_end - out)) return 0;
            const uint8_t *from = out - distance;
            uint8_t *end = out + length;
            if (distance >= 16) {
                // Sixteen bytes at a time, each read from bytes already written; may run 15 past `end`.
                do {
                    memcpy(out, from, 16);
                    out += 16;
                    from += 16;
                } while (out < end);
            } else if (distance >= 8) {
                do {
                    memcpy(out, from, 8);
                    out += 8;
                    from += 8;
                } while (out < end);
            } else if (distance == 1) {
                memset(out, *from, length);
            } else {
                while (out < end) *out++ = *from++;
            }
            out = end;
        }
    }
    // The Adler-32 of the data, big-endian, on the next byte boundary; then the end of the input.
    CIS_DROP(count & 7);
    in -= count >> 3;
#undef CIS_REFILL
#undef CIS_DROP
    if (in_end - in != 4 || out != out_end) return 0;
    return cis_adler32(out_start, out_length) == cis_be32(in);
}

// MARK: - Decoding

int cis_png_decode_rgb8_fast(const uint8_t *data, size_t length, uint32_t width, uint32_t height,
                             uint8_t *rgb_out, size_t rgb_out_length) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (data == NULL || rgb_out == NULL || width == 0 || height == 0 || width > 0x7FFFFFFFu ||
        height > 0x7FFFFFFFu || (size_t)width > SIZE_MAX / 8 / (size_t)height ||
        rgb_out_length != (size_t)width * height * 3 || length < 33 + 12) {
        return CIS_DECLINED;
    }
    // Signature, IHDR (length 13, CRC), the caller's size, 8 bits, RGB (2) or RGBA (6),
    // compression 0, filter method 0, not interlaced.
    const uint8_t *ihdr = data + 8;
    if (memcmp(data, signature, 8) != 0 || cis_be32(ihdr) != 13 || !cis_is_chunk(ihdr + 4, "IHDR") ||
        cis_crc32(0, ihdr + 4, 17) != cis_be32(ihdr + 21) || cis_be32(ihdr + 8) != width ||
        cis_be32(ihdr + 12) != height || ihdr[16] != 8 || (ihdr[17] != 2 && ihdr[17] != 6) || ihdr[18] != 0 ||
        ihdr[19] != 0 || ihdr[20] != 0) {
        return CIS_DECLINED;
    }
    const int channels = ihdr[17] == 6 ? 4 : 3;
    cis_idat_run run = {0, 0};
    if (!cis_walk_chunks(data, length, &run)) return CIS_DECLINED;

    const size_t stride = (size_t)width * (size_t)channels;
    const size_t row_length = stride + 1;  // the filter byte first
    const size_t filtered_length = row_length * height;

    // The zlib stream: in place when one IDAT chunk holds it (the IEND chunk after it gives the
    // 16 readable bytes the inflater may look ahead), else gathered with 16 bytes of zeros after it.
    size_t stream_length = 0, chunks = 0, single = 0;
    for (size_t position = run.first; position < run.end;) {
        uint32_t chunk_length = cis_be32(data + position);
        if (chunk_length > 0) {
            chunks++;
            single = position + 8;
        }
        stream_length += chunk_length;
        position += 12 + (size_t)chunk_length;
    }
    if (chunks == 0) return CIS_DECLINED;
    uint8_t *gathered = NULL;
    const uint8_t *stream = data + single;
    if (chunks > 1) {
        gathered = malloc(stream_length + 16);
        if (gathered == NULL) return CIS_DECLINED;
        size_t offset = 0;
        for (size_t position = run.first; position < run.end;) {
            uint32_t chunk_length = cis_be32(data + position);
            memcpy(gathered + offset, data + position + 8, chunk_length);
            offset += chunk_length;
            position += 12 + (size_t)chunk_length;
        }
        memset(gathered + stream_length, 0, 16);
        stream = gathered;
    }

    uint8_t *filtered = malloc(filtered_length + 16);
    uint8_t *zeros = calloc(stride, 1);
    uint8_t *rgba = channels == 4 ? malloc(2 * stride) : NULL;
    cis_inflater *inflater = malloc(sizeof *inflater);
    int result = CIS_DECLINED;
    if (filtered == NULL || zeros == NULL || (channels == 4 && rgba == NULL) || inflater == NULL) goto done;
    if (!cis_inflate(inflater, stream, stream_length, filtered, filtered_length)) goto done;

    const uint8_t *prev = zeros;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *row = filtered + (size_t)y * row_length;
        uint8_t *out = channels == 3 ? rgb_out + (size_t)y * stride : rgba + (y & 1) * stride;
        if (!cis_unfilter_row(row[0], out, row + 1, prev, stride, channels)) goto done;
        if (channels == 4) cis_composite_row(rgb_out + (size_t)y * width * 3, out, width);
        prev = out;
    }
    result = CIS_OK;

done:
    free(gathered);
    free(filtered);
    free(zeros);
    free(rgba);
    free(inflater);
    return result;
}
