// Copies coming back (DESIGN section 13, "a copy is its data, not its process"): the time from a
// copy's server killed with SIGKILL to its connection string answering again,
//   (a) through a command's heal: `ditto ls`, then a connection;
//   (b) through the detached maintainer alone (it looks at the servers every 2 s between passes);
// for PostgreSQL and MariaDB on the local runtime and Docker (where the test images are present).
// And what the look costs every command: `ditto ls` with 1 and with 10 ready copies, and on
// Docker one list call against one inspect per copy.
//
//   node scripts/bench-heal.mjs [--runs 5] [--ls-runs 10]
//
// Medians of --runs. Results: bench/results/heal.json.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { benchHome, dataRootOf, dittoArgv, leftBehind, median, numberOption, printTable, removeHome, round, timeOnce, writeResult } from './bench-lib.mjs';

const runs = numberOption('--runs', 5);
const lsRuns = numberOption('--ls-runs', 10);
const ditto = dittoArgv();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hasImage = (image) => spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;

const docker = (image, engine) => `runtime: docker\nengine: ${engine}\ncopy_image: ${image}\ndocker:\n  network: host\n`;
const CASES = [
  { name: 'postgres on local', runtime: 'local', yaml: 'runtime: local\nengine: postgres\n' },
  { name: 'postgres on docker', runtime: 'docker', yaml: docker('ditto-test/postgres:15', 'postgres'), image: 'ditto-test/postgres:15' },
  { name: 'mysql on local', runtime: 'local', yaml: 'runtime: local\nengine: mysql\n' },
  { name: 'mysql on docker', runtime: 'docker', yaml: docker('ditto-test/mariadb:10.11', 'mysql'), image: 'ditto-test/mariadb:10.11' },
].filter((c) => !c.image || hasImage(c.image));

/** Whether the copy at `dsn` answers a query now. */
async function answers(dsn) {
  try {
    if (dsn.startsWith('mysql:')) {
      const conn = await mysql.createConnection({ uri: dsn, connectTimeout: 1000 });
      await conn.query('SELECT 1');
      await conn.end();
    } else {
      const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
    }
    return true;
  } catch {
    return false;
  }
}

/** ms from `since` until `dsn` answers (polled every 20 ms), or throws after `timeoutMs`. */
async function untilAnswers(dsn, since, timeoutMs) {
  while (!(await answers(dsn))) {
    if (Date.now() - since > timeoutMs) throw new Error(`${dsn.replace(/:[^:@]*@/, ':***@')} did not answer within ${timeoutMs / 1000}s`);
    await sleep(20);
  }
  return Date.now() - since;
}

function alive(pid) {
  try {
    return !/^\S+ \S+ [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));
  } catch {
    return false;
  }
}

async function waitUntil(check, what, timeoutMs = 30_000) {
  for (const until = Date.now() + timeoutMs; !(await check()); await sleep(10)) if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
}

/** The detached maintainers of the home `dir`. */
function maintainers(dir) {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const args = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return args.includes('maintain') && args.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function killMaintainers(dir) {
  const pids = maintainers(dir);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await waitUntil(() => !pids.some(alive), 'the maintainer to die');
}

/** SIGKILL to the copy's server (the local runtime's recorded pid, or the container's main process); returns when it was sent. */
async function killServer(runtime, dir, id) {
  let pid;
  if (runtime === 'local') pid = JSON.parse(fs.readFileSync(path.join(dataRootOf(dir), 'copies', id, 'server.json'), 'utf8')).pid;
  else pid = Number(spawnSync('docker', ['inspect', '-f', '{{.State.Pid}}', `ditto-${id}`], { encoding: 'utf8' }).stdout.trim());
  const sent = Date.now();
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => !alive(pid), `the server of ${id} to die`);
  return sent;
}

