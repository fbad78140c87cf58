/* draw.c -- feathered triangles, a glyph atlas, and batching.
 *
 * A feathered edge is a strip of triangles across which alpha goes from the shape's
 * to zero over one pixel, centred on the true edge: where a pixel is half covered it
 * gets half the alpha, which is all anti-aliasing is. Lines have that profile across
 * them, circles around them, polygons outside them.
 *
 * The atlas is one RGBA surface holding every glyph of every font in white (its alpha
 * is the glyph's coverage) and the sprites; vertex colours tint it. It is rebuilt only
 * when the scale changes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "draw.h"

#define PI_F 3.14159265358979f
#define ATLAS_SIDE_MAX 8192
#define FEATHER 0.5f                 /* half the width of the anti-aliased rim, in pixels */
#define RING_SLOTS 8                 /* ring sizes baked in the atlas at once */
#define RING_R_MAX (VIZ_NODE_SPRITE_R_MAX + 10)   /* logical pixels: the largest ring baked */

/* The characters beyond ASCII that the atlas holds: enough for units and signs. */
static const uint32_t extra_cps[] = {
    0x00B7, 0x00D7, 0x00B5, 0x2192, 0x2190, 0x2026, 0x2014, 0x2013, 0x2191, 0x2193,
    0x2022, 0x25B6, 0x2713, 0x2717, 0x00B1, 0x2264, 0x2265, 0x221E, 0x21BB, 0x2318,
};
#define N_EXTRA ((int)(sizeof extra_cps / sizeof extra_cps[0]))
#define N_ASCII 95                     /* ' ' .. '~' */

typedef struct glyph {
    int16_t x, y, w, h;                /* in the atlas */
    int16_t off;                       /* drawn this far right of the pen (negative for overhangs) */
    int16_t adv;
    bool ok;
} glyph_t;

typedef struct font {
    TTF_Font *ttf;
    int height, ascent;
    glyph_t ascii[N_ASCII];
    glyph_t extra[N_EXTRA];
} font_t;

typedef struct batch {
    SDL_Vertex *v;
    int *idx;
    int nv, ni, cap_v, cap_i;
} batch_t;

typedef struct thin { float x0, y0, x1, y1; viz_rgba_t c; } thin_t;
/* A solid rectangle among the shapes: drawn where it falls in their order, at is the
 * number of triangle indices queued before it. */
typedef struct rect { int at; int x, y, w, h; viz_rgba_t c; } rect_t;
/* A 1:1 copy of an atlas rectangle, tinted, to blend straight into the target. */
typedef struct direct { int x, y, sx, sy, w, h; viz_rgba_t c; } direct_t;

struct viz_draw {
    SDL_Renderer *r;
    bool software;
    float scale;
    char path_regular[1024], path_bold[1024], path_mono[1024];
    font_t font[VIZ_FONT_COUNT_];
    SDL_Texture *atlas;
    int atlas_w, atlas_h;
    SDL_Rect sprite[VIZ_SPRITE_COUNT_];
    SDL_Rect sprite_trim[VIZ_SPRITE_COUNT_];   /* the part of each with any alpha (see alpha_trim) */
    float sprite_r[VIZ_SPRITE_COUNT_];
    SDL_Rect node_slot[3];             /* room reserved in the atlas for the node sprites */
    SDL_Rect ring_slot[RING_SLOTS];    /* ... and for rings of the sizes asked for lately */
    float ring_r[RING_SLOTS], ring_w[RING_SLOTS];   /* what each holds (r 0: nothing) */
    SDL_Rect ring_src[RING_SLOTS], ring_trim[RING_SLOTS];
    uint64_t ring_used[RING_SLOTS];    /* when each was last asked for, in asks */
    uint64_t ring_flush[RING_SLOTS];   /* ... and in flushes: queued copies may still read it */
    uint64_t ring_asks, flushes;
    float node_r, node_rim, client_r;  /* what is baked there now (0: nothing) */
    float white_u, white_v;            /* a fully opaque texel, for solid quads in the textured batch */
    batch_t shapes, textured;
    thin_t *thin;
    int n_thin, cap_thin;
    rect_t *rect;                      /* rectangles among the shapes, filled into the target */
    int n_rect, cap_rect;
    uint64_t triangles;
    SDL_Surface *target;               /* blend atlas copies and thin lines straight into this, or NULL */
    uint8_t *alpha;                    /* the atlas's alpha, atlas_w x atlas_h, for those copies */
    direct_t *direct;
    int n_direct, cap_direct;
    SDL_Rect clip;
    bool clipped;
};

/* Logical sizes of the fonts, in pixels at scale 1. */
static const struct { int px; int face; } font_spec[VIZ_FONT_COUNT_] = {
    [VIZ_FONT_SMALL] = {11, 0}, [VIZ_FONT_BODY] = {13, 0}, [VIZ_FONT_BOLD] = {13, 1},
    [VIZ_FONT_TITLE] = {15, 1}, [VIZ_FONT_MONO] = {12, 2},
};

/* ---- Finding the font. --------------------------------------------------------- */

static bool file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* The file fc-match names for a family, if it is really that family (fc-match always
 * answers something). */
static bool fc_match(const char *family, const char *must_contain, char *out, size_t len)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "fc-match -f '%%{file}' '%s' 2>/dev/null", family);
    FILE *p = popen(cmd, "r");
    if (!p) return false;
    size_t n = fread(out, 1, len - 1, p);
    pclose(p);
    out[n] = 0;
    return n > 0 && strstr(out, must_contain) && file_exists(out);
}

/* The same directory, another file name: DejaVuSans.ttf -> DejaVuSans-Bold.ttf. */
static bool sibling(const char *regular, const char *name, char *out, size_t len)
{
    const char *slash = strrchr(regular, '/');
    size_t dir = slash ? (size_t)(slash - regular + 1) : 0;
    if (dir + strlen(name) + 1 > len) return false;
    memcpy(out, regular, dir);
    strcpy(out + dir, name);
    return file_exists(out);
}

static int find_fonts(viz_draw_t *d, char *err, size_t err_len)
{
    static const char *const dirs[] = {
        "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
        "/usr/share/fonts/dejavu-sans-fonts", "/usr/share/fonts/truetype", "/usr/local/share/fonts",
        "/usr/local/share/fonts/dejavu", "/opt/homebrew/share/fonts", "/Library/Fonts", NULL,
    };
    const char *env = getenv("DSIM_FONT");
    bool found = false;
    if (env && *env) {
        if (!file_exists(env)) { snprintf(err, err_len, "DSIM_FONT names %s, which cannot be read", env); return -1; }
        snprintf(d->path_regular, sizeof d->path_regular, "%s", env);
        found = true;
    }
    if (!found) found = fc_match("DejaVu Sans", "DejaVuSans", d->path_regular, sizeof d->path_regular);
    for (int i = 0; !found && dirs[i]; i++) {
        snprintf(d->path_regular, sizeof d->path_regular, "%s/DejaVuSans.ttf", dirs[i]);
        found = file_exists(d->path_regular);
    }
    if (!found) {
        snprintf(err, err_len, "cannot find the DejaVu Sans font; install fonts-dejavu-core (Debian, Ubuntu), "
                 "dejavu-sans-fonts (Fedora) or font-dejavu (Homebrew), or set DSIM_FONT to a .ttf file");
        return -1;
    }
    if (!sibling(d->path_regular, "DejaVuSans-Bold.ttf", d->path_bold, sizeof d->path_bold))
        snprintf(d->path_bold, sizeof d->path_bold, "%s", d->path_regular);
    if (!sibling(d->path_regular, "DejaVuSansMono.ttf", d->path_mono, sizeof d->path_mono) &&
        !fc_match("DejaVu Sans Mono", "DejaVuSansMono", d->path_mono, sizeof d->path_mono))
        snprintf(d->path_mono, sizeof d->path_mono, "%s", d->path_regular);
    return 0;
}

