/* test_lesson.c -- lessons: the loader's messages, playing a step, the check that
 * every lesson works (and catches one that does not), terminal commands, determinism,
 * and a whole lesson driven end to end in an 80x24 terminal under tmux.
 */
#include <ctype.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "lesson/lesson.h"
#include "lesson/build.h"
#include "lesson/progress.h"
#include "viz.h"

static char dir[] = "/tmp/dsim-lesson-XXXXXX";

static const char *const raft_scn =
    "{\"seed\": 1, \"duration\": \"6s\", \"nodes\": 5,"
    " \"protocol\": {\"name\": \"raft\", \"params\": {\"election_timeout\": [\"150ms\", \"300ms\"], \"heartbeat\": \"50ms\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"8ms\"}},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 3, \"rate\": \"20/s\", \"timeout\": \"500ms\"}}";

/* Writes a lesson file whose scenario is raft_scn and whose steps are steps_json. */
static const char *write_lesson(const char *name, const char *steps_json)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"title\": \"t\", \"topic\": \"raft\", \"scenario\": %s,\n \"steps\": %s}\n", raft_scn, steps_json);
    fclose(f);
    return path;
}

static void load_ok(const char *path, lesson_t *l)
{
    char err[1024] = "";
    if (lesson_load_file(path, l, err, sizeof err) != SIM_OK) fail_msg("%s", err);
}

static void expect_mistake(const char *steps_json, const char *const *words)
{
    const char *path = write_lesson("bad.json", steps_json);
    lesson_t *l = calloc(1, sizeof *l);
    char err[1024] = "";
    assert_int_equal(lesson_load_file(path, l, err, sizeof err), SIM_EINPUT);
    for (int i = 0; words[i]; i++)
        if (!strstr(err, words[i])) fail_msg("message \"%s\" lacks \"%s\"", err, words[i]);
    free(l);
}

static void test_lesson_mistakes_name_file_path_expected_and_found(void **state)
{
    expect_mistake("[{\"naration\": \"x\"}]", (const char *[]){"bad.json", "$.steps[0]", "naration", "narration", NULL});
    expect_mistake("[{\"narration\": \"x\", \"task\": {\"text\": \"t\", \"goal\": {\"role\": \"leder\"}}}]",
                   (const char *[]){"bad.json", "$.steps[0].task.goal", "leder", "leader", NULL});
    expect_mistake("[{\"narration\": \"x\", \"task\": {\"text\": \"t\", \"goal\": {\"crashed\": \"any\"}}, \"solution\": [{\"crash\": \"n9\"}]}]",
                   (const char *[]){"$.steps[0].solution[0].crash", "n9", NULL});
    expect_mistake("[{\"narration\": \"x\", \"highlight\": [{\"message\": \"vote\"}]}]",
                   (const char *[]){"$.steps[0].highlight[0].message", "vote", "request-vote", NULL});
    expect_mistake("[{\"narration\": \"x\", \"question\": {\"text\": \"q\", \"choices\": [{\"text\": \"a\"}, {\"text\": \"b\"}]}}]",
                   (const char *[]){"$.steps[0].question.choices", "correct", NULL});
    expect_mistake("[{\"narration\": \"x\", \"speed\": 5}]", (const char *[]){"$.steps[0].speed", "expected", "found 5", NULL});
    expect_mistake("[]", (const char *[]){"$.steps", "1 to 40 steps", NULL});
    expect_mistake("[{\"narration\": \"Crash n1{term: (`crash n1`)\"}]", (const char *[]){"$.steps[0].narration", "closing", NULL});
    expect_mistake("[{\"narration\": \"x\", \"hints\": [\"{win:a {term:b} c}\"]}]", (const char *[]){"$.steps[0].hints[0]", "inside another", NULL});
    /* The scenario's own mistakes keep the scenario loader's words. */
    char path[512];
    snprintf(path, sizeof path, "%s/scn.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"title\": \"t\", \"scenario\": {\"duration\": \"1s\", \"nodes\": 3, \"protocol\": {\"name\": \"rafft\"}}, \"steps\": [{\"narration\": \"x\"}]}");
    fclose(f);
    lesson_t *l = calloc(1, sizeof *l);
    char err[1024];
    assert_int_equal(lesson_load_file(path, l, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "$.scenario"));
    assert_non_null(strstr(err, "raft"));
    free(l);
}

