/* lesson.h -- lessons: a scenario, and steps that narrate it, stop it, and hand it over.
 *
 * A lesson is data (lessons/README.md documents the file): a scenario, then steps. A step
 * narrates, may run the simulation until a condition holds ("until a leader exists"),
 * may point at nodes, links, message types or summary numbers, may give the student a
 * task whose goal is a condition, may ask a question, and carries hints and a solution
 * (a list of actions in the scenario's own vocabulary). Everything is resolved at load,
 * with the scenario loader's messages (file, JSON path, expected, found, nearest name).
 *
 * A play (lesson_play_t) is one student going through a lesson on one run of the run
 * engine. The window and the terminal both drive the same play, so they cannot
 * disagree about what a step means; neither knows the other exists, and nothing here
 * includes SDL or writes to a terminal. lesson_check replays every step with its
 * solution, which is how `dsim lesson check` and `make test` know each lesson works.
 *
 *   enter step k: run "until" ──> narrate, highlight ──> task? student acts (or "show")
 *                                                       until the goal holds
 *                                  question? answered right ──> step k+1
 */
#ifndef SIM_LESSON_LESSON_H
#define SIM_LESSON_LESSON_H

#include <stdio.h>
#include "run/run.h"
#include "scenario/scenario.h"

#define LESSON_STEPS_MAX 40          /* steps of one lesson */
#define LESSON_HINTS_MAX 8           /* hints of one step */
#define LESSON_CHOICES_MAX 8         /* choices of one question */
#define LESSON_HIGHLIGHTS_MAX 16     /* highlights of one step */
#define LESSON_SOLUTION_MAX 32       /* actions of one step's solution */
#define LESSON_TEXT_MAX 8192         /* one narration, hint or explanation, in bytes */

typedef enum { LESSON_HL_NODE, LESSON_HL_LINK, LESSON_HL_MESSAGE, LESSON_HL_FIELD } lesson_hl_kind_t;

typedef struct lesson_hl {
    lesson_hl_kind_t kind;
    uint32_t node, node2;            /* node; link: both ends */
    int type;                        /* message: the protocol's message type */
    char path[COND_PATH_MAX];        /* field: a summary number by dotted path */
    const char *label;               /* field: how to name it on screen (or the path) */
    bool after;                      /* field: shown only once the step's question is answered
                                      * ("reveal": "after"), so a question cannot be copied */
} lesson_hl_t;

typedef struct lesson_choice {
    const char *text, *explain;
    bool correct;
    bool has_holds;
    cond_t holds;                    /* checked to hold exactly when the choice is correct */
} lesson_choice_t;

typedef struct lesson_question {
    const char *text, *explain;
    uint32_t n_choices;              /* 0: a number is asked for */
    bool predict;                    /* a prediction made before running: every choice is
                                      * taken, none is right or wrong ("predict": true) */
    lesson_choice_t choices[LESSON_CHOICES_MAX];
    char metric[COND_PATH_MAX];      /* number: the summary number that is the answer */
    double tolerance;                /* number: how far an answer may be from it */
} lesson_question_t;

typedef struct lesson_step {
    const char *title;               /* short, for "step k of n: title" (may be "") */
    const char *narration;           /* the teacher's words: **bold**, `code`, "- " lists */
    uint32_t n_hl;
    lesson_hl_t hl[LESSON_HIGHLIGHTS_MAX];
    sim_time_t speed_ns;             /* simulated time per second of wall time; 0: unchanged */
    bool has_until;
    cond_t until;                    /* run until this holds when the step starts */
    bool has_task;
    const char *task, *done;         /* what to do; what to say once it is done */
    cond_t goal;
    uint32_t n_hints;
    const char *hints[LESSON_HINTS_MAX];
    bool has_question;
    lesson_question_t q;
    uint32_t n_solution;
    sim_action_t solution[LESSON_SOLUTION_MAX];   /* at_ns -1: now */
} lesson_step_t;

typedef struct lesson {
    char *path;                      /* the lesson file */
    char *name;                      /* its name: the file name without folder, order prefix, ".json" */
    const char *title, *topic;
    int level;                       /* 1 beginner, 2 intermediate, 3 advanced */
    int minutes;                     /* how long it takes, as its author measured */
    char *scenario_path;             /* the scenario file, or NULL when inline */
    scn_t scn;
    /* A second scenario run beside the first, on the same clock, receiving the same
     * actions by node name ("beside" in the file; lessons/README.md). Conditions are
     * watched on the first; a summary path "beside.X" reads X from the second. */
    bool has_beside;
    char *beside_path;               /* its file, or NULL when inline */
    scn_t beside;
    uint32_t n_steps;
    lesson_step_t steps[LESSON_STEPS_MAX];
    char **strs;                     /* strings this lesson owns */
    uint32_t n_strs, cap_strs;
} lesson_t;

/* Which front end a text is shown in. A lesson's texts may hold parts for one of them
 * only: "{term:`crash n1`}{win:click n1, then Crash}" (lessons/README.md). */
typedef enum { LESSON_MODE_TERMINAL, LESSON_MODE_WINDOW } lesson_mode_t;
/* Copies in to out (len bytes, always terminated) keeping the parts for mode and the
 * text common to both, without the part markers. */
