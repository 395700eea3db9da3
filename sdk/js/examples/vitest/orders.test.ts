import { itHasADatabaseOfItsOwnWorker } from './shared.js';

itHasADatabaseOfItsOwnWorker('orders');
