/**
 * `billhub/better-auth`: billhub as a better-auth plugin. The signed-in user's billing customer,
 * entitlement checks, checkout and customer portal under better-auth's own routes and sessions,
 * and a hub customer for every user who signs up. Needs `better-auth` installed (an optional peer).
 *
 * @example
 * import { betterAuth } from "better-auth";
 * import { billhub } from "billhub/better-auth";
 * export const auth = betterAuth({ database, emailAndPassword: { enabled: true }, plugins: [billhub({ hub })] });
 * // the browser: GET /api/auth/billhub/check?feature=api, POST /api/auth/billhub/checkout {...}
 */
export { billhub, type BillhubPluginOptions, type BillhubSession } from "./server/better-auth-plugin.ts";
