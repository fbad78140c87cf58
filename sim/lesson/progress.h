/* progress.h -- what a student has done: lessons finished and the step reached.
 *
 * Kept per user in one small text file under the XDG state directory
 * ($XDG_STATE_HOME/dsim/lessons, by default ~/.local/state/dsim/lessons), one line per
 * lesson: its name, the step reached (from 0), and 1 when finished. A plain file, so a
 * student can read it, and losing it loses nothing but the ticks.
 */
#ifndef SIM_LESSON_PROGRESS_H
#define SIM_LESSON_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#define PROGRESS_LESSONS_MAX 128     /* lessons remembered */

typedef struct progress_entry {
    char name[64];
    int step;                        /* the furthest step reached, from 0 */
    bool done;
} progress_entry_t;

typedef struct progress {
    char path[1024];
    int n;
    progress_entry_t e[PROGRESS_LESSONS_MAX];
} progress_t;

/* Reads the file (a missing one is no progress). Never fails: progress is a nicety. */
void progress_load(progress_t *p);
/* Writes it back, creating the folders. Returns SIM_OK or SIM_EIO. */
int progress_save(const progress_t *p);
/* The entry of a lesson, added when new (NULL when the table is full). */
progress_entry_t *progress_of(progress_t *p, const char *name);
/* Forgets everything (removes the file). */
int progress_reset(progress_t *p);

#endif
