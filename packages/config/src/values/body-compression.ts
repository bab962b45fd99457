/**
 * `body-compression`: what the listener stores message bodies as (not a PowerMTA directive). Every
 * process reads all of them; zstd only once every delivery process is a version that reads it.
 */
import { closedWordType } from './closed-word.js';

export type BodyCompressionMode = 'deflate' | 'zstd' | 'none';

export const bodyCompressionType = closedWordType<BodyCompressionMode>('body-compression', ['deflate', 'zstd', 'none']);
