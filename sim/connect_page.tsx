/**
 * The simulator's hosted Finch Connect page, as pure Preact components rendered on the
 * server: the authorization form, and the message pages (expired or unknown session, the
 * embedded flow's hand-off to the parent window).
 *
 * No client script except on the embedded hand-off page, which must call
 * `window.parent.postMessage` (the Connect SDK's wire protocol).
 *
 * Over 400 lines because the page's stylesheet is inline (Connect's CSP allows no other
 * origin), next to the markup it styles.
 *
 * @module
 */

import type { ComponentChildren, JSX } from "preact";
import { renderToString } from "preact-render-to-string";

/** A provider as the form lists it. */
export interface ProviderChoice {
  id: string;
  name: string;
  logo: string;
  /** Finch's team sets the connection up (pending until then). */
  assisted: boolean;
}

/** Props of {@link ConnectForm}. */
export interface ConnectFormProps {
  /** Absolute URL of `POST /authorize`. */
  action: string;
  sessionId: string;
  state: string | null;
  /** Embedded-mode query parameters to carry through the form. */
  embedded: { appType: string; sdkHostUrl: string } | null;
  /** The integrator application asking for access (not the employer). */
  appName: string;
  products: string[];
  providers: ProviderChoice[];
  /** Set when the session fixes the provider (`integration.provider` or reauth). */
  fixedProvider: ProviderChoice | null;
  /** Set on a reauthentication session: the company cannot change. */
  fixedCompany: string | null;
  sandbox: string | null;
  values: {
    provider_id: string;
    company_name: string;
    entities: string;
    username: string;
  };
  errors: Partial<
    Record<"provider_id" | "company_name" | "entities" | "username", string>
  >;
}

const PRODUCT_LABELS: Record<string, string> = {
  company: "Company details",
  directory: "Employee directory",
  individual: "Personal information",
  employment: "Employment details",
  payment: "Payroll runs",
  pay_statement: "Pay statements",
  benefits: "Benefits and deductions",
  deduction: "Deductions",
  documents: "Tax documents",
  ssn: "Social security numbers",
  plans: "Benefit plans",
  plans_dependents: "Plan dependents",
  plans_enrollments: "Plan enrollments",
  recordkeeping: "Retirement recordkeeping",
};

