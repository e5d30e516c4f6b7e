/**
 * Every operation, called through Finch's official SDK with real ids, and every answer
 * (as sent on the wire) checked against schemas written from the spec: management,
 * organization, payroll, deductions, plans, documents, jobs, sandbox and `/forward`.
 * Operations the SDK 10.7.0 has no method for (ledger items, plans) go through the SDK's
 * own generic `get`/`post`.
 */

import assert from "node:assert/strict";
import {
  bearer,
  connect,
  DATA_PRODUCTS,
  fixture,
  receiver,
  spec,
} from "./helpers.ts";
import * as S from "./spec_schemas.ts";
import * as O from "./spec_operations.ts";

Deno.test("[sim data] every operation answers as the spec says, through the SDK", async (t) => {
  const hooks = receiver();
  const f = fixture({
    jobDelayMs: 5,
    webhookUrl: "http://portal.test/hook",
    fetch: hooks.fetch,
  });
  try {
    const token = await connect(f, {
      company_name: "Spec Coverage, Inc.",
      products: DATA_PRODUCTS,
    });
    const c = f.as(token.access_token);
    const auth = bearer(token.access_token);
    const wire = async <T extends import("zod").ZodType>(schema: T) =>
      spec(schema, (await f.last()).body);
    const people = (await c.hris.directory.list({ limit: 20 })).individuals;
    const ids = people.map((p) => p.id);

    await t.step(
      "management: session, token, introspect, entity disconnect",
      async () => {
        const session = await f.client.connect.sessions.new({
          customer_id: "spec-management",
          customer_name: "Spec Management",
          products: ["company"],
        });
        spec(O.ConnectSession, (await f.last()).body);
        await f.client.connect.sessions.reauthenticate({
          connection_id: token.connection_id,
        });
        await wire(O.ConnectSession);
        assert.ok(session.session_id);
        const other = await connect(f, {
          company_name: "Spec Entities",
          entities: "One, Two",
        });
        await wire(O.AccessToken);
        const client = f.as(other.access_token);
        await client.account.introspect();
        await wire(O.Introspect);
        await client.account.disconnectEntity({
          entity_ids: [other.entity_ids[0]],
        });
        await wire(O.Disconnected);
        await client.account.disconnect();
        await wire(O.Disconnected);
      },
    );

    await t.step("GET /employer/company", async () => {
      await c.hris.company.retrieve();
      await wire(S.Company);
    });

    await t.step("GET /employer/directory", async () => {
      await c.hris.directory.list({ limit: 5, offset: 2 });
      const page = await wire(S.Directory);
      assert.equal(page.paging.offset, 2);
      assert.equal(page.individuals.length, 5);
    });

    await t.step("POST /employer/individual (with ssn)", async () => {
      const page = await c.hris.individuals.retrieveMany({
        requests: ids.slice(0, 5).map((individual_id) => ({ individual_id })),
        options: { include: ["ssn"] },
      });
      const body = await wire(S.Individuals);
      assert.equal(page.responses.length, 5);
      for (const r of body.responses) {
        assert.equal(r.code, 200);
        assert.match(spec(S.Individual, r.body).ssn!, /^\d{3}-\d{2}-\d{4}$/);
      }
    });

    await t.step("POST /employer/employment", async () => {
      await c.hris.employments.retrieveMany({
        requests: ids.slice(0, 5).map((individual_id) => ({ individual_id })),
      });
      const body = await wire(S.Employments);
      for (const r of body.responses) spec(S.Employment, r.body);
    });

    const payments = await c.hris.payments.list({
      start_date: "2000-01-01",
      end_date: "2100-01-01",
    });
    const paymentId = payments.items.at(-1)!.id;

    await t.step("GET /employer/payment", async () => {
      await c.hris.payments.list({
        start_date: "2000-01-01",
        end_date: "2100-01-01",
      });
      const body = await wire(S.Payments);
      assert.ok(body.length > 3, "a year of payments");
    });

    await t.step("POST /employer/pay-statement", async () => {
      await c.hris.payStatements.retrieveMany({
        requests: [{ payment_id: paymentId, limit: 3 }],
      });
      const body = await wire(S.PayStatements);
      assert.equal(body.responses[0].code, 200);
    });

    await t.step("GET /employer/pay-statement-item", async () => {
      await c.hris.payStatementItem.list({ categories: ["earnings", "taxes"] });
      const body = await wire(S.PayStatementItems);
      assert.ok(body.responses.length > 0);
      assert.ok(
        body.responses.every((i) =>
          i.category === "earnings" || i.category === "taxes"
        ),
      );
    });

    await t.step(
      "pay statement item rules: create, list, update, delete",
      async () => {
        const created = await c.hris.payStatementItem.rules.create({
          conditions: [{ field: "name", operator: "equals", value: "Bonus" }],
          attributes: { metadata: { label: "variable pay" } },
          entity_type: "pay_statement_item",
        });
        assert.equal((await f.last()).status, 201);
        const rule = await wire(S.Rule);
        await c.hris.payStatementItem.rules.list();
        assert.equal((await wire(S.Rules)).responses.length, 1);
        await c.hris.payStatementItem.rules.update(created.id!, {
          optionalProperty: "x",
        });
        await wire(S.Rule);
        await c.hris.payStatementItem.rules.delete(rule.id!);
        assert.ok((await wire(S.Rule)).deleted_at);
      },
    );

    await t.step(
      "GET /employer/pay-groups and /employer/pay-groups/:id",
      async () => {
        const groups = await c.payroll.payGroups.list();
        spec(S.PayGroups, (await f.last()).body);
        await c.payroll.payGroups.retrieve(groups.items[0].id);
        const group = await wire(S.PayGroup);
        assert.ok(group.individual_ids.length > 0);
      },
    );

    await t.step("POST /employer/ledger-items (generic SDK call)", async () => {
      await c.post("/employer/ledger-items", {
        body: { requests: [{ payment_id: paymentId }] },
        ...auth,
      });
      const body = await wire(S.LedgerItems);
      const ledger = body.responses[0].body as {
        totals: { balanced: boolean };
      };
      assert.equal(ledger.totals.balanced, true);
    });

    const benefits = await c.hris.benefits.list();
    const benefitId = benefits.items[0].benefit_id;

    await t.step(
      "deductions: list, meta, retrieve, create, register, update",
      async () => {
        await c.hris.benefits.list();
        await wire(O.CompanyBenefits);
        await c.hris.benefits.listSupportedBenefits();
        await wire(O.BenefitsMeta);
        await c.hris.benefits.retrieve(benefitId);
        await wire(O.CompanyBenefit);
        await c.hris.benefits.create({
          type: "commuter",
          description: "Transit pass",
          frequency: "every_paycheck",
        });
        assert.equal((await f.last()).status, 201);
        await wire(O.BenefitJob);
        await c.hris.benefits.register({
          type: "fsa_dependent_care",
          description: "Dependent care",
          frequency: "every_paycheck",
        });
        await wire(O.BenefitJob);
        await c.hris.benefits.update(benefitId, { description: "Renamed" });
        await wire(O.BenefitJob);
      },
    );

    await t.step(
      "deductions per individual: enrolled, read, enroll, unenroll",
      async () => {
        await c.hris.benefits.individuals.enrolledIDs(benefitId);
        const enrolled = await wire(O.Enrolled);
        assert.ok(enrolled.individual_ids.length > 0);
        await c.hris.benefits.individuals.retrieveManyBenefits(benefitId, {
          individual_ids: enrolled.individual_ids.slice(0, 3).join(","),
        });
        await wire(O.IndividualBenefits);
        await c.hris.benefits.individuals.enrollMany(benefitId, {
          individuals: [{
            individual_id: ids[1],
            configuration: {
              employee_deduction: { type: "percent", amount: 500 },
            },
          }],
        });
        await wire(O.JobId);
        await c.hris.benefits.individuals.unenrollMany(benefitId, {
          individual_ids: [ids[2]],
        });
        await wire(O.JobId);
      },
    );

    await t.step("documents: a W-4 after its sync job", async () => {
      const job = await c.jobs.automated.create({
        type: "w4_form_employee_sync",
        params: { individual_id: ids[0] },
      });
      await wire(O.AutomatedJobResponse);
      await f.sim.settled();
      const list = await c.hris.documents.list();
      spec(O.Documents, (await f.last()).body);
      assert.equal(list.documents[0].individual_id, ids[0]);
      await c.hris.documents.retreive(list.documents[0].id);
      await wire(O.Document);
      await c.jobs.automated.retrieve(job.job_id!);
      assert.equal((await wire(O.AutomatedJob)).status, "complete");
    });

    await t.step(
      "plans, enrollments and dependents (generic SDK calls)",
      async () => {
        await c.get("/employer/plans", auth);
        const plans = await wire(O.Plans);
        assert.ok(plans.plans.length > 0);
        await c.get(`/employer/plans/${plans.plans[0].id}`, auth);
        await wire(O.Plan);
        await c.get("/employer/plans-enrollments", {
          query: { limit: 10 },
          ...auth,
        });
        const enrollments = await wire(O.Enrollments);
        await c.post("/employer/plans-enrollments", {
          body: {
            requests: [{ enrollment_id: enrollments.enrollments[0].id }],
          },
          ...auth,
        });
        await wire(O.EnrollmentsBatch);
        await c.get("/employer/plans-dependents", {
          query: { limit: 10 },
          ...auth,
        });
        const dependents = await wire(O.Dependents);
        assert.ok(dependents.dependents.length > 0);
        await c.post("/employer/plans-dependents", {
          body: {
            requests: [{ dependent_id: dependents.dependents[0].dependent_id }],
            options: { include: ["ssn"] },
          },
          ...auth,
        });
        await wire(O.DependentsBatch);
      },
    );

    await t.step(
      "jobs: automated create, list, retrieve; manual retrieve",
      async () => {
        const job = await c.jobs.automated.create({ type: "data_sync_all" });
        assert.equal((await f.last()).status, 201);
        await wire(O.AutomatedJobResponse);
        await c.jobs.automated.list();
        await wire(O.AutomatedJobs);
        await c.jobs.automated.retrieve(job.job_id!);
        await wire(O.AutomatedJob);
        const created = await c.hris.benefits.create({ type: "hsa_pre" });
        await c.jobs.manual.retrieve(created.job_id);
        await wire(O.ManualJob);
      },
    );

    await t.step(
      "sandbox: company, directory, individual, employment, payment",
      async () => {
        const company = await c.hris.company.retrieve();
        const { id: _, ...without } = company;
        await c.sandbox.company.update({
          ...without,
          legal_name: "Renamed, Inc.",
        });
        await wire(O.CompanyWithoutId);
        await c.sandbox.directory.create({
          body: [{
            first_name: "Added",
            last_name: "Person",
            dob: "1990-02-03",
          }],
        });
        const [added] = await wire(O.SandboxDirectory);
        await c.sandbox.individual.update(added.id, { preferred_name: "Addy" });
        await wire(O.SandboxIndividual);
        await c.sandbox.employment.update(ids[3], { title: "Chief Tester" });
        await wire(O.SandboxEmployment);
        await c.sandbox.payment.create({
          start_date: "2026-01-01",
          end_date: "2026-01-14",
          pay_statements: [{
            individual_id: ids[0],
            earnings: [{ type: "salary", name: "Salary", amount: 500_000 }],
            taxes: [{ type: "federal", name: "Federal", amount: 50_000 }],
          }],
        });
        await wire(O.PaymentIdentifiers);
      },
    );

    await t.step("sandbox: connections and accounts", async () => {
      const conn = await f.client.sandbox.connections.create({
        provider_id: "gusto",
        employee_size: 5,
      });
      await wire(O.SandboxConnection);
      await f.client.sandbox.connections.accounts.create({
        company_id: conn.company_id!,
        provider_id: "justworks",
      });
      await wire(O.SandboxAccount);
      await f.as(conn.access_token).sandbox.connections.accounts.update({
        connection_status: "connected",
      });
      await wire(O.SandboxAccountUpdate);
    });

    await t.step("POST /forward", async () => {
      const res = await c.requestForwarding.forward({
        method: "GET",
        route: "/employees",
        params: { limit: 3 },
      });
      await wire(O.Forward);
      assert.equal(res.statusCode, 200);
      assert.equal(JSON.parse(res.data!).employees.length, 3);
    });

    await t.step(
      "GET /providers: objects where the spec has objects",
      async () => {
        await c.providers.list();
        const providers = await wire(O.Provider.array());
        for (const p of providers) {
          for (const m of p.authentication_methods!) {
            assert.equal(typeof m.supported_fields, "object");
            assert.notEqual(m.supported_fields, null, p.id);
            assert.notEqual(m.benefits_support, null, p.id);
          }
        }
      },
    );

    await t.step(
      "every webhook sent matches the spec's event schemas",
      async () => {
        await f.sim.settled();
        assert.ok(hooks.received.length > 10);
        for (const m of hooks.received) {
          spec(
            O.WebhookEvent,
            f.client.webhooks.unwrap(m.body, m.headers),
            "event",
          );
        }
      },
    );
    await t.step("sandbox: jobs and their configuration", async () => {
      await c.sandbox.jobs.configuration.retrieve();
      spec(O.JobConfiguration.array(), (await f.last()).body);
      await c.sandbox.jobs.configuration.update({
        type: "data_sync_all",
        completion_status: "error",
      });
      await wire(O.JobConfiguration);
      // The hour's forced refresh was spent above; this runs last because moving the
      // clock makes later webhooks' timestamps "too new" for the SDK's check.
      f.advance(3_600_000);
      await c.sandbox.jobs.create({ type: "data_sync_all" });
      await wire(O.SandboxJob);
    });
  } finally {
    await f.sim.close();
  }
});
