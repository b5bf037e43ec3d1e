import type { Stoppable } from './demo.js';

/**
 * Starts a long-running command and stops it on SIGINT/SIGTERM (a second signal forces the
 * exit). A failure to start exits 2: user errors with their message alone, others with a stack.
 */
export async function runUntilSignal(start: () => Promise<Stoppable>, isUserError: (err: unknown) => boolean | Promise<boolean>): Promise<void> {
  let running: Stoppable;
  try {
    running = await start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (await isUserError(err)) process.stderr.write(`fleetpulse: ${e.message}\n`);
    else if (e.code === 'EADDRINUSE') process.stderr.write(`fleetpulse: cannot listen: ${e.message}; is another bridge running? choose other ports with FLEETPULSE_INGEST_PORT / FLEETPULSE_HTTP_PORT\n`);
    else process.stderr.write(`fleetpulse: ${e.stack ?? e.message}\n`);
    process.exit(2);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C forces it
    stopping = true;
    process.stderr.write(`fleetpulse: ${signal} received, stopping\n`);
    const force = setTimeout(() => process.exit(1), running.stopDeadlineMs ?? 5000).unref();
    running.stop().then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