const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Inter,Roboto,Helvetica,Arial,sans-serif;color:#0f172a;background:#f1f3f9;display:flex;flex-direction:column;padding:24px 16px}
body.embedded{background:rgba(15,23,42,.55)}
.card{width:100%;max-width:480px;margin:auto;background:#fff;border-radius:18px;box-shadow:0 1px 2px rgba(15,23,42,.06),0 12px 40px rgba(15,23,42,.14);overflow:hidden}
.top{display:flex;align-items:center;justify-content:space-between;padding:18px 24px;border-bottom:1px solid #eef0f5}
.brand{display:flex;align-items:center;gap:10px;font-weight:650;letter-spacing:-.01em}
.mark{width:28px;height:28px;border-radius:8px;background:#111827;display:grid;place-items:center}
.pill{font-size:12px;font-weight:600;color:#4338ca;background:#eef2ff;border-radius:999px;padding:3px 10px}
.body{padding:24px}
h1{font-size:22px;line-height:1.25;margin:0 0 6px;letter-spacing:-.02em}
.lede{margin:0 0 18px;color:#475569}
.perms{background:#f8fafc;border:1px solid #eef0f5;border-radius:12px;padding:12px 14px;margin:0 0 22px}
.perms h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#64748b;margin:0 0 8px}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:0;padding:0;list-style:none}
.chips li{font-size:13px;background:#fff;border:1px solid #e2e8f0;border-radius:999px;padding:2px 10px;color:#334155}
fieldset{border:0;margin:0 0 18px;padding:0;min-width:0}
legend,label.field{display:block;font-weight:600;font-size:14px;margin:0 0 6px}
.opt{font-weight:400;color:#64748b}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:8px;max-height:292px;overflow:auto;padding:2px}
.tile{position:relative;display:flex;align-items:center;gap:10px;border:1px solid #e2e8f0;border-radius:12px;padding:10px;cursor:pointer;font-size:13px;font-weight:550;line-height:1.2;background:#fff;transition:border-color .12s,box-shadow .12s}
.tile:hover{border-color:#a5b4fc}
.tile input{position:absolute;opacity:0;width:1px;height:1px}
.tile:has(input:checked){border-color:#4f46e5;box-shadow:0 0 0 1px #4f46e5;background:#f5f7ff}
.tile:has(input:checked)::after{content:"";position:absolute;top:7px;right:7px;width:8px;height:8px;border-radius:50%;background:#4f46e5}
.tile:has(input:focus-visible){outline:3px solid #a5b4fc;outline-offset:2px}
.tile img,.fixed img{width:32px;height:32px;border-radius:8px;flex:none}
.tag{display:block;font-size:11px;font-weight:500;color:#64748b}
.fixed{display:flex;align-items:center;gap:12px;border:1px solid #e2e8f0;border-radius:12px;padding:12px 14px;margin:0 0 18px;background:#f8fafc}
.fixed strong{display:block}
.fixed span{font-size:13px;color:#64748b}
input.text{width:100%;font:inherit;color:inherit;padding:10px 12px;border:1px solid #cbd5e1;border-radius:10px;background:#fff}
input.text:focus{outline:3px solid #c7d2fe;border-color:#4f46e5}
input.text[aria-invalid=true]{border-color:#dc2626}
.row{margin:0 0 16px}
.hint{font-size:13px;color:#64748b;margin:6px 0 0}
.err{font-size:13px;color:#b91c1c;margin:6px 0 0;font-weight:550}
.alert{border-radius:12px;background:#fef2f2;border:1px solid #fecaca;color:#991b1b;padding:10px 14px;margin:0 0 18px;font-size:14px}
.actions{display:flex;flex-direction:row-reverse;gap:10px;margin-top:22px}
button{font:inherit;font-weight:600;border-radius:10px;padding:11px 18px;cursor:pointer;border:1px solid transparent}
button.primary{flex:1;background:#4f46e5;color:#fff}
button.primary:hover{background:#4338ca}
button.secondary{background:#fff;border-color:#cbd5e1;color:#334155}
button.secondary:hover{background:#f8fafc}
button:focus-visible{outline:3px solid #a5b4fc;outline-offset:2px}
.foot{display:flex;align-items:center;gap:6px;justify-content:center;font-size:12px;color:#64748b;padding:14px 24px;border-top:1px solid #eef0f5;background:#fbfcfe}
.msg{text-align:center;padding:36px 28px}
.icon{width:56px;height:56px;border-radius:50%;display:grid;place-items:center;margin:0 auto 16px;font-size:26px;font-weight:700}
.icon.ok{background:#dcfce7;color:#15803d}
.icon.warn{background:#fef3c7;color:#b45309}
.msg p{color:#475569;margin:0 auto;max-width:340px}
@media (max-width:480px){body{padding:0}.card{border-radius:0;max-width:none;min-height:100vh;margin:0}.body{padding:20px 18px}.grid{grid-template-columns:repeat(2,1fr)}}
@media (prefers-reduced-motion:reduce){.tile{transition:none}}
`;

function Mark() {
  return (
    <span class="mark" aria-hidden="true">
      <svg width="16" height="16" viewBox="0 0 16 16">
        <path d="M3 13V3h10v2.6H5.8v1.7h6v2.5h-6V13z" fill="#fff" />
      </svg>
    </span>
  );
}

function Lock() {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      <path
        d="M3.5 5V3.8a2.5 2.5 0 0 1 5 0V5h.5a1 1 0 0 1 1 1v4a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1.2 0h2.6V3.8a1.3 1.3 0 0 0-2.6 0z"
        fill="currentColor"
      />
    </svg>
  );
}

/** The document around every Connect screen. */
function Shell(
  props: {
    title: string;
    embedded: boolean;
    sandbox?: string | null;
    children: ComponentChildren;
  },
) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body class={props.embedded ? "embedded" : undefined}>
        <main class="card">
          <div class="top">
            <span class="brand">
              <Mark /> Finch Connect
            </span>
            <span class="pill">
              {props.sandbox ? `Sandbox: ${props.sandbox}` : "Simulator"}
            </span>
          </div>
          {props.children}
          <div class="foot">
            <Lock />{" "}
            Secured by Finch · simulated locally, no real credentials are sent
          </div>
        </main>
      </body>
    </html>
  );
}

/** The authorization form: provider, company, entities, username, Connect or Cancel. */
export function ConnectForm(props: ConnectFormProps) {
  const { values, errors } = props;
  const reauth = props.fixedCompany !== null;
  const errorCount = Object.values(errors).filter(Boolean).length;
  return (
    <Shell
      title={reauth
        ? "Reconnect your account · Finch Connect"
        : "Connect your payroll · Finch Connect"}
      embedded={props.embedded !== null}
      sandbox={props.sandbox}
    >
      <div class="body">
        <h1>
          {reauth
            ? "Reconnect your account"
            : "Connect your HR or payroll system"}
        </h1>
        <p class="lede">
          <strong>{props.appName}</strong> {reauth
            ? "needs you to sign in again so that your data keeps syncing."
            : "wants to access your payroll data. It uses Finch to connect securely to your employment system."}
        </p>
        {props.products.length > 0 && (
          <section class="perms" aria-labelledby="perms-title">
            <h2 id="perms-title">{props.appName} is asking for</h2>
            <ul class="chips">
              {props.products.map((p) => (
                <li key={p}>{PRODUCT_LABELS[p] ?? p}</li>
              ))}
            </ul>
          </section>
        )}
        {errorCount > 0 && (
          <div class="alert" role="alert">
            Please fix the {errorCount === 1 ? "field" : "fields"} marked below.
          </div>
        )}
        <form method="post" action={props.action}>
          <input type="hidden" name="session" value={props.sessionId} />
          {props.state !== null && (
            <input type="hidden" name="state" value={props.state} />
          )}
          {props.embedded && (
            <>
              <input
                type="hidden"
                name="app_type"
                value={props.embedded.appType}
              />
              <input
                type="hidden"
                name="sdk_host_url"
                value={props.embedded.sdkHostUrl}
              />
            </>
          )}
          {props.fixedProvider
            ? (
              <div class="fixed">
                <input
                  type="hidden"
                  name="provider_id"
                  value={props.fixedProvider.id}
                />
                <img src={props.fixedProvider.logo} alt="" />
                <div>
                  <strong>{props.fixedProvider.name}</strong>
                  <span>
                    {reauth
                      ? props.fixedCompany
                      : "Selected by " + props.appName}
                  </span>
                </div>
              </div>
            )
            : (
              <fieldset
                aria-describedby={errors.provider_id
                  ? "provider-error"
                  : undefined}
              >
                <legend>Choose your provider</legend>
                <div class="grid">
                  {props.providers.map((p, i) => (
                    <label class="tile" key={p.id}>
                      <input
                        type="radio"
                        name="provider_id"
                        value={p.id}
                        checked={values.provider_id === p.id}
                        required={i === 0}
                      />
                      <img src={p.logo} alt="" width={32} height={32} />
                      <span>
                        {p.name}
                        {p.assisted && <small class="tag">Assisted</small>}
                      </span>
                    </label>
                  ))}
                </div>
                {errors.provider_id && (
                  <p class="err" id="provider-error">{errors.provider_id}</p>
                )}
              </fieldset>
            )}
          {reauth
            ? (
              <input
                type="hidden"
                name="company_name"
                value={props.fixedCompany ?? ""}
              />
            )
            : (
              <>
                <div class="row">
                  <label class="field" for="company_name">
                    Company legal name
                  </label>
                  <input
                    class="text"
                    id="company_name"
                    name="company_name"
                    value={values.company_name}
                    required
                    maxLength={200}
                    autocomplete="organization"
                    aria-invalid={errors.company_name ? "true" : undefined}
                    aria-describedby={errors.company_name
                      ? "company-error"
                      : undefined}
                  />
                  {errors.company_name && (
                    <p class="err" id="company-error">{errors.company_name}</p>
                  )}
                </div>
                <div class="row">
                  <label class="field" for="entities">
                    Entities <span class="opt">(optional)</span>
                  </label>
                  <input
                    class="text"
                    id="entities"
                    name="entities"
                    value={values.entities}
                    maxLength={2000}
                    aria-invalid={errors.entities ? "true" : undefined}
                    aria-describedby="entities-hint"
                  />
                  {errors.entities
                    ? <p class="err" id="entities-hint">{errors.entities}</p>
                    : (
                      <p class="hint" id="entities-hint">
                        For multi-entity companies: legal entities or pay
                        groups, comma-separated.
                      </p>
                    )}
                </div>
              </>
            )}
          <div class="row">
            <label class="field" for="username">Username or email</label>
            <input
              class="text"
              id="username"
              name="username"
              value={values.username}
              maxLength={200}
              autocomplete="username"
              aria-invalid={errors.username ? "true" : undefined}
              aria-describedby={errors.username ? "username-error" : undefined}
            />
            {errors.username && (
              <p class="err" id="username-error">{errors.username}</p>
            )}
          </div>
          <div class="row">
            <label class="field" for="password">Password</label>
            <input
              class="text"
              id="password"
              name="password"
              type="password"
              autocomplete="current-password"
              aria-describedby="password-hint"
            />
            <p class="hint" id="password-hint">
              Any password works in the simulator.
            </p>
          </div>
          {/* Connect comes first in the DOM so that Enter submits it; CSS puts Cancel left. */}
          <div class="actions">
            <button class="primary" type="submit" name="action" value="connect">
              {reauth ? "Reconnect" : "Connect"}
            </button>
            <button
              class="secondary"
              type="submit"
              name="action"
              value="cancel"
              formNoValidate
            >
              Cancel
            </button>
          </div>
        </form>
      </div>
    </Shell>
  );
}

/** Props of {@link MessagePage}. */
export interface MessageProps {
  title: string;
  message: string;
  tone: "ok" | "warn";
  embedded: boolean;
  /** Inline script (embedded hand-off), run under this CSP nonce. */
  script?: { nonce: string; code: string };
}

/** A one-message screen: expired or unknown session, or the embedded flow's result. */
export function MessagePage(props: MessageProps) {
  return (
    <Shell title={`${props.title} · Finch Connect`} embedded={props.embedded}>
      <div class="msg" role={props.tone === "warn" ? "alert" : "status"}>
        <div class={`icon ${props.tone}`} aria-hidden="true">
          {props.tone === "ok" ? "✓" : "!"}
        </div>
        <h1>{props.title}</h1>
        <p>{props.message}</p>
      </div>
      {props.script && (
        <script
          nonce={props.script.nonce}
          dangerouslySetInnerHTML={{ __html: props.script.code }}
        />
      )}
    </Shell>
  );
}

/** Renders a page component to a full HTML document. */
export function renderPage(node: JSX.Element): string {
  return "<!doctype html>" + renderToString(node);
}

/** JSON safe to embed in an inline script (no `</script>`, no line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
