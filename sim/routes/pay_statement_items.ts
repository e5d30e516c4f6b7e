/**
 * Pay statement items and their rules: `GET /employer/pay-statement-item` lists the
 * distinct lines a connection's pay statements use; rules
 * (`/employer/pay-statement-item/rule`) attach metadata to the lines they match, which
 * then shows on the items and on every matching pay statement line.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { openData, type SimContext } from "../context.ts";
import { benefitKind } from "../datagen/benefits.ts";
import { dayOf } from "../datagen/calendar.ts";
import type { Dataset } from "../datagen/dataset.ts";
import { activeGroups, history, type Metadata } from "../datagen/pay.ts";
import { finchError, invalidRequest } from "../errors.ts";
import { queryArray, readJson, readQuery } from "../http.ts";
import { randomUuid } from "../ids.ts";
import type { RuleRecord } from "../jobs.ts";
import type { ConnectionRecord } from "../store.ts";

const CATEGORIES = [
  "earnings",
  "taxes",
  "employee_deductions",
  "employer_contributions",
] as const;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD");

const Condition = z.object({
  field: z.string().optional(),
  operator: z.literal("equals").optional(),
  value: z.string().optional(),
});

const RuleBody = z.object({
  effective_start_date: Day.nullish(),
  effective_end_date: Day.nullish(),
  conditions: z.array(Condition).min(1),
  attributes: z.object({
    metadata: z.record(z.string(), z.unknown()).optional(),
  }).optional(),
  entity_type: z.literal("pay_statement_item").optional(),
});

const ItemsQuery = z.object({
  name: z.string().optional(),
  type: z.string().optional(),
  start_date: Day.optional(),
  end_date: Day.optional(),
});

/** One line kind a connection's pay statements use. */
interface Item {
  category: (typeof CATEGORIES)[number];
  name: string;
  type: string | null;
  pre_tax?: boolean;
  employer?: boolean;
  /** The last pay date a statement carried it (null: never paid yet). */
  last_seen: string | null;
}

/** The items generated statements can carry, and those of sandbox payments. */
function catalog(ds: Dataset, today: string): Item[] {
  const items: Item[] = [];
  const groups = activeGroups(ds);
  const lastSeen =
    groups.map((g) => history(ds, g, today).at(-1)?.pay_date ?? "")
      .sort().at(-1) || null;
  const earning = (name: string, type: string) =>
    items.push({ category: "earnings", name, type, last_seen: lastSeen });
  const kinds = new Set(groups.map((g) => g.kind));
  if (kinds.has("salary")) {
    earning("Regular Salary", "salary");
    earning("Paid Time Off", "pto");
    earning("Bonus", "bonus");
  }
  if (kinds.has("hourly")) {
    earning("Regular Hourly", "wage");
    earning("Overtime", "overtime");
  }
  if (kinds.has("contractor")) earning("Contractor Payment", "1099");
  if (kinds.has("salary") || kinds.has("hourly")) {
    const tax = (name: string, type: string, employer: boolean) =>
      items.push({
        category: "taxes",
        name,
        type,
        employer,
        last_seen: lastSeen,
      });
    tax("Federal Income Tax", "federal", false);
    tax("Social Security", "fica", false);
    tax("Medicare", "fica", false);
    tax("Social Security (Employer)", "fica", true);
    tax("Medicare (Employer)", "fica", true);
    tax("FUTA", "federal", true);
    for (const state of new Set(ds.shape.places.map((p) => p.state))) {
      const bp = ds.shape.places.find((p) => p.state === state)!.tax_bp;
      if (bp) tax(`State Income Tax - ${state}`, "state", false);
      tax(`SUTA - ${state}`, "state", true);
    }
    for (const b of ds.benefits()) {
      const kind = benefitKind(b.type);
      items.push({
        category: "employee_deductions",
        name: b.description ?? "",
        type: b.type,
        pre_tax: kind?.pre_tax ?? false,
        last_seen: lastSeen,
      });
      if (kind?.company_contribution) {
        items.push({
          category: "employer_contributions",
          name: b.description ?? "",
          type: b.type,
          last_seen: lastSeen,
        });
      }
    }
  }
  for (const p of ds.overlay.payments) {
    for (const s of p.statements) {
      for (const category of CATEGORIES) {
        for (const line of (s[category] ?? []) as Record<string, unknown>[]) {
          const seen = items.find((i) =>
            i.category === category && i.name === line.name
          );
          if (seen) {
            if (!seen.last_seen || seen.last_seen < p.pay_date) {
              seen.last_seen = p.pay_date;
            }
            continue;
          }
          items.push({
            category,
            name: String(line.name ?? ""),
            type: (line.type as string) ?? null,
            ...(category === "taxes"
              ? { employer: Boolean(line.employer) }
              : {}),
            ...(category === "employee_deductions"
              ? { pre_tax: Boolean(line.pre_tax) }
              : {}),
            last_seen: p.pay_date,
          });
        }
      }
    }
  }
  return items;
}

/** The live rules of a connection, by priority. */
function rulesOf(ctx: SimContext, conn: ConnectionRecord): RuleRecord[] {
  return (ctx.store.data.rules[conn.id] ?? []).filter((r) => !r.deleted_at);
}

