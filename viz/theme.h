/* theme.h -- the view's two palettes (a calm dark one and a light one) and how roles,
 * message types and partition groups map to colours.
 *
 * Roles and message types use the Okabe-Ito palette (Okabe and Ito, "Color Universal
 * Design", 2002): eight colours that stay distinct for the common forms of colour
 * blindness. Vermillion is kept for what went wrong (drops, cuts, violations), so no
 * role or message type uses it. Message types take colours of their own, greys and
 * Paul Tol's "muted" scheme (also designed for colour-blind readers), so that no
 * colour means two things: an orange dot is never a message while orange means leader. The palettes are data, so a test can ask what colour
 * a leader must be and look for it in a screenshot.
 */
#ifndef VIZ_THEME_H
#define VIZ_THEME_H

#include <stdint.h>
#include "proto/proto.h"

typedef struct viz_rgba { uint8_t r, g, b, a; } viz_rgba_t;

#define VIZ_MSG_COLORS 10
#define VIZ_GROUP_COLORS 6

typedef struct viz_theme {
    const char *name;
    bool dark;
    viz_rgba_t bg;                 /* the canvas */
    viz_rgba_t panel, panel_alt;   /* side panel, strip and bars; alternate rows */
    viz_rgba_t border;
    viz_rgba_t text, text_dim, text_faint;
    viz_rgba_t link;               /* idle links between nodes */
    viz_rgba_t accent;             /* selection, the time cursor */
    viz_rgba_t danger;             /* drops, cuts, violations: vermillion */
    viz_rgba_t ok;                 /* invariants holding */
    viz_rgba_t node;               /* a server without a role */
    viz_rgba_t node_text_dark, node_text_light;
    viz_rgba_t crashed, crashed_mark;
    viz_rgba_t client;
    viz_rgba_t tooltip, shadow;
    viz_rgba_t json_key, json_str, json_num, json_lit;
    viz_rgba_t role[SIM_ROLE_COUNT_];
    viz_rgba_t msg[VIZ_MSG_COLORS];
    viz_rgba_t group[VIZ_GROUP_COLORS];
    viz_rgba_t sir[3];             /* epidemics: susceptible, infective, removed */
} viz_theme_t;

extern const viz_theme_t viz_theme_dark, viz_theme_light;

/* The fill of a server holding role r (the plain node colour for SIM_ROLE_NONE). */
viz_rgba_t viz_role_color(const viz_theme_t *t, sim_role_t r);
viz_rgba_t viz_class_color(const viz_theme_t *t, sim_role_class_t c);
/* The colour of message type `type` (0 request, 1 reply, then the protocol's). */
viz_rgba_t viz_msg_color(const viz_theme_t *t, unsigned type);

static inline viz_rgba_t viz_alpha(viz_rgba_t c, float a)
{
    float v = (float)c.a * a;
    c.a = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
    return c;
}
static inline viz_rgba_t viz_mix(viz_rgba_t a, viz_rgba_t b, float t)
{
    viz_rgba_t c;
    c.r = (uint8_t)((float)a.r + ((float)b.r - (float)a.r) * t + 0.5f);
    c.g = (uint8_t)((float)a.g + ((float)b.g - (float)a.g) * t + 0.5f);
    c.b = (uint8_t)((float)a.b + ((float)b.b - (float)a.b) * t + 0.5f);
    c.a = (uint8_t)((float)a.a + ((float)b.a - (float)a.a) * t + 0.5f);
    return c;
}
/* Relative luminance in [0, 1] (sRGB weights, no linearisation: enough to choose a
 * text colour that reads on a fill). */
static inline float viz_luma(viz_rgba_t c) { return (0.299f * c.r + 0.587f * c.g + 0.114f * c.b) / 255.0f; }

#endif
