/* afile.c -- write-beside-and-rename, so that readers see all of a file or none.
 *
 * The only subtle part is error detection: fwrite can succeed into a buffer and the
 * failure appear only at fflush or fclose (a full disk), so commit checks ferror,
 * fflush, fsync and fclose before it renames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/afile.h"

int afile_open(afile_t *a, const char *path)
{
    memset(a, 0, sizeof *a);
    size_t len = strlen(path);
    if (len == 0 || len >= AFILE_PATH_MAX) return SIM_EINPUT;
    memcpy(a->path, path, len + 1);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmpXXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0) return SIM_EIO;
    /* mkstemp creates the file readable by its owner only; an export should get the
     * permissions an ordinary new file would. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    a->f = fdopen(fd, "w");
    if (!a->f) {
        close(fd);
        unlink(a->tmp);
        return SIM_EIO;
    }
    return SIM_OK;
}

int afile_commit(afile_t *a)
{
    sim_assert(a->f != NULL);
    bool ok = !ferror(a->f) && fflush(a->f) == 0 && fsync(fileno(a->f)) == 0;
    ok = (fclose(a->f) == 0) && ok;
    a->f = NULL;
    if (ok && rename(a->tmp, a->path) == 0) return SIM_OK;
    unlink(a->tmp);
    return SIM_EIO;
}

void afile_abort(afile_t *a)
{
    if (!a->f) return;
    fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}
