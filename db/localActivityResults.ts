import type { Queryable } from './pool';

/** A local activity's place in its workflow run: the run and the activity's sequence number, which a replay gives it again. */
export interface LocalActivityRun {
  runId: string;
  activitySeq: string;
  activityType: string;
  /** The hash of the call's arguments. */
  argsHash: string;
}

/**
 * A result is needed only until the workflow task that ran the activity is completed, seconds later;
 * a task failing over and over (a bug after the activity) keeps running it again for longer. A week
 * covers that, and an older rerun falls back on each activity's own keyed writes.
 */
export const localActivityResultsKeptDays = 7;

/** What the activity answered when it first completed in this run, if it did; `{ value }` keeps an undefined answer apart from none. */
export async function rememberedResult(db: Queryable, run: LocalActivityRun): Promise<{ value: unknown } | undefined> {
  const { rows } = await db.query<{ result: string }>(
    'SELECT result FROM local_activity_results WHERE run_id = $1 AND activity_seq = $2 AND activity_type = $3 AND args_hash = $4',
    [run.runId, run.activitySeq, run.activityType, run.argsHash],
  );
  return rows[0] && { value: (JSON.parse(rows[0].result) as { value?: unknown }).value };
}

/**
 * Keeps `value` as the call's answer, unless another attempt of the same call kept one first (two
 * attempts at once: a workflow task timed out on a worker still running it); then that first answer,
 * so that every attempt answers alike.
 */
export async function rememberResult(db: Queryable, run: LocalActivityRun, value: unknown): Promise<unknown> {
  const { rowCount } = await db.query(
    `INSERT INTO local_activity_results (run_id, activity_seq, activity_type, args_hash, result) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (run_id, activity_seq) DO NOTHING`,
    [run.runId, run.activitySeq, run.activityType, run.argsHash, JSON.stringify({ value })],
  );
  if (rowCount) return value;
  const kept = await rememberedResult(db, run);
  return kept ? kept.value : value;
}

export async function forgetOldLocalActivityResults(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM local_activity_results WHERE completed_at < now() - make_interval(days => $1)`, [
    localActivityResultsKeptDays,
  ]);
  return rowCount ?? 0;
}