void lesson_text_for(const char *in, lesson_mode_t mode, char *out, size_t len);

/* Loads and checks a lesson file and its scenario. On error returns SIM_EINPUT (or
 * SIM_EIO) with one line in err ("FILE: $.steps[2].task.goal.role: ..."); *out then
 * needs no lesson_free. Heap-allocate lesson_t: it is large. */
int lesson_load_file(const char *path, lesson_t *out, char *err, size_t err_len);
void lesson_free(lesson_t *l);

/* ---- A play: one student going through a lesson. ---------------------------------- */

typedef struct lesson_play lesson_play_t;

/* Starts the lesson at step 0 (its "until" already run). Returns NULL with err. */
lesson_play_t *lesson_play_create(const lesson_t *l, char *err, size_t err_len);
void lesson_play_destroy(lesson_play_t *p);

run_t *lesson_play_run(lesson_play_t *p);            /* the run, for views and running */
/* The run of the "beside" scenario, kept at the same time as lesson_play_run and given
 * the same actions; NULL for a lesson of one scenario. */
run_t *lesson_play_beside(lesson_play_t *p);
/* After a front end moved lesson_play_run in time itself (the window), brings the
 * beside run to the same time. */
void lesson_play_follow(lesson_play_t *p);
const lesson_t *lesson_play_lesson(const lesson_play_t *p);
uint32_t lesson_play_step(const lesson_play_t *p);   /* the current step, from 0 */
const lesson_step_t *lesson_play_cur(const lesson_play_t *p);
/* Why the step's "until" did not hold when it started (the run ended first), or NULL. */
const char *lesson_play_trouble(const lesson_play_t *p);

/* Goes to step k (0 <= k < n_steps): forward by finishing the steps between with their
 * solutions when they were not done, backward by rewinding the run to where step k
 * started (what the student did stays recorded, and replays). Returns SIM_OK or
 * SIM_EINPUT for a bad k. */
int lesson_play_goto(lesson_play_t *p, uint32_t k);
/* Whether the step lets the student go on: its task's goal was reached and its
 * question answered right (a step with neither always does). */
bool lesson_play_can_next(const lesson_play_t *p);
bool lesson_play_goal_met(const lesson_play_t *p);
bool lesson_play_answered(const lesson_play_t *p);

/* Runs the student's simulation forward by d (at most to the end), stopping early at
 * the moment a pending task's goal comes to hold. Returns true when the goal was met
 * during this call. */
bool lesson_play_advance(lesson_play_t *p, sim_time_t d);
/* For a front end that runs the simulation itself (the window runs it through the
 * run engine frame by frame): re-arms the goal when the run was re-created (an action,
 * a rewind), then says whether it holds. Returns true when the goal came to hold now. */
bool lesson_play_poll(lesson_play_t *p);
/* Runs to the next event that shows in the trace; true when the goal was met by it. */
bool lesson_play_step_event(lesson_play_t *p);
/* Applies one action now, as the student's (recorded in the run); then checks the goal.
 * Returns SIM_OK or the code of run_act, with a sentence in err. */
int lesson_play_act(lesson_play_t *p, const sim_action_t *a, char *err, size_t err_len);
/* "Show me": plays the step's solution from now and runs until the goal holds (or the
 * end). Returns true when the goal holds afterwards. */
bool lesson_play_show(lesson_play_t *p);
/* The next hint of the current step, or NULL when every hint was given. */
const char *lesson_play_hint(lesson_play_t *p);
uint32_t lesson_play_hints_given(const lesson_play_t *p);

/* Answers the step's question: "b" (or "2") for a choice, a number for a number. Puts
 * the explanation (or why the answer cannot be read) in fb. Returns 1 right, 0 wrong,
 * -1 not an answer to this question. */
int lesson_play_answer(lesson_play_t *p, const char *answer, char *fb, size_t fb_len);
/* A numeric question's right answer now (the summary number it names). */
int lesson_play_expected(lesson_play_t *p, double *out);
/* Whether a highlight is on screen now: always, except a field with "reveal": "after"
 * before its step's question is answered right. */
bool lesson_play_hl_shown(const lesson_play_t *p, const lesson_hl_t *h);
/* A field highlight's number now; SIM_ENOTFOUND when the summary has no such number. */
int lesson_play_field(lesson_play_t *p, const lesson_hl_t *h, double *out);

/* ---- Checking a lesson, as its author and CI do. ---------------------------------- */

/* Plays every step with its solution and checks that each "until" and each goal is
 * reached within the scenario's duration, that each question's right answer agrees with
 * the run (a choice's "holds" condition holds exactly when it is marked correct; a
 * number can be read), and that each highlighted field exists. Writes one line per
 * problem to out (NULL: silent). Returns the number of problems (0: the lesson works). */
int lesson_check(const lesson_t *l, FILE *out);

/* The text of a lesson command typed in a terminal, "crash n3", "partition n1,n2 | n3",
 * "heal", "drop 17", "skew n2 +2s", as an action (at_ns -1: now), with the scenario's
 * checks. Memory a partition needs belongs to l. Returns SIM_OK, SIM_ENOTFOUND when the
 * first word is no action, or SIM_EINPUT with a sentence in err. */
int lesson_parse_command(lesson_t *l, const char *line, sim_action_t *a, char *err, size_t err_len);

#endif
