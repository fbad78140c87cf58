/* afile.h -- files written completely or not at all: a temporary file beside the
 * target, renamed into place when everything was written.
 *
 * Exports (histories, pictures) are read by other programs and by people; a crash or
 * a full disk half-way through must never leave a truncated file that looks valid.
 * rename(2) within one directory is atomic on POSIX file systems, so the target is
 * either the old file or the complete new one. The temporary file lives beside the
 * target (not in /tmp) because rename cannot cross file systems.
 *
 * Renaming replaces whatever is at the path, so it is done only onto a regular file
 * or onto nothing, and only what the target is decides how it is written:
 *
 *   nothing, a regular file    beside and rename; a replaced file keeps its mode
 *   a symbolic link            followed: the file it names is written (beside it)
 *   a FIFO, a character device streamed to directly (/dev/null, a terminal, a pipe);
 *   "-", /dev/stdout, /proc/   so are standard output and paths through /proc or /dev/fd
 *   a read-only file, a directory, a socket, a block device
 *                              refused, with a sentence in `why`
 *
 * A stream cannot be taken back: abort after writing to one leaves what was written.
 */
#ifndef SIM_AFILE_H
#define SIM_AFILE_H

#include <stdio.h>
#include "core/base.h"

#define AFILE_PATH_MAX 4096   /* bytes of the target path, including the terminator */

typedef struct afile {
    FILE *f;                       /* write here between open and commit */
    char path[AFILE_PATH_MAX];     /* the target, symbolic links followed */
    char tmp[AFILE_PATH_MAX + 16]; /* the temporary file beside it ("" when streaming) */
    bool stream;                   /* writing straight to the target (a FIFO, a device, stdout) */
    char why[AFILE_PATH_MAX + 160];/* after an error: what went wrong, as a sentence */
} afile_t;

/* Creates the temporary file, or opens the stream (see above). Returns SIM_OK,
 * SIM_EINPUT (path too long or empty, a target that must not be replaced) or SIM_EIO,
 * with a->why set and errno kept; on error nothing is left behind. */
int afile_open(afile_t *a, const char *path);
/* Says whether afile_open would accept path, without writing anything: a program checks
 * its output paths before a long run rather than fail after it. For a new or regular
 * file it creates and removes a temporary file beside the target. Returns SIM_OK, or
 * SIM_EINPUT / SIM_EIO with a sentence in why. */
int afile_check(const char *path, char *why, size_t why_len);
/* Flushes, syncs and renames into place. Returns SIM_OK or SIM_EIO (the temporary file
 * is removed and the target is unchanged). Either way the afile_t is closed. */
int afile_commit(afile_t *a);
/* Gives up: closes and removes the temporary file; the target is unchanged (a stream
 * keeps what was written to it). */
void afile_abort(afile_t *a);

#endif
