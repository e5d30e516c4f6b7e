/**
 * Finch's sandbox endpoints: connections and accounts made without Connect, the
 * connection status flip (`account.updated`), and the data changes an integrator uses to
 * test a sync job: company, people, employments and payments, each followed by the
 * webhooks Finch sends for it; plus sandbox jobs and their configured outcome.
 *
 * The simulator accepts them for every connection, not only `sandbox: "finch"` ones, so
 * any connection can be driven from a test.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import type { z } from "zod";
import { liveEntityIds, type SimContext } from "../context.ts";
import { dayOf, daysBefore } from "../datagen/calendar.ts";
import type { Dataset } from "../datagen/dataset.ts";
import {
  DIRECTORY_KEYS,
  EMPLOYMENT_KEYS,
  INDIVIDUAL_KEYS,
  pickKeys,
  type StoredStatement,
} from "../datagen/overlay.ts";
import { finchError } from "../errors.ts";
import { readJson } from "../http.ts";
import { randomUuid } from "../ids.ts";
import {
  CompanyBody,
  DirectoryBody,
  EmploymentBody,
  IndividualBody,
  JobConfigurationBody,
  PaymentBody,
} from "../schemas_sandbox.ts";
import { startDataSync } from "./jobs.ts";
import { individualNotFound } from "./organization.ts";
import {
  SandboxAccountBody,
  SandboxConnectionBody,
  UpdateAccountBody,
} from "../schemas.ts";
import type { ConnectionRecord, TokenRecord } from "../store.ts";

/** The sandbox sub-app. */
export function sandboxApp(ctx: SimContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  const sandboxJson = (token: TokenRecord, conn: ConnectionRecord) => ({
    access_token: token.access_token,
    token_type: "bearer",
    connection_id: conn.id,
    entity_id: liveEntityIds(conn)[0] ?? conn.entities[0]?.id,
    account_id: conn.account_id,
    company_id: conn.company_id,
    provider_id: conn.provider_id,
    authentication_type: conn.auth_method,
    products: token.products,
  });

  app.post("/sandbox/connections", async (c) => {
    ctx.requireBasic(c);
    const body = await readJson(c, SandboxConnectionBody);
    const { token, conn } = store.sandboxConnection(body);
    return c.json(sandboxJson(token, conn));
  });

  app.post("/sandbox/connections/accounts", async (c) => {
    ctx.requireBasic(c);
    const body = await readJson(c, SandboxAccountBody);
    const { token, conn } = store.sandboxAccount(body);
    const { token_type: _, ...rest } = sandboxJson(token, conn);
    return c.json(rest);
  });

  app.put("/sandbox/connections/accounts", async (c) => {
    const { token, conn } = ctx.requireBearer(c);
    const body = await readJson(c, UpdateAccountBody);
    ctx.setConnectionStatus(conn, body.connection_status);
    const { access_token: _, token_type: __, ...rest } = sandboxJson(
      token,
      conn,
    );
    return c.json({ ...rest, products: conn.products });
  });

  // ---- data -------------------------------------------------------------------------

  /** The entity a person's webhooks name, when the connection has several. */
  const entityOf = (ds: Dataset, ref: number) =>
    ds.conn.entities.length > 1 ? ds.entityOf(ref) ?? undefined : undefined;

  app.put("/sandbox/company", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, CompanyBody);
    const overlay = ctx.overlay(conn);
    overlay.company = body;
    ctx.touched(overlay);
    ctx.emit(conn, "company.updated", null);
    return c.json(body);
  });

  app.post("/sandbox/directory", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, DirectoryBody);
    const overlay = ctx.overlay(conn);
    const live = liveEntityIds(conn);
    const created = body.map((fields) => {
      const person = {
        id: randomUuid(),
        entity_id: live.length
          ? live[overlay.created.length % live.length]
          : null,
        fields: pickKeys(fields, [...INDIVIDUAL_KEYS, ...EMPLOYMENT_KEYS]),
      };
      overlay.created.push(person);
      return person;
    });
    ctx.touched(overlay);
    for (const p of created) {
      const entity = conn.entities.length > 1
        ? p.entity_id ?? undefined
        : undefined;
      for (const kind of ["directory", "individual", "employment"]) {
        ctx.emit(conn, `${kind}.created`, { individual_id: p.id }, entity);
      }
    }
    return c.json(created.map((p) => ({ id: p.id, ...p.fields })));
  });

  /** A sandbox update of one person's individual or employment fields. */
  const update = (kind: "individual" | "employment") => async (c: Context) => {
    const bearer = ctx.requireBearer(c);
    const body = await readJson(
      c,
      kind === "individual" ? IndividualBody : EmploymentBody,
    );
    const id = c.req.param("individual_id")!;
    const ds = ctx.dataset(bearer.conn);
    const ref = ds.refOf(id, null);
    if (ref === null) {
      throw finchError(
        404,
        "not_found_error",
        individualNotFound(id).body.message,
        "individual_not_found",
      );
    }
    const keys = kind === "individual" ? INDIVIDUAL_KEYS : EMPLOYMENT_KEYS;
    const before = ds.directory(ref);
    const overlay = ctx.overlay(bearer.conn);
    const changes = pickKeys(body, keys);
    const person = overlay.created.find((p) => p.id === id);
    if (person) Object.assign(person.fields, changes);
    else overlay.people[id] = { ...overlay.people[id], ...changes };
    ctx.touched(overlay);
    const after = ctx.dataset(bearer.conn);
    const entity = entityOf(after, ref);
    ctx.emit(bearer.conn, `${kind}.updated`, { individual_id: id }, entity);
    const row = after.directory(ref);
    if (
      DIRECTORY_KEYS.some((k) =>
        JSON.stringify(before[k]) !== JSON.stringify(row[k])
      )
    ) {
      ctx.emit(bearer.conn, "directory.updated", { individual_id: id }, entity);
    }
    return c.json(
      kind === "individual"
        ? after.individual(ref, bearer.token.products.includes("ssn"))
        : after.employment(ref),
    );
  };
  app.put("/sandbox/individual/:individual_id", update("individual"));
  app.put("/sandbox/employment/:individual_id", update("employment"));

  app.post("/sandbox/payment", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, PaymentBody);
    const ds = ctx.dataset(conn);
    const items = body.pay_statements ?? [];
    const unknown = items.find((s) => ds.refOf(s.individual_id, null) === null);
    if (unknown) {
      throw finchError(
        404,
        "not_found_error",
        individualNotFound(unknown.individual_id).body.message,
        "individual_not_found",
      );
    }
    const end = body.end_date ?? dayOf(ctx.now());
    const payment = {
      id: randomUuid(),
      start_date: body.start_date ?? daysBefore(end, 13),
      end_date: end,
      // A sandbox payment is paid the day its period ends.
      pay_date: end,
      statements: items.map(statementOf),
    };
    const overlay = ctx.overlay(conn);
    overlay.payments.push(payment);
    ctx.touched(overlay);
    ctx.emit(conn, "payment.created", {
      payment_id: payment.id,
      pay_date: payment.pay_date,
    });
    for (const s of payment.statements) {
      const ref = ds.refOf(s.individual_id, null)!;
      ctx.emit(conn, "pay_statement.created", {
        payment_id: payment.id,
        individual_id: s.individual_id,
      }, entityOf(ds, ref));
    }
    return c.json({ payment_id: payment.id, pay_date: payment.pay_date });
  });

  // ---- jobs -------------------------------------------------------------------------

  app.post("/sandbox/jobs", async (c) => {
    const { conn } = ctx.requireBearer(c);
    await readJson(c, JobConfigurationBody.pick({ type: true }));
    return c.json(startDataSync(ctx, conn).body);
  });

  app.get("/sandbox/jobs/configuration", (c) => {
    const { conn } = ctx.requireBearer(c);
    return c.json([{
      type: "data_sync_all",
      completion_status: ctx.store.data.job_configs[conn.id] ?? "complete",
    }]);
  });

  app.put("/sandbox/jobs/configuration", async (c) => {
    const { conn } = ctx.requireBearer(c);
    const body = await readJson(c, JobConfigurationBody);
    ctx.store.data.job_configs[conn.id] = body.completion_status;
    ctx.store.changed();
    return c.json(body);
  });

  return app;
}

