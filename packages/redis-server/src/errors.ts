/** The errors of @vmta/redis-server, each with a stable `code`. */

/** Thrown when no `redis-server` binary can be found. */
export class RedisServerNotFound extends Error {
  readonly code = 'REDIS_SERVER_NOT_FOUND';
  constructor(message?: string) {
    super(
      message ??
        'redis-server was not found on PATH. Install it (Debian/Ubuntu: `apt-get install redis-server`, ' +
          'macOS: `brew install redis`) or point at an existing Redis instead.',
    );
    this.name = 'RedisServerNotFound';
  }
}

/** Thrown when redis-server exits early or does not answer PING in time. */
export class RedisServerStartError extends Error {
  readonly code = 'REDIS_SERVER_START_FAILED';
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(logTail ? `${message}\n--- redis-server log (tail) ---\n${logTail}` : message);
    this.name = 'RedisServerStartError';
  }
}
