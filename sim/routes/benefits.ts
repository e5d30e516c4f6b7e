/**
 * Deductions (`/employer/benefits*`): company benefits and each individual's enrollment.
 * Reads answer at once; every write is a manual job (`/jobs/manual/:id`) whose effect
 * lands when the job completes, as with Finch, and then pay statements follow it.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { type DataAccess, openData, type SimContext } from "../context.ts";
import { dayOf } from "../datagen/calendar.ts";
import { benefitFeature, benefitKind } from "../datagen/benefits.ts";
import type { CompanyBenefit } from "../datagen/benefits.ts";
import type { Enrollment, StoredBenefit } from "../datagen/overlay.ts";
import { finchError } from "../errors.ts";
import { readJson } from "../http.ts";
import { randomUuid } from "../ids.ts";
import { BENEFIT_KINDS } from "../datagen/benefits.ts";
import { benefitTypes } from "../provider_support.ts";

const BenefitType = z.enum(
  BENEFIT_KINDS.map((k) => k.type) as [string, ...string[]],
);
const Frequency = z.enum(["every_paycheck", "monthly", "one_time"]);
const Tiers = z.array(z.object({
  match: z.number().int().min(1).max(10_000),
  threshold: z.number().int().min(1).max(10_000),
})).min(1).max(3);

const CreateBody = z.object({
  type: BenefitType.nullish(),
  description: z.string().optional(),
  frequency: Frequency.nullish(),
  company_contribution: z.object({ type: z.literal("match"), tiers: Tiers })
    .nullish(),
});

const EnrollBody = z.array(z.object({
  individual_id: z.string().optional(),
  configuration: z.object({
    employee_deduction: z.object({
      type: z.enum(["fixed", "percent"]).optional(),
      amount: z.number().int().optional(),
    }).optional(),
    company_contribution: z.object({
      type: z.enum(["fixed", "percent", "tiered"]).optional(),
      amount: z.number().int().optional(),
      tiers: z.array(z.object({
        match: z.number().int(),
        threshold: z.number().int(),
      })).optional(),
    }).optional(),
    annual_maximum: z.number().int().nullish(),
    annual_contribution_limit: z.enum(["individual", "family"]).optional(),
    catch_up: z.boolean().optional(),
    effective_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  }).optional(),
}));

const UnenrollBody = z.object({
  individual_ids: z.array(z.string()).optional(),
});

/** `CompanyBenefit`. */
const benefitJson = (b: CompanyBenefit) => ({
  benefit_id: b.benefit_id,
  type: b.type,
  description: b.description,
  frequency: b.frequency,
  company_contribution: b.company_contribution,
});

/** `IndividualBenefits` item body. */
const enrollmentJson = (e: Enrollment) => ({
  employee_deduction: e.employee_deduction,
  company_contribution: e.company_contribution,
  annual_maximum: e.annual_maximum,
  catch_up: e.catch_up,
  hsa_contribution_limit: e.hsa_contribution_limit,
});

