/**
 * Documents (beta at Finch): `GET /employer/documents` and `/employer/documents/:id`.
 * A W-4 can be read once a `w4_form_employee_sync` job synced it; before any such sync
 * Finch answers 400 `w4_sync_required`, and so does the simulator.
 *
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { openData, type SimContext } from "../context.ts";
import { CREATED } from "../datagen/dataset.ts";
import { documentIds, documentItem, hasW4, w4 } from "../datagen/documents.ts";
import { finchError, SimError } from "../errors.ts";
import { queryArray, readQuery } from "../http.ts";
import { queryInt } from "../schemas.ts";

const ListQuery = z.object({
  limit: queryInt.optional(),
  offset: queryInt.optional(),
});

/** The spec's 400 when no W-4 was synced yet. */
function w4SyncRequired(): SimError {
  return new SimError(400, {
    code: 400,
    finch_code: "w4_sync_required",
    message:
      "W4 documents are not available. Please trigger a W4 sync job first.",
    name: "bad_request",
    context: {
      docs_url:
        "https://developer.tryfinch.com/api-reference/management/enqueue-a-new-automated-job#w4-form-employee-sync",
    },
  });
}

/** The documents sub-app. */
export function documentsApp(ctx: SimContext): Hono {
  const app = new Hono();

  app.get("/employer/documents", (c) => {
    ctx.requireBearer(c);
    const query = readQuery(c, ListQuery);
    const o = openData(ctx, c, "documents");
    if (o instanceof Response) return o;
    const only = queryArray(c, "individual_ids");
    const types = queryArray(c, "types");
    const synced = o.ds.overlay.w4;
    if (synced.length === 0) throw w4SyncRequired();
    const docs = synced
      .map((id) => o.ds.refOf(id, o.entity))
      .filter((ref): ref is number =>
        ref !== null && ref < CREATED && hasW4(o.ds, ref)
      )
      .map((ref) => documentItem(o.ds, ref, ctx.publicUrl))
      .filter((d) => !only.length || only.includes(d.individual_id))
      .filter((d) => !types.length || types.includes(d.type));
    const offset = query.offset ?? 0;
    return c.json({
      paging: { count: docs.length, offset },
      documents: docs.slice(offset, offset + (query.limit ?? 100)),
    });
  });

  app.get("/employer/documents/:document_id", (c) => {
    const o = openData(ctx, c, "documents");
    if (o instanceof Response) return o;
    const id = c.req.param("document_id");
    const slot = documentIds(o.ds).decode(id);
    if (
      slot === null || !hasW4(o.ds, slot) ||
      o.ds.refOf(o.ds.people.id(slot), o.entity) === null
    ) {
      throw finchError(
        404,
        "not_found_error",
        `Document ${id} not found`,
        "item_not_found",
      );
    }
    if (!o.ds.overlay.w4.includes(o.ds.people.id(slot))) throw w4SyncRequired();
    return c.json(w4(o.ds, slot));
  });

  return app;
}