/* A text's {term:...} and {win:...} parts reach only their own front end. */
static void test_lesson_text_for_each_front_end(void **state)
{
    const char *t = "Crash n1{term: (`crash n1`), then `run 1s`}{win: (click it, then Crash)}.";
    char out[128];
    lesson_text_for(t, LESSON_MODE_TERMINAL, out, sizeof out);
    assert_string_equal(out, "Crash n1 (`crash n1`), then `run 1s`.");
    lesson_text_for(t, LESSON_MODE_WINDOW, out, sizeof out);
    assert_string_equal(out, "Crash n1 (click it, then Crash).");
    /* Braces that open no part are text; a short buffer is cut, and terminated. */
    lesson_text_for("{n1, n2} and {n3}", LESSON_MODE_WINDOW, out, sizeof out);
    assert_string_equal(out, "{n1, n2} and {n3}");
    lesson_text_for(t, LESSON_MODE_WINDOW, out, 6);
    assert_string_equal(out, "Crash");
}

static const char *const good_steps =
    "[{\"narration\": \"Followers.\", \"until\": {\"role\": \"leader\"},"
    "  \"highlight\": [{\"field\": \"elections\"}, {\"message\": \"request-vote\"}],"
    "  \"question\": {\"text\": \"How many elections?\", \"number\": {\"metric\": \"elections\"}}},"
    " {\"narration\": \"Crash it.\", \"task\": {\"text\": \"Crash the leader.\", \"goal\": {\"all\": [{\"crashed\": \"any\"}, {\"not\": {\"role\": \"leader\"}}]}},"
    "  \"hints\": [\"one\", \"two\"], \"solution\": [{\"crash\": \"LEADER\"}]},"
    " {\"narration\": \"Again.\", \"until\": {\"role\": \"leader\"},"
    "  \"question\": {\"text\": \"Is one crashed?\", \"choices\": [{\"text\": \"yes\", \"correct\": true, \"holds\": {\"crashed\": \"any\"}},"
    "                {\"text\": \"no\", \"holds\": {\"not\": {\"crashed\": \"any\"}}}]}}]";

/* The leader of the first election, found by running, so the solution is right. */
static const char *good_lesson(void)
{
    static char steps[4096];
    const char *path = write_lesson("probe.json", "[{\"narration\": \"x\", \"until\": {\"role\": \"leader\"}}]");
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(path, l);
    char err[256];
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    assert_non_null(p);
    const sim_t *s = run_sim(lesson_play_run(p));
    char leader[8] = "";
    for (uint32_t i = 0; i < 5; i++) {
        sim_node_info_t ni;
        sim_node_info(s, i, &ni);
        if (ni.role == SIM_ROLE_LEADER) snprintf(leader, sizeof leader, "%s", ni.name);
    }
    assert_true(leader[0]);
    lesson_play_destroy(p);
    lesson_free(l);
    free(l);
    const char *at = strstr(good_steps, "LEADER");
    snprintf(steps, sizeof steps, "%.*s%s%s", (int)(at - good_steps), good_steps, leader, at + 6);
    return write_lesson("good.json", steps);
}

static void test_lesson_check_passes_a_working_lesson(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(good_lesson(), l);
    assert_int_equal(l->n_steps, 3);
    assert_int_equal(lesson_check(l, stderr), 0);
    lesson_free(l);
    free(l);
}

/* A field with "reveal": "after" waits for the right answer, so the number a question
 * asks for is not printed beside it; a wrong answer does not show it either. */
