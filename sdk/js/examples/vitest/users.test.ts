import { itHasADatabaseOfItsOwnWorker } from './shared.js';

itHasADatabaseOfItsOwnWorker('users');
