# tmux_support.sh -- what the lesson tests in an 80x24 terminal share; sourced by
# lesson_tmux.sh and lesson_pair_tmux.sh after they set dsim, state and tag.
#
#   start_lesson NAME   starts `dsim lesson NAME --terminal` in a detached 80x24 session
#   want TEXT           waits up to 5 s for TEXT on the screen, else prints it and exits 1
#   type LINE           types LINE and Enter, as a student would

start_lesson() {
    s=$tag-$$
    tmux new-session -d -s $s -x 80 -y 24 "XDG_STATE_HOME=$state $dsim lesson $1 --terminal; echo EXITED; sleep 30" || exit 1
    trap 'tmux kill-session -t $s 2>/dev/null' EXIT
}

want() {
    i=0
    while [ $i -lt 50 ]; do
        tmux capture-pane -p -t $s | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "$tag: the screen never showed \"$1\":"
    tmux capture-pane -p -t $s
    exit 1
}

type() { tmux send-keys -t $s -l -- "$1"; tmux send-keys -t $s Enter; }
