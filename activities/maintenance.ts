import { forgetOldLocalActivityResults } from '../db/localActivityResults';
import type { ActivityDeps } from '.';

export function createMaintenanceActivities({ pool }: ActivityDeps) {
  return {
    /** The local activities' answers kept for their reruns, past the time any rerun could ask (see the module). */
    async forgetOldLocalActivityResults(): Promise<{ forgotten: number }> {
      return { forgotten: await forgetOldLocalActivityResults(pool) };
    },
  };
}
