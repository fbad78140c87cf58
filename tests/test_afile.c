/* test_afile.c -- exports written completely or not at all, and never over something
 * that is not theirs to replace.
 *
 * Each kind of target gets its own case: a regular file (replaced, keeping its mode), a
 * symbolic link (followed), a FIFO and a character device (streamed to, left as they
 * are), standard output, and what is refused (a read-only file, a directory, a socket,
 * a block device). Device nodes are made in a temporary folder when the tests run as
 * root, never taken from /dev. The suite runs as root in CI, and root may write any
 * file, so "read-only" is a matter of mode bits here.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/afile.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/dsim-test-afile-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *in_dir(const char *name)
{
    static char paths[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(paths[k], sizeof paths[k], "%s/%s", dir, name);
    return paths[k];
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_content(const char *path, const char *want)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    assert_string_equal(buf, want);
}

/* Only what the test made is in the folder: no temporary file was left behind. */
static void expect_no_leftovers(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp")) fail_msg("left behind: %s", e->d_name);
    closedir(d);
}

static int write_through(const char *path, const char *text)
{
    afile_t a;
    int rc = afile_open(&a, path);
    if (rc != SIM_OK) return rc;
    fputs(text, a.f);
    return afile_commit(&a);
}

static void test_afile_replaced_file_keeps_its_mode(void **state)
{
    const char *p = in_dir("kept.txt");
    put(p, "old");
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(write_through(p, "new"), SIM_OK);
    expect_content(p, "new");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    expect_no_leftovers();
}

static void test_afile_follows_a_symlink_to_its_target(void **state)
{
    const char *target = in_dir("target.txt"), *link = in_dir("link.txt");
    put(target, "old");
    assert_int_equal(chmod(target, 0600), 0);
    assert_int_equal(symlink("target.txt", link), 0);   /* relative, as people make them */
    assert_int_equal(write_through(link, "new"), SIM_OK);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_content(target, "new");
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    /* A dangling link names the file to create. */
    const char *later = in_dir("later.txt"), *dangling = in_dir("dangling.txt");
    assert_int_equal(symlink(later, dangling), 0);
    assert_int_equal(write_through(dangling, "made"), SIM_OK);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_content(later, "made");
    expect_no_leftovers();
}

static void test_afile_streams_to_a_fifo(void **state)
{
    const char *p = in_dir("fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(write_through(p, "through the pipe"), SIM_OK);
    char buf[64] = {0};
    assert_int_equal(read(rd, buf, sizeof buf - 1), 16);
    assert_string_equal(buf, "through the pipe");
    close(rd);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    expect_no_leftovers();
}

static void test_afile_streams_to_a_character_device(void **state)
{
    /* A null device of the test's own: the real /dev/null is not put at risk. */
    const char *p = in_dir("null");
    if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) != 0) skip();   /* not root */
    assert_int_equal(write_through(p, "into nothing"), SIM_OK);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(1, 3));
    expect_no_leftovers();
}

static void test_afile_writes_dash_and_dev_stdout_to_standard_output(void **state)
{
    const char *out = in_dir("stdout.txt");
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    int rc1 = write_through("-", "dash ");
    int rc2 = write_through("/dev/stdout", "and the link");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(rc1, SIM_OK);
    assert_int_equal(rc2, SIM_OK);
    expect_content(out, "dash and the link");
    struct stat st;
    assert_int_equal(lstat("/dev/stdout", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

static void expect_refused(const char *path, const char *part)
{
    afile_t a;
    int rc = afile_open(&a, path);
    if (rc == SIM_OK) { afile_abort(&a); fail_msg("%s was accepted", path); }
    assert_int_equal(rc, SIM_EINPUT);
    if (!strstr(a.why, part)) fail_msg("expected \"%s\" in \"%s\"", part, a.why);
    char why[512];
    assert_int_equal(afile_check(path, why, sizeof why), SIM_EINPUT);
    assert_string_equal(why, a.why);
}

static void test_afile_refuses_what_it_must_not_replace(void **state)
{
    const char *ro = in_dir("read-only.txt");
    put(ro, "keep me");
    assert_int_equal(chmod(ro, 0444), 0);
    expect_refused(ro, "it is read-only (mode 0444)");
    expect_content(ro, "keep me");
    struct stat st;
    assert_int_equal(stat(ro, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0444);

    expect_refused(dir, "it is a directory");

    const char *sock = in_dir("sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    expect_refused(sock, "it is a socket");
    close(s);
    assert_int_equal(lstat(sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));

    const char *blk = in_dir("blk");
    if (mknod(blk, S_IFBLK | 0600, makedev(7, 200)) == 0) {
        expect_refused(blk, "it is a block device");
        assert_int_equal(lstat(blk, &st), 0);
        assert_true(S_ISBLK(st.st_mode));
    }
    expect_no_leftovers();
}

static void test_afile_check_finds_a_missing_folder_before_writing(void **state)
{
    char why[512];
    assert_int_equal(afile_check(in_dir("no/such/folder/x.jsonl"), why, sizeof why), SIM_EIO);
    assert_non_null(strstr(why, "No such file or directory"));
    assert_int_equal(afile_check(in_dir("fine.jsonl"), why, sizeof why), SIM_OK);
    assert_int_equal(access(in_dir("fine.jsonl"), F_OK), -1);   /* checking wrote nothing */
    expect_no_leftovers();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_afile_replaced_file_keeps_its_mode),
        cmocka_unit_test(test_afile_follows_a_symlink_to_its_target),
        cmocka_unit_test(test_afile_streams_to_a_fifo),
        cmocka_unit_test(test_afile_streams_to_a_character_device),
        cmocka_unit_test(test_afile_writes_dash_and_dev_stdout_to_standard_output),
        cmocka_unit_test(test_afile_refuses_what_it_must_not_replace),
        cmocka_unit_test(test_afile_check_finds_a_missing_folder_before_writing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
