import type { RequestHandler } from "msw";
import { setupServer, type SetupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";

/** A stand-in whose handlers msw serves and whose state is reset after each test. */
export interface StandIn {
  handlers: RequestHandler[];
  reset(): void;
}

/**
 * Serves the stand-ins with msw for the file that calls it (an unhandled request fails the test),
 * resets handlers added with `server.use` and the stand-ins' state after each test, and closes after the file.
 */
export function useStandIns(...standIns: StandIn[]): SetupServer {
  const server = setupServer(...standIns.flatMap((standIn) => standIn.handlers));
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => {
    server.resetHandlers();
    for (const standIn of standIns) standIn.reset();
  });
  afterAll(() => server.close());
  return server;
}
