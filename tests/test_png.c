/* test_png.c -- the PNG writer, checked by a decoder written here from the
 * specifications (PNG, RFC 1950 zlib, RFC 1951 deflate stored blocks), not by the
 * encoder's own helpers: chunks are parsed by hand, every CRC is recomputed with a
 * bitwise CRC-32, the stored blocks are walked and their LEN/NLEN checked, the Adler-32
 * is recomputed the slow way, and the pixels must come back byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pngw.h"

/* ---- A reference decoder. ------------------------------------------------------ */

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* CRC-32 one bit at a time, as the PNG specification's annex writes it out. */
static uint32_t crc_slow(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

static uint32_t adler_slow(const uint8_t *p, size_t n)
{
    uint64_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) { a = (a + p[i]) % 65521; b = (b + a) % 65521; }
    return (uint32_t)(b << 16 | a);
}

typedef struct decoded {
    int w, h, channels;
    uint8_t *pixels;          /* w * h * channels, rows packed */
    int n_chunks, n_blocks;
    char order[16][5];        /* chunk types in order */
} decoded_t;

/* Decodes what the encoder writes (8-bit RGB/RGBA, stored blocks, filter 0); fails the
 * test on anything else. */
/* ---- An inflater of our own (RFC 1951), for stored and fixed-Huffman blocks: the
 * writer is checked against the standard, not against itself. --------------------- */

typedef struct bitin { const uint8_t *p; size_t n, bit; } bitin_t;

static uint32_t getbit(bitin_t *b)
{
    assert_true(b->bit / 8 < b->n);
    uint32_t v = b->p[b->bit / 8] >> (b->bit % 8) & 1;
    b->bit++;
    return v;
}

static uint32_t getbits(bitin_t *b, int n)          /* least significant bit first */
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) v |= getbit(b) << i;
    return v;
}

/* A literal/length symbol under the fixed codes (RFC 1951, 3.2.6), read bit by bit,
 * most significant first. */
static int fixed_symbol(bitin_t *b)
{
    uint32_t c = 0;
    for (int i = 0; i < 7; i++) c = c << 1 | getbit(b);
    if (c <= 0x17) return 256 + (int)c;                           /* 7 bits: 256-279 */
    c = c << 1 | getbit(b);
    if (c >= 0x30 && c <= 0xbf) return (int)(c - 0x30);          /* 8 bits: 0-143 */
    if (c >= 0xc0 && c <= 0xc7) return 280 + (int)(c - 0xc0);     /* 8 bits: 280-287 */
    c = c << 1 | getbit(b);
    assert_true(c >= 0x190 && c <= 0x1ff);
    return 144 + (int)(c - 0x190);                                /* 9 bits: 144-255 */
}

/* Inflates src into out (exactly cap bytes expected); returns the bytes of src used. */
static size_t inflate(const uint8_t *src, size_t n, uint8_t *out, size_t cap, int *blocks)
{
    static const uint16_t lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const uint8_t lextra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const uint16_t dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const uint8_t dextra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    bitin_t b = {src, n, 0};
    size_t got = 0;
    *blocks = 0;
    for (bool final = false; !final;) {
        final = getbit(&b);
        uint32_t type = getbits(&b, 2);
        (*blocks)++;
        if (type == 0) {                                          /* stored */
            b.bit = (b.bit + 7) / 8 * 8;
            size_t at = b.bit / 8;
            assert_true(at + 4 <= n);
            uint32_t len = src[at] | (uint32_t)src[at + 1] << 8, nlen = src[at + 2] | (uint32_t)src[at + 3] << 8;
            assert_int_equal(len ^ 0xffff, nlen);
            assert_true(at + 4 + len <= n && got + len <= cap);
            memcpy(out + got, src + at + 4, len);
            got += len;
            b.bit = (at + 4 + len) * 8;
            continue;
        }
        assert_int_equal(type, 1);                                /* this writer uses no dynamic codes */
        for (;;) {
            int sym = fixed_symbol(&b);
            if (sym < 256) { assert_true(got < cap); out[got++] = (uint8_t)sym; continue; }
            if (sym == 256) break;
            sym -= 257;
            assert_true(sym < 29);
            uint32_t len = lbase[sym] + getbits(&b, lextra[sym]);
            uint32_t dcode = 0;
            for (int i = 0; i < 5; i++) dcode = dcode << 1 | getbit(&b);
            assert_true(dcode < 30);
            uint32_t dist = dbase[dcode] + getbits(&b, dextra[dcode]);
            assert_true(dist <= got && dist <= 32768 && got + len <= cap);
            for (uint32_t k = 0; k < len; k++, got++) out[got] = out[got - dist];
        }
    }
    assert_int_equal(got, cap);
    return (b.bit + 7) / 8;
}