/* The smallest rectangle within r holding every texel with any alpha. A sprite's square
 * has a clear margin (a dot of radius 2.7 in 8 x 8 texels covers 6 x 6), which the
 * direct blend would otherwise walk for every one of thousands of messages; copies
 * start at the trimmed corner, offset from where the square would, so nothing moves.
 * r itself when the alpha is not kept. */
static SDL_Rect alpha_trim(const viz_draw_t *d, SDL_Rect r)
{
    if (!d->alpha) return r;
    int x0 = r.x + r.w, y0 = r.y + r.h, x1 = r.x, y1 = r.y;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            if (d->alpha[(size_t)y * (size_t)d->atlas_w + (size_t)x]) {
                if (x < x0) x0 = x;
                if (x + 1 > x1) x1 = x + 1;
                if (y < y0) y0 = y;
                if (y + 1 > y1) y1 = y + 1;
            }
    if (x1 <= x0 || y1 <= y0) return (SDL_Rect){r.x, r.y, 0, 0};
    return (SDL_Rect){x0, y0, x1 - x0, y1 - y0};
}

/* ---- The atlas. ---------------------------------------------------------------- */

typedef struct packer { int x, y, row_h, w, h; } packer_t;

static bool pack(packer_t *p, int w, int h, int *ox, int *oy)
{
    if (p->x + w + 1 > p->w) { p->x = 1; p->y += p->row_h + 1; p->row_h = 0; }
    if (p->y + h + 1 > p->h || w + 2 > p->w) return false;
    *ox = p->x;
    *oy = p->y;
    p->x += w + 1;
    if (h > p->row_h) p->row_h = h;
    return true;
}

/* Coverage of a disc (or ring between r_in and r_out) at pixel (px, py), by 4x4
 * supersampling. */
static float coverage(float px, float py, float cx, float cy, float r_in, float r_out)
{
    int hit = 0;
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++) {
            float x = px + ((float)i + 0.5f) / 4 - cx, y = py + ((float)j + 0.5f) / 4 - cy;
            float dd = sqrtf(x * x + y * y);
            hit += dd <= r_out && dd >= r_in;
        }
    return (float)hit / 16.0f;
}

/* Paints sprite id of radius r (rim: its width, for rings) into s at `at`. */
/* Coverage of an X with arms reaching (+-r, +-r) and strokes w wide, by 4x4 supersampling:
 * the drop mark, as two anti-aliased lines would draw it. */
static float cross_coverage(float px, float py, float cx, float cy, float r, float w)
{
    int hit = 0;
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++) {
            float x = px + ((float)i + 0.5f) / 4 - cx, y = py + ((float)j + 0.5f) / 4 - cy;
            /* Along a diagonal |x + y| <= 2r, across it |x - y| <= w / sqrt 2; and the other. */
            float sum = fabsf(x + y), diff = fabsf(x - y), len = 2 * r, wide = w * 0.70710678f;
            hit += (sum <= len && diff <= wide) || (diff <= len && sum <= wide);
        }
    return (float)hit / 16.0f;
}

static void sprite_paint(SDL_Surface *s, SDL_Rect at, viz_sprite_id_t id, float r, float rim)
{
    float cx = (float)at.w / 2, cy = (float)at.h / 2;
    Uint32 *px = s->pixels;
    int pitch = s->pitch / 4;
    for (int y = 0; y < at.h; y++)
        for (int x = 0; x < at.w; x++) {
            float a;
            if (id == VIZ_SPRITE_CROSS) a = cross_coverage((float)x, (float)y, cx, cy, r, rim);
            else if (id == VIZ_SPRITE_DOT || id == VIZ_SPRITE_DOT_SMALL || id == VIZ_SPRITE_NODE || id == VIZ_SPRITE_CLIENT)
                a = coverage((float)x, (float)y, cx, cy, 0, r);
            else if (id == VIZ_SPRITE_RING) a = coverage((float)x, (float)y, cx, cy, r - 1.7f * (r / 6.0f), r);
            else if (id == VIZ_SPRITE_RIM) a = coverage((float)x, (float)y, cx, cy, r - rim, r);
            else {
                float dx = (float)x + 0.5f - cx, dy = (float)y + 0.5f - cy, q = sqrtf(dx * dx + dy * dy) / r;
                a = q >= 1 ? 0 : (1 - q) * (1 - q) * 0.9f;
            }
            Uint32 alpha = (Uint32)(a * 255.0f + 0.5f);
            px[(at.y + y) * pitch + at.x + x] = SDL_MapRGBA(s->format, 255, 255, 255, (Uint8)alpha);
        }
}

static void fonts_close(viz_draw_t *d)
{
    for (int i = 0; i < VIZ_FONT_COUNT_; i++) {
        if (d->font[i].ttf) TTF_CloseFont(d->font[i].ttf);
        memset(&d->font[i], 0, sizeof d->font[i]);
    }
}

static bool glyph_load(font_t *f, uint32_t cp, glyph_t *g, SDL_Surface *atlas, packer_t *p)
{
    memset(g, 0, sizeof *g);
    if (!TTF_GlyphIsProvided32(f->ttf, cp)) return true;
    int minx, maxx, miny, maxy, adv;
    if (TTF_GlyphMetrics32(f->ttf, cp, &minx, &maxx, &miny, &maxy, &adv) != 0) return true;
    g->adv = (int16_t)adv;
    g->ok = true;
    if (cp == ' ') return true;
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *s = TTF_RenderGlyph32_Blended(f->ttf, cp, white);
    if (!s) return true;
    int x, y;
    if (!pack(p, s->w, s->h, &x, &y)) { SDL_FreeSurface(s); return false; }
    SDL_SetSurfaceBlendMode(s, SDL_BLENDMODE_NONE);
    SDL_Rect dst = {x, y, s->w, s->h};
    SDL_BlitSurface(s, NULL, atlas, &dst);
    if (cp == '_') {
        /* At small sizes SDL_ttf renders the underscore below the font's height and
         * cuts it off ("keys moved fraction"): draw it as a bar just under the
         * baseline, within the glyph's box. */
        int thick = f->height >= 28 ? 2 : 1, row = f->ascent + 1 + thick <= s->h ? f->ascent + 1 : s->h - thick;
        SDL_FillRect(atlas, &dst, SDL_MapRGBA(atlas->format, 255, 255, 255, 0));
        SDL_Rect bar = {x, y + row, adv > 1 ? adv - 1 : 1, thick};
        if (bar.w > s->w) bar.w = s->w;
        SDL_FillRect(atlas, &bar, SDL_MapRGBA(atlas->format, 255, 255, 255, 255));
    }
    g->x = (int16_t)x;
    g->y = (int16_t)y;
    g->w = (int16_t)s->w;
    g->h = (int16_t)s->h;
    /* The surface starts at the pen, or left of it for a glyph that overhangs. */
    g->off = (int16_t)(minx < 0 ? minx : 0);
    SDL_FreeSurface(s);
    return true;
}

