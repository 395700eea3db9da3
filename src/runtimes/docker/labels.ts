/** Labels on what ditto makes on a Docker engine: every container and image of a home carries `ditto.home`, so the orphan scan finds them. */
export const LABEL_MANAGED = 'ditto.managed';
export const LABEL_COPY_ID = 'ditto.copy_id';
export const LABEL_HOME = 'ditto.home';
export const LABEL_GOLDEN = 'ditto.golden';
/** A helper container: what it is for (`dump`), and the process that runs it (`pid:start-time`, host). */
export const LABEL_HELPER = 'ditto.helper';
export const LABEL_DRIVER = 'ditto.driver';
export const LABEL_DRIVER_HOST = 'ditto.driver_host';
