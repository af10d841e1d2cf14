// The CLI's exit codes, the same for every command.
export const ExitCode = {
  OK: 0,
  /** a check or verdict failed */
  FAILED: 1,
  /** bad usage or bad input */
  USAGE: 2,
  /** the environment cannot run this (with the reason) */
  ENVIRONMENT: 3,
} as const;

/** The end of `auditstorm --help`: what every command's exit code means and the environment it reads. */
export const HELP_FOOTER = `
Exit codes (every command):
  0    passed / done
  1    a check or verdict failed (a run failed its expectations, a baseline regressed)
  2    bad usage or bad input (the message names the file, line, field and what is allowed)
  3    the environment cannot run this (not root, no kernel audit, another daemon registered, lock held)
  129, 130, 143  stopped by SIGHUP, SIGINT (Ctrl-C), SIGTERM: the host is restored, what was measured is written

Environment:
  NO_COLOR                  no terminal redraws (the live status line); CI also turns them off
  CI                        no live status line (phase lines only)
  AUDITSTORM_KERNEL_HZ      the kernel's CONFIG_HZ when /proc/config.gz and /boot/config-* are missing
  AUDITSTORM_USER_HZ        USER_HZ of /proc/PID/stat CPU times (default 100)
  AUDITSTORM_STATE_DIR      where a run records what it changed, for \`auditstorm reset\` (default /run/auditstorm)
  AUDITSTORM_SOAK_MIN_MS    runs at least this long use soak mode (default 600000)
  AUDITSTORM_HOST_SNAPSHOT  ci/check-clean: the snapshot to compare with (as --against FILE)
`;
