/* draw.h -- anti-aliased shapes and text, batched into few SDL_RenderGeometry calls.
 *
 * Every shape is triangles with a feathered edge: a solid core and a one-pixel rim
 * whose alpha falls to zero, which is what anti-aliasing amounts to when the renderer
 * has none of its own (SDL's software renderer). Shapes collect in one vertex batch and
 * text and sprites in another (textured from one atlas), and each batch is drawn with
 * one call when it is flushed, shapes first. Callers flush between layers that must
 * stack (links under messages under nodes).
 *
 * Text comes from one atlas of pre-rendered glyphs (SDL2_ttf, DejaVu Sans), so a
 * string is a run of textured quads in the same batch as everything else, not a
 * texture per string. Message dots are sprites in the same atlas. SDL's software
 * renderer turns axis-aligned quads of one colour into blits and fills, its fastest
 * paths, so quads are always emitted as two triangles split along the top-left to
 * bottom-right diagonal, which is the form it recognises.
 *
 * On the software renderer a triangle costs its bounding box, so long thin shapes (a
 * line across the window) are cut into short pieces there.
 */
#ifndef VIZ_DRAW_H
#define VIZ_DRAW_H

#include <SDL.h>
#include <SDL_ttf.h>
#include "theme.h"

typedef enum {
    VIZ_FONT_SMALL,   /* labels, legends */
    VIZ_FONT_BODY,
    VIZ_FONT_BOLD,
    VIZ_FONT_TITLE,
    VIZ_FONT_MONO,    /* exported state */
    VIZ_FONT_COUNT_
} viz_font_id_t;

typedef enum {
    VIZ_SPRITE_DOT,   /* a message */
    VIZ_SPRITE_RING,  /* the rim around a doomed or duplicated message */
    VIZ_SPRITE_HALO,  /* a soft glow behind a hovered message */
    VIZ_SPRITE_DOT_SMALL,  /* a message when thousands are in flight */
    VIZ_SPRITE_CROSS, /* where a message was dropped: arms of 3.2, strokes 1.4 wide */
    VIZ_SPRITE_NODE,  /* a server's disc, at the layout's radius (viz_draw_node_sprites) */
    VIZ_SPRITE_RIM,   /* its outline */
    VIZ_SPRITE_CLIENT,
    VIZ_SPRITE_COUNT_
} viz_sprite_id_t;

#define VIZ_NODE_SPRITE_R_MAX 40.0f  /* logical pixels: larger discs are drawn as triangles */

#define VIZ_DRAW_VERTS_INIT (1u << 16)
#define VIZ_SEGMENT_SW_PX 28.0f      /* longest triangle edge along a line on the software renderer */

typedef struct viz_draw viz_draw_t;

/* Finds DejaVu Sans (fc-match, then the usual directories; DSIM_FONT overrides) and
 * builds the atlas for this renderer at this scale. NULL with a sentence in err. */
viz_draw_t *viz_draw_create(SDL_Renderer *r, float scale, char *err, size_t err_len);
void viz_draw_destroy(viz_draw_t *d);
/* Rebuilds the atlas when the scale changed (the window moved to a high-DPI screen). */
int viz_draw_set_scale(viz_draw_t *d, float scale, char *err, size_t err_len);
float viz_draw_scale(const viz_draw_t *d);
bool viz_draw_software(const viz_draw_t *d);
SDL_Renderer *viz_draw_renderer(const viz_draw_t *d);

/* Draws what is batched: shapes, then text and sprites. */
void viz_draw_flush(viz_draw_t *d);
/* Flushes and limits drawing to a rectangle (NULL: the whole target). */
void viz_draw_clip(viz_draw_t *d, const SDL_Rect *r);
/* Triangles drawn by the last frame's flushes, for the benchmark. */
uint64_t viz_draw_triangles(const viz_draw_t *d);

