/**
 * Query parameters shared by the integrator API's lists.
 *
 * @module
 */
import { z } from "zod";

/** A `limit` query parameter: a whole number 1-100. */
export const LimitParam = z.string().regex(
  /^\d{1,3}$/,
  "must be a whole number 1-100",
).transform(Number).pipe(z.number().int().min(1).max(100));