static int atlas_build(viz_draw_t *d, char *err, size_t err_len)
{
    fonts_close(d);
    if (d->atlas) { SDL_DestroyTexture(d->atlas); d->atlas = NULL; }
    const char *paths[3] = {d->path_regular, d->path_bold, d->path_mono};
    for (int i = 0; i < VIZ_FONT_COUNT_; i++) {
        int px = (int)lroundf((float)font_spec[i].px * d->scale);
        d->font[i].ttf = TTF_OpenFont(paths[font_spec[i].face], px < 4 ? 4 : px);
        if (!d->font[i].ttf) {
            snprintf(err, err_len, "cannot open the font %s: %s", paths[font_spec[i].face], TTF_GetError());
            fonts_close(d);
            return -1;
        }
        TTF_SetFontHinting(d->font[i].ttf, TTF_HINTING_LIGHT);
        d->font[i].height = TTF_FontHeight(d->font[i].ttf);
        d->font[i].ascent = TTF_FontAscent(d->font[i].ttf);
    }
    for (int side = 512; side <= ATLAS_SIDE_MAX; side *= 2) {
        SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, side, side, 32, SDL_PIXELFORMAT_ARGB8888);
        if (!s) break;
        SDL_FillRect(s, NULL, SDL_MapRGBA(s->format, 255, 255, 255, 0));
        packer_t p = {1, 1, 0, side, side};
        bool ok = true;
        /* A 3x3 opaque block: its centre texel is solid white for untextured quads. */
        int wx, wy;
        ok = pack(&p, 3, 3, &wx, &wy);
        if (ok) {
            SDL_Rect wr = {wx, wy, 3, 3};
            SDL_FillRect(s, &wr, SDL_MapRGBA(s->format, 255, 255, 255, 255));
            d->white_u = ((float)wx + 1.5f) / (float)side;
            d->white_v = ((float)wy + 1.5f) / (float)side;
        }
        static const float sprite_r_px[VIZ_SPRITE_NODE] = {4.2f, 6.2f, 11.0f, 2.7f, 3.2f};
        for (int k = 0; ok && k < 3; k++) {
            int side_px = (int)ceilf(2 * VIZ_NODE_SPRITE_R_MAX * d->scale) + 2, x, y;
            ok = pack(&p, side_px, side_px, &x, &y);
            d->node_slot[k] = (SDL_Rect){x, y, side_px, side_px};
        }
        for (int k = 0; ok && k < RING_SLOTS; k++) {
            int side_px = (int)ceilf(2 * RING_R_MAX * d->scale) + 2, x, y;
            ok = pack(&p, side_px, side_px, &x, &y);
            d->ring_slot[k] = (SDL_Rect){x, y, side_px, side_px};
            d->ring_r[k] = 0;
        }
        d->node_r = d->node_rim = d->client_r = 0;
        for (int k = 0; ok && k < VIZ_SPRITE_NODE; k++) {
            float r = sprite_r_px[k] * d->scale, stroke = k == VIZ_SPRITE_CROSS ? 1.4f * d->scale : 0;
            int size = (int)ceilf(2 * (r + stroke)) + 2;
            int x, y;
            ok = pack(&p, size, size, &x, &y);
            if (!ok) break;
            d->sprite[k] = (SDL_Rect){x, y, size, size};
            d->sprite_r[k] = r;
            sprite_paint(s, d->sprite[k], (viz_sprite_id_t)k, r, stroke);
        }
        for (int i = 0; ok && i < VIZ_FONT_COUNT_; i++) {
            for (int c = 0; ok && c < N_ASCII; c++) ok = glyph_load(&d->font[i], (uint32_t)(' ' + c), &d->font[i].ascii[c], s, &p);
            for (int c = 0; ok && c < N_EXTRA; c++) ok = glyph_load(&d->font[i], extra_cps[c], &d->font[i].extra[c], s, &p);
        }
        if (!ok) { SDL_FreeSurface(s); continue; }
        free(d->alpha);
        d->alpha = malloc((size_t)side * (size_t)side);
        if (d->alpha)
            for (int yy = 0; yy < side; yy++)
                for (int xx = 0; xx < side; xx++)
                    d->alpha[(size_t)yy * (size_t)side + (size_t)xx] = (uint8_t)(((Uint32 *)s->pixels)[yy * (s->pitch / 4) + xx] >> 24);
        d->atlas = SDL_CreateTextureFromSurface(d->r, s);
        d->atlas_w = d->atlas_h = side;
        for (int k = 0; k < VIZ_SPRITE_NODE; k++) d->sprite_trim[k] = alpha_trim(d, d->sprite[k]);
        SDL_FreeSurface(s);
        if (!d->atlas) break;
        SDL_SetTextureBlendMode(d->atlas, SDL_BLENDMODE_BLEND);
        SDL_SetTextureScaleMode(d->atlas, SDL_ScaleModeNearest);
        return 0;
    }
    snprintf(err, err_len, "cannot build the glyph atlas: %s", SDL_GetError());
    fonts_close(d);
    return -1;
}

/* ---- Creation. ----------------------------------------------------------------- */

static bool batch_init(batch_t *b, int cap)
{
    b->v = malloc((size_t)cap * sizeof *b->v);
    b->idx = malloc((size_t)cap * 2 * sizeof *b->idx);
    b->cap_v = cap;
    b->cap_i = cap * 2;
    b->nv = b->ni = 0;
    return b->v && b->idx;
}

viz_draw_t *viz_draw_create(SDL_Renderer *r, float scale, char *err, size_t err_len)
{
    viz_draw_t *d = calloc(1, sizeof *d);
    if (!d) { snprintf(err, err_len, "out of memory"); return NULL; }
    d->r = r;
    d->scale = scale > 0 ? scale : 1;
    SDL_RendererInfo info;
    d->software = SDL_GetRendererInfo(r, &info) == 0 && (info.flags & SDL_RENDERER_SOFTWARE);
    d->cap_thin = 4096;
    d->thin = malloc((size_t)d->cap_thin * sizeof *d->thin);
    if (!d->thin || !batch_init(&d->shapes, VIZ_DRAW_VERTS_INIT) || !batch_init(&d->textured, VIZ_DRAW_VERTS_INIT)) {
        snprintf(err, err_len, "out of memory");
        viz_draw_destroy(d);
        return NULL;
    }
    if (!TTF_WasInit() && TTF_Init() != 0) {
        snprintf(err, err_len, "cannot start SDL_ttf: %s", TTF_GetError());
        viz_draw_destroy(d);
        return NULL;
    }
    if (find_fonts(d, err, err_len) != 0 || atlas_build(d, err, err_len) != 0) {
        viz_draw_destroy(d);
        return NULL;
    }
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    return d;
}

void viz_draw_destroy(viz_draw_t *d)
{
    if (!d) return;
    fonts_close(d);
    if (d->atlas) SDL_DestroyTexture(d->atlas);
    free(d->shapes.v);
    free(d->shapes.idx);
    free(d->textured.v);
    free(d->textured.idx);
    free(d->thin);
    free(d->rect);
    free(d->direct);
    free(d->alpha);
    free(d);
}

int viz_draw_set_scale(viz_draw_t *d, float scale, char *err, size_t err_len)
{
    if (scale <= 0 || fabsf(scale - d->scale) < 0.01f) return 0;
    viz_draw_flush(d);
    d->scale = scale;
    return atlas_build(d, err, err_len);
}

float viz_draw_scale(const viz_draw_t *d) { return d->scale; }
bool viz_draw_software(const viz_draw_t *d) { return d->software; }
SDL_Renderer *viz_draw_renderer(const viz_draw_t *d) { return d->r; }

uint64_t viz_draw_triangles(const viz_draw_t *d) { return d->triangles; }

