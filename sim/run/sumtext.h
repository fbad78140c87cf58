/* sumtext.h -- a protocol's lines of the human summary, rendered from the JSON summary.
 *
 * A protocol declares its lines as templates over the summary (proto_line_t in
 * proto/proto.h), so `dsim run` and `dsim run --json` show the same numbers by
 * construction: the human line is the JSON read aloud. A line whose numbers are
 * missing or null does not apply to this run and is left out.
 */
#ifndef SIM_RUN_SUMTEXT_H
#define SIM_RUN_SUMTEXT_H

#include "core/sim.h"

#define SUMTEXT_LINES_MAX 64        /* rendered lines kept; the rest are dropped */
#define SUMTEXT_LINE_MAX 320        /* bytes of one rendered line */

typedef struct sumtext {
    uint32_t n;
    char label[SUMTEXT_LINES_MAX][24];
    char text[SUMTEXT_LINES_MAX][SUMTEXT_LINE_MAX];
} sumtext_t;

/* Renders lines (terminated by {NULL}) against summary_json, the text of a JSON
 * summary. Returns SIM_OK, or SIM_EINPUT when the JSON does not parse (out is empty). */
int sumtext_render(const char *summary_json, const proto_line_t *lines, sumtext_t *out);

/* Renders one template into buf; false when a path is missing or null. For tests
 * and for a caller with lines of its own. */
bool sumtext_line(const char *summary_json, const char *tpl, char *buf, size_t len);

/* Looks up n numbers at once (paths as in templates; "[-1]" is a list's last element),
 * parsing the summary once: out[i] is NAN where paths[i] names no number. Returns
 * SIM_OK, or SIM_EINPUT when the JSON does not parse. */
int sumtext_numbers(const char *summary_json, const char *const *paths, uint32_t n, double *out);

/* The length of the list at path, or 0. */
uint32_t sumtext_count(const char *summary_json, const char *path);

#endif
