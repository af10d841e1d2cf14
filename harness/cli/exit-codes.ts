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
