import { z } from "zod";
import type { RouteSpec } from "./route.ts";

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
}

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" }, details: { type: "object" } },
    },
  },
};

/** The OpenAPI 3.1 document for the routes, generated from the same zod schemas that validate them. */
export function openApiDocument(routes: readonly RouteSpec[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const path = toOpenApiPath(spec.path);
    const pathParams = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const queryParams = spec.query
      ? Object.entries(((jsonSchema(spec.query) as { properties?: Record<string, unknown> }).properties ?? {})).map(([name, schema]) => ({ name, in: "query", schema }))
      : [];
    paths[path] ??= {};
    paths[path][spec.method] = {
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.access === "public" ? { security: [] } : {}),
      ...(pathParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams] } : {}),
      ...(spec.body ?? spec.bodyCheckedByHub ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema((spec.body ?? spec.bodyCheckedByHub)!) } } } } : {}),
      responses: {
        [String(spec.status ?? 200)]: { description: "Success" },
        default: { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info,
    paths,
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } }, schemas: { Error: errorSchema } },
  };
}