/* ---- Batches. ------------------------------------------------------------------ */

/* Room for `need` elements of `size` bytes at p, whose room is *cap: doubled (from
 * `first` when there is none yet) until they fit. Returns the array, perhaps moved. A
 * frame cannot go on without its buffers, so running out of memory aborts. */
static void *grow(void *p, int *cap, int need, int first, size_t size)
{
    if (need <= *cap) return p;
    int c = *cap ? *cap : first;
    while (c < need) c *= 2;
    void *q = realloc(p, (size_t)c * size);
    if (!q) abort();
    *cap = c;
    return q;
}

static void batch_reserve(batch_t *b, int nv, int ni)
{
    b->v = grow(b->v, &b->cap_v, b->nv + nv, 1024, sizeof *b->v);
    b->idx = grow(b->idx, &b->cap_i, b->ni + ni, 2048, sizeof *b->idx);
}

static inline int vtx(batch_t *b, float x, float y, viz_rgba_t c, float u, float v)
{
    SDL_Vertex *p = &b->v[b->nv];
    p->position.x = x;
    p->position.y = y;
    p->color.r = c.r;
    p->color.g = c.g;
    p->color.b = c.b;
    p->color.a = c.a;
    p->tex_coord.x = u;
    p->tex_coord.y = v;
    return b->nv++;
}

static inline void tri(batch_t *b, int i, int j, int k)
{
    b->idx[b->ni++] = i;
    b->idx[b->ni++] = j;
    b->idx[b->ni++] = k;
}

/* An axis-aligned quad, split along its top-left to bottom-right diagonal. */
static void quad(batch_t *b, float x0, float y0, float x1, float y1, viz_rgba_t c, float u0, float v0, float u1, float v1)
{
    batch_reserve(b, 4, 6);
    int tl = vtx(b, x0, y0, c, u0, v0), tr = vtx(b, x1, y0, c, u1, v0);
    int br = vtx(b, x1, y1, c, u1, v1), bl = vtx(b, x0, y1, c, u0, v1);
    tri(b, tl, tr, br);
    tri(b, tl, br, bl);
}

void viz_draw_set_target(viz_draw_t *d, SDL_Surface *t)
{
    if (d->n_rect || d->n_thin || d->n_direct) viz_draw_flush(d);     /* what is queued goes where it was meant to */
    bool ok = t && d->software && (t->format->format == SDL_PIXELFORMAT_ARGB8888 || t->format->format == SDL_PIXELFORMAT_RGB888);
    d->target = ok ? t : NULL;
}

static inline uint32_t mul255(uint32_t x) { return ((x + 128) * 257) >> 16; }    /* x / 255, rounded, for x <= 255 * 255 */

/* The three channels of an XRGB pixel spread into 16-bit lanes of one word, so a blend
 * is two multiplications instead of six: no lane of c * a + d * (255 - a) exceeds 255 *
 * 255, so none carries into the next. */
static inline uint64_t lanes(uint32_t rgb) { return (rgb & 0xffu) | (uint64_t)(rgb & 0xff00u) << 8 | (uint64_t)(rgb & 0xff0000u) << 16; }

/* Blends colour c (in lanes) with alpha a over *p. Each lane is divided by 255 and
 * rounded as mul255 does: (t + (t >> 8)) >> 8 with t = x + 128 is the same number for
 * every x up to 255 * 255. */
static inline void blend_px(Uint32 *p, uint64_t c, uint32_t a)
{
    const uint64_t low = 0x000000ff00ff00ffull;
    uint32_t v = *p;
    uint64_t t = c * a + lanes(v) * (255 - a) + 0x0000008000800080ull;
    uint64_t u = (t + (t >> 8 & low)) >> 8 & low;
    *p = (v & 0xff000000u) | (uint32_t)(u & 0xff) | (uint32_t)(u >> 8 & 0xff00) | (uint32_t)(u >> 16 & 0xff0000);
}

static SDL_Rect target_clip(const viz_draw_t *d)
{
    SDL_Rect clip = {0, 0, d->target->w, d->target->h};
    if (d->clipped) SDL_IntersectRect(&clip, &d->clip, &clip);
    return clip;
}

/* Blends the queued atlas copies into the target: what SDL's blend mode with colour
 * and alpha modulation does, per pixel, in integers. */
static void direct_blend(viz_draw_t *d)
{
    SDL_Surface *t = d->target;
    SDL_Rect clip = target_clip(d);
    if (!d->alpha || (SDL_MUSTLOCK(t) && SDL_LockSurface(t) != 0)) return;
    int pitch = t->pitch / 4;
    Uint32 *px = t->pixels;
    for (int i = 0; i < d->n_direct; i++) {
        const direct_t *q = &d->direct[i];
        int x0 = q->x > clip.x ? q->x : clip.x, x1 = q->x + q->w < clip.x + clip.w ? q->x + q->w : clip.x + clip.w;
        int y0 = q->y > clip.y ? q->y : clip.y, y1 = q->y + q->h < clip.y + clip.h ? q->y + q->h : clip.y + clip.h;
        uint64_t c = lanes((uint32_t)q->c.r << 16 | (uint32_t)q->c.g << 8 | q->c.b);
        uint32_t ca = q->c.a;
        for (int y = y0; y < y1; y++) {
            Uint32 *row = px + (size_t)y * (size_t)pitch;
            /* The glyph's row in the atlas, indexed from the glyph's left edge: biasing
             * the pointer by -q->x instead wrapped a size_t offset around, which is
             * undefined even when every pixel read lands inside the atlas. */
            const uint8_t *m = d->alpha + (size_t)(q->sy + y - q->y) * (size_t)d->atlas_w + (size_t)q->sx;
            for (int x = x0; x < x1; x++) {
                uint32_t a = m[x - q->x];
                if (!a) continue;
                blend_px(&row[x], c, ca == 255 ? a : mul255(a * ca));
            }
        }
    }
    if (SDL_MUSTLOCK(t)) SDL_UnlockSurface(t);
}

/* One-pixel anti-aliased lines (Xiaolin Wu, "An Efficient Antialiasing Technique",
 * SIGGRAPH 1991): each step along the major axis splits its coverage between the two
 * nearest pixels across it. */
static void wu_plot(Uint32 *px, int pitch, const SDL_Rect *clip, int x, int y, const viz_rgba_t *c, float cov)
{
    if (x < clip->x || y < clip->y || x >= clip->x + clip->w || y >= clip->y + clip->h || cov <= 0) return;
    uint32_t a = (uint32_t)(cov * (float)c->a + 0.5f);
    if (a) blend_px(&px[(size_t)y * (size_t)pitch + (size_t)x], lanes((uint32_t)c->r << 16 | (uint32_t)c->g << 8 | c->b), a > 255 ? 255 : a);
}

