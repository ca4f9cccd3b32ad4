/**
 * The types of the failures an activity raises for good (non-retryable), in one place: a workflow
 * tells them apart by these, and an operator finds them by these in a failed run's history.
 */
export const activityFailures = {
  /** The lifecycle table refuses the move (domain/lifecycle.ts). */
  illegalTransition: 'IllegalTransition',
  /** Nobody may take a task's step, not even a governance lead. */
  noAssignee: 'NoAssignee',
  /** A record the activity works on is not there; no retry makes it appear. */
  notFound: 'NotFound',
  /** PostgreSQL refuses the data as such (SQLSTATE class 22). */
  unstorableData: 'UnstorableData',
} as const;

export type ActivityFailureType = (typeof activityFailures)[keyof typeof activityFailures];

/** A record that is not there, thrown where it is looked up; an activity fails for good on it (activities/index.ts). */
export class RecordNotFoundError extends Error {
  constructor(what: string) {
    super(`${what} does not exist`);
    this.name = 'RecordNotFoundError';
  }
}
