/* viz.h -- the `dsim view` command: the live view of a scenario, a screenshot of one
 * moment of it, or a measure of how fast it draws.
 *
 * This is all the command line needs to know of viz/; it includes no SDL, so sim/cli
 * compiles without SDL's headers and only the final link brings SDL in.
 */
#ifndef VIZ_VIZ_H
#define VIZ_VIZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Runs `dsim view` with argv[0] == "view". Returns the exit status: 0 success, 2 bad
 * input (a flag, a file) or no display for a window. */
int viz_main(int argc, char **argv);

typedef struct lesson lesson_t;
/* Draws step `step` of a lesson (the steps before it played with their solutions, its
 * first hint shown) with the lesson panel over the view, into a w x h PNG. Returns 0,
 * or 2 with a sentence in err. */
int viz_lesson_screenshot(const lesson_t *l, uint32_t step, const char *png, int w, int h, char *err, size_t err_len);

/* Opens the lesson in the window at *step (from 0): the view of its run with the lesson
 * panel; Enter or Next goes on, PageUp or Back goes back, Tab gives a hint, F5 shows
 * the solution, 1 to 8 choose an answer (or type a number and Enter). On return *step
 * is the step reached and *finished says whether the student finished it. Returns 0,
 * or 2 with a sentence in err (no display, ...). */
int viz_lesson_window(const lesson_t *l, uint32_t *step, bool *finished, char *err, size_t err_len);
/* The same panel and keys without a window, for tests: each character of keys is a key
 * ('\n' Enter, '\t' Tab, '<' PageUp, '!' F5, digits; ' ' plays one second), then the
 * frame is saved to png (NULL: none). *step is the step reached. Returns 0 or 2. */
/* The lesson builder: opens the scenario in the window, paused; every moment the
 * instructor pauses at becomes a step and the actions between become tasks, written to
 * out_path as a lesson (narration left to fill in) when the window closes. 0 or 2. */
int viz_lesson_record(const char *scenario_path, const char *out_path, char *err, size_t err_len);
int viz_lesson_script(const lesson_t *l, const char *keys, const char *png, uint32_t *step, char *err, size_t err_len);

#endif
