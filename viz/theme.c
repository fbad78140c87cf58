/* theme.c -- the two palettes.
 *
 * Okabe-Ito, by role family: leading roles (leader, primary, head, coordinator)
 * orange; waiting ones (candidate) yellow; following ones (follower, backup,
 * participant, replica) sky blue; the chain's middle blue and its tail bluish green;
 * a configuration master, which leads no replication, reddish purple.
 * Message types never take a role's colour (a vote-reply used to be as orange as the
 * leader it elects): requests are grey and replies slate, and the
 * protocol's own types take Paul Tol's muted scheme (rose, olive, indigo, wine, teal,
 * then pink or navy, sand and brown: sand, nearest the candidate's yellow, comes late,
 * where only rare types reach), lightened on the dark canvas. An epidemic's three
 * states take colours no role or message has, from Paul Tol's "vibrant" and "light"
 * schemes, apart in lightness too: susceptible pale (blue on the light canvas),
 * infective a deep magenta (Tol's vibrant magenta was too near the wine and rose
 * of message dots), removed green. tests/test_theme.c checks that every two
 * meanings stay apart.
 */
#include "theme.h"

#define C(r, g, b) {r, g, b, 255}

#define OI_ORANGE C(0xE6, 0x9F, 0x00)
#define OI_SKY C(0x56, 0xB4, 0xE9)
#define OI_GREEN C(0x00, 0x9E, 0x73)
#define OI_YELLOW C(0xF0, 0xE4, 0x42)
#define OI_BLUE C(0x00, 0x72, 0xB2)
#define OI_VERMILLION C(0xD5, 0x5E, 0x00)
#define OI_PURPLE C(0xCC, 0x79, 0xA7)

const viz_theme_t viz_theme_dark = {
    .name = "dark",
    .dark = true,
    .bg = C(0x15, 0x17, 0x1c),
    .panel = C(0x1c, 0x1f, 0x26),
    .panel_alt = C(0x22, 0x26, 0x2e),
    .border = C(0x2e, 0x33, 0x3d),
    .text = C(0xe8, 0xea, 0xed),
    .text_dim = C(0xa2, 0xa8, 0xb1),
    .text_faint = C(0x6c, 0x73, 0x7d),
    .link = C(0x3a, 0x40, 0x4c),
    .accent = C(0x56, 0xB4, 0xE9),
    .danger = OI_VERMILLION,
    .ok = OI_GREEN,
    .node = C(0x8b, 0x9d, 0xb8),
    .node_text_dark = C(0x14, 0x16, 0x1a),
    .node_text_light = C(0xf4, 0xf5, 0xf7),
    .crashed = C(0x55, 0x55, 0x55),
    .crashed_mark = C(0x9a, 0x9a, 0x9a),
    .client = C(0xb9, 0xc0, 0xca),
    .tooltip = C(0x2a, 0x2e, 0x37),
    .shadow = {0, 0, 0, 150},
    .json_key = C(0x8c, 0xc8, 0xf0),
    .json_str = C(0x9c, 0xd6, 0xa8),
    .json_num = C(0xf0, 0xc0, 0x70),
    .json_lit = C(0xd8, 0xa0, 0xc8),
    .role = {
        [SIM_ROLE_NONE] = C(0x8b, 0x9d, 0xb8),
        [SIM_ROLE_FOLLOWER] = OI_SKY, [SIM_ROLE_CANDIDATE] = OI_YELLOW, [SIM_ROLE_LEADER] = OI_ORANGE,
        [SIM_ROLE_PRIMARY] = OI_ORANGE, [SIM_ROLE_BACKUP] = OI_SKY,
        [SIM_ROLE_HEAD] = OI_ORANGE, [SIM_ROLE_MIDDLE] = OI_BLUE, [SIM_ROLE_TAIL] = OI_GREEN,
        [SIM_ROLE_COORDINATOR] = OI_ORANGE, [SIM_ROLE_PARTICIPANT] = OI_SKY,
        [SIM_ROLE_MASTER] = OI_PURPLE, [SIM_ROLE_REPLICA] = OI_SKY,
    },
    .msg = {C(0xd8, 0xd8, 0xd8), C(0x6e, 0x7c, 0x8c), C(0xe8, 0x70, 0x5a), C(0x99, 0x99, 0x33), C(0x8f, 0x7f, 0xe0),
            C(0xb8, 0x4a, 0x82), C(0x44, 0xaa, 0x99), C(0xff, 0xaa, 0xbb), C(0xdd, 0xcc, 0x77), C(0xa8, 0x7a, 0x50)},
    .group = {OI_SKY, OI_ORANGE, OI_GREEN, OI_PURPLE, OI_YELLOW, C(0x3a, 0x8f, 0xd0)},
    .sir = {C(0x99, 0xDD, 0xFF), C(0xE6, 0x00, 0xB8), C(0x22, 0x88, 0x33)},
};

