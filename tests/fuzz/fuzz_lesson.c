/* fuzz_lesson.c -- libFuzzer harness: the lesson loader.
 *
 * Lessons are files an instructor writes, with conditions, actions, questions and
 * highlights in them and a scenario inline or by path: any bytes must get a message or
 * a lesson, never a crash. The loader reads a path, so each input is handed over as an
 * anonymous in-memory file (memfd), without touching the disk. A crash it finds becomes
 * a test in tests/test_fuzz_regress.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lesson/lesson.h"

/* glibc's, declared here: the harness is also compiled inside test_fuzz_regress.c,
 * after headers that were read without _GNU_SOURCE. */
int memfd_create(const char *name, unsigned int flags);

#define FUZZ_LESSON_INPUT_MAX (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_LESSON_INPUT_MAX) return 0;
    int fd = memfd_create("lesson", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) { close(fd); return 0; }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    lesson_t *l = calloc(1, sizeof *l);
    char err[1024];
    if (l && lesson_load_file(path, l, err, sizeof err) == SIM_OK) lesson_free(l);
    free(l);
    close(fd);
    return 0;
}
