import { main } from "./main.ts";

/** The `billhub` process: runs the command line and exits with its code. */
const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