static void test_lesson_reveal_after_waits_for_the_answer(void **state)
{
    const char *path = write_lesson("reveal.json",
        "[{\"narration\": \"x\", \"until\": {\"role\": \"leader\"},"
        "  \"highlight\": [{\"field\": \"elections\", \"reveal\": \"after\"}, {\"field\": \"operations.ok\"}],"
        "  \"question\": {\"text\": \"How many elections?\", \"number\": {\"metric\": \"elections\"}}}]");
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(path, l);
    char err[256], fb[512];
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    assert_non_null(p);
    const lesson_step_t *st = lesson_play_cur(p);
    assert_true(st->hl[0].after);
    assert_false(st->hl[1].after);
    assert_false(lesson_play_hl_shown(p, &st->hl[0]));
    assert_true(lesson_play_hl_shown(p, &st->hl[1]));
    double want;
    assert_int_equal(lesson_play_expected(p, &want), SIM_OK);
    char wrong[32], right[32];
    snprintf(wrong, sizeof wrong, "%g", want + 5);
    snprintf(right, sizeof right, "%g", want);
    assert_int_equal(lesson_play_answer(p, wrong, fb, sizeof fb), 0);
    assert_false(lesson_play_hl_shown(p, &st->hl[0]));
    assert_int_equal(lesson_play_answer(p, right, fb, sizeof fb), 1);
    assert_true(lesson_play_hl_shown(p, &st->hl[0]));
    lesson_play_destroy(p);
    lesson_free(l);
    free(l);
    /* Only a field may wait, only for "after" or "always", and only for a question. */
    expect_mistake("[{\"narration\": \"x\", \"highlight\": [{\"node\": \"n1\", \"reveal\": \"after\"}],"
                   " \"question\": {\"text\": \"q\", \"number\": {\"metric\": \"elections\"}}}]",
                   (const char *[]){"$.steps[0].highlight[0].reveal", "field", NULL});
    expect_mistake("[{\"narration\": \"x\", \"highlight\": [{\"field\": \"elections\", \"reveal\": \"later\"}],"
                   " \"question\": {\"text\": \"q\", \"number\": {\"metric\": \"elections\"}}}]",
                   (const char *[]){"$.steps[0].highlight[0].reveal", "after", "later", NULL});
    expect_mistake("[{\"narration\": \"x\", \"highlight\": [{\"field\": \"elections\", \"reveal\": \"after\"}]}]",
                   (const char *[]){"$.steps[0].highlight[0].reveal", "asks none", NULL});
}

/* A prediction takes any choice and grades none: the student says what they expect,
 * and a later step compares. A "correct" or a "holds" in one is a mistake. */
static void test_lesson_prediction_takes_any_choice(void **state)
{
    const char *path = write_lesson("predict.json",
        "[{\"narration\": \"x\", \"question\": {\"text\": \"What will happen?\", \"predict\": true,"
        "  \"choices\": [{\"text\": \"a leader\", \"explain\": \"See.\"}, {\"text\": \"nothing\"}]}}]");
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(path, l);
    assert_int_equal(lesson_check(l, stderr), 0);
    char err[256], fb[512];
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    assert_non_null(p);
    assert_false(lesson_play_can_next(p));
    assert_int_equal(lesson_play_answer(p, "b", fb, sizeof fb), 1);
    assert_non_null(strstr(fb, "Noted: you predict \"nothing\""));
    assert_true(lesson_play_can_next(p));
    assert_int_equal(lesson_play_answer(p, "a", fb, sizeof fb), 1);
    assert_non_null(strstr(fb, "See."));
    assert_int_equal(lesson_play_answer(p, "z", fb, sizeof fb), -1);
    lesson_play_destroy(p);
    lesson_free(l);
    free(l);
    expect_mistake("[{\"narration\": \"x\", \"question\": {\"text\": \"q\", \"predict\": true,"
                   " \"choices\": [{\"text\": \"a\", \"correct\": true}, {\"text\": \"b\"}]}}]",
                   (const char *[]){"$.steps[0].question.choices[0].correct", "no right choice", NULL});
    expect_mistake("[{\"narration\": \"x\", \"question\": {\"text\": \"q\", \"predict\": true,"
                   " \"number\": {\"metric\": \"elections\"}}}]",
                   (const char *[]){"$.steps[0].question.predict", "choices", NULL});
    expect_mistake("[{\"narration\": \"x\", \"question\": {\"text\": \"q\", \"predict\": \"yes\","
                   " \"choices\": [{\"text\": \"a\"}, {\"text\": \"b\"}]}}]",
                   (const char *[]){"$.steps[0].question.predict", "yes", NULL});
}

