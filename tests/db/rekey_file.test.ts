import assert from "node:assert/strict";
import {
  getAccessToken,
  rekeyTokens,
  storeConnection,
  upsertCustomer,
} from "../../lib/db/mod.ts";
import {
  createSealer,
  generateTokenKey,
  parseTokenKeys,
  sealedKid,
} from "../../lib/sealing.ts";
import { main as rekeyMain } from "../../scripts/rekey.ts";
import { connInput, entriesOf, withKv } from "./_helpers.ts";

const OLD = generateTokenKey("old");
const NEW = generateTokenKey("new");

async function seed(kv: Deno.Kv, n: number): Promise<Map<string, string>> {
  const sealer = await createSealer(parseTokenKeys(OLD));
  await upsertCustomer(kv, { id: "acme", name: "Acme" });
  const tokens = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const id = `conn-${String(i).padStart(2, "0")}`;
    const access_token = `tok-${crypto.randomUUID()}`;
    await storeConnection(
      kv,
      sealer,
      connInput({ connection_id: id, company_id: `co-${i}`, access_token }),
    );
    tokens.set(id, access_token);
  }
  return tokens;
}

async function kids(kv: Deno.Kv): Promise<string[]> {
  return (await entriesOf(kv, "connection_tokens")).map((e) =>
    sealedKid(e.value as string)!
  );
}

Deno.test("[db] rekey: re-seals every token under the new first key; old key can then go", async () => {
  await withKv(async (kv) => {
    const tokens = await seed(kv, 12);
    const rotated = await createSealer(parseTokenKeys(`${NEW},${OLD}`));
    const r = await rekeyTokens(kv, rotated, { batchSize: 5 });
    assert.deepEqual(r, {
      scanned: 12,
      resealed: 12,
      skipped: 0,
      failed: [],
      complete: true,
    });
    assert.ok((await kids(kv)).every((k) => k === "new"));
    const onlyNew = await createSealer(parseTokenKeys(NEW));
    for (const [id, token] of tokens) {
      assert.equal(await getAccessToken(kv, onlyNew, id), token);
    }
    // Idempotent: a second run re-seals nothing.
    assert.deepEqual(await rekeyTokens(kv, rotated), {
      scanned: 12,
      resealed: 0,
      skipped: 12,
      failed: [],
      complete: true,
    });
  });
});

Deno.test("[db] rekey: an interrupted run resumes; unopenable tokens are reported, not fatal", async () => {
  await withKv(async (kv) => {
    const tokens = await seed(kv, 10);
    const rotated = await createSealer(parseTokenKeys(`${NEW},${OLD}`));
    const first = await rekeyTokens(kv, rotated, { maxReseals: 4 });
    assert.equal(first.resealed, 4);
    assert.equal(first.complete, false);
    assert.deepEqual(
      (await kids(kv)).sort(),
      [...Array(4).fill("new"), ...Array(6).fill("old")].sort(),
    );
    // A token sealed under a key nobody lists any more.
    const stray = await createSealer(parseTokenKeys(generateTokenKey("lost")));
    await kv.set(
      ["connection_tokens", "conn-99"],
      await stray.seal("x", "connection_token:conn-99"),
    );
    const second = await rekeyTokens(kv, rotated);
    assert.deepEqual(second, {
      scanned: 11,
      resealed: 6,
      skipped: 4,
      failed: ["conn-99"],
      complete: true,
    });
    await kv.delete(["connection_tokens", "conn-99"]);
    const onlyNew = await createSealer(parseTokenKeys(NEW));
    for (const [id, token] of tokens) {
      assert.equal(await getAccessToken(kv, onlyNew, id), token);
    }
  });
});

Deno.test("[db] file store: no token in plain text in the raw KV file; `deno task rekey` script across a key change", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kv-file-" });
  const path = `${dir}/portal.db`;
  try {
    const kv = await Deno.openKv(path);
    const tokens = await seed(kv, 5);
    kv.close();
    const scan = async () => {
      // The store may keep pages in its WAL; scan every file of it.
      const haystacks: string[] = [];
      for await (const f of Deno.readDir(dir)) {
        haystacks.push(
          new TextDecoder("latin1").decode(
            await Deno.readFile(`${dir}/${f.name}`),
          ),
        );
      }
      const all = haystacks.join("\n");
      assert.ok(all.includes("conn-00"), "the scan sees stored data");
      for (const token of tokens.values()) {
        assert.ok(!all.includes(token), "token found in plain text");
      }
    };
    await scan();

    const env = { KV_PATH: path, TOKEN_KEYS: `${NEW},${OLD}` };
    const log = console.log;
    const lines: string[] = [];
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      assert.equal(await rekeyMain(["--max=2"], env), 0);
      assert.equal(await rekeyMain([], env), 0);
      assert.equal(await rekeyMain([], env), 0);
      assert.equal(
        await rekeyMain([], { KV_PATH: path }),
        2,
        "TOKEN_KEYS required",
      );
    } finally {
      console.log = log;
    }
    assert.match(lines[0], /re-sealed 2, .*stopped early/);
    assert.match(
      lines[1],
      /scanned 5, re-sealed 3, already current 2, failed 0$/,
    );
    assert.match(lines[2], /re-sealed 0, already current 5/);

    const after = await Deno.openKv(path);
    try {
      const onlyNew = await createSealer(parseTokenKeys(NEW));
      for (const [id, token] of tokens) {
        assert.equal(await getAccessToken(after, onlyNew, id), token);
      }
    } finally {
      after.close();
    }
    await scan();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