static void direct_thin(viz_draw_t *d)
{
    SDL_Surface *t = d->target;
    SDL_Rect clip = target_clip(d);
    if (SDL_MUSTLOCK(t) && SDL_LockSurface(t) != 0) return;
    int pitch = t->pitch / 4;
    Uint32 *px = t->pixels;
    for (int i = 0; i < d->n_thin; i++) {
        const thin_t *l = &d->thin[i];
        float x0 = l->x0, y0 = l->y0, x1 = l->x1, y1 = l->y1;
        bool steep = fabsf(y1 - y0) > fabsf(x1 - x0);
        if (steep) { float u = x0; x0 = y0; y0 = u; u = x1; x1 = y1; y1 = u; }
        if (x0 > x1) { float u = x0; x0 = x1; x1 = u; u = y0; y0 = y1; y1 = u; }
        float dx = x1 - x0, grad = dx > 1e-6f ? (y1 - y0) / dx : 0;
        /* Only the part inside the clip along the major axis is walked. */
        float lo = steep ? (float)clip.y : (float)clip.x, hi = steep ? (float)(clip.y + clip.h) : (float)(clip.x + clip.w);
        int xa = (int)floorf(fmaxf(x0, lo - 1)), xb = (int)ceilf(fminf(x1, hi + 1));
        for (int x = xa; x <= xb; x++) {
            float y = y0 + grad * ((float)x - x0), fy = floorf(y), f = y - fy;
            float cover = 1;
            if ((float)x < x0) cover = 1 - (x0 - (float)x);
            if ((float)x > x1) cover = 1 - ((float)x - x1);
            if (cover <= 0) continue;
            if (steep) {
                wu_plot(px, pitch, &clip, (int)fy, x, &l->c, (1 - f) * cover);
                wu_plot(px, pitch, &clip, (int)fy + 1, x, &l->c, f * cover);
            } else {
                wu_plot(px, pitch, &clip, x, (int)fy, &l->c, (1 - f) * cover);
                wu_plot(px, pitch, &clip, x, (int)fy + 1, &l->c, f * cover);
            }
        }
    }
    if (SDL_MUSTLOCK(t)) SDL_UnlockSurface(t);
}

/* Fills rectangle q into the target as SDL's software renderer fills one in blend mode
 * (SDL_BlendFillRect: each channel c * a / 255 + d * (255 - a) / 255, both rounded
 * down), so a picture is the same to the pixel whichever draws it; SDL's own fill costs
 * a command and a slower loop per rectangle, which five hundred lanes of the space-time
 * diagram made about a millisecond and a half a frame. */
static void rect_fill(viz_draw_t *d, const rect_t *q, const SDL_Rect *clip)
{
    SDL_Surface *t = d->target;
    int x0 = q->x > clip->x ? q->x : clip->x, x1 = q->x + q->w < clip->x + clip->w ? q->x + q->w : clip->x + clip->w;
    int y0 = q->y > clip->y ? q->y : clip->y, y1 = q->y + q->h < clip->y + clip->h ? q->y + q->h : clip->y + clip->h;
    if (x0 >= x1 || y0 >= y1) return;
    uint32_t a = q->c.a, na = 255 - a;
    uint32_t r = q->c.r * a / 255, g = q->c.g * a / 255, b = q->c.b * a / 255;
    for (int y = y0; y < y1; y++) {
        Uint32 *row = (Uint32 *)t->pixels + (size_t)y * (size_t)(t->pitch / 4);
        if (a == 255) {
            for (int x = x0; x < x1; x++) row[x] = 0xff000000u | r << 16 | g << 8 | b;
            continue;
        }
        for (int x = x0; x < x1; x++) {
            uint32_t v = row[x];
            uint32_t nr = (v >> 16 & 255) * na / 255 + r, ng = (v >> 8 & 255) * na / 255 + g, nb = (v & 255) * na / 255 + b;
            uint32_t nalpha = (v >> 24) * na / 255 + a;
            row[x] = nalpha << 24 | nr << 16 | ng << 8 | nb;
        }
    }
}

/* Draws the shapes: runs of triangles through SDL, the rectangles between them
 * straight into the target, in the order they were queued. */
static void shapes_flush(viz_draw_t *d)
{
    batch_t *b = &d->shapes;
    int done = 0;
    for (int k = 0; k <= d->n_rect; k++) {
        int upto = k < d->n_rect ? d->rect[k].at : b->ni;
        if (upto > done) {
            SDL_RenderGeometry(d->r, NULL, b->v, b->nv, b->idx + done, upto - done);
            d->triangles += (uint64_t)(upto - done) / 3;
            done = upto;
        }
        if (k == d->n_rect) break;
        SDL_RenderFlush(d->r);       /* the triangles before it land first */
        SDL_Rect clip = target_clip(d);
        bool lock = SDL_MUSTLOCK(d->target);
        if (lock && SDL_LockSurface(d->target) != 0) continue;
        for (; k < d->n_rect && d->rect[k].at == upto; k++) {
            rect_fill(d, &d->rect[k], &clip);
            d->triangles += 2;
        }
        k--;
        if (lock) SDL_UnlockSurface(d->target);
    }
    b->nv = b->ni = 0;
    d->n_rect = 0;
}

void viz_draw_flush(viz_draw_t *d)
{
    d->flushes++;
    shapes_flush(d);
    if (d->target && (d->n_thin || d->n_direct)) {
        SDL_RenderFlush(d->r);       /* what SDL has queued lands first */
        if (d->n_thin) direct_thin(d);
        if (d->n_direct) direct_blend(d);
    } else {
        for (int i = 0; i < d->n_thin; i++) {
            thin_t *t = &d->thin[i];
            SDL_SetRenderDrawColor(d->r, t->c.r, t->c.g, t->c.b, t->c.a);
            SDL_RenderDrawLineF(d->r, t->x0, t->y0, t->x1, t->y1);
        }
    }
    d->n_thin = 0;
    d->n_direct = 0;
    if (d->textured.ni) {
        SDL_RenderGeometry(d->r, d->atlas, d->textured.v, d->textured.nv, d->textured.idx, d->textured.ni);
        d->triangles += (uint64_t)d->textured.ni / 3;
    }
    d->textured.nv = d->textured.ni = 0;
}

void viz_draw_clip(viz_draw_t *d, const SDL_Rect *r)
{
    viz_draw_flush(d);
    SDL_RenderSetClipRect(d->r, r);
    d->clipped = r != NULL;
    if (r) d->clip = *r;
}

/* ---- Shapes. ------------------------------------------------------------------- */

void viz_fill_rect(viz_draw_t *d, float x, float y, float w, float h, viz_rgba_t c)
{
    if (w <= 0 || h <= 0 || !c.a) return;
    /* Into a target surface, a rectangle is filled by rect_fill, where SDL would have
     * put it: its corner rounded towards zero, its sides too but at least one pixel. */
    if (d->target && fabsf(x) < 1e6f && fabsf(y) < 1e6f && w < 1e6f && h < 1e6f) {
        d->rect = grow(d->rect, &d->cap_rect, d->n_rect + 1, 1024, sizeof *d->rect);
        int iw = (int)w, ih = (int)h;
        d->rect[d->n_rect++] = (rect_t){d->shapes.ni, (int)x, (int)y, iw > 1 ? iw : 1, ih > 1 ? ih : 1, c};
        return;
    }
    quad(&d->shapes, x, y, x + w, y + h, c, 0, 0, 0, 0);
}

/* A quarter (or any arc) of a disc, fanned from (cx, cy) from angle a0 to a1, with a
 * feathered rim. */
static void fill_arc(viz_draw_t *d, float cx, float cy, float r, float a0, float a1, viz_rgba_t c)
{
    batch_t *b = &d->shapes;
    int n = (int)ceilf(fabsf(a1 - a0) / (2 * PI_F) * fmaxf(12, r * 0.9f + 8));
    if (n < 4) n = 4;
    if (n > 96) n = 96;
    batch_reserve(b, 1 + 2 * (n + 1), 9 * n);
    viz_rgba_t z = c;
    z.a = 0;
    float ri = fmaxf(r - FEATHER, 0), ro = r + FEATHER;
    int centre = vtx(b, cx, cy, c, 0, 0), first = b->nv;
    for (int i = 0; i <= n; i++) {
        float a = a0 + (a1 - a0) * (float)i / (float)n, ca = cosf(a), sa = sinf(a);
        vtx(b, cx + ri * ca, cy + ri * sa, c, 0, 0);
        vtx(b, cx + ro * ca, cy + ro * sa, z, 0, 0);
    }
    for (int i = 0; i < n; i++) {
        int in0 = first + 2 * i, out0 = in0 + 1, in1 = in0 + 2, out1 = in0 + 3;
        if (ri > 0) tri(b, centre, in0, in1);
        tri(b, in0, out0, out1);
        tri(b, in0, out1, in1);
    }
}

