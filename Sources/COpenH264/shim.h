// openh264's encoder is a C++ object seen from C as a pointer to a table of function pointers.
// These fixed-arity wrappers make each call an ordinary C function for Swift, and reach into the
// fixed-size arrays of its structs (which Swift would import as 4- and 128-element tuples).
#include <stdbool.h>
#include <stddef.h>
#include <wels/codec_api.h>
#include <wels/codec_app_def.h>
#include <wels/codec_def.h>

/// A new encoder, or NULL when openh264 cannot allocate one.
static inline ISVCEncoder *copenh264_create(void) {
    ISVCEncoder *encoder = NULL;
    if (WelsCreateSVCEncoder(&encoder) != 0) {
        return NULL;
    }
    return encoder;
}

static inline void copenh264_destroy(ISVCEncoder *encoder) {
    WelsDestroySVCEncoder(encoder);
}

static inline int copenh264_get_default_params(ISVCEncoder *encoder, SEncParamExt *params) {
    return (*encoder)->GetDefaultParams(encoder, params);
}

static inline int copenh264_initialize_ext(ISVCEncoder *encoder, const SEncParamExt *params) {
    return (*encoder)->InitializeExt(encoder, params);
}

static inline int copenh264_uninitialize(ISVCEncoder *encoder) {
    return (*encoder)->Uninitialize(encoder);
}

static inline int copenh264_set_option_int(ISVCEncoder *encoder, ENCODER_OPTION option, int value) {
    return (*encoder)->SetOption(encoder, option, &value);
}

static inline int copenh264_encode_frame(ISVCEncoder *encoder, const SSourcePicture *picture, SFrameBSInfo *info) {
    return (*encoder)->EncodeFrame(encoder, picture, info);
}

/// The configuration of spatial layer `index` (0 for a single-layer AVC stream).
static inline SSpatialLayerConfig *copenh264_spatial_layer(SEncParamExt *params, int index) {
    return &params->sSpatialLayers[index];
}

/// Layer `index` of an encoded frame, `0 ..< info->iLayerNum`.
static inline const SLayerBSInfo *copenh264_frame_layer(const SFrameBSInfo *info, int index) {
    return &info->sLayerInfo[index];
}

/// Points the three I420 planes of `picture` at caller-owned memory.
static inline void copenh264_set_i420_planes(SSourcePicture *picture, unsigned char *y, int yStride,
                                             unsigned char *u, unsigned char *v, int chromaStride) {
    picture->iColorFormat = videoFormatI420;
    picture->pData[0] = y;
    picture->pData[1] = u;
    picture->pData[2] = v;
    picture->pData[3] = NULL;
    picture->iStride[0] = yStride;
    picture->iStride[1] = chromaStride;
    picture->iStride[2] = chromaStride;
    picture->iStride[3] = 0;
}
