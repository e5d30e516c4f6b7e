/**
 * The results table: rows, number formatting, the markdown written to stdout,
 * bench/results/latest.md and the README's "## Benchmarks" section.
 *
 * @module
 */

/** One figure of the table. */
export interface Row {
  figure: string;
  value: string;
  baseline: string;
  /** value / baseline, where that means something. */
  ratio: number | null;
  /** The bar, in words (`≥ 0.5`); empty when the issue sets none. */
  bar: string;
  /** Whether the bar is met; null when there is no bar. */
  pass: boolean | null;
  /** The command that reproduces the figure. */
  command: string;
}

/** What a section hands back: its rows and any detail worth keeping. */
export interface SectionResult {
  rows: Row[];
  /** Markdown paragraphs or lists for latest.md (raw numbers, samples). */
  details: string[];
  /** Numbers the README's prose quotes (see bench/lib/readme.ts). */
  facts?: Record<string, number>;
}

/** Formats a number with `digits` significant-looking decimals and thousands commas. */
export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return "n/a";
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Milliseconds, with more decimals below 10 ms. */
export function ms(n: number): string {
  return `${fmt(n, n < 10 ? 2 : 1)} ms`;
}

/** Bytes as KB (1,024) with one decimal. */
export function kb(bytes: number): string {
  return `${fmt(bytes / 1024, 1)} KB`;
}

/** Escapes a table cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The markdown table of `rows`; without `commands`, the column of commands is left out. */
export function table(
  rows: Row[],
  options: { commands?: boolean } = {},
): string {
  const commands = options.commands ?? true;
  const head = [
    "figure",
    "value",
    "baseline (same run)",
    "ratio",
    "bar",
    "result",
  ];
  if (commands) head.push("command");
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
  ];
  for (const r of rows) {
    const result = r.pass === null ? "—" : r.pass ? "pass" : "**miss**";
    const cells = [
      r.figure,
      r.value,
      r.baseline,
      r.ratio === null ? "—" : fmt(r.ratio, r.ratio < 0.1 ? 3 : 2),
      r.bar || "—",
      result,
    ];
    if (commands) cells.push(`\`${r.command}\``);
    lines.push(`| ${cells.map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Replaces the `## Benchmarks` section of `text` (up to the next `## ` heading) with
 * `section`, or appends it when there is none. Everything else is left byte for byte.
 */
export function replaceSection(text: string, section: string): string {
  const body = section.trimEnd() + "\n";
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^## Benchmarks\s*$/.test(l));
  if (start < 0) {
    const base = text.trimEnd();
    return (base ? base + "\n\n" : "") + body;
  }
  let end = lines.findIndex((l, i) =>
    i > start && /^## /.test(l) && !inFence(lines, i)
  );
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join("\n");
  const after = lines.slice(end).join("\n");
  return (before ? before + "\n" : "") + body +
    (after ? "\n" + after : "");
}

/** Whether line `i` is inside a fenced code block. */
function inFence(lines: string[], i: number): boolean {
  let open = false;
  for (let j = 0; j < i; j++) if (/^\s*(```|~~~)/.test(lines[j])) open = !open;
  return open;
}

/** Formats markdown with `deno fmt`, so files it lands in stay `deno fmt --check` clean. */
export async function fmtMarkdown(text: string): Promise<string> {
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--ext", "md", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const out = await child.output();
    return out.code === 0 ? new TextDecoder().decode(out.stdout) : text;
  } catch {
    return text;
  }
}
