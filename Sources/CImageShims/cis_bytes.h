/* Little-endian 64-bit loads and stores at any alignment, shared by the PNG writer
 * (png_shims.c) and reader (png_decode.c). Private to CImageShims. */
#ifndef CIS_BYTES_H
#define CIS_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint64_t cis_load64le(const uint8_t *p) {
    uint64_t value;
    memcpy(&value, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    value = __builtin_bswap64(value);
#endif
    return value;
}

static inline void cis_store64le(uint8_t *p, uint64_t value) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    value = __builtin_bswap64(value);
#endif
    memcpy(p, &value, 8);
}

#endif