void viz_fill_circle(viz_draw_t *d, float cx, float cy, float r, viz_rgba_t c)
{
    if (r <= 0 || !c.a) return;
    fill_arc(d, cx, cy, r, 0, 2 * PI_F, c);
}

/* A band between two radii with feathered edges on both sides. */
static void ring(viz_draw_t *d, float cx, float cy, float r, float width, float a0, float a1, viz_rgba_t c)
{
    batch_t *b = &d->shapes;
    int n = (int)ceilf(fabsf(a1 - a0) / (2 * PI_F) * fmaxf(12, r * 0.9f + 8));
    if (n < 4) n = 4;
    if (n > 128) n = 128;
    viz_rgba_t z = c;
    z.a = 0;
    float rad[4];
    viz_rgba_t col[4];
    int k;
    if (width >= 1) {
        rad[0] = r - width / 2 - FEATHER; rad[1] = r - width / 2 + FEATHER;
        rad[2] = r + width / 2 - FEATHER; rad[3] = r + width / 2 + FEATHER;
        col[0] = z; col[1] = c; col[2] = c; col[3] = z;
        k = 4;
    } else {
        rad[0] = r - FEATHER; rad[1] = r; rad[2] = r + FEATHER;
        col[0] = z; col[1] = viz_alpha(c, width); col[2] = z;
        k = 3;
    }
    batch_reserve(b, k * (n + 1), 6 * (k - 1) * n);
    int first = b->nv;
    for (int i = 0; i <= n; i++) {
        float a = a0 + (a1 - a0) * (float)i / (float)n, ca = cosf(a), sa = sinf(a);
        for (int j = 0; j < k; j++) vtx(b, cx + fmaxf(rad[j], 0) * ca, cy + fmaxf(rad[j], 0) * sa, col[j], 0, 0);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j + 1 < k; j++) {
            int p = first + i * k + j, q = p + k;
            tri(b, p, q, q + 1);
            tri(b, p, q + 1, p + 1);
        }
}

void viz_stroke_circle(viz_draw_t *d, float cx, float cy, float r, float width, viz_rgba_t c)
{
    if (r <= 0 || width <= 0 || !c.a) return;
    ring(d, cx, cy, r, width, 0, 2 * PI_F, c);
}

void viz_fill_round_rect(viz_draw_t *d, float x, float y, float w, float h, float rad, viz_rgba_t c)
{
    if (w <= 0 || h <= 0 || !c.a) return;
    rad = fminf(rad, fminf(w, h) / 2);
    if (rad < 1) { viz_fill_rect(d, x, y, w, h, c); return; }
    viz_fill_rect(d, x + rad, y, w - 2 * rad, h, c);
    viz_fill_rect(d, x, y + rad, rad, h - 2 * rad, c);
    viz_fill_rect(d, x + w - rad, y + rad, rad, h - 2 * rad, c);
    fill_arc(d, x + rad, y + rad, rad, PI_F, 1.5f * PI_F, c);
    fill_arc(d, x + w - rad, y + rad, rad, 1.5f * PI_F, 2 * PI_F, c);
    fill_arc(d, x + w - rad, y + h - rad, rad, 0, 0.5f * PI_F, c);
    fill_arc(d, x + rad, y + h - rad, rad, 0.5f * PI_F, PI_F, c);
}

void viz_stroke_round_rect(viz_draw_t *d, float x, float y, float w, float h, float rad, float width, viz_rgba_t c)
{
    if (w <= 0 || h <= 0 || !c.a) return;
    rad = fminf(rad, fminf(w, h) / 2);
    /* Straight sides as rectangles (exact on the pixel grid), corners as arcs. */
    viz_fill_rect(d, x + rad, y, w - 2 * rad, width, c);
    viz_fill_rect(d, x + rad, y + h - width, w - 2 * rad, width, c);
    viz_fill_rect(d, x, y + rad, width, h - 2 * rad, c);
    viz_fill_rect(d, x + w - width, y + rad, width, h - 2 * rad, c);
    if (rad < 1) return;
    float rr = rad - width / 2;
    ring(d, x + rad, y + rad, rr, width, PI_F, 1.5f * PI_F, c);
    ring(d, x + w - rad, y + rad, rr, width, 1.5f * PI_F, 2 * PI_F, c);
    ring(d, x + w - rad, y + h - rad, rr, width, 0, 0.5f * PI_F, c);
    ring(d, x + rad, y + h - rad, rr, width, 0.5f * PI_F, PI_F, c);
}

/* The cross-section of a stroke: offsets from the centre line and their colours. */
static int stroke_profile(float width, viz_rgba_t c, float *off, viz_rgba_t *col)
{
    viz_rgba_t z = c;
    z.a = 0;
    if (width >= 1) {
        off[0] = -width / 2 - FEATHER; off[1] = -width / 2 + FEATHER;
        off[2] = width / 2 - FEATHER; off[3] = width / 2 + FEATHER;
        col[0] = z; col[1] = c; col[2] = c; col[3] = z;
        return 4;
    }
    off[0] = -FEATHER - width / 2; off[1] = 0; off[2] = FEATHER + width / 2;
    col[0] = z; col[1] = viz_alpha(c, width); col[2] = z;
    return 3;
}

void viz_stroke_poly(viz_draw_t *d, const float *xy, int n, bool closed, float width, viz_rgba_t c)
{
    if (n < 2 || width <= 0 || !c.a) return;
    batch_t *b = &d->shapes;
    float off[4];
    viz_rgba_t col[4];
    int k = stroke_profile(width, c, off, col);
    int segs = closed ? n : n - 1;
    /* Each edge is cut into pieces no longer than the software renderer likes. */
    for (int e = 0; e < segs; e++) {
        int i0 = e, i1 = (e + 1) % n;
        float x0 = xy[2 * i0], y0 = xy[2 * i0 + 1], x1 = xy[2 * i1], y1 = xy[2 * i1 + 1];
        float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
        if (len < 1e-4f) continue;
        float ux = dx / len, uy = dy / len;
        /* Mitred normals at both ends, from the neighbouring edges. */
        float nx0 = -uy, ny0 = ux, nx1 = -uy, ny1 = ux, m0 = 1, m1 = 1;
        int ip = e - 1, in = e + 2;
        bool has_prev = closed || ip >= 0, has_next = closed || in <= n - 1;
        if (has_prev) {
            int a = (ip + n) % n;
            float px = x0 - xy[2 * a], py = y0 - xy[2 * a + 1], pl = sqrtf(px * px + py * py);
            if (pl > 1e-4f) {
                float mx = -py / pl + nx0, my = px / pl + ny0, ml = sqrtf(mx * mx + my * my);
                if (ml > 1e-3f) {
                    mx /= ml; my /= ml;
                    float cosang = mx * nx0 + my * ny0;
                    m0 = cosang > 0.5f ? 1 / cosang : 2;
                    nx0 = mx; ny0 = my;
                }
            }
        }
        if (has_next) {
            int a = in % n;
            float qx = xy[2 * a] - x1, qy = xy[2 * a + 1] - y1, ql = sqrtf(qx * qx + qy * qy);
            if (ql > 1e-4f) {
                float mx = -qy / ql + nx1, my = qx / ql + ny1, ml = sqrtf(mx * mx + my * my);
                if (ml > 1e-3f) {
                    mx /= ml; my /= ml;
                    float cosang = mx * nx1 + my * ny1;
                    m1 = cosang > 0.5f ? 1 / cosang : 2;
                    nx1 = mx; ny1 = my;
                }
            }
        }
        int pieces = d->software ? (int)ceilf(len / VIZ_SEGMENT_SW_PX) : 1;
        if (pieces < 1) pieces = 1;
        batch_reserve(b, k * (pieces + 1), 6 * (k - 1) * pieces);
        int first = b->nv;
        for (int p = 0; p <= pieces; p++) {
            float t = (float)p / (float)pieces;
            float cx = x0 + dx * t, cy = y0 + dy * t;
            float nx, ny, m;
            if (p == 0) { nx = nx0; ny = ny0; m = m0; }
            else if (p == pieces) { nx = nx1; ny = ny1; m = m1; }
            else { nx = -uy; ny = ux; m = 1; }
            for (int j = 0; j < k; j++) vtx(b, cx + nx * off[j] * m, cy + ny * off[j] * m, col[j], 0, 0);
        }
        for (int p = 0; p < pieces; p++)
            for (int j = 0; j + 1 < k; j++) {
                int a = first + p * k + j, q = a + k;
                tri(b, a, q, q + 1);
                tri(b, a, q + 1, a + 1);
            }
    }
}