const viz_theme_t viz_theme_light = {
    .name = "light",
    .dark = false,
    .bg = C(0xf7, 0xf6, 0xf3),
    .panel = C(0xff, 0xff, 0xff),
    .panel_alt = C(0xf2, 0xf3, 0xf5),
    .border = C(0xdc, 0xdf, 0xe4),
    .text = C(0x1f, 0x23, 0x28),
    .text_dim = C(0x55, 0x5c, 0x66),
    .text_faint = C(0x8d, 0x93, 0x9b),
    .link = C(0xcf, 0xd3, 0xda),
    .accent = OI_BLUE,
    .danger = OI_VERMILLION,
    .ok = OI_GREEN,
    .node = C(0x6f, 0x86, 0xa6),
    .node_text_dark = C(0x14, 0x16, 0x1a),
    .node_text_light = C(0xff, 0xff, 0xff),
    .crashed = C(0xb8, 0xb8, 0xb8),
    .crashed_mark = C(0x70, 0x70, 0x70),
    .client = C(0x8a, 0x92, 0x9e),
    .tooltip = C(0xff, 0xff, 0xff),
    .shadow = {0x20, 0x28, 0x38, 70},
    .json_key = C(0x00, 0x5f, 0x99),
    .json_str = C(0x1f, 0x7a, 0x3a),
    .json_num = C(0xa8, 0x5a, 0x00),
    .json_lit = C(0x9a, 0x3c, 0x78),
    .role = {
        [SIM_ROLE_NONE] = C(0x6f, 0x86, 0xa6),
        [SIM_ROLE_FOLLOWER] = OI_SKY, [SIM_ROLE_CANDIDATE] = OI_YELLOW, [SIM_ROLE_LEADER] = OI_ORANGE,
        [SIM_ROLE_PRIMARY] = OI_ORANGE, [SIM_ROLE_BACKUP] = OI_SKY,
        [SIM_ROLE_HEAD] = OI_ORANGE, [SIM_ROLE_MIDDLE] = OI_BLUE, [SIM_ROLE_TAIL] = OI_GREEN,
        [SIM_ROLE_COORDINATOR] = OI_ORANGE, [SIM_ROLE_PARTICIPANT] = OI_SKY,
        [SIM_ROLE_MASTER] = OI_PURPLE, [SIM_ROLE_REPLICA] = OI_SKY,
    },
    .msg = {C(0x50, 0x50, 0x50), C(0x78, 0x90, 0xa8), C(0xaa, 0x44, 0x55), C(0x77, 0x77, 0x11), C(0x44, 0x33, 0x99),
            C(0x88, 0x22, 0x55), C(0x1a, 0x5f, 0x55), C(0x2a, 0x2a, 0x6a), C(0xb8, 0xa0, 0x40), C(0x8a, 0x5a, 0x30)},
    .group = {OI_SKY, OI_ORANGE, OI_GREEN, OI_PURPLE, C(0xd0, 0xc0, 0x20), OI_BLUE},
    .sir = {C(0x33, 0x66, 0xCC), C(0xE6, 0x00, 0xB8), C(0x66, 0xAA, 0x55)},
};

viz_rgba_t viz_role_color(const viz_theme_t *t, sim_role_t r)
{
    return (unsigned)r < SIM_ROLE_COUNT_ ? t->role[r] : t->node;
}

/* A protocol's own role takes the colour of the built-in role of its class. */
viz_rgba_t viz_class_color(const viz_theme_t *t, sim_role_class_t c)
{
    static const sim_role_t like[] = {SIM_ROLE_REPLICA, SIM_ROLE_FOLLOWER, SIM_ROLE_CANDIDATE, SIM_ROLE_LEADER};
    return t->role[like[(unsigned)c < SIM_ARRAY_LEN(like) ? c : 0]];
}

viz_rgba_t viz_msg_color(const viz_theme_t *t, unsigned type)
{
    return t->msg[type % VIZ_MSG_COLORS];
}