const result = { runner: ditto.label, runs, ls_runs: lsRuns, cases: {} };
const rows = [];
const lsRows = [];
let port = 39400;
try {
  for (const c of CASES) {
    const { dir, env } = benchHome(`${c.yaml}pool:\n  size: 0\nports:\n  min: ${port}\n  max: ${port + 19}\n`);
    port += 20;
    const run = (...a) => timeOnce([...ditto.argv, ...a], { env, cwd: dir });
    const out = { command: [], command_ls: [], maintainer: [] };
    try {
      const copy = JSON.parse(run('up', '--json', '--ttl', '30m').stdout);
      const dsn = copy.connection_string;
      // (a) The next command heals: `ditto ls`, then a connection. No maintainer to get there first.
      for (let i = 0; i < runs; i++) {
        await killMaintainers(dir);
        const sent = await killServer(c.runtime, dir, copy.id);
        out.command_ls.push(run('ls').ms);
        out.command.push(await untilAnswers(dsn, sent, 60_000));
      }
      // (b) The maintainer alone (the last ls started one): no command runs.
      for (let i = 0; i < runs; i++) {
        await waitUntil(() => maintainers(dir).length > 0, 'a maintainer');
        await sleep(500 + Math.random() * 2000); // not in step with its 2 s look
        const sent = await killServer(c.runtime, dir, copy.id);
        out.maintainer.push(await untilAnswers(dsn, sent, 60_000));
      }
      const events = JSON.parse(run('logs', copy.id, '--json').stdout).filter((e) => e.action === 'restarted');
      out.restarts = { cli: events.filter((e) => e.actor === 'cli').length, maintainer: events.filter((e) => e.actor === 'maintainer').length };
      out.restart_ms_in_process = median(events.map((e) => e.metadata.ms));
      // What the look costs every command: ls with 1, then 10 ready copies (postgres only: the look is engine-neutral).
      if (c.name.startsWith('postgres')) {
        const ls = () => median(Array.from({ length: lsRuns }, () => run('ls').ms));
        out.ls_1_copy_ms = round(ls());
        for (let i = 0; i < 9; i++) run('up', '--ttl', '30m');
        out.ls_10_copies_ms = round(ls());
        if (c.runtime === 'docker') out.docker_look = await dockerLook(dir);
        lsRows.push([c.name, out.ls_1_copy_ms.toFixed(1), out.ls_10_copies_ms.toFixed(1), out.docker_look ? `${out.docker_look.one_list_ms} / ${out.docker_look.inspect_each_ms}` : '-']);
      }
    } catch (err) {
      out.error = err.message.split('\n')[0];
    } finally {
      removeHome(dir, env, ditto.argv);
      out.left_behind = leftBehind(dir);
    }
    result.cases[c.name] = {
      ...out,
      command_median_ms: out.command.length ? round(median(out.command)) : null,
      command_ls_median_ms: out.command_ls.length ? round(median(out.command_ls)) : null,
      maintainer_median_ms: out.maintainer.length ? round(median(out.maintainer)) : null,
    };
    const r = result.cases[c.name];
    rows.push([c.name, r.command_median_ms ?? '-', r.command_ls_median_ms ?? '-', r.maintainer_median_ms ?? '-', r.restart_ms_in_process ?? '-', out.error ?? (out.left_behind.length ? 'LEAKS' : 'ok')]);
  }
  printTable(`killed server -> answering again, medians of ${runs} (${ditto.label})`, ['case', '(a) ls+connect ms', 'of it ls ms', '(b) maintainer ms', 'restart ms', 'result'], rows);
  if (lsRows.length) printTable(`the look every command pays: ditto ls, medians of ${lsRuns}`, ['case', '1 copy ms', '10 copies ms', 'docker: 1 list / 10 inspects ms'], lsRows);
} finally {
  writeResult('heal', result);
}

/** One list call (what the runtime does) against one inspect per copy (in turn, as a check per copy would), medians of 20, for the copies of the home `dir`. */
async function dockerLook(dir) {
  const client = new Docker();
  const labels = ['ditto.managed=true', `ditto.home=${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`];
  const ids = (await client.listContainers({ all: true, filters: { label: labels } })).map((c) => c.Id);
  const time = async (fn) => {
    const ms = [];
    for (let i = 0; i < 20; i++) {
      const t = process.hrtime.bigint();
      await fn();
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return round(median(ms));
  };
  return {
    containers: ids.length,
    one_list_ms: await time(() => client.listContainers({ all: true, filters: { label: labels, status: ['running'] } })),
    inspect_each_ms: await time(async () => {
      for (const id of ids) await client.getContainer(id).inspect();
    }),
  };
}
