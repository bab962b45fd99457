/**
 * Public API of @vmta/cli besides the `vmta` binary (dist/main.js): what the root test/ folder
 * checks of it directly.
 */
export { NICE_MAX, parseNice } from './priority.js';