/** The benefits sub-app. */
export function benefitsApp(ctx: SimContext): Hono {
  const app = new Hono();
  const open = (c: Context) => openData(ctx, c, "benefits");

  const benefitOf = (o: DataAccess, id: string) => {
    const b = o.ds.benefits().find((x) => x.benefit_id === id);
    if (!b) {
      throw finchError(
        404,
        "not_found_error",
        "Benefit not found",
        "benefit_not_found",
      );
    }
    return b;
  };

  const manualJob = (
    o: DataAccess,
    type: string,
    effect: Parameters<SimContext["jobs"]["create"]>[1]["effect"],
    result: unknown[],
  ) => ctx.jobs.create(o.bearer.conn, { kind: "manual", type, effect, result });

  /** Create and register: a new benefit, or the existing one of the same kind. */
  const write =
    (job: "benefit_create" | "benefit_register") => async (c: Context) => {
      ctx.requireBearer(c);
      const body = await readJson(c, CreateBody);
      const o = open(c);
      if (o instanceof Response) return o;
      if (body.type && !benefitTypes(o.ds.provider).includes(body.type)) {
        throw finchError(
          422,
          "unprocessable_request_error",
          `Provider does not support benefit type '${body.type}'`,
          "unsupported_parameters",
        );
      }
      const same = o.ds.benefits().find((b) =>
        b.type === (body.type ?? null) &&
        b.frequency === (body.frequency ?? null) &&
        b.description === (body.description ?? null)
      );
      const benefit: StoredBenefit = same ?? {
        benefit_id: randomUuid(),
        type: body.type ?? null,
        description: body.description ?? null,
        frequency: body.frequency ?? null,
        company_contribution: body.company_contribution ?? null,
      };
      const done = manualJob(o, job, { kind: "benefit", benefit }, [{
        benefit_id: benefit.benefit_id,
        code: 200,
        message: job === "benefit_create" ? "created" : "registered",
      }]);
      return c.json({ benefit_id: benefit.benefit_id, job_id: done.id }, 201);
    };

  app.get("/employer/benefits", (c) => {
    const o = open(c);
    if (o instanceof Response) return o;
    return c.json(o.ds.benefits().map(benefitJson));
  });
  app.post("/employer/benefits", write("benefit_create"));
  app.post("/employer/benefits/register", write("benefit_register"));

  app.get("/employer/benefits/meta", (c) => {
    const o = open(c);
    if (o instanceof Response) return o;
    return c.json(
      benefitTypes(o.ds.provider).map((t) => benefitFeature(benefitKind(t)!)),
    );
  });

  app.get("/employer/benefits/:benefit_id", (c) => {
    const o = open(c);
    if (o instanceof Response) return o;
    return c.json(benefitJson(benefitOf(o, c.req.param("benefit_id"))));
  });

  app.post("/employer/benefits/:benefit_id", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(
      c,
      z.object({ description: z.string().optional() }),
    );
    const o = open(c);
    if (o instanceof Response) return o;
    const b = benefitOf(o, c.req.param("benefit_id"));
    const benefit: StoredBenefit = {
      ...benefitJson(b),
      description: body.description ?? b.description,
    };
    const job = manualJob(o, "benefit_update", { kind: "benefit", benefit }, [{
      benefit_id: b.benefit_id,
      code: 200,
      message: "updated",
    }]);
    return c.json({ benefit_id: b.benefit_id, job_id: job.id });
  });

  app.get("/employer/benefits/:benefit_id/enrolled", (c) => {
    const o = open(c);
    if (o instanceof Response) return o;
    const b = benefitOf(o, c.req.param("benefit_id"));
    const ids = [];
    for (const ref of o.ds.refs(o.entity)) {
      if (o.ds.enrollment(b, ref)) ids.push(o.ds.idOf(ref));
    }
    return c.json({ benefit_id: b.benefit_id, individual_ids: ids });
  });

  app.get("/employer/benefits/:benefit_id/individuals", (c) => {
    const o = open(c);
    if (o instanceof Response) return o;
    const b = benefitOf(o, c.req.param("benefit_id"));
    const asked = (c.req.query("individual_ids") ?? "").split(",")
      .map((s) => s.trim()).filter(Boolean);
    const refs = asked.length
      ? asked.map((id) => [id, o.ds.refOf(id, o.entity)] as const)
      : [...o.ds.refs(o.entity)]
        .filter((ref) => o.ds.enrollment(b, ref))
        .map((ref) => [o.ds.idOf(ref), ref] as const);
    const items = refs.map(([id, ref]) => {
      const e = ref === null ? null : o.ds.enrollment(b, ref);
      if (e) return { individual_id: id, code: 200, body: enrollmentJson(e) };
      return {
        individual_id: id,
        code: 404,
        body: ref === null
          ? {
            code: 404,
            name: "not_found_error",
            finch_code: "individual_not_found",
            message: `No individual with id ${id} found`,
          }
          : {
            code: 404,
            name: "not_found_error",
            finch_code: "item_not_found",
            message:
              `Individual ${id} is not enrolled in benefit ${b.benefit_id}`,
          },
      };
    });
    // 207 Multi-Status when some individuals could not be answered (spec).
    return c.json(items, items.every((i) => i.code === 200) ? 200 : 207);
  });

  app.post("/employer/benefits/:benefit_id/individuals", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(c, EnrollBody);
    const o = open(c);
    if (o instanceof Response) return o;
    const b = benefitOf(o, c.req.param("benefit_id"));
    const kind = benefitKind(b.type);
    const today = dayOf(ctx.now());
    const entries: [string, Enrollment][] = [];
    const result: unknown[] = [];
    for (const item of body) {
      const id = item.individual_id ?? "";
      const ref = o.ds.refOf(id, o.entity);
      if (ref === null) {
        result.push({
          individual_id: id,
          code: 404,
          message: "individual_not_found",
        });
        continue;
      }
      const cfg = item.configuration ?? {};
      const d = cfg.employee_deduction, cc = cfg.company_contribution;
      if (
        kind && ((d?.type && !kind.employee_deduction.includes(d.type)) ||
          (cc?.type && !(kind.company_contribution ?? []).includes(cc.type)))
      ) {
        throw finchError(
          422,
          "unprocessable_request_error",
          `This configuration is not available for ${kind.description}`,
          "invalid_employee_enrollment",
        );
      }
      // Enrolling again overwrites: given amounts replace, the rest stays.
      const was = o.ds.enrollment(b, ref);
      entries.push([id, {
        employee_deduction: d?.type && d.amount !== undefined
          ? { type: d.type, amount: d.amount }
          : was?.employee_deduction ?? null,
        company_contribution: cc?.type === "tiered" && cc.tiers
          ? { type: "tiered", tiers: cc.tiers }
          : cc?.type && cc.type !== "tiered" && cc.amount !== undefined
          ? { type: cc.type, amount: cc.amount }
          : was?.company_contribution ?? null,
        annual_maximum: cfg.annual_maximum ?? was?.annual_maximum ?? null,
        catch_up: cfg.catch_up ?? was?.catch_up ?? null,
        hsa_contribution_limit: cfg.annual_contribution_limit ??
          was?.hsa_contribution_limit ?? null,
        effective_date: cfg.effective_date ?? today,
      }]);
      result.push({ individual_id: id, code: 200, message: "enrolled" });
    }
    const job = manualJob(o, "benefit_enroll", {
      kind: "enroll",
      benefit_id: b.benefit_id,
      entries,
    }, result);
    return c.json({ job_id: job.id });
  });

  app.delete("/employer/benefits/:benefit_id/individuals", async (c) => {
    ctx.requireBearer(c);
    const body = await readJson(c, UnenrollBody);
    const o = open(c);
    if (o instanceof Response) return o;
    const b = benefitOf(o, c.req.param("benefit_id"));
    const ids = body.individual_ids ?? [];
    const known = ids.filter((id) => o.ds.refOf(id, o.entity) !== null);
    const job = manualJob(
      o,
      "benefit_unenroll",
      {
        kind: "enroll",
        benefit_id: b.benefit_id,
        entries: known.map((id) => [id, null]),
      },
      ids.map((id) => ({
        individual_id: id,
        code: known.includes(id) ? 200 : 404,
        message: known.includes(id) ? "unenrolled" : "individual_not_found",
      })),
    );
    return c.json({ job_id: job.id });
  });

  return app;
}
