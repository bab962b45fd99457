/**
 * The one home of operator actions and the views they are decided on. The CLI and the HTTP
 * server are adapters: they parse a request, call one function here, and format its result.
 * A new action goes in src/actions/ (one file, a typed result), a new read model in src/views/.
 */
export * from './cluster.js';
export * from './errors.js';
export * from './queue-ref.js';
export * from './actions/select-queues.js';
export * from './actions/queue-mode.js';
export * from './actions/backoff-mode.js';
export * from './actions/delete-queue.js';
export * from './actions/source-ip.js';
export * from './actions/notices.js';
export * from './views/cluster-view.js';
export * from './views/vmta-view.js';
export * from './views/domain-view.js';
export * from './actions/suppress.js';
export * from './actions/suppress-import.js';
export * from './actions/job-mode.js';
export * from './actions/delete-messages.js';
export * from './views/jobs-view.js';
export * from './views/messages-view.js';
export * from './views/events.js';
export * from './views/unparsed-reports.js';
