/* pngw.h -- screenshots as PNG files: 8-bit RGB or RGBA, through libpng.
 *
 * Screenshots need a picture format every program reads; libpng (a Debian package,
 * libpng-dev) writes it, and this header keeps the view's two calls independent of it.
 */
#ifndef VIZ_PNG_H
#define VIZ_PNG_H

#include <stddef.h>
#include <stdint.h>

#define VIZ_PNG_SIDE_MAX 16384        /* pixels of one side: bounds the file to about 1 GiB */

/* Encodes w x h pixels, rows `stride` bytes apart, `channels` bytes each (3: R,G,B;
 * 4: R,G,B,A), into a new buffer (*out, *out_len; free it). Returns 0, or -1 for a
 * bad size or no memory (nothing allocated). */
int viz_png_encode(const uint8_t *pixels, int w, int h, size_t stride, int channels, uint8_t **out, size_t *out_len);
/* Encodes and writes to path atomically (a temporary file renamed into place).
 * Returns 0, or -1 with errno set (the target is unchanged). */
int viz_png_write(const char *path, const uint8_t *pixels, int w, int h, size_t stride, int channels);

#endif
