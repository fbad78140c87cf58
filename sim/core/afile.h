/* afile.h -- files written completely or not at all: a temporary file beside the
 * target, renamed into place when everything was written.
 *
 * Exports (histories, pictures) are read by other programs and by people; a crash or
 * a full disk half-way through must never leave a truncated file that looks valid.
 * rename(2) within one directory is atomic on POSIX file systems, so the target is
 * either the old file or the complete new one. The temporary file lives beside the
 * target (not in /tmp) because rename cannot cross file systems.
 */
#ifndef SIM_AFILE_H
#define SIM_AFILE_H

#include <stdio.h>
#include "core/base.h"

#define AFILE_PATH_MAX 4096   /* bytes of the target path, including the terminator */

typedef struct afile {
    FILE *f;                       /* write here between open and commit */
    char path[AFILE_PATH_MAX];     /* the target */
    char tmp[AFILE_PATH_MAX + 16]; /* the temporary file beside it */
} afile_t;

/* Creates the temporary file. Returns SIM_OK, SIM_EINPUT (path too long) or SIM_EIO;
 * on error nothing is left behind. */
int afile_open(afile_t *a, const char *path);
/* Flushes, syncs and renames into place. Returns SIM_OK or SIM_EIO (the temporary file
 * is removed and the target is unchanged). Either way the afile_t is closed. */
int afile_commit(afile_t *a);
/* Gives up: closes and removes the temporary file; the target is unchanged. */
void afile_abort(afile_t *a);

#endif
