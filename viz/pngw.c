/* pngw.c -- the PNG writer: signature, IHDR, one IDAT holding one deflate block, IEND.
 *
 *   PNG  = signature  IHDR  IDAT  IEND         every chunk: length, type, data, CRC-32
 *   IDAT = zlib header 78 01, deflate data, Adler-32 of the raw data
 *   raw  = for each row: filter byte 0 ("none"), then the row's pixels
 *   deflate = one final block with the fixed Huffman codes: literals, and (length,
 *             distance) pairs for repeats found by LZ77 within 32 KiB
 *
 * Every row uses filter 0: a flat run of pixels is already a repeat at distance 3 (or
 * 4) that LZ77 finds. The whole file is built in memory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/afile.h"
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

/* ---- Deflate with fixed Huffman codes (RFC 1951, 3.2.5 and 3.2.6). ------------------
 *
 * Screenshots are mostly flat colour, so greedy LZ77 over a 32 KiB window with the
 * fixed codes already shrinks them twenty-fold; dynamic Huffman tables would gain a
 * little more for a lot more code. Matches are found through hash chains of the next
 * three bytes, PNG_CHAIN_MAX candidates deep. */

#define PNG_WINDOW 32768
#define PNG_HASH_BITS 15
#define PNG_CHAIN_MAX 24
#define PNG_MATCH_MAX 258

typedef struct bits { buf_t *b; uint64_t acc; int n; } bits_t;

static void bits_put(bits_t *w, uint32_t v, int n)
{
    w->acc |= (uint64_t)v << w->n;
    w->n += n;
    while (w->n >= 8) {
        uint8_t byte = (uint8_t)w->acc;
        put(w->b, &byte, 1);
        w->acc >>= 8;
        w->n -= 8;
    }
}

/* Huffman codes are sent most significant bit first, in a stream packed from the
 * least significant bit: reverse them. */
static uint32_t reverse(uint32_t code, int len)
{
    uint32_t r = 0;
    for (int i = 0; i < len; i++) r = r << 1 | (code >> i & 1);
    return r;
}

static void put_symbol(bits_t *w, int sym)
{
    uint32_t code;
    int len;
    if (sym <= 143) { code = 0x30 + (uint32_t)sym; len = 8; }
    else if (sym <= 255) { code = 0x190 + (uint32_t)(sym - 144); len = 9; }
    else if (sym <= 279) { code = (uint32_t)(sym - 256); len = 7; }
    else { code = 0xc0 + (uint32_t)(sym - 280); len = 8; }
    bits_put(w, reverse(code, len), len);
}

static const uint16_t len_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_match(bits_t *w, uint32_t len, uint32_t dist)
{
    int l = 28;
    while (len_base[l] > len) l--;
    put_symbol(w, 257 + l);
    if (len_extra[l]) bits_put(w, len - len_base[l], len_extra[l]);
    int d = 29;
    while (dist_base[d] > dist) d--;
    bits_put(w, reverse((uint32_t)d, 5), 5);
    if (dist_extra[d]) bits_put(w, dist - dist_base[d], dist_extra[d]);
}

static inline uint32_t hash3(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) * 2654435761u >> (32 - PNG_HASH_BITS);
}