static void test_lesson_check_catches_what_does_not_work(void **state)
{
    /* An until that never holds; a goal that holds at once; a choice marked wrongly;
     * a field the summary lacks: four problems. */
    const char *path = write_lesson("broken.json",
        "[{\"narration\": \"x\", \"until\": {\"violation\": true}},"
        " {\"narration\": \"y\", \"task\": {\"text\": \"t\", \"goal\": {\"time\": \"0s\"}}},"
        " {\"narration\": \"z\", \"highlight\": [{\"field\": \"no.such.number\"}],"
        "  \"question\": {\"text\": \"q\", \"choices\": [{\"text\": \"a\", \"correct\": true, \"holds\": {\"crashed\": \"any\"}}, {\"text\": \"b\"}]}}]");
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(path, l);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(lesson_check(l, out), 4);
    fclose(out);
    assert_non_null(strstr(buf, "$.steps[0]: until"));
    assert_non_null(strstr(buf, "$.steps[1]: task.goal"));
    assert_non_null(strstr(buf, "$.steps[2]: highlight[0]"));
    assert_non_null(strstr(buf, "$.steps[2]: question.choices[0]"));
    free(buf);
    lesson_free(l);
    free(l);
}

static void test_lesson_play_goal_stops_the_run_and_back_rewinds(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(good_lesson(), l);
    char err[256], fb[1024];
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    assert_non_null(p);
    sim_time_t t0 = run_now(lesson_play_run(p));
    assert_true(t0 > 0);
    assert_false(lesson_play_can_next(p));                 /* the question is pending */
    double want;
    assert_int_equal(lesson_play_expected(p, &want), SIM_OK);
    assert_int_equal(lesson_play_answer(p, "7", fb, sizeof fb), want == 7 ? 1 : 0);
    assert_int_equal(lesson_play_answer(p, "maybe", fb, sizeof fb), -1);
    char ans[32];
    snprintf(ans, sizeof ans, "%g", want);
    assert_int_equal(lesson_play_answer(p, ans, fb, sizeof fb), 1);
    assert_true(lesson_play_can_next(p));
    assert_int_equal(lesson_play_goto(p, 1), SIM_OK);
    /* Running without acting does not do the task; hints come one at a time. */
    assert_false(lesson_play_advance(p, 200 * SIM_MS));
    assert_string_equal(lesson_play_hint(p), "one");
    assert_string_equal(lesson_play_hint(p), "two");
    assert_null(lesson_play_hint(p));
    /* The student's own action: crash the leader, typed as in the terminal. */
    const sim_t *s = run_sim(lesson_play_run(p));
    char cmd[32] = "";
    for (uint32_t i = 0; i < 5; i++) {
        sim_node_info_t ni;
        sim_node_info(s, i, &ni);
        if (ni.role == SIM_ROLE_LEADER) snprintf(cmd, sizeof cmd, "crash %s", ni.name);
    }
    sim_action_t a;
    assert_int_equal(lesson_parse_command((lesson_t *)l, cmd, &a, err, sizeof err), SIM_OK);
    assert_int_equal(lesson_play_act(p, &a, err, sizeof err), SIM_OK);
    assert_true(lesson_play_goal_met(p));
    assert_int_equal(lesson_play_goto(p, 2), SIM_OK);
    sim_time_t t2 = run_now(lesson_play_run(p));
    assert_true(t2 > t0 + 200 * SIM_MS);
    /* Back to the first step: the run rewinds to where it started. */
    assert_int_equal(lesson_play_goto(p, 0), SIM_OK);
    assert_true(run_now(lesson_play_run(p)) == t0);
    lesson_play_destroy(p);
    lesson_free(l);
    free(l);
}

