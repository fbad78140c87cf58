/* pngw.c -- the PNG writer: signature, IHDR, one IDAT of stored deflate blocks, IEND.
 *
 *   PNG  = signature  IHDR  IDAT  IEND         every chunk: length, type, data, CRC-32
 *   IDAT = zlib header 78 01, blocks, Adler-32 of the raw data
 *   raw  = for each row: filter byte 0 ("none"), then the row's pixels
 *   block = 1 byte (BFINAL, BTYPE 00), LEN, ~LEN (little-endian), LEN raw bytes
 *
 * Filters only help compression, which stored blocks do not do, so every row uses
 * filter 0. The whole file is built in memory: a screenshot is a few megabytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "afile.h"
#include "pngw.h"

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    crc_ready = true;
}

uint32_t viz_crc32(uint32_t crc, const void *data, size_t len)
{
    if (!crc_ready) crc_init();
    const uint8_t *p = data;
    uint32_t c = crc ^ 0xffffffffu;
    for (size_t i = 0; i < len; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

uint32_t viz_adler32(uint32_t adler, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t a = adler & 0xffff, b = adler >> 16;
    /* 5552 is the most bytes that cannot overflow 32 bits before the modulo (zlib's NMAX). */
    while (len) {
        size_t n = len < 5552 ? len : 5552;
        len -= n;
        while (n--) { a += *p++; b += a; }
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

typedef struct buf { uint8_t *p; size_t n, cap; } buf_t;

static void put(buf_t *b, const void *data, size_t n)
{
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put32(buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}

/* Starts a chunk: length and type; returns where its type begins, for the CRC. */
static size_t chunk_begin(buf_t *b, const char *type, uint32_t len)
{
    put32(b, len);
    size_t at = b->n;
    put(b, type, 4);
    return at;
}

static void chunk_end(buf_t *b, size_t at) { put32(b, viz_crc32(0, b->p + at, b->n - at)); }

int viz_png_encode(const uint8_t *pixels, int w, int h, size_t stride, int channels, uint8_t **out, size_t *out_len)
{
    if (w <= 0 || h <= 0 || w > VIZ_PNG_SIDE_MAX || h > VIZ_PNG_SIDE_MAX || (channels != 3 && channels != 4)) return -1;
    size_t row = (size_t)w * (size_t)channels;
    if (stride < row) return -1;
    size_t raw = (row + 1) * (size_t)h;
    size_t blocks = (raw + VIZ_PNG_STORED_MAX - 1) / VIZ_PNG_STORED_MAX;
    size_t idat = 2 + raw + 5 * blocks + 4;
    if (idat > 0x7fffffffu) return -1;            /* a chunk's length is 31 bits */
    buf_t b = {0};
    b.cap = 8 + 25 + 12 + idat + 12;
    b.p = malloc(b.cap);
    if (!b.p) return -1;

    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put(&b, sig, sizeof sig);

    size_t at = chunk_begin(&b, "IHDR", 13);
    put32(&b, (uint32_t)w);
    put32(&b, (uint32_t)h);
    uint8_t ihdr[5] = {8, channels == 4 ? 6 : 2, 0, 0, 0};   /* depth, colour type, deflate, filter, no interlace */
    put(&b, ihdr, sizeof ihdr);
    chunk_end(&b, at);

    at = chunk_begin(&b, "IDAT", (uint32_t)idat);
    static const uint8_t zhdr[2] = {0x78, 0x01};   /* deflate, 32K window, no dictionary; 0x7801 % 31 == 0 */
    put(&b, zhdr, 2);
    /* The raw stream (filter bytes and rows) is cut into blocks wherever 65535 bytes
     * run out, which need not be at a row boundary. */
    uint32_t adler = 1;
    size_t left = raw, y = 0, x = 0;     /* x: position within row y, where 0 is its filter byte */
    while (left) {
        size_t n = left < VIZ_PNG_STORED_MAX ? left : VIZ_PNG_STORED_MAX;
        left -= n;
        uint8_t hdr[5] = {left ? 0 : 1, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n, (uint8_t)(~n >> 8)};
        put(&b, hdr, sizeof hdr);
        while (n) {
            if (x == 0) {
                static const uint8_t none = 0;
                put(&b, &none, 1);
                adler = viz_adler32(adler, &none, 1);
                x = 1;
                n--;
                continue;
            }
            size_t take = row - (x - 1);
            if (take > n) take = n;
            const uint8_t *src = pixels + y * stride + (x - 1);
            put(&b, src, take);
            adler = viz_adler32(adler, src, take);
            x += take;
            n -= take;
            if (x == row + 1) { x = 0; y++; }
        }
    }
    put32(&b, adler);
    chunk_end(&b, at);

    at = chunk_begin(&b, "IEND", 0);
    chunk_end(&b, at);
    *out = b.p;
    *out_len = b.n;
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
