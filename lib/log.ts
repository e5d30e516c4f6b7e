/**
 * Structured logging: one JSON object per line on stderr. Callers pass plain facts
 * (ids, statuses, codes); access tokens, secrets and cookies are never handed to the
 * logger. Injectable so tests can read every line the app writes.
 */

/** Writes one log record. */
export type Logger = (
  level: "info" | "warn" | "error",
  event: string,
  fields?: object,
) => void;

/** The default logger: JSON lines on stderr. */
export const consoleLogger: Logger = (level, event, fields = {}) => {
  const line = JSON.stringify({
    t: new Date().toISOString(),
    level,
    event,
    ...fields,
  });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};
