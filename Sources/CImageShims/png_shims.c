#include "CImageShims.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
