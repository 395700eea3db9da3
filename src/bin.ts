import { hideBin } from 'yargs/helpers';
import { runAndExit } from './cli/main.js';

runAndExit(hideBin(process.argv));
