/** Pure inbound policy: replies, address analysis, relay decision, VMTA selection, header operations. */
export * from './smtp-reply.js';
export * from './address.js';
export * from './relay.js';
export * from './vmta-selection.js';
export * from './pattern-routing.js';
export * from './job-header.js';
export * from './headers.js';
export * from './received-header.js';
export * from './esmtp-params.js';
export * from './junk-commands.js';