type Line = { amount?: number; name?: string };

/** A pay statement as the sandbox stores it: the spec's shape, sums filled in. */
function statementOf(
  s: NonNullable<z.infer<typeof PaymentBody>["pay_statements"]>[number],
): StoredStatement {
  const sum = (xs: Line[]) => xs.reduce((t, x) => t + (x.amount ?? 0), 0);
  const earnings = (s.earnings ?? []).map((e) => ({
    type: e.type ?? "other",
    name: e.name ?? null,
    amount: e.amount ?? 0,
    currency: "usd",
    hours: e.hours ?? null,
  }));
  const taxes = (s.taxes ?? []).map((t) => ({
    type: t.type ?? null,
    name: t.name ?? null,
    employer: t.employer ?? false,
    amount: t.amount ?? 0,
    currency: "usd",
  }));
  const deductions = (s.employee_deductions ?? []).map((d) => ({
    name: d.name ?? null,
    amount: d.amount ?? 0,
    currency: "usd",
    pre_tax: d.pre_tax ?? false,
    type: d.type ?? null,
  }));
  const contributions = (s.employer_contributions ?? []).map((d) => ({
    name: d.name ?? null,
    amount: d.amount ?? 0,
    currency: "usd",
    type: d.type ?? null,
  }));
  const gross = s.gross_pay ?? sum(s.earnings ?? []);
  const withheld = sum(s.taxes?.filter((t) => !t.employer) ?? []) +
    sum(s.employee_deductions ?? []);
  return {
    individual_id: s.individual_id,
    type: s.type ?? "regular_payroll",
    payment_method: s.payment_method ?? "direct_deposit",
    total_hours: s.total_hours ??
      earnings.reduce((t, e) => t + (e.hours ?? 0), 0),
    gross_pay: { amount: gross, currency: "usd" },
    net_pay: { amount: s.net_pay ?? gross - withheld, currency: "usd" },
    earnings,
    taxes,
    employee_deductions: deductions,
    employer_contributions: contributions,
  };
}
