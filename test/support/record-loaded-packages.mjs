// Loaded with `node --import`: appends the name of every package the process resolves a module
// of to the file named by LOADED_PACKAGES_FILE, one per line, so a test can tell which
// SDKs and drivers a billhub process pulled in. The resolve hook runs on Node's loader thread.
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(result.url);
  if (match && process.env.LOADED_PACKAGES_FILE) appendFileSync(process.env.LOADED_PACKAGES_FILE, `${match[1]}\n`);
  return result;
}