/**
 * The metadata rules give a line paid on a day: every live rule whose conditions all
 * match (`name`, `type` or `category` equal to the value) and whose dates contain the
 * day, later priorities overriding earlier ones.
 */
export function metadataFor(
  ctx: SimContext,
  conn: ConnectionRecord,
): (payDate: string | null) => Metadata {
  const rules = rulesOf(ctx, conn);
  return (payDate) => (category, name, type = null) => {
    let out: Record<string, unknown> | null = null;
    for (const rule of rules) {
      if (
        payDate && rule.effective_start_date &&
        payDate < rule.effective_start_date
      ) continue;
      if (
        payDate && rule.effective_end_date && payDate > rule.effective_end_date
      ) continue;
      const fields: Record<string, string | null> = { name, type, category };
      const match = rule.conditions.every((c) =>
        c.field !== undefined && fields[c.field] === c.value
      );
      if (match) out = { ...(out ?? {}), ...rule.attributes.metadata };
    }
    return out;
  };
}

/** The pay statement item sub-app. */
export function payStatementItemsApp(ctx: SimContext): Hono {
  const app = new Hono();

  app.get("/employer/pay-statement-item", (c) => {
    ctx.requireBearer(c);
    const query = readQuery(c, ItemsQuery);
    const categories = queryArray(c, "categories");
    const unknown = categories.filter((x) => !CATEGORIES.includes(x as never));
    if (unknown.length) {
      throw invalidRequest(
        `Invalid request: unknown categories ${unknown.join(", ")}`,
      );
    }
    const o = openData(ctx, c, "pay_statement");
    if (o instanceof Response) return o;
    const meta = metadataFor(ctx, o.bearer.conn)(null);
    const responses = catalog(o.ds, dayOf(ctx.now()))
      .filter((i) => !categories.length || categories.includes(i.category))
      .filter((i) =>
        !query.name || i.name.toLowerCase().includes(query.name.toLowerCase())
      )
      .filter((i) => !query.type || i.type === query.type)
      .filter((i) =>
        (!query.start_date ||
          (i.last_seen !== null && i.last_seen >= query.start_date)) &&
        (!query.end_date ||
          (i.last_seen !== null && i.last_seen <= query.end_date))
      )
      .map((i) => ({
        name: i.name,
        category: i.category,
        attributes: {
          type: i.type,
          ...(i.category === "employee_deductions"
            ? { pre_tax: i.pre_tax }
            : {}),
          ...(i.category === "taxes" ? { employer: i.employer } : {}),
          metadata: meta(i.category, i.name, i.type),
        },
      }));
    return c.json({ responses });
  });

  const find = (conn: ConnectionRecord, id: string) => {
    const rule = rulesOf(ctx, conn).find((r) => r.id === id);
    // The spec's error for an unknown rule is a 400, not a 404.
    if (!rule) {
      throw finchError(
        400,
        "invalid_request_error",
        `Rule ${id} not found`,
        "invalid_request",
      );
    }
    return rule;
  };

  app.post("/employer/pay-statement-item/rule", async (c) => {
    const o = openData(ctx, c, "pay_statement");
    if (o instanceof Response) return o;
    const body = await ruleBody(c);
    const now = new Date(ctx.now()).toISOString();
    const list = ctx.store.data.rules[o.bearer.conn.id] ??= [];
    const rule: RuleRecord = {
      id: randomUuid(),
      priority: list.length + 1,
      created_at: now,
      updated_at: now,
      effective_start_date: body.effective_start_date ?? null,
      effective_end_date: body.effective_end_date ?? null,
      conditions: body.conditions ?? [],
      attributes: { metadata: body.attributes?.metadata ?? {} },
      entity_type: "pay_statement_item",
    };
    list.push(rule);
    ctx.store.changed();
    return c.json(rule, 201);
  });

  app.get("/employer/pay-statement-item/rule", (c) => {
    const o = openData(ctx, c, "pay_statement");
    if (o instanceof Response) return o;
    return c.json({ responses: rulesOf(ctx, o.bearer.conn) });
  });

  app.put("/employer/pay-statement-item/rule/:rule_id", async (c) => {
    const o = openData(ctx, c, "pay_statement");
    if (o instanceof Response) return o;
    const rule = find(o.bearer.conn, c.req.param("rule_id"));
    const body = await ruleBody(c, true);
    Object.assign(rule, {
      ...body,
      ...(body.attributes
        ? { attributes: { metadata: body.attributes.metadata ?? {} } }
        : {}),
      updated_at: new Date(ctx.now()).toISOString(),
    });
    ctx.store.changed();
    return c.json(rule);
  });

  app.delete("/employer/pay-statement-item/rule/:rule_id", (c) => {
    const o = openData(ctx, c, "pay_statement");
    if (o instanceof Response) return o;
    const rule = find(o.bearer.conn, c.req.param("rule_id"));
    rule.deleted_at = new Date(ctx.now()).toISOString();
    ctx.store.changed();
    return c.json(rule);
  });

  return app;
}

/** A rule body; on update every field is optional. */
function ruleBody(
  c: Parameters<typeof readJson>[0],
  partial = false,
): Promise<Partial<z.infer<typeof RuleBody>>> {
  return readJson(c, partial ? RuleBody.partial() : RuleBody);
}
