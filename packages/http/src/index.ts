export { startHttpManagement, type HttpManagementOptions, type RunningHttpManagement } from './server.js';
export type { ReloadResult } from './route.js';
export { accessLevel, allows } from './access.js';
export { metricsRegistry } from './metrics.js';
