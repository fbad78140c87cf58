/* svg.h -- a history drawn as a picture: one lane per client, one bar per operation,
 * the operations behind a linearizability violation in red, and the verdict as caption.
 *
 * The picture is what a teacher would draw on the board: bars from invocation to
 * completion, so that overlap (concurrency) is visible at a glance. Bars are placed by
 * the order of events rather than by time to scale, because order is what
 * linearizability depends on and because a history's times can be anything from line
 * numbers to nanoseconds; the exact times are in each bar's tooltip.
 *
 * For a violation only the violated key is drawn (its operations are the argument),
 * and when it has more than SVG_OPS_MAX operations, those nearest the culprit.
 */
#ifndef SIM_SVG_H
#define SIM_SVG_H

#include "core/history.h"
#include "check/lincheck.h"

#define SVG_OPS_MAX 600   /* operations drawn in one picture */

/* Writes the picture to path, atomically (a file beside it, then renamed). r may be
 * NULL: the history is drawn without a verdict. Returns SIM_OK, SIM_EINPUT (a history
 * whose invokes and completions do not pair up) or SIM_EIO. */
int lin_write_svg(const hist_t *h, const lin_result_t *r, const char *path);

#endif