static void decode(const uint8_t *png, size_t len, decoded_t *out)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    assert_true(len > 8);
    assert_memory_equal(png, sig, 8);
    uint8_t *idat = NULL;
    size_t n_idat = 0, at = 8;
    bool end = false;
    while (!end) {
        assert_true(at + 12 <= len);
        uint32_t n = be32(png + at);
        assert_true(at + 12 + n <= len);
        const uint8_t *type = png + at + 4, *data = png + at + 8;
        assert_int_equal(be32(data + n), crc_slow(type, 4 + (size_t)n));
        assert_true(out->n_chunks < 16);
        memcpy(out->order[out->n_chunks++], type, 4);
        if (!memcmp(type, "IHDR", 4)) {
            assert_int_equal(n, 13);
            out->w = (int)be32(data);
            out->h = (int)be32(data + 4);
            assert_int_equal(data[8], 8);                      /* bit depth */
            assert_true(data[9] == 2 || data[9] == 6);         /* RGB or RGBA */
            out->channels = data[9] == 6 ? 4 : 3;
            assert_int_equal(data[10], 0);
            assert_int_equal(data[11], 0);
            assert_int_equal(data[12], 0);
        } else if (!memcmp(type, "IDAT", 4)) {
            idat = realloc(idat, n_idat + n + 1);
            memcpy(idat + n_idat, data, n);
            n_idat += n;
        } else if (!memcmp(type, "IEND", 4)) {
            assert_int_equal(n, 0);
            end = true;
        }
        at += 12 + n;
    }
    assert_int_equal(at, len);

    /* zlib: CMF/FLG, then deflate blocks, then the Adler-32 of the raw data. */
    assert_true(n_idat >= 6);
    assert_int_equal(idat[0] & 0x0f, 8);
    assert_int_equal((idat[0] << 8 | idat[1]) % 31, 0);
    assert_int_equal(idat[1] & 0x20, 0);
    size_t row = (size_t)out->w * (size_t)out->channels, raw_len = (row + 1) * (size_t)out->h;
    uint8_t *raw = malloc(raw_len + 1);
    size_t p = inflate(idat + 2, n_idat - 2, raw, raw_len, &out->n_blocks) + 2;
    assert_int_equal(p + 4, n_idat);
    assert_int_equal(be32(idat + p), adler_slow(raw, raw_len));

    out->pixels = malloc(row * (size_t)out->h + 1);
    for (int y = 0; y < out->h; y++) {
        assert_int_equal(raw[(size_t)y * (row + 1)], 0);        /* filter: none */
        memcpy(out->pixels + (size_t)y * row, raw + (size_t)y * (row + 1) + 1, row);
    }
    free(raw);
    free(idat);
}

static uint8_t *pattern(int w, int h, int ch, size_t stride, uint32_t seed)
{
    uint8_t *p = malloc(stride * (size_t)h + 1);
    uint32_t x = seed;
    for (size_t i = 0; i < stride * (size_t)h; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (uint8_t)(x >> 24);
    }
    (void)w;
    (void)ch;
    return p;
}

static void roundtrip(int w, int h, int ch, size_t pad)
{
    size_t stride = (size_t)w * (size_t)ch + pad;
    uint8_t *px = pattern(w, h, ch, stride, (uint32_t)(w * 31 + h * 7 + ch));
    uint8_t *png;
    size_t len;
    assert_int_equal(viz_png_encode(px, w, h, stride, ch, &png, &len), 0);
    decoded_t d;
    decode(png, len, &d);
    assert_int_equal(d.w, w);
    assert_int_equal(d.h, h);
    assert_int_equal(d.channels, ch);
    for (int y = 0; y < h; y++) assert_memory_equal(d.pixels + (size_t)y * (size_t)w * (size_t)ch, px + (size_t)y * stride, (size_t)w * (size_t)ch);
    assert_int_equal(d.n_blocks, 1);
    free(d.pixels);
    free(png);
    free(px);
}

/* ---- Tests. -------------------------------------------------------------------- */

