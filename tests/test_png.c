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
    size_t got = 0, p = 2;
    for (bool final = false; !final;) {
        assert_true(p + 5 <= n_idat);
        final = idat[p] & 1;
        assert_int_equal((idat[p] >> 1) & 3, 0);               /* stored */
        uint32_t blen = idat[p + 1] | (uint32_t)idat[p + 2] << 8, nlen = idat[p + 3] | (uint32_t)idat[p + 4] << 8;
        assert_int_equal(blen ^ 0xffff, nlen);
        p += 5;
        assert_true(p + blen <= n_idat && got + blen <= raw_len);
        memcpy(raw + got, idat + p, blen);
        got += blen;
        p += blen;
        out->n_blocks++;
    }
    assert_int_equal(got, raw_len);
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
    size_t raw = ((size_t)w * (size_t)ch + 1) * (size_t)h;
    assert_int_equal(d.n_blocks, (int)((raw + VIZ_PNG_STORED_MAX - 1) / VIZ_PNG_STORED_MAX));
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

static void test_png_many_stored_blocks_roundtrip(void **state)
{
    (void)state;
    /* 640x400 RGB is 768,400 raw bytes: twelve stored blocks, most of them cut in the
     * middle of a row. */
    roundtrip(640, 400, 3, 0);
    /* A raw stream of exactly one block must not grow an empty second one, and one
     * byte more must make a second. */
    roundtrip(1456, 15, 3, 0);     /* (1456 * 3 + 1) * 15 == 65535 */
    roundtrip(4369, 5, 3, 0);      /* (4369 * 3 + 1) * 5 == 65540 */
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
        cmocka_unit_test(test_png_many_stored_blocks_roundtrip),
        cmocka_unit_test(test_png_write_is_atomic_and_readable),
        cmocka_unit_test(test_png_rejects_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
