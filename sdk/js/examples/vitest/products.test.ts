import { itHasADatabaseOfItsOwnWorker } from './shared.js';

itHasADatabaseOfItsOwnWorker('products');
