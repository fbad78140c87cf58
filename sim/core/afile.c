/* afile.c -- write-beside-and-rename, so that readers see all of a file or none.
 *
 * Two parts are subtle. Error detection: fwrite can succeed into a buffer and the
 * failure appear only at fflush or fclose (a full disk), so commit checks ferror,
 * fflush, fsync and fclose before it renames. And what the target is: rename replaces
 * any directory entry, so a symbolic link, a FIFO or /dev/null itself would be
 * replaced by a regular file. The target is therefore looked at first (links followed
 * by hand, so that a dangling link still names the file to create) and only a regular
 * file, or nothing, is ever renamed over; see afile.h for the whole table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/afile.h"

#define AFILE_LINKS_MAX 40   /* symbolic links followed, as the kernel's own limit */

typedef enum { AFILE_BESIDE, AFILE_STREAM, AFILE_STDOUT } afile_how_t;

/* A target, looked at: where it is once links are followed, and how to write it. */
typedef struct target {
    char path[AFILE_PATH_MAX];
    struct stat st;
    bool exists;
    afile_how_t how;
} target_t;

static int say(char *why, size_t len, int rc, int err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int say(char *why, size_t len, int rc, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    errno = err;
    return rc;
}

/* Paths through /proc and /dev/fd are the kernel's links to open files (/dev/stdout is
 * one): they do not name a place to create a file, only something to write to. */
static bool magic_path(const char *p) { return strncmp(p, "/proc/", 6) == 0 || strncmp(p, "/dev/fd/", 8) == 0; }

/* Follows symbolic links from path and decides how the target is written. */
static int look(const char *path, target_t *t, char *why, size_t len)
{
    memset(t, 0, sizeof *t);
    size_t n = strlen(path);
    if (n == 0) return say(why, len, SIM_EINPUT, EINVAL, "expected a file name, found an empty one");
    if (n >= AFILE_PATH_MAX) return say(why, len, SIM_EINPUT, ENAMETOOLONG, "%.80s...: the path is too long", path);
    if (strcmp(path, "-") == 0) {
        t->how = AFILE_STDOUT;
        memcpy(t->path, path, 2);
        return SIM_OK;
    }
    memcpy(t->path, path, n + 1);
    bool magic = false;
    for (int hop = 0;; hop++) {
        if (magic_path(t->path)) {
            magic = true;
            if (stat(t->path, &t->st) != 0) return say(why, len, SIM_EIO, errno, "cannot write %s: %s", path, strerror(errno));
            t->exists = true;
            break;
        }
        if (lstat(t->path, &t->st) != 0) {
            if (errno != ENOENT) return say(why, len, SIM_EIO, errno, "cannot write %s: %s", path, strerror(errno));
            break;   /* a new file (the folder is checked when the file is created) */
        }
        t->exists = true;
        if (!S_ISLNK(t->st.st_mode)) break;
        if (hop == AFILE_LINKS_MAX) return say(why, len, SIM_EINPUT, ELOOP, "cannot write %s: %s", path, strerror(ELOOP));
        char link[AFILE_PATH_MAX];
        ssize_t k = readlink(t->path, link, sizeof link);
        if (k < 0) return say(why, len, SIM_EIO, errno, "cannot write %s: %s", path, strerror(errno));
        if ((size_t)k >= sizeof link) return say(why, len, SIM_EINPUT, ENAMETOOLONG, "cannot write %s: the link's target is too long", path);
        link[k] = 0;
        /* A relative link is relative to the folder holding the link. */
        const char *slash = strrchr(t->path, '/');
        size_t dir = link[0] == '/' || !slash ? 0 : (size_t)(slash - t->path) + 1;
        if (dir + (size_t)k >= AFILE_PATH_MAX) return say(why, len, SIM_EINPUT, ENAMETOOLONG, "cannot write %s: the link's target is too long", path);
        memcpy(t->path + dir, link, (size_t)k + 1);
        t->exists = false;
    }
    if (!t->exists) { t->how = AFILE_BESIDE; return SIM_OK; }

    mode_t m = t->st.st_mode;
    if (magic) {
        /* Standard output itself (the common /dev/stdout): share its FILE, so what
         * dsim prints there and this file interleave rather than overwrite. */
        struct stat out;
        if (fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == t->st.st_dev && out.st_ino == t->st.st_ino) {
            t->how = AFILE_STDOUT;
            return SIM_OK;
        }
        if (S_ISREG(m) || S_ISFIFO(m) || S_ISCHR(m)) { t->how = AFILE_STREAM; return SIM_OK; }
    }
    if (S_ISFIFO(m) || S_ISCHR(m)) { t->how = AFILE_STREAM; return SIM_OK; }
    if (S_ISDIR(m)) return say(why, len, SIM_EINPUT, EISDIR, "cannot write %s: it is a directory; expected a file name", path);
    if (!S_ISREG(m))
        return say(why, len, SIM_EINPUT, EINVAL, "cannot write %s: it is a %s; dsim writes only to regular files, FIFOs "
                   "and character devices", path, S_ISSOCK(m) ? "socket" : S_ISBLK(m) ? "block device" : "special file");
    /* Read-only by its mode bits: root may write anything, so access() would not tell. */
    if ((m & 0222) == 0 || (geteuid() != 0 && access(t->path, W_OK) != 0))
        return say(why, len, SIM_EINPUT, EACCES, "cannot write %s: it is read-only (mode %04o); dsim does not replace it: "
                   "make it writable or choose another name", path, (unsigned)(m & 07777));
    t->how = AFILE_BESIDE;
    return SIM_OK;
}

/* The temporary file beside t->path, with the mode the result should have. */
static int make_tmp(const target_t *t, char *tmp, size_t tmp_len, const char *path, char *why, size_t len)
{
    snprintf(tmp, tmp_len, "%s.tmpXXXXXX", t->path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        return say(why, len, SIM_EIO, e, "cannot write %s: cannot create a file beside it: %s", path, strerror(e));
    }
    /* mkstemp creates the file readable by its owner only. A replaced file keeps its
     * mode (and, for root, its owner); a new one gets what an ordinary new file would. */
    if (t->exists) {
        (void)fchmod(fd, t->st.st_mode & 07777);
        if (geteuid() == 0) (void)fchown(fd, t->st.st_uid, t->st.st_gid);
    } else {
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask);
    }
    return fd;
}

