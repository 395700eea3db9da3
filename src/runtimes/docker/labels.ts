import { homeKey, markOf, parseMark, type HomeMark } from '../home-mark.js';

/** Labels on what ditto makes on a Docker engine: every container and image of a home carries `ditto.home`, so the orphan scan finds them. */
export const LABEL_MANAGED = 'ditto.managed';
export const LABEL_COPY_ID = 'ditto.copy_id';
export const LABEL_HOME = 'ditto.home';
/** The home's mark (home-mark.ts): its path, and the host and mount namespace that path is seen from. */
export const LABEL_HOME_PATH = 'ditto.home_path';
export const LABEL_HOME_HOST = 'ditto.home_host';
export const LABEL_HOME_MOUNTS = 'ditto.home_mounts';
export const LABEL_GOLDEN = 'ditto.golden';
/** A helper container: what it is for (`dump`), and the process that runs it (`pid:start-time`, host). */
export const LABEL_HELPER = 'ditto.helper';
export const LABEL_DRIVER = 'ditto.driver';
export const LABEL_DRIVER_HOST = 'ditto.driver_host';

/** The labels every container of `home` carries; a golden image committed from one keeps them. */
export function homeLabels(home: string): Record<string, string> {
  const mark = markOf(home);
  return { [LABEL_MANAGED]: 'true', [LABEL_HOME]: homeKey(home), [LABEL_HOME_PATH]: mark.home, [LABEL_HOME_HOST]: mark.host, [LABEL_HOME_MOUNTS]: mark.mounts };
}

/** The mark a container or image carries, or null (made before ditto marked them). */
export function markOfLabels(labels: Record<string, string> | undefined): HomeMark | null {
  return parseMark({ home: labels?.[LABEL_HOME_PATH], host: labels?.[LABEL_HOME_HOST], mounts: labels?.[LABEL_HOME_MOUNTS] });
}