void viz_line(viz_draw_t *d, float x0, float y0, float x1, float y1, float width, viz_rgba_t c)
{
    float xy[4] = {x0, y0, x1, y1};
    viz_stroke_poly(d, xy, 2, false, width, c);
}

void viz_dashed_line(viz_draw_t *d, float x0, float y0, float x1, float y1, float width, float dash, float gap, viz_rgba_t c)
{
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-3f || dash <= 0) return;
    float ux = dx / len, uy = dy / len;
    for (float t = 0; t < len; t += dash + gap) {
        float e = fminf(t + dash, len);
        viz_line(d, x0 + ux * t, y0 + uy * t, x0 + ux * e, y0 + uy * e, width, c);
    }
}

void viz_fill_convex(viz_draw_t *d, const float *xy, int n, viz_rgba_t c)
{
    if (n < 3 || !c.a) return;
    batch_t *b = &d->shapes;
    float cx = 0, cy = 0;
    for (int i = 0; i < n; i++) { cx += xy[2 * i]; cy += xy[2 * i + 1]; }
    cx /= (float)n;
    cy /= (float)n;
    /* Which way round the polygon goes decides which side of an edge is outside. */
    float area = 0;
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        area += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    float sgn = area > 0 ? 1.0f : -1.0f;
    viz_rgba_t z = c;
    z.a = 0;
    batch_reserve(b, 1 + 2 * n, 9 * n);
    int centre = vtx(b, cx, cy, c, 0, 0), first = b->nv;
    for (int i = 0; i < n; i++) {
        int p = (i + n - 1) % n, q = (i + 1) % n;
        float ax = xy[2 * i] - xy[2 * p], ay = xy[2 * i + 1] - xy[2 * p + 1];
        float bx = xy[2 * q] - xy[2 * i], by = xy[2 * q + 1] - xy[2 * i + 1];
        float la = sqrtf(ax * ax + ay * ay), lb = sqrtf(bx * bx + by * by);
        float nx = 0, ny = 0;
        if (la > 1e-4f) { nx += ay / la; ny += -ax / la; }
        if (lb > 1e-4f) { nx += by / lb; ny += -bx / lb; }
        float nl = sqrtf(nx * nx + ny * ny);
        if (nl > 1e-4f) { nx = nx / nl * sgn; ny = ny / nl * sgn; }
        vtx(b, xy[2 * i] - nx * FEATHER, xy[2 * i + 1] - ny * FEATHER, c, 0, 0);
        vtx(b, xy[2 * i] + nx * FEATHER, xy[2 * i + 1] + ny * FEATHER, z, 0, 0);
    }
    for (int i = 0; i < n; i++) {
        int in0 = first + 2 * i, out0 = in0 + 1, in1 = first + 2 * ((i + 1) % n), out1 = in1 + 1;
        tri(b, centre, in0, in1);
        tri(b, in0, out0, out1);
        tri(b, in0, out1, in1);
    }
}

void viz_thin_line(viz_draw_t *d, float x0, float y0, float x1, float y1, viz_rgba_t c)
{
    if (!c.a) return;
    d->thin = grow(d->thin, &d->cap_thin, d->n_thin + 1, 4096, sizeof *d->thin);
    d->thin[d->n_thin++] = (thin_t){x0, y0, x1, y1, c};
}

/* ---- Sprites and text. --------------------------------------------------------- */

float viz_sprite_radius(const viz_draw_t *d, viz_sprite_id_t s) { return d->sprite_r[s]; }

/* Queues a copy of atlas rectangle src to (x, y) for direct_blend; false when there is
 * no target surface and SDL must draw it. */
static bool direct_quad(viz_draw_t *d, int x, int y, const SDL_Rect *src, viz_rgba_t c)
{
    if (!d->target || !d->alpha) return false;
    d->direct = grow(d->direct, &d->cap_direct, d->n_direct + 1, 8192, sizeof *d->direct);
    d->direct[d->n_direct++] = (direct_t){x, y, src->x, src->y, src->w, src->h, c};
    return true;
}

/* Paints sprite id of radius r (rim: its width) into the atlas at `at`, its square in
 * *out. False when it does not fit. */
static bool sprite_bake(viz_draw_t *d, const SDL_Rect *at, viz_sprite_id_t id, float r, float rim, SDL_Rect *out)
{
    int size = (int)ceilf(2 * r) + 2;
    if (r <= 0 || size > at->w) return false;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, at->w, at->h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) return false;
    SDL_FillRect(s, NULL, SDL_MapRGBA(s->format, 255, 255, 255, 0));
    SDL_Rect local = {0, 0, size, size};
    sprite_paint(s, local, id, r, rim);
    bool ok = SDL_UpdateTexture(d->atlas, at, s->pixels, s->pitch) == 0;
    if (d->alpha)
        for (int yy = 0; yy < at->h; yy++)
            for (int xx = 0; xx < at->w; xx++)
                d->alpha[(size_t)(at->y + yy) * (size_t)d->atlas_w + (size_t)(at->x + xx)] =
                    (uint8_t)(((Uint32 *)s->pixels)[yy * (s->pitch / 4) + xx] >> 24);
    SDL_FreeSurface(s);
    *out = (SDL_Rect){at->x, at->y, size, size};
    return ok;
}

static bool node_sprite_bake(viz_draw_t *d, int slot, viz_sprite_id_t id, float r, float rim)
{
    if (!sprite_bake(d, &d->node_slot[slot], id, r, rim, &d->sprite[id])) return false;
    d->sprite_trim[id] = alpha_trim(d, d->sprite[id]);
    d->sprite_r[id] = r;
    return true;
}

