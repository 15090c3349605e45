export { storeName } from '../observability/backend-health.js';