static void test_lesson_commands_parse_like_scenario_actions(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(good_lesson(), l);
    sim_action_t a;
    char err[256];
    assert_int_equal(lesson_parse_command(l, "crash n3", &a, err, sizeof err), SIM_OK);
    assert_int_equal(a.kind, ACT_CRASH);
    assert_int_equal(a.node, 2);
    assert_true(a.at_ns < 0);
    assert_int_equal(lesson_parse_command(l, "partition n1,n2 | n3, n4 n5", &a, err, sizeof err), SIM_OK);
    assert_int_equal(a.kind, ACT_PARTITION);
    assert_int_equal(a.n_groups, 2);
    assert_int_equal(a.n_members, 5);
    assert_int_equal(a.groups[1], 1);
    assert_int_equal(a.groups[4], 2);
    assert_int_equal(lesson_parse_command(l, "heal", &a, err, sizeof err), SIM_OK);
    assert_int_equal(a.kind, ACT_HEAL);
    assert_int_equal(lesson_parse_command(l, "drop 17", &a, err, sizeof err), SIM_OK);
    assert_int_equal(a.msg_id, 17);
    assert_int_equal(lesson_parse_command(l, "skew n2 +2s", &a, err, sizeof err), SIM_OK);
    assert_int_equal(a.kind, ACT_CLOCK);
    assert_true(a.skew_ns == 2 * SIM_SEC);
    assert_int_equal(lesson_parse_command(l, "skew n2 -300ms", &a, err, sizeof err), SIM_OK);
    assert_true(a.skew_ns == -300 * SIM_MS);
    assert_int_equal(lesson_parse_command(l, "crash n9", &a, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "n9"));
    assert_int_equal(lesson_parse_command(l, "drop seventeen", &a, err, sizeof err), SIM_EINPUT);
    assert_int_equal(lesson_parse_command(l, "dance n1", &a, err, sizeof err), SIM_ENOTFOUND);
    lesson_free(l);
    free(l);
}

/* Checking is a function of the lesson: twice, the same words and the same run. */
static void test_lesson_check_is_deterministic(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(good_lesson(), l);
    uint64_t hash[2];
    for (int k = 0; k < 2; k++) {
        char err[256];
        lesson_play_t *p = lesson_play_create(l, err, sizeof err);
        lesson_play_goto(p, 2);
        lesson_play_advance(p, SIM_SEC);
        hash[k] = sim_trace_hash(run_sim(lesson_play_run(p)));
        lesson_play_destroy(p);
    }
    assert_true(hash[0] == hash[1]);
    lesson_free(l);
    free(l);
}

static void test_lesson_progress_is_kept_and_forgotten(void **state)
{
    char env[600];
    snprintf(env, sizeof env, "%s/state", dir);
    setenv("XDG_STATE_HOME", env, 1);
    progress_t *p = calloc(1, sizeof *p);
    progress_load(p);
    assert_int_equal(p->n, 0);
    progress_of(p, "raft-election")->step = 3;
    progress_of(p, "clocks")->done = true;
    assert_int_equal(progress_save(p), SIM_OK);
    progress_load(p);
    assert_int_equal(p->n, 2);
    assert_int_equal(progress_of(p, "raft-election")->step, 3);
    assert_true(progress_of(p, "clocks")->done);
    assert_int_equal(progress_reset(p), SIM_OK);
    progress_load(p);
    assert_int_equal(p->n, 0);
    free(p);
}

/* Every lesson in lessons/ works: the check `make test` exists for. */
static void test_lesson_check_all_lessons_pass(void **state)
{
    const char *dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s lesson check all", dsim);
    int rc = system(cmd);
    assert_int_equal(rc, 0);
}

/* Runs a shell command and returns its output (at most 64 KiB) and exit status. */
static int sh(const char *cmd, char *out, size_t len)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The lesson files in lessons/ (NN-name.json), so the test follows lessons being added. */
static int lesson_files(void)
{
    int n = 0;
    DIR *d = opendir("lessons");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        n += len > 8 && isdigit((unsigned char)e->d_name[0]) && isdigit((unsigned char)e->d_name[1]) && e->d_name[2] == '-' &&
             strcmp(e->d_name + len - 5, ".json") == 0;
    }
    closedir(d);
    return n;
}

/* `dsim lesson` lists the lessons with what the student did; --reset forgets it. */
static void test_lesson_list_shows_progress_and_reset_forgets(void **state)
{
    const char *dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    char cmd[1024], *out = malloc(1 << 16);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/list/dsim && printf 'raft-election 3 0\\nclocks 0 1\\n' > %s/list/dsim/lessons", dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "XDG_STATE_HOME=%s/list %s lesson", dir, dsim);
    assert_int_equal(sh(cmd, out, 1 << 16), 0);
    assert_non_null(strstr(out, " 1. what-is-a-distributed-system"));
    assert_non_null(strstr(out, "raft-election"));
    assert_non_null(strstr(out, "step 4/7"));
    assert_non_null(strstr(out, "done"));
    char want[64];
    snprintf(want, sizeof want, "1 of %d done", lesson_files());
    assert_non_null(strstr(out, want));
    snprintf(cmd, sizeof cmd, "XDG_STATE_HOME=%s/list %s lesson --reset && XDG_STATE_HOME=%s/list %s lesson", dir, dsim, dir, dsim);
    assert_int_equal(sh(cmd, out, 1 << 16), 0);
    assert_non_null(strstr(out, "Progress forgotten"));
    snprintf(want, sizeof want, "0 of %d done", lesson_files());
    assert_non_null(strstr(out, want));
    free(out);
}

