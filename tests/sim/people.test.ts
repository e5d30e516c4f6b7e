/**
 * The seed rules of generated people: the same company always yields the same people,
 * in any simulator; one company through two providers shares part of its people (same
 * first name, last name and date of birth under other ids, emails sometimes in another
 * form), as in Finch's "repeating employees" (docs 000); data looks real.
 */

import assert from "node:assert/strict";
import Finch from "@tryfinch/finch-api";
import { connect, DATA_PRODUCTS, type Fixture, fixture } from "./helpers.ts";

interface Person {
  id: string;
  first_name: string;
  last_name: string;
  dob: string;
  emails: { data: string; type: string | null }[];
  employment: string;
}

/** Every person of a connection, individual and employment joined. */
async function people(client: Finch): Promise<Person[]> {
  const ids: string[] = [];
  for await (const p of client.hris.directory.list()) ids.push(p.id);
  const requests = ids.map((individual_id) => ({ individual_id }));
  const individuals = await client.hris.individuals.retrieveMany({ requests });
  const employments = await client.hris.employments.retrieveMany({ requests });
  return individuals.responses.map((r, i) => {
    const b = r.body as Omit<Person, "employment">;
    const e = employments.responses[i].body as { employment: { type: string } };
    return { ...b, emails: b.emails ?? [], employment: e.employment.type };
  });
}

const key = (p: Person) => `${p.first_name}|${p.last_name}|${p.dob}`;

async function company(f: Fixture, name: string, provider = "gusto") {
  const token = await connect(f, {
    company_name: name,
    provider_id: provider,
    products: DATA_PRODUCTS,
  });
  return { token, client: f.as(token.access_token) };
}

Deno.test("[sim people] the same company yields the same people in any simulator", async () => {
  const a = fixture(), b = fixture();
  try {
    const one = await company(a, "Determined, Inc.");
    const two = await company(b, "DETERMINED,  inc.");
    assert.notEqual(one.token.connection_id, two.token.connection_id);
    const [x, y] = [await people(one.client), await people(two.client)];
    assert.ok(x.length >= 12);
    assert.deepEqual(x, y, "same ids, names, dates, emails, employments");
    const year = { start_date: "2000-01-01", end_date: "2100-01-01" };
    assert.deepEqual(
      (await one.client.hris.payments.list(year)).items,
      (await two.client.hris.payments.list(year)).items,
      "same payments, to the cent",
    );
    const other = await people((await company(a, "Someone Else LLC")).client);
    assert.ok(
      other.filter((p) => x.some((q) => q.id === p.id)).length === 0,
      "another company has other people",
    );
  } finally {
    await a.sim.close();
    await b.sim.close();
  }
});

Deno.test("[sim people] one company on two providers: people overlap, ids do not", async () => {
  const f = fixture({ companySize: 200 });
  try {
    const onGusto = await people(
      (await company(f, "Overlap Co", "gusto")).client,
    );
    const onJustworks = await people(
      (await company(f, "Overlap Co", "justworks")).client,
    );
    const both = onGusto.filter((p) =>
      onJustworks.some((q) => key(q) === key(p))
    );
    const share = both.length / onGusto.length;
    assert.ok(share > 0.55 && share < 0.85, `shared ${share}`);
    assert.ok(
      !onGusto.some((p) => onJustworks.some((q) => q.id === p.id)),
      "individual_ids differ per provider",
    );
    // Some people are only on one system, mostly contractors there.
    const onlyGusto = onGusto.filter((p) => !both.includes(p));
    assert.ok(onlyGusto.length > 20);
    const contractors = (xs: Person[]) =>
      xs.filter((p) => p.employment === "contractor").length / xs.length;
    assert.ok(
      contractors(onlyGusto) > 0.4,
      "only-here people are mostly contractors",
    );
    assert.ok(contractors(both) < 0.15, "shared people are mostly employees");
    // The same human's emails: sometimes the same, sometimes in another form.
    let differs = 0, same = 0;
    for (const p of both) {
      const q = onJustworks.find((x) => key(x) === key(p))!;
      const emails = (x: Person) => x.emails.map((e) => e.data).sort().join();
      if (emails(p) === emails(q)) same++;
      else differs++;
    }
    assert.ok(differs > 0 && same > 0, `${same} same, ${differs} differ`);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim people] realistic records: names, dates, emails, phones, org chart", async () => {
  const f = fixture({ companySize: 300 });
  try {
    const { client } = await company(f, "Realistic Corp");
    const list = await people(client);
    const dir = [];
    for await (const p of client.hris.directory.list()) dir.push(p);
    const ids = new Set(dir.map((p) => p.id));
    for (const p of list) {
      assert.match(p.first_name, /^[A-Z][a-z]+$/);
      assert.match(p.dob, /^(19[5-9]\d|200[0-4])-\d{2}-\d{2}$/);
      for (const e of p.emails) {
        assert.match(e.data, /^[a-z._0-9]+@[a-z0-9.]+$/);
      }
    }
    assert.equal(
      dir.filter((p) => p.manager === null).length,
      1,
      "one chief executive",
    );
    assert.ok(dir.every((p) => !p.manager || ids.has(p.manager.id)));
    assert.ok(new Set(list.map((p) => p.last_name)).size > 40, "varied names");
    const inactive = dir.filter((p) => !p.is_active).length / dir.length;
    assert.ok(inactive > 0.02 && inactive < 0.2, `inactive ${inactive}`);
    const [first] = (await client.hris.employments.retrieveMany({
      requests: [{ individual_id: dir[0].id }],
    })).responses;
    const e = first.body as {
      title: string;
      income: { unit: string; amount: number };
    };
    assert.equal(e.title, "Chief Executive Officer");
    assert.equal(e.income.unit, "yearly");
    assert.ok(e.income.amount >= 20_000_000);
  } finally {
    await f.sim.close();
  }
});

Deno.test("[sim people] a provider's unsupported fields come back null", async () => {
  const f = fixture();
  try {
    const { client } = await company(f, "Masked Co", "bamboo_hr");
    const [id] = (await client.hris.directory.list()).individuals.map((p) =>
      p.id
    );
    const ind = await client.hris.individuals.retrieveMany({
      requests: [{ individual_id: id }],
      options: { include: ["ssn"] },
    });
    assert.equal((ind.responses[0].body as { ssn: string | null }).ssn, null);
    const emp = await client.hris.employments.retrieveMany({
      requests: [{ individual_id: id }],
    });
    assert.equal(
      (emp.responses[0].body as { class_code: unknown }).class_code,
      null,
    );
    const providers = await client.providers.list();
    const bamboo = providers.items.find((p) => p.id === "bamboo_hr")!;
    const fields = bamboo.authentication_methods![0].supported_fields as {
      individual: { ssn: boolean; first_name: boolean };
      payment?: unknown;
    };
    assert.equal(fields.individual.ssn, false);
    assert.equal(fields.individual.first_name, true);
    assert.equal(
      fields.payment,
      undefined,
      "no payroll product, no payroll fields",
    );
  } finally {
    await f.sim.close();
  }
});
