/* viz.h -- the `dsim view` command: the live view of a scenario, a screenshot of one
 * moment of it, or a measure of how fast it draws.
 *
 * This is all the command line needs to know of viz/; it includes no SDL, so sim/cli
 * compiles without SDL's headers and only the final link brings SDL in.
 */
#ifndef VIZ_VIZ_H
#define VIZ_VIZ_H

/* Runs `dsim view` with argv[0] == "view". Returns the exit status: 0 success, 2 bad
 * input (a flag, a file) or no display for a window. */
int viz_main(int argc, char **argv);

typedef struct lesson lesson_t;
/* Draws step `step` of a lesson (the steps before it played with their solutions, its
 * first hint shown) with the lesson panel over the view, into a w x h PNG. Returns 0,
 * or 2 with a sentence in err. */
int viz_lesson_screenshot(const lesson_t *l, uint32_t step, const char *png, int w, int h, char *err, size_t err_len);

#endif