void viz_ring(viz_draw_t *d, float cx, float cy, float r, float width, viz_rgba_t c)
{
    if (r <= 0 || width <= 0 || !c.a) return;
    float outer = r + width / 2;
    if (!d->target || !d->alpha || outer > RING_R_MAX * d->scale) { viz_stroke_circle(d, cx, cy, r, width, c); return; }
    /* The slot holding this size, else the one asked for least lately, baked anew (after
     * a flush, if copies of what it held are still queued). */
    int k = 0;
    while (k < RING_SLOTS && !(d->ring_r[k] == r && d->ring_w[k] == width)) k++;
    if (k == RING_SLOTS) {
        k = 0;
        for (int j = 1; j < RING_SLOTS; j++) if (d->ring_used[j] < d->ring_used[k]) k = j;
        if (d->ring_r[k] > 0 && d->ring_flush[k] == d->flushes) viz_draw_flush(d);
        d->ring_r[k] = 0;
        if (!sprite_bake(d, &d->ring_slot[k], VIZ_SPRITE_RIM, outer, width, &d->ring_src[k])) {
            viz_stroke_circle(d, cx, cy, r, width, c);
            return;
        }
        d->ring_r[k] = r;
        d->ring_w[k] = width;
        d->ring_trim[k] = alpha_trim(d, d->ring_src[k]);
    }
    d->ring_used[k] = ++d->ring_asks;
    d->ring_flush[k] = d->flushes;
    const SDL_Rect *src = &d->ring_src[k], *t = &d->ring_trim[k];
    direct_quad(d, (int)floorf(cx - (float)src->w / 2 + 0.5f) + t->x - src->x, (int)floorf(cy - (float)src->h / 2 + 0.5f) + t->y - src->y, t, c);
}

bool viz_draw_node_sprites(viz_draw_t *d, float r_node, float rim_w, float r_client)
{
    float max = VIZ_NODE_SPRITE_R_MAX * d->scale;
    if (r_node > max || r_client > max) return false;
    if (r_node == d->node_r && rim_w == d->node_rim && r_client == d->client_r) return true;
    viz_draw_flush(d);        /* what is batched may use the old sprites */
    bool ok = node_sprite_bake(d, 0, VIZ_SPRITE_NODE, r_node, 0) && node_sprite_bake(d, 1, VIZ_SPRITE_RIM, r_node, rim_w) &&
              (r_client <= 0 || node_sprite_bake(d, 2, VIZ_SPRITE_CLIENT, r_client, 0));
    d->node_r = ok ? r_node : 0;
    d->node_rim = rim_w;
    d->client_r = r_client;
    return ok;
}

void viz_sprite(viz_draw_t *d, viz_sprite_id_t s, float cx, float cy, viz_rgba_t c)
{
    if (!c.a) return;
    const SDL_Rect *r = &d->sprite[s];
    float x = floorf(cx - (float)r->w / 2 + 0.5f), y = floorf(cy - (float)r->h / 2 + 0.5f);
    const SDL_Rect *t = &d->sprite_trim[s];
    if (direct_quad(d, (int)x + t->x - r->x, (int)y + t->y - r->y, t, c)) return;
    float aw = (float)d->atlas_w, ah = (float)d->atlas_h;
    quad(&d->textured, x, y, x + (float)r->w, y + (float)r->h, c,
         (float)r->x / aw, (float)r->y / ah, (float)(r->x + r->w) / aw, (float)(r->y + r->h) / ah);
}

/* Decodes one UTF-8 character; advances *s. Malformed bytes read as '?'. */
static uint32_t utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = p[0];
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0) { (*s)++; return '?'; }
    if (n == 0) { (*s)++; return c; }
    c &= 0x3f >> n;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) { *s += i; return '?'; }
        c = c << 6 | (p[i] & 0x3f);
    }
    *s += n + 1;
    return c;
}

static const glyph_t *glyph_of(const font_t *f, uint32_t cp)
{
    if (cp >= ' ' && cp <= '~') {
        const glyph_t *g = &f->ascii[cp - ' '];
        return g->ok ? g : &f->ascii['?' - ' '];
    }
    for (int i = 0; i < N_EXTRA; i++)
        if (extra_cps[i] == cp && f->extra[i].ok) return &f->extra[i];
    return &f->ascii['?' - ' '];
}

float viz_font_height(const viz_draw_t *d, viz_font_id_t f) { return (float)d->font[f].height; }

float viz_text_width(const viz_draw_t *d, viz_font_id_t f, const char *s)
{
    float w = 0;
    while (*s) w += glyph_of(&d->font[f], utf8_next(&s))->adv;
    return w;
}

static float text_run(viz_draw_t *d, viz_font_id_t fi, float x, float y, const char *s, const char *end, viz_rgba_t c)
{
    const font_t *f = &d->font[fi];
    float pen = floorf(x + 0.5f), top = floorf(y + 0.5f), x0 = pen;
    float aw = (float)d->atlas_w, ah = (float)d->atlas_h;
    while (*s && (!end || s < end)) {
        const glyph_t *g = glyph_of(f, utf8_next(&s));
        SDL_Rect src = {g->x, g->y, g->w, g->h};
        if (g->w && c.a && !direct_quad(d, (int)(pen + g->off), (int)top, &src, c)) {
            float gx = pen + g->off;
            quad(&d->textured, gx, top, gx + g->w, top + g->h, c,
                 (float)g->x / aw, (float)g->y / ah, (float)(g->x + g->w) / aw, (float)(g->y + g->h) / ah);
        }
        pen += g->adv;
    }
    return pen - x0;
}

float viz_text(viz_draw_t *d, viz_font_id_t f, float x, float y, const char *s, viz_rgba_t c)
{
    return text_run(d, f, x, y, s, NULL, c);
}

float viz_text_fit(viz_draw_t *d, viz_font_id_t fi, float x, float y, float max_w, const char *s, viz_rgba_t c)
{
    if (viz_text_width(d, fi, s) <= max_w) return viz_text(d, fi, x, y, s, c);
    const font_t *f = &d->font[fi];
    float ell = glyph_of(f, 0x2026)->adv, w = 0;
    const char *p = s, *cut = s, *word = NULL;
    float word_w = 0;
    while (*p) {
        const char *q = p;
        float a = glyph_of(f, utf8_next(&q))->adv;
        if (w + a + ell > max_w) break;
        if (*p == ' ') { word = p; word_w = w; }
        w += a;
        p = q;
        cut = p;
    }
    /* Cut between words, not inside one ("0 arrivin..."), unless that loses more
     * than half of what fits. */
    if (*cut && *cut != ' ' && word && word_w >= w * 0.5f) cut = word;
    while (cut > s && cut[-1] == ' ') cut--;
    float used = text_run(d, fi, x, y, s, cut, c);
    return used + text_run(d, fi, x + used, y, "\xe2\x80\xa6", NULL, c);
}

float viz_text_wrap(viz_draw_t *d, viz_font_id_t fi, float x, float y, float w, const char *s, viz_rgba_t c, bool dry_run)
{
    const font_t *f = &d->font[fi];
    float lh = (float)f->height, yy = y;
    const char *line = s;
    while (*line) {
        /* Take words while they fit; a word longer than the line is cut. */
        const char *p = line, *brk = NULL;
        float lw = 0;
        while (*p && *p != '\n') {
            const char *q = p;
            float a = glyph_of(f, utf8_next(&q))->adv;
            if (lw + a > w && p > line) break;
            if (*p == ' ') brk = p;
            lw += a;
            p = q;
        }
        const char *end = p, *next = p;
        if (*p && *p != '\n' && brk) { end = brk; next = brk + 1; }
        else if (*p == '\n') next = p + 1;
        if (!dry_run) text_run(d, fi, x, yy, line, end, c);
        yy += lh;
        line = next;
        while (*line == ' ') line++;
    }
    return yy - y;
}
