/* pngw.h -- a small PNG writer: 8-bit RGB or RGBA, deflated, no dependency.
 *
 * Screenshots need a picture format every program reads, and the view must not grow a
 * dependency (libpng, zlib) for one function. Deflate with its fixed Huffman codes
 * (RFC 1951, 3.2.6) and a greedy LZ77 is a page of code and makes a screenshot of the
 * view a few hundred kilobytes; optipng or zopflipng can squeeze out more.
 */
#ifndef VIZ_PNG_H
#define VIZ_PNG_H

#include <stddef.h>
#include <stdint.h>

#define VIZ_PNG_SIDE_MAX 16384        /* pixels of one side: bounds the file to about 1 GiB */

/* CRC-32 as PNG and zlib define it (ISO 3309, reflected polynomial 0xedb88320); start
 * with crc = 0 and feed the previous result to continue. */
uint32_t viz_crc32(uint32_t crc, const void *data, size_t len);
/* Adler-32 (RFC 1950); start with adler = 1. */
uint32_t viz_adler32(uint32_t adler, const void *data, size_t len);

/* Encodes w x h pixels, rows `stride` bytes apart, `channels` bytes each (3: R,G,B;
 * 4: R,G,B,A), into a new buffer (*out, *out_len; free it). Returns 0, or -1 for a
 * bad size or no memory (nothing allocated). */
int viz_png_encode(const uint8_t *pixels, int w, int h, size_t stride, int channels, uint8_t **out, size_t *out_len);
/* Encodes and writes to path atomically (a temporary file renamed into place).
 * Returns 0, or -1 with errno set (the target is unchanged). */
int viz_png_write(const char *path, const uint8_t *pixels, int w, int h, size_t stride, int channels);

#endif
