/**
 * The runtimes the shared lifecycle suite runs over: each case is the config that selects it.
 * The suite is written once and parametrised over these.
 */
export interface RuntimeCase {
  name: 'local' | 'docker';
  config: Record<string, unknown>;
}

/**
 * The local PostgreSQL image scripts/docker-test-engine.sh builds (nothing can be pulled here), on
 * the host's network: the test engine runs without a bridge, and only loopback traffic is allowed.
 */
export const DOCKER_TEST_IMAGE = 'ditto-test/postgres:15';
export const DOCKER_CONFIG = { runtime: 'docker', copy_image: DOCKER_TEST_IMAGE, docker: { network: 'host' } };

export const RUNTIME_CASES: RuntimeCase[] = [
  { name: 'local', config: { runtime: 'local' } },
  { name: 'docker', config: DOCKER_CONFIG },
];

/** The local MariaDB image scripts/docker-test-mariadb.sh builds from the installed binaries. */
export const MARIADB_TEST_IMAGE = 'ditto-test/mariadb:10.11';

export const MARIADB_DOCKER_CONFIG = { runtime: 'docker', engine: 'mysql', copy_image: MARIADB_TEST_IMAGE, docker: { network: 'host' } };

/** The runtimes the MySQL suites run over. */
export const MYSQL_RUNTIME_CASES: RuntimeCase[] = [
  { name: 'local', config: { runtime: 'local', engine: 'mysql' } },
  { name: 'docker', config: MARIADB_DOCKER_CONFIG },
];
