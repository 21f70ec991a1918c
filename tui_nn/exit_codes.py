"""The exit statuses of every ``tui-nn`` command, in one place (README, "Exit statuses")."""

OK = 0  # done
FAILED = 1  # sweep: no configuration finished with a score; dashboard: the trainer failed
BAD_INPUT = 2  # a bad option, value or file: one `Error: ...` line, nothing trained
DIVERGED = 3  # train: the run diverged (a checkpoint of its last good weights can be resumed)
OUTPUT_FAILED = 4  # train: --log or standard output could not be written (disk full, file too large, a
# closed pipe, a hung-up terminal): the run stopped as on Ctrl-C, its checkpoint and weights saved; one
# `Error: ...` line names the file and the cause
INTERRUPTED = 130  # Ctrl-C, SIGTERM or SIGHUP: what was done is saved; --resume continues