void viz_fill_rect(viz_draw_t *d, float x, float y, float w, float h, viz_rgba_t c);
void viz_fill_round_rect(viz_draw_t *d, float x, float y, float w, float h, float rad, viz_rgba_t c);
void viz_stroke_round_rect(viz_draw_t *d, float x, float y, float w, float h, float rad, float width, viz_rgba_t c);
void viz_fill_circle(viz_draw_t *d, float cx, float cy, float r, viz_rgba_t c);
void viz_stroke_circle(viz_draw_t *d, float cx, float cy, float r, float width, viz_rgba_t c);
void viz_line(viz_draw_t *d, float x0, float y0, float x1, float y1, float width, viz_rgba_t c);
void viz_dashed_line(viz_draw_t *d, float x0, float y0, float x1, float y1, float width, float dash, float gap, viz_rgba_t c);
/* An open or closed polyline with mitred joins; xy holds n (x, y) pairs. */
void viz_stroke_poly(viz_draw_t *d, const float *xy, int n, bool closed, float width, viz_rgba_t c);
/* A convex polygon, feathered outwards. */
void viz_fill_convex(viz_draw_t *d, const float *xy, int n, viz_rgba_t c);
/* A one-pixel line: the cheapest mark, for dense diagrams (anti-aliased when drawn
 * into a target surface, see viz_draw_set_target). */
void viz_thin_line(viz_draw_t *d, float x0, float y0, float x1, float y1, viz_rgba_t c);

void viz_sprite(viz_draw_t *d, viz_sprite_id_t s, float cx, float cy, viz_rgba_t c);
/* On the software renderer the target is a surface in memory, and copies from the
 * atlas (glyphs, message dots, node discs) are cheaper blended straight into it than
 * sent one by one through SDL's blitter, which costs a command per copy (about a fifth
 * of the time for five thousand messages); thin lines are likewise drawn into it, with
 * anti-aliasing SDL's own lines lack. The view names that surface here each frame
 * (NULL: everything through SDL). They land when the batch is flushed, after the
 * shapes, in the same order SDL would have drawn them. Only 32-bit XRGB/ARGB surfaces
 * qualify. */
void viz_draw_set_target(viz_draw_t *d, SDL_Surface *target);
/* Bakes the node sprites for these radii (pixels) if they changed: a disc of r_node,
 * its rim of rim_w inside the edge, and a client disc of r_client. Returns false when
 * they do not fit (the caller draws circles instead). A hundred nodes are then two
 * hundred blits instead of fifteen thousand triangles on the software renderer. */
bool viz_draw_node_sprites(viz_draw_t *d, float r_node, float rim_w, float r_client);
float viz_sprite_radius(const viz_draw_t *d, viz_sprite_id_t s);
/* The ring viz_stroke_circle draws, as a sprite baked for its radius and width when it
 * can be blended straight into the target (the software renderer): a ring of triangles
 * there costs a hundred of them, and rings around hundreds of nodes (the groups of a
 * partition) were most of a frame. Being a sprite, it lands with the text and sprites,
 * over the batch's shapes, at a whole pixel. Other renderers get viz_stroke_circle. */
void viz_ring(viz_draw_t *d, float cx, float cy, float r, float width, viz_rgba_t c);

/* Text with its top-left corner at (x, y); returns its width. UTF-8, with the
 * characters the atlas holds (ASCII and a few signs); others show as '?'. */
float viz_text(viz_draw_t *d, viz_font_id_t f, float x, float y, const char *s, viz_rgba_t c);
/* The same, cut with an ellipsis to fit max_w. */
float viz_text_fit(viz_draw_t *d, viz_font_id_t f, float x, float y, float max_w, const char *s, viz_rgba_t c);
float viz_text_width(const viz_draw_t *d, viz_font_id_t f, const char *s);
float viz_font_height(const viz_draw_t *d, viz_font_id_t f);
/* Word-wrapped text within width w; returns the height used. Draws nothing when
 * dry_run (to measure first). */
float viz_text_wrap(viz_draw_t *d, viz_font_id_t f, float x, float y, float w, const char *s, viz_rgba_t c, bool dry_run);

#endif