static void test_png_crc32_matches_known_values(void **state)
{
    (void)state;
    /* The check value of CRC-32/ISO-HDLC, and the CRC of an empty IEND chunk. */
    assert_int_equal(viz_crc32(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(viz_crc32(0, "IEND", 4), 0xae426082u);
    assert_int_equal(viz_crc32(0, "", 0), 0);
    /* Continuing from a previous result is the same as one call over both parts. */
    uint32_t part = viz_crc32(0, "12345", 5);
    assert_int_equal(viz_crc32(part, "6789", 4), 0xcbf43926u);
}

static void test_png_adler32_matches_known_values(void **state)
{
    (void)state;
    assert_int_equal(viz_adler32(1, "Wikipedia", 9), 0x11e60398u);
    assert_int_equal(viz_adler32(1, "", 0), 1);
    /* Long runs of 0xff overflow a naive sum: the modulo must be taken in time. */
    size_t n = 1 << 20;
    uint8_t *ff = malloc(n);
    memset(ff, 0xff, n);
    assert_int_equal(viz_adler32(1, ff, n), adler_slow(ff, n));
    uint32_t half = viz_adler32(1, ff, n / 3);
    assert_int_equal(viz_adler32(half, ff + n / 3, n - n / 3), adler_slow(ff, n));
    free(ff);
}

static void test_png_small_rgb_roundtrips(void **state)
{
    (void)state;
    roundtrip(1, 1, 3, 0);
    roundtrip(7, 5, 3, 0);
    roundtrip(7, 5, 4, 0);
}

static void test_png_rows_with_padding_roundtrip(void **state)
{
    (void)state;
    roundtrip(13, 9, 3, 5);        /* a stride longer than the row: the padding is not written */
    roundtrip(13, 9, 4, 12);
}

static void test_png_large_images_roundtrip(void **state)
{
    (void)state;
    /* Random pixels give LZ77 nothing to find: every byte is a literal, some of them
     * nine bits long; wide rows put repeats beyond the 32 KiB window. */
    roundtrip(640, 400, 3, 0);
    roundtrip(12000, 3, 3, 0);
}

/* A screenshot is mostly flat colour: the encoder must find the repeats. */
static void test_png_flat_images_compress(void **state)
{
    (void)state;
    int w = 1280, h = 800;
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
            bool panel = x > 950, box = x > 100 && x < 300 && y > 100 && y < 250;
            p[0] = panel ? 30 : box ? 200 : 20;
            p[1] = panel ? 32 : box ? 120 : 22;
            p[2] = panel ? 40 : box ? 60 : 28;
        }
    uint8_t *png;
    size_t len;
    assert_int_equal(viz_png_encode(px, w, h, (size_t)w * 3, 3, &png, &len), 0);
    if (len > (size_t)w * (size_t)h * 3 / 50) fail_msg("a flat 1280x800 picture took %zu bytes", len);
    decoded_t d;
    decode(png, len, &d);
    assert_memory_equal(d.pixels, px, (size_t)w * (size_t)h * 3);
    free(d.pixels);
    free(png);
    free(px);
}

static void test_png_write_is_atomic_and_readable(void **state)
{
    (void)state;
    char dir[] = "/tmp/dsim-png-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.png", dir);
    uint8_t *px = pattern(32, 16, 3, 96, 9);
    assert_int_equal(viz_png_write(path, px, 32, 16, 96, 3), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    decoded_t d;
    decode(buf, n, &d);
    assert_memory_equal(d.pixels, px, 32 * 16 * 3);
    free(d.pixels);
    /* No temporary file is left beside it. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* A directory that does not exist fails cleanly and creates nothing. */
    snprintf(path, sizeof path, "%s/missing/out.png", dir);
    assert_int_equal(viz_png_write(path, px, 32, 16, 96, 3), -1);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(px);
}

static void test_png_rejects_bad_sizes(void **state)
{
    (void)state;
    uint8_t px[12] = {0}, *out = NULL;
    size_t len = 0;
    assert_int_equal(viz_png_encode(px, 0, 1, 3, 3, &out, &len), -1);
    assert_int_equal(viz_png_encode(px, 1, 0, 3, 3, &out, &len), -1);
    assert_int_equal(viz_png_encode(px, 2, 2, 5, 3, &out, &len), -1);      /* stride shorter than a row */
    assert_int_equal(viz_png_encode(px, 1, 1, 3, 2, &out, &len), -1);      /* two channels: not written */
    assert_int_equal(viz_png_encode(px, VIZ_PNG_SIDE_MAX + 1, 1, (size_t)(VIZ_PNG_SIDE_MAX + 1) * 3, 3, &out, &len), -1);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_crc32_matches_known_values),
        cmocka_unit_test(test_png_adler32_matches_known_values),
        cmocka_unit_test(test_png_small_rgb_roundtrips),
        cmocka_unit_test(test_png_rows_with_padding_roundtrip),
        cmocka_unit_test(test_png_large_images_roundtrip),
        cmocka_unit_test(test_png_flat_images_compress),
        cmocka_unit_test(test_png_write_is_atomic_and_readable),
        cmocka_unit_test(test_png_rejects_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
