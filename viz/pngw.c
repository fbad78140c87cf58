/* pngw.c -- screenshots as PNG files, through libpng.
 *
 * libpng's simplified API (png_image, libpng 1.6) writes 8-bit RGB or RGBA from a
 * buffer in memory with zlib's compression; the file itself is written atomically
 * through afile, so a failed screenshot never leaves half a picture behind. A well-kept
 * library replaces the hand-written deflate this file used to hold: every program that
 * reads PNG reads libpng's output, and its compression makes screenshots small.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include "core/afile.h"
#include "pngw.h"

int viz_png_encode(const uint8_t *pixels, int w, int h, size_t stride, int channels, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (w < 1 || h < 1 || w > VIZ_PNG_SIDE_MAX || h > VIZ_PNG_SIDE_MAX || (channels != 3 && channels != 4)) return -1;
    if (stride < (size_t)w * (size_t)channels || stride > (size_t)INT32_MAX) return -1;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
    /* First the size, then the bytes: libpng's two-call form for memory output. */
    png_alloc_size_t len = 0;
    if (!png_image_write_to_memory(&img, NULL, &len, 0, pixels, (png_int_32)stride, NULL) || len == 0) {
        png_image_free(&img);
        return -1;
    }
    uint8_t *buf = malloc(len);
    if (!buf) { png_image_free(&img); return -1; }
    if (!png_image_write_to_memory(&img, buf, &len, 0, pixels, (png_int_32)stride, NULL)) {
        free(buf);
        png_image_free(&img);
        return -1;
    }
    *out = buf;
    *out_len = (size_t)len;
    return 0;
}

int viz_png_write(const char *path, const uint8_t *pixels, int w, int h, size_t stride, int channels)
{
    uint8_t *data;
    size_t len;
    if (viz_png_encode(pixels, w, h, stride, channels, &data, &len) != 0) { errno = EINVAL; return -1; }
    afile_t af;
    if (afile_open(&af, path) != SIM_OK) { free(data); if (!errno) errno = EIO; return -1; }
    bool ok = fwrite(data, 1, len, af.f) == len;
    free(data);
    if (!ok) { int e = errno; afile_abort(&af); errno = e ? e : EIO; return -1; }
    if (afile_commit(&af) != SIM_OK) { if (!errno) errno = EIO; return -1; }
    return 0;
}
