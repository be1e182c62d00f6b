// The C that must be C: libpng reports errors by longjmp, which Swift cannot catch, so every
// libpng call that may fail runs here behind setjmp(png_jmpbuf(png)) and comes back as a code.
// Symbols are prefixed `cis_` (C image shims). Only ImageCodecs imports this module.
#ifndef CIMAGESHIMS_H
#define CIMAGESHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of the shim functions.
enum {
    CIS_OK = 0,
    /// libpng called its error handler; the message buffer holds its text.
    CIS_ERROR_LIBPNG = 1,
    /// A malloc failed.
    CIS_ERROR_NO_MEMORY = 2,
    /// The image libpng read does not have the size the caller expected.
    CIS_ERROR_SIZE_MISMATCH = 3,
    /// Bad arguments (null pointers, zero sizes, output too small).
    CIS_ERROR_ARGUMENT = 4,
    /// The fast decoder does not take this file; decode it with `cis_png_decode_rgb8`.
    CIS_DECLINED = 5,
};

/// Every zlib/libpng knob that changes the bytes of an encoded PNG, pinned by the caller.
typedef struct cis_png_write_settings {
    int compression_level;   ///< zlib level 0…9
    int compression_strategy;///< Z_DEFAULT_STRATEGY 0, Z_FILTERED 1, Z_HUFFMAN_ONLY 2, Z_RLE 3, Z_FIXED 4
    int mem_level;           ///< zlib memLevel 1…9
    int window_bits;         ///< zlib windowBits 8…15
    int filters;             ///< libpng PNG_FILTER_* bit set (0x08 none, 0x10 sub, 0x20 up, 0x40 avg, 0x80 paeth)
    size_t idat_size;        ///< bytes per IDAT chunk (libpng's compression buffer size)
} cis_png_write_settings;

/// Encodes 8-bit RGB rows (`width * 3` bytes each, no padding) as a non-interlaced PNG.
///
/// `text` (NUL-terminated, may be NULL) goes into one chunk with keyword `parameters`: `tEXt`
/// when `text_is_utf8` is 0 (the bytes must then be Latin-1), else an uncompressed `iTXt`.
/// On CIS_OK, `*out`/`*out_length` hold a malloc'd buffer to release with `cis_free`.
/// On failure nothing is left allocated and `message` (capacity `message_capacity`) says why.
int cis_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                        const cis_png_write_settings *settings, const char *text, int text_is_utf8,
                        uint8_t **out, size_t *out_length, char *message, size_t message_capacity);

/// Like `cis_png_encode_rgb8`, for 8-bit RGBA rows (`width * 4` bytes, straight alpha): colour
/// type 6 (RGB + alpha), so transparent pixels stay transparent.
int cis_png_encode_rgba8(const uint8_t *rgba, uint32_t width, uint32_t height,
                         const cis_png_write_settings *settings, const char *text, int text_is_utf8,
                         uint8_t **out, size_t *out_length, char *message, size_t message_capacity);

/// Encodes 8-bit RGB (`channels` 3) or RGBA (`channels` 4, straight alpha) rows as a
/// non-interlaced PNG without libpng, for speed: every row gets the one filter in
/// `settings->filters` (None 0x08, Sub 0x10 or Up 0x20; nothing else), and the rows, cut into
/// segments of 256, are deflated segment by segment on up to `threads` threads (0: one per
/// online CPU, at most 8) by a small encoder of its own (literals and runs of the previous byte,
/// one dynamic Huffman block per segment); level, strategy and memLevel are not used. The bytes
/// depend only on the pixels, the settings and the text, never on the thread count. Rows longer
/// than 16 MiB (width · channels) are refused as invalid arguments.
/// `text`, `*out`, `message`: as `cis_png_encode_rgb8`.
int cis_png_encode_segmented(const uint8_t *pixels, int channels, uint32_t width, uint32_t height,
                             const cis_png_write_settings *settings, int threads, const char *text,
                             int text_is_utf8, uint8_t **out, size_t *out_length, char *message,
                             size_t message_capacity);

/// Decodes a PNG held in memory into 8-bit RGB (`width * height * 3` bytes at `rgb_out`).
///
/// Palette, grey and low bit depths are expanded, 16-bit samples scaled to 8 bits (rounded),
/// interlacing undone, and alpha (including tRNS) composited onto black: out = round(c * a / 255).
/// `width`/`height` are what the caller's header check found; a different IHDR is an error.
int cis_png_decode_rgb8(const uint8_t *data, size_t length, uint32_t width, uint32_t height,
                        uint8_t *rgb_out, size_t rgb_out_length, char *message, size_t message_capacity);

/// `cis_png_decode_rgb8` without libpng, for the files uploads almost always are: 8-bit RGB or
/// RGBA, not interlaced, no tRNS, a zlib stream with a 32 KiB window. Returns CIS_OK with exactly
/// the bytes `cis_png_decode_rgb8` gives, or CIS_DECLINED, for every other file and for anything
/// libpng might not accept as plainly valid (bad CRCs, too little or too much data, a bad filter
/// type, zlib errors, chunks out of order): the caller then decodes with `cis_png_decode_rgb8`,
/// which accepts or refuses as it always has, with its own message. `rgb_out` may have been
/// written when it declines.
int cis_png_decode_rgb8_fast(const uint8_t *data, size_t length, uint32_t width, uint32_t height,
                             uint8_t *rgb_out, size_t rgb_out_length);

/// zlib's CRC-32 (the PNG chunk CRC), continuing from `crc` (start with 0).
uint32_t cis_crc32(uint32_t crc, const uint8_t *data, size_t length);

/// Inflates a zlib stream (as in zTXt/iTXt) into at most `capacity` bytes.
/// Returns CIS_OK with `*out_length` set, or CIS_ERROR_ARGUMENT for bad or oversized data.
int cis_zlib_inflate(const uint8_t *data, size_t length, uint8_t *out, size_t capacity, size_t *out_length);

/// Releases a buffer returned by a `cis_` function.
void cis_free(void *pointer);

/* Keeps freed blocks of up to `bytes` in the heap instead of handing them back to the kernel
 * (malloc's mmap and trim thresholds; glibc only, elsewhere nothing). Rendering a 1024² image
 * allocates and frees a few buffers of megabytes each; handed back, every one is refaulted and
 * zeroed page by page on its next use (~10 % of the CPU of a first image download). Call once,
 * before threads start. Returns 1 when applied. */
int cis_keep_freed_buffers(size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
