/* test_png.c -- the PNG writer (libpng underneath), checked from outside: chunks are
 * parsed by hand from the PNG specification and every CRC recomputed with a bitwise
 * CRC-32, IHDR and the zlib header are checked field by field, and the pixels, decoded
 * by libpng's reader, must come back byte for byte, padding rows included; flat
 * screenshots must compress, and a failed write must leave nothing behind.
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
#include <png.h>
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

typedef struct decoded {
    int w, h, channels;
    uint8_t *pixels;          /* w * h * channels, rows packed */
    int n_chunks;
    char order[16][5];        /* chunk types in order */
} decoded_t;

/* Checks the file's structure by hand, from the PNG specification (signature, chunk
 * order and lengths, every CRC recomputed bit by bit, IHDR's fields, a zlib header on
 * the image data), then decodes the pixels with libpng's reader: the writer's bytes
 * must come back exactly. */
static void decode(const uint8_t *png, size_t len, decoded_t *out)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    assert_true(len > 8);
    assert_memory_equal(png, sig, 8);
    size_t at = 8;
    bool end = false, first_idat = true;
    while (!end) {
        assert_true(at + 12 <= len);
        uint32_t n = be32(png + at);
        assert_true(at + 12 + n <= len);
        const uint8_t *type = png + at + 4, *data = png + at + 8;
        assert_int_equal(be32(data + n), crc_slow(type, 4 + (size_t)n));
        if (out->n_chunks < 16) memcpy(out->order[out->n_chunks], type, 4);
        out->n_chunks++;
        if (!memcmp(type, "IHDR", 4)) {
            assert_int_equal(n, 13);
            out->w = (int)be32(data);
            out->h = (int)be32(data + 4);
            assert_int_equal(data[8], 8);                      /* bit depth */
            assert_true(data[9] == 2 || data[9] == 6);         /* RGB or RGBA */
            out->channels = data[9] == 6 ? 4 : 3;
            assert_int_equal(data[10], 0);                     /* deflate */
            assert_int_equal(data[11], 0);                     /* adaptive filtering */
            assert_int_equal(data[12], 0);                     /* not interlaced */
        } else if (!memcmp(type, "IDAT", 4) && first_idat) {
            /* zlib: CMF/FLG with method 8 and a valid check, no preset dictionary. */
            assert_true(n >= 2);
            assert_int_equal(data[0] & 0x0f, 8);
            assert_int_equal((data[0] << 8 | data[1]) % 31, 0);
            assert_int_equal(data[1] & 0x20, 0);
            first_idat = false;
        } else if (!memcmp(type, "IEND", 4)) {
            assert_int_equal(n, 0);
            end = true;
        }
        at += 12 + n;
    }
    assert_int_equal(at, len);
    assert_false(first_idat);
    assert_memory_equal(out->order[0], "IHDR", 4);

    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&img, png, len));
    assert_int_equal((int)img.width, out->w);
    assert_int_equal((int)img.height, out->h);
    img.format = out->channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
    size_t row = (size_t)out->w * (size_t)out->channels;
    out->pixels = malloc(row * (size_t)out->h + 1);
    assert_true(png_image_finish_read(&img, NULL, out->pixels, (png_int_32)row, NULL));
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
    free(d.pixels);
    free(png);
    free(px);
}

/* ---- Tests. -------------------------------------------------------------------- */

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
        cmocka_unit_test(test_png_small_rgb_roundtrips),
        cmocka_unit_test(test_png_rows_with_padding_roundtrip),
        cmocka_unit_test(test_png_large_images_roundtrip),
        cmocka_unit_test(test_png_flat_images_compress),
        cmocka_unit_test(test_png_write_is_atomic_and_readable),
        cmocka_unit_test(test_png_rejects_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
