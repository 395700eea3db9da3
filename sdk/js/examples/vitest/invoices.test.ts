import { itHasADatabaseOfItsOwnWorker } from './shared.js';

itHasADatabaseOfItsOwnWorker('invoices');