/* Compresses src into one final fixed-Huffman block. Returns 0, or -1 without memory. */
static int deflate_fixed(buf_t *b, const uint8_t *src, size_t n)
{
    int32_t *head = malloc(sizeof(int32_t) << PNG_HASH_BITS);
    int32_t *prev = malloc(sizeof(int32_t) * PNG_WINDOW);
    if (!head || !prev) { free(head); free(prev); return -1; }
    for (size_t i = 0; i < (1u << PNG_HASH_BITS); i++) head[i] = -1;
    bits_t w = {b, 0, 0};
    bits_put(&w, 1, 1);            /* BFINAL */
    bits_put(&w, 1, 2);            /* BTYPE 01: fixed Huffman codes */
    size_t i = 0;
    while (i < n) {
        uint32_t best = 0, best_dist = 0;
        if (i + 3 <= n) {
            uint32_t h = hash3(src + i);
            int32_t j = head[h];
            size_t limit = n - i < PNG_MATCH_MAX ? n - i : PNG_MATCH_MAX;
            for (int depth = 0; j >= 0 && i - (size_t)j <= PNG_WINDOW && depth < PNG_CHAIN_MAX; depth++) {
                uint32_t len = 0;
                while (len < limit && src[(size_t)j + len] == src[i + len]) len++;
                if (len > best) { best = len; best_dist = (uint32_t)(i - (size_t)j); }
                if (len == limit) break;
                int32_t next = prev[(size_t)j % PNG_WINDOW];
                if (next >= j) break;      /* the slot was reused: the chain ends here */
                j = next;
            }
        }
        size_t step = best >= 3 ? best : 1;
        if (best >= 3) put_match(&w, best, best_dist);
        else put_symbol(&w, src[i]);
        for (size_t k = 0; k < step; k++, i++) {
            if (i + 3 > n) continue;
            uint32_t h = hash3(src + i);
            prev[i % PNG_WINDOW] = head[h];
            head[h] = (int32_t)i;
        }
    }
    put_symbol(&w, 256);           /* end of block */
    if (w.n) bits_put(&w, 0, 8 - w.n);
    free(head);
    free(prev);
    return 0;
}

int viz_png_encode(const uint8_t *pixels, int w, int h, size_t stride, int channels, uint8_t **out, size_t *out_len)
{
    if (w <= 0 || h <= 0 || w > VIZ_PNG_SIDE_MAX || h > VIZ_PNG_SIDE_MAX || (channels != 3 && channels != 4)) return -1;
    size_t row = (size_t)w * (size_t)channels;
    if (stride < row) return -1;
    /* The raw stream: each row behind its filter byte (0, none: the compressor finds the
     * repeats a filter would expose). */
    size_t raw_len = (row + 1) * (size_t)h;
    uint8_t *raw = malloc(raw_len);
    if (!raw) return -1;
    for (size_t y = 0; y < (size_t)h; y++) {
        raw[y * (row + 1)] = 0;
        memcpy(raw + y * (row + 1) + 1, pixels + y * stride, row);
    }
    /* Fixed codes never spend more than 9 bits a byte: this bounds the output. */
    size_t idat_max = 2 + raw_len + raw_len / 8 + 64 + 4;
    buf_t b = {0};
    b.cap = 8 + 25 + 12 + idat_max + 12;
    if (idat_max > 0x7fffffffu || !(b.p = malloc(b.cap))) { free(raw); return -1; }

    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put(&b, sig, sizeof sig);

    size_t at = chunk_begin(&b, "IHDR", 13);
    put32(&b, (uint32_t)w);
    put32(&b, (uint32_t)h);
    uint8_t ihdr[5] = {8, channels == 4 ? 6 : 2, 0, 0, 0};   /* depth, colour type, deflate, filter, no interlace */
    put(&b, ihdr, sizeof ihdr);
    chunk_end(&b, at);

    at = chunk_begin(&b, "IDAT", 0);                          /* the length is filled in below */
    static const uint8_t zhdr[2] = {0x78, 0x01};   /* deflate, 32K window, no dictionary; 0x7801 % 31 == 0 */
    put(&b, zhdr, 2);
    if (deflate_fixed(&b, raw, raw_len) != 0) { free(raw); free(b.p); return -1; }
    put32(&b, viz_adler32(1, raw, raw_len));
    uint32_t idat_len = (uint32_t)(b.n - at - 4);            /* after the chunk type */
    uint8_t len_be[4] = {(uint8_t)(idat_len >> 24), (uint8_t)(idat_len >> 16), (uint8_t)(idat_len >> 8), (uint8_t)idat_len};
    memcpy(b.p + at - 4, len_be, 4);
    chunk_end(&b, at);
    free(raw);

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