/* A bad lesson file is bad input: its message on stderr and exit status 2, for the
 * check and for opening it; an unknown lesson name too. */
static void test_lesson_bad_files_exit_2(void **state)
{
    const char *dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    const char *path = write_lesson("typo.json", "[{\"narration\": \"x\", \"untill\": {\"role\": \"leader\"}}]");
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s lesson check %s 2>&1", dsim, path);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "typo.json: $.steps[0]"));
    assert_non_null(strstr(out, "until"));
    snprintf(cmd, sizeof cmd, "%s lesson %s --terminal < /dev/null 2>&1", dsim, path);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s lesson no-such-lesson 2>&1", dsim);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "no lesson \"no-such-lesson\""));
}

/* The window's picture of a lesson step: the view with the lesson panel over it. */
static void test_lesson_step_screenshot(void **state)
{
    const char *dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    char cmd[1024], out[4096], png[600];
    snprintf(png, sizeof png, "%s/step3.png", dir);
    snprintf(cmd, sizeof cmd, "%s lesson raft-election --screenshot %s --step 3 2>&1", dsim, png);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    FILE *f = fopen(png, "rb");
    assert_non_null(f);
    unsigned char magic[8] = {0};
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
    assert_true(size > 20000);                  /* a picture, not an empty frame */
    snprintf(cmd, sizeof cmd, "%s lesson raft-election --screenshot %s --step 99 2>&1", dsim, png);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "--step"));
}

/* The window's panel driven by its keys, without a display: Enter, typed answers,
 * Tab for a hint, F5 for "Show me", PageUp for Back. */
