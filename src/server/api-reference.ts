import { openApiDocument } from "./openapi.ts";
import type { RouteSpec } from "./route.ts";

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  description?: string;
}

interface Operation {
  summary: string;
  tags: string[];
  security?: unknown[];
  parameters?: Array<{ name: string; in: "path" | "query"; required?: boolean; schema: JsonSchema }>;
  requestBody?: { content: { "application/json": { schema: JsonSchema } } };
  responses: Record<string, unknown>;
}

/** A JSON Schema as a short type: `string`, `integer`, `"a" \| "b"`, `string[]`, `object`. */
function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum !== undefined) return schema.enum.map((value) => JSON.stringify(value)).join(" \\| ");
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants !== undefined) {
    const types = [...new Set(variants.map(typeOf))];
    return (types.length > 1 ? types.filter((type) => type !== "any") : types).join(" \\| ");
  }
  if (schema.type === "array") return `${schema.items === undefined ? "unknown" : typeOf(schema.items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(" \\| ");
  return schema.type ?? "any";
}

/** The bounds and formats worth telling a caller: `1–255 chars`, `≥ 0`, `date-time`. */
function limitsOf(schema: JsonSchema): string {
  const notes: string[] = [];
  if (schema.format !== undefined) notes.push(schema.format);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) notes.push(`${schema.minLength ?? 0}–${schema.maxLength ?? "∞"} chars`);
  if (schema.minimum !== undefined) notes.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) notes.push(`≤ ${schema.maximum}`);
  if (schema.maxItems !== undefined) notes.push(`at most ${schema.maxItems} items`);
  if (schema.description !== undefined) notes.push(schema.description.replace(/\s+/g, " "));
  return notes.join("; ").replace(/\|/g, "\\|");
}

function fieldTable(rows: Array<{ name: string; schema: JsonSchema; required: boolean }>): string[] {
  if (rows.length === 0) return [];
  return ["| field | type | required | notes |", "| --- | --- | --- | --- |", ...rows.map((row) => `| \`${row.name}\` | ${typeOf(row.schema)} | ${row.required ? "yes" : ""} | ${limitsOf(row.schema)} |`), ""];
}

/**
 * The REST API as a Markdown reference, generated from the routes' own zod schemas (through the
 * same OpenAPI document `/openapi.json` serves), grouped by tag in route order.
 *
 * @example writeFileSync("docs/API.md", apiReferenceMarkdown(allRoutes(hub), "0.1.0"))
 */
export function apiReferenceMarkdown(routes: readonly RouteSpec[], version: string): string {
  const document = openApiDocument(routes, { title: "billhub", version }) as { paths: Record<string, Record<string, Operation>> };
  const access = new Map(routes.map((spec) => [`${spec.method} ${spec.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`, spec.access]));
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    // Webhook routes exist per configured provider and take the provider's own payloads.
    if (path.startsWith("/webhooks/")) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const lines: string[] = [`### \`${method.toUpperCase()} ${path}\``, "", operation.summary, ""];
      const status = Object.keys(operation.responses).find((key) => key !== "default");
      const needs = access.get(`${method} ${path}`);
      lines.push(`Access: ${needs === "public" ? "public (no API key)" : `a ${needs} key`}. Success: ${status}.`, "");
      const query = (operation.parameters ?? []).filter((parameter) => parameter.in === "query");
      if (query.length > 0) lines.push("Query:", "", ...fieldTable(query.map((parameter) => ({ name: parameter.name, schema: parameter.schema, required: parameter.required === true }))));
      const body = operation.requestBody?.content["application/json"].schema;
      if (body !== undefined) {
        const required = new Set(body.required ?? []);
        const fields = Object.entries(body.properties ?? {}).map(([name, schema]) => ({ name, schema, required: required.has(name) }));
        lines.push(fields.length > 0 ? "Body (JSON):" : `Body (JSON): ${typeOf(body)}`, "", ...fieldTable(fields));
      }
      const tag = operation.tags[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...lines]);
    }
  }
  const header = [
    "# billhub REST API",
    "",
    `Generated from the routes' schemas (billhub ${version}) by \`npm run docs:api\`; the service serves the same as OpenAPI 3.1 at \`/openapi.json\`.`,
    "Every route but the public ones needs `Authorization: Bearer <key>` with one of `server.apiKeys`.",
    'A refusal answers its status with `{ "error": { "code", "message", "field"?, "details"? } }`; `field` names the bad input.',
    "Beside these, `POST /webhooks/<provider>` takes each configured provider's signed webhooks (see the README's Webhooks section).",
    "",
    ...[...byTag.keys()].map((tag) => `- [${tag}](#${tag.toLowerCase().replace(/[^a-z0-9]+/g, "-")})`),
    "",
  ];
  return [...header, ...[...byTag.entries()].flatMap(([tag, lines]) => [`## ${tag}`, "", ...lines])].join("\n").replace(/\n+$/, "\n");
}
