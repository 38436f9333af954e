import { describe, expect, it } from "vitest";
import { isStoreUnavailable } from "../../src/store/identifiers.ts";

/** An error as node-postgres or Node's sockets report it. */
function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe("isStoreUnavailable", () => {
  it.each([
    ["a connection lost mid-query", driverError("Connection terminated unexpectedly")],
    ["a connect timeout", driverError("Connection terminated due to connection timeout")],
    ["no free pooled connection in time", driverError("timeout exceeded when trying to connect")],
    ["no reply within the read timeout", driverError("Query read timeout")],
    ["a client broken by an earlier failure", driverError("Client has encountered a connection error and is not queryable")],
    ["a refused connection", driverError("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
    ["a reset connection", driverError("read ECONNRESET", "ECONNRESET")],
    ["an unreachable host", driverError("connect EHOSTUNREACH 10.0.0.9:5432", "EHOSTUNREACH")],
    ["too many connections", driverError("sorry, too many clients already", "53300")],
    ["an administrator's shutdown", driverError("terminating connection due to administrator command", "57P01")],
    ["a statement cut by statement_timeout", driverError("canceling statement due to statement timeout", "57014")],
  ])("is true for %s", (_, error) => {
    expect(isStoreUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation", driverError("duplicate key value violates unique constraint", "23505")],
    ["a syntax error", driverError('syntax error at or near "SELEC"', "42601")],
    ["an error of our own", new Error("Outbox row has no ledger event")],
    ["something that is not an error", "Connection terminated unexpectedly"],
    ["nothing", undefined],
  ])("is false for %s", (_, error) => {
    expect(isStoreUnavailable(error)).toBe(false);
  });
});