int afile_open(afile_t *a, const char *path)
{
    memset(a, 0, sizeof *a);
    target_t t;
    int rc = look(path, &t, a->why, sizeof a->why);
    if (rc != SIM_OK) return rc;
    memcpy(a->path, t.path, sizeof a->path);
    if (t.how == AFILE_STDOUT) {
        a->f = stdout;
        a->stream = true;
        return SIM_OK;
    }
    if (t.how == AFILE_STREAM) {
        int fd = open(t.path, O_WRONLY | O_CLOEXEC | (S_ISREG(t.st.st_mode) ? O_APPEND : 0));
        if (fd < 0) return say(a->why, sizeof a->why, SIM_EIO, errno, "cannot write %s: %s", path, strerror(errno));
        a->f = fdopen(fd, "w");
        if (!a->f) {
            int e = errno;
            close(fd);
            return say(a->why, sizeof a->why, SIM_EIO, e, "cannot write %s: %s", path, strerror(e));
        }
        a->stream = true;
        return SIM_OK;
    }
    int fd = make_tmp(&t, a->tmp, sizeof a->tmp, path, a->why, sizeof a->why);
    if (fd < 0) return fd;
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        return say(a->why, sizeof a->why, SIM_EIO, e, "cannot write %s: %s", path, strerror(e));
    }
    return SIM_OK;
}

int afile_check(const char *path, char *why, size_t why_len)
{
    target_t t;
    int rc = look(path, &t, why, why_len);
    if (rc != SIM_OK || t.how != AFILE_BESIDE) return rc;
    char tmp[AFILE_PATH_MAX + 16];
    int fd = make_tmp(&t, tmp, sizeof tmp, path, why, why_len);
    if (fd < 0) return fd;
    close(fd);
    unlink(tmp);
    return SIM_OK;
}

int afile_commit(afile_t *a)
{
    sim_assert(a->f != NULL);
    if (a->stream) {
        bool ok = !ferror(a->f) && fflush(a->f) == 0;
        if (a->f != stdout) ok = (fclose(a->f) == 0) && ok;
        a->f = NULL;
        return ok ? SIM_OK : SIM_EIO;
    }
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
    if (a->stream) {
        if (a->f == stdout) fflush(stdout);
        else fclose(a->f);
        a->f = NULL;
        return;
    }
    fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}
