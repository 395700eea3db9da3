import type { DittoClient, IssuedCopy } from '../../../sdk/js/src/index.js';
import { checkRunnerFiles, exportVariable, info, input, mask, saveState, setOutput, warning } from './runner.js';
import { COPY_STATE, NAMED_STATE, clientFromInputs, step } from './settings.js';

/**
 * The action's main step: a copy for this job. Its password and connection string are masked
 * before anything else, its id saved for the post step at once, then the outputs (database-url,
 * copy-id) and the variables DATABASE_URL and DITTO_COPY_ID for the later steps.
 */
await step('up', async () => {
  checkRunnerFiles();
  const client = clientFromInputs();
  await checkVersion(client, input('version'));
  const name = input('name') || undefined;
  if (input('down') === 'true') {
    if (!name) throw new Error('`down: true` needs `name`: the copy of that name is destroyed');
    return info((await client.downNamed(name)) ? `ditto: destroyed the copy named ${name}` : `ditto: no copy named ${name} to destroy`);
  }
  const copy = await client.up({ ttl: input('ttl') || undefined, label: input('label') || undefined, dump: input('dump') || undefined, name });
  maskConnection(copy.connectionString);
  try {
    // A named copy is for the next run too: post keeps it (`down: true` destroys it).
    saveState(name ? NAMED_STATE : COPY_STATE, name ? `${copy.id} ${name}` : copy.id);
    setOutput('database-url', copy.connectionString);
    setOutput('copy-id', copy.id);
    exportVariable('DATABASE_URL', copy.connectionString);
    exportVariable('DITTO_COPY_ID', copy.id);
  } catch (err) {
    // Nothing would destroy it: the post step cannot have its id.
    if (!name) await client.down(copy.id).catch(() => {});
    throw err;
  }
  info(describe(copy, client, name));
});

/** The password (as written in the URL and decoded) and the whole URL, masked in the job's log from now on. */
function maskConnection(dsn: string): void {
  try {
    const { password } = new URL(dsn);
    mask(decodeURIComponent(password));
    if (decodeURIComponent(password) !== password) mask(password);
  } catch {
    // Not a URL: the whole string is masked below.
  }
  mask(dsn);
}

/**
 * `version`: the ditto this workflow expects. The action downloads nothing; it warns when the
 * ditto it uses (the local executable, or the host) reports another version.
 */
async function checkVersion(client: DittoClient, wanted: string): Promise<void> {
  if (!wanted || wanted === 'latest') return;
  const { version } = await client.status();
  if (version !== wanted.replace(/^v/, '')) {
    const which = client.mode === 'local' ? 'the ditto executable (DITTO_BIN or PATH)' : 'the ditto host';
    warning(`ditto: version ${wanted} was asked for, and ${which} is ${version}; the action uses it as it is`);
  }
}

function describe(copy: IssuedCopy, client: DittoClient, name: string | undefined): string {
  const where = client.mode === 'remote' ? 'on the ditto host' : 'on this runner';
  const end = name ? `the copy is named ${name} and outlives the job (down: true destroys it)` : 'the post step destroys the copy';
  return `ditto: copy ${copy.id} ready ${where} (port ${copy.port ?? '-'}), expires at ${copy.expiresAt ?? '-'}; DATABASE_URL is set for the next steps, and ${end}`;
}