static void test_lesson_window_keys_go_through_steps(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok("lessons/08-raft-election.json", l);
    char err[512], png[600];
    uint32_t step = 0;
    snprintf(png, sizeof png, "%s/window.png", dir);
    /* to step 2; answer 1; on; hint; show me; on; answer 2; on; show me; choose a; on. */
    assert_int_equal(viz_lesson_script(l, "\n1\n\n\t!\n2\n\n!1\n", png, &step, err, sizeof err), 0);
    assert_int_equal(step, 5);
    /* A wrong answer does not let the student on; Back goes back. */
    assert_int_equal(viz_lesson_script(l, "\n7\n\n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 1);
    assert_int_equal(viz_lesson_script(l, "\n1\n\n<", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 1);
    /* Playing runs the simulation in frames, as the window does: a task's goal met by
     * playing stops it (step 3's goal needs an action, so playing alone leaves it open). */
    assert_int_equal(viz_lesson_script(l, "\n1\n\n   \n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 2);
    lesson_free(l);
    free(l);
}

/* The panel's buttons and a question's choices answer the mouse: clicks pushed through
 * SDL's event queue at the middle of what the panel drew, as the window's loop gets them. */
static void test_lesson_window_clicks_buttons_and_choices(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok("lessons/08-raft-election.json", l);
    char err[512], png[600];
    uint32_t step = 0;
    snprintf(png, sizeof png, "%s/clicks.png", dir);
    /* Next is not clickable on until the question is answered; then it is. */
    assert_int_equal(viz_lesson_script(l, "@n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 1);
    assert_int_equal(viz_lesson_script(l, "@n@n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 1);
    assert_int_equal(viz_lesson_script(l, "@n1\n@n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 2);
    /* Hint, then Show me does the task (crash the leader), Next goes on. */
    assert_int_equal(viz_lesson_script(l, "@n1\n@n@h@s@n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 3);
    /* Step 5: the wrong choice clicked keeps the student there, the right one lets
     * them on; Back goes back. */
    assert_int_equal(viz_lesson_script(l, "@n1\n@n@s@n2\n@n@s@2@n", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 4);
    assert_int_equal(viz_lesson_script(l, "@n1\n@n@s@n2\n@n@s@2@1@n", png, &step, err, sizeof err), 0);
    assert_int_equal(step, 5);
    assert_int_equal(viz_lesson_script(l, "@n1\n@n@s@n2\n@n@s@1@n@b", NULL, &step, err, sizeof err), 0);
    assert_int_equal(step, 4);
    /* A choice that is not on the screen cannot be clicked. */
    assert_int_equal(viz_lesson_script(l, "@3", NULL, &step, err, sizeof err), 2);
    assert_non_null(strstr(err, "nothing to click"));
    lesson_free(l);
    free(l);
}

/* The builder: a session's actions and stops become a lesson that checks as written. */
static void test_lesson_builder_writes_a_lesson_that_checks(void **state)
{
    char err[512], out[600];
    run_t *r = run_open("scenarios/raft-leader-crash.json", NULL, err, sizeof err);
    assert_non_null(r);
    run_until(r, 400 * SIM_MS);
    sim_action_t a = {.kind = ACT_CRASH, .node = 0};
    assert_int_equal(run_act(r, &a, NULL, err, sizeof err), SIM_OK);
    run_until(r, 600 * SIM_MS);
    sim_action_t b = {.kind = ACT_PARTITION};
    uint32_t members[2] = {1, 2};
    uint8_t groups[2] = {1, 1};
    b.members = members;
    b.groups = groups;
    b.n_members = 2;
    b.n_groups = 1;
    assert_int_equal(run_act(r, &b, NULL, err, sizeof err), SIM_OK);
    sim_time_t stops[] = {1500 * SIM_MS, 300 * SIM_MS, 300 * SIM_MS, 0};
    uint32_t n;
    const sim_action_t *acts = run_actions(r, &n);
    assert_int_equal(n, 2);
    snprintf(out, sizeof out, "%s/built.json", dir);
    assert_int_equal(lesson_build_write("scenarios/raft-leader-crash.json", run_sim(r), acts, n, stops, 4, out, err, sizeof err), SIM_OK);
    run_destroy(r);
    lesson_t *l = calloc(1, sizeof *l);
    load_ok(out, l);
    assert_int_equal(l->n_steps, 3);                 /* time zero, 300ms, 1.5s */
    assert_true(l->steps[1].has_until);
    assert_true(l->steps[1].has_task);               /* both actions came after the 300ms stop */
    assert_int_equal(l->steps[1].n_solution, 2);
    assert_false(l->steps[2].has_task);
    assert_int_equal(lesson_check(l, stderr), 0);
    lesson_free(l);
    free(l);
}

/* A student's whole way through a lesson in an 80x24 terminal, typed into tmux. */
static void test_lesson_terminal_in_tmux(void **state)
{
    const char *dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh tests/lesson_tmux.sh %s %s/tmux-state", dsim, dir);
    assert_int_equal(system(cmd), 0);
}

/* Writes a lesson with raft_scn and, beside it, beside_json. */
static const char *write_pair_lesson(const char *name, const char *beside_json, const char *steps_json)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"title\": \"t\", \"scenario\": %s,\n \"beside\": %s,\n \"steps\": %s}\n", raft_scn, beside_json, steps_json);
    fclose(f);
    return path;
}

/* A lesson of two scenarios: one partition given once reaches both runs at the same
 * moment, "beside." numbers are read from the second run, and the file's mistakes are
 * named: a node the second scenario lacks, a "beside." number in a condition. */
static void test_lesson_two_scenarios_act_on_both(void **state)
{
    lesson_t *l = calloc(1, sizeof *l);
    load_ok("lessons/11-strong-against-eventual.json", l);
    assert_true(l->has_beside);
    char err[512] = "";
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    if (!p) fail_msg("%s", err);
    assert_non_null(lesson_play_beside(p));
    assert_int_equal(lesson_play_goto(p, 1), SIM_OK);
    assert_true(lesson_play_show(p));
    run_t *a = lesson_play_run(p), *b = lesson_play_beside(p);
    assert_int_equal(run_now(a), run_now(b));
    uint32_t na, nb;
    const sim_action_t *aa = run_actions(a, &na), *ab = run_actions(b, &nb);
    assert_int_equal(na, 1);
    assert_int_equal(nb, 1);
    assert_int_equal(aa[0].kind, ACT_PARTITION);
    assert_int_equal(ab[0].kind, ACT_PARTITION);
    assert_int_equal(aa[0].at_ns, ab[0].at_ns);
    assert_true(sim_partitioned(run_sim(b)));
    /* Step 3 asks for the quorum side's stale reads: read from the second run, not 0
     * (Raft's). */
    assert_int_equal(lesson_play_goto(p, 2), SIM_OK);
    double stale_b, stale_a;
    assert_int_equal(lesson_play_expected(p, &stale_b), SIM_OK);
    assert_int_equal(cond_metric(run_sim_mut(a), "stale_reads.stale", &stale_a), SIM_OK);
    assert_true(stale_b > 0);
    assert_true(stale_a == 0);
    lesson_play_destroy(p);
    assert_int_equal(lesson_check(l, NULL), 0);
    lesson_free(l);
    free(l);

    static const char *const three =
        "{\"seed\": 1, \"duration\": \"6s\", \"nodes\": 3, \"protocol\": {\"name\": \"raft\"}}";
    const char *bad = write_pair_lesson("pair-bad.json", three,
        "[{\"narration\": \"x\", \"task\": {\"text\": \"t\", \"goal\": {\"crashed\": \"n5\"}}, \"solution\": [{\"crash\": \"n5\"}]}]");
    l = calloc(1, sizeof *l);
    assert_int_equal(lesson_load_file(bad, l, err, sizeof err), SIM_EINPUT);
    if (!strstr(err, "pair-bad.json") || !strstr(err, "$.steps[0].solution[0]") || !strstr(err, "has no node named n5"))
        fail_msg("unexpected message: %s", err);
    bad = write_pair_lesson("pair-bad2.json", raft_scn,
        "[{\"narration\": \"x\", \"until\": {\"metric\": \"beside.operations.ok\", \">\": 1}}]");
    assert_int_equal(lesson_load_file(bad, l, err, sizeof err), SIM_EINPUT);
    if (!strstr(err, "$.steps[0].until") || !strstr(err, "watched on the first scenario")) fail_msg("unexpected message: %s", err);
    bad = write_lesson("pair-bad3.json", "[{\"narration\": \"x\", \"highlight\": [{\"field\": \"beside.operations.ok\"}]}]");
    assert_int_equal(lesson_load_file(bad, l, err, sizeof err), SIM_EINPUT);
    if (!strstr(err, "this lesson has none")) fail_msg("unexpected message: %s", err);
    free(l);
}

/* The two-scenario lesson in an 80x24 terminal: both sides in two columns, one
 * partition reaching both, numeric answers read off the screen. */
static void test_lesson_two_scenarios_in_tmux(void **state)
{
    const char *dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh tests/lesson_pair_tmux.sh %s %s/tmux-pair-state", dsim, dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_mistakes_name_file_path_expected_and_found),
        cmocka_unit_test(test_lesson_check_passes_a_working_lesson),
        cmocka_unit_test(test_lesson_check_catches_what_does_not_work),
        cmocka_unit_test(test_lesson_reveal_after_waits_for_the_answer),
        cmocka_unit_test(test_lesson_prediction_takes_any_choice),
        cmocka_unit_test(test_lesson_play_goal_stops_the_run_and_back_rewinds),
        cmocka_unit_test(test_lesson_commands_parse_like_scenario_actions),
        cmocka_unit_test(test_lesson_check_is_deterministic),
        cmocka_unit_test(test_lesson_progress_is_kept_and_forgotten),
        cmocka_unit_test(test_lesson_check_all_lessons_pass),
        cmocka_unit_test(test_lesson_two_scenarios_act_on_both),
        cmocka_unit_test(test_lesson_list_shows_progress_and_reset_forgets),
        cmocka_unit_test(test_lesson_bad_files_exit_2),
        cmocka_unit_test(test_lesson_builder_writes_a_lesson_that_checks),
        cmocka_unit_test(test_lesson_step_screenshot),
        cmocka_unit_test(test_lesson_window_keys_go_through_steps),
        cmocka_unit_test(test_lesson_window_clicks_buttons_and_choices),
        cmocka_unit_test(test_lesson_text_for_each_front_end),
        cmocka_unit_test(test_lesson_terminal_in_tmux),
        cmocka_unit_test(test_lesson_two_scenarios_in_tmux),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) rc = rc ? rc : 1;
    return rc;
}
