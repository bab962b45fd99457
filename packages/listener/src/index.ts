export { startListener, type BoundListener, type ListenerReloadResult, type RunningListener, type StartListenerOptions } from './listener.js';
export { DEFAULT_LIMITS, type ListenerLimits } from './listener-runtime.js';
export { ListenerStartError } from './errors.js';
export * from './policy/index.js';
export { startListenerPrimary, type ListenerPrimary, type ListenerPrimaryOptions } from './cluster/primary.js';
export { runListenerChild, type ListenerChildOptions } from './cluster/child.js';
