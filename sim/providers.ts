/**
 * The simulator's provider catalog (`GET /providers`) and the small SVG badges it serves as
 * provider logos, so the Connect page and the portal show logos with no network.
 *
 * Ids and display names are real Finch provider ids (reference §5.5); products, auth methods,
 * supported fields and colours are plausible, not Finch's live catalog.
 *
 * @module
 */

import { benefitsSupport, supportedFields } from "./provider_support.ts";

/** Authentication method types of `/providers` (spec `Provider.authentication_methods`). */
export type AuthType = "assisted" | "credential" | "api_token" | "oauth";

/** One provider as the simulator knows it. */
export interface SimProvider {
  id: string;
  display_name: string;
  primary_color: string;
  /** Letters of the monogram badge. */
  monogram: string;
  auth: AuthType[];
  products: string[];
  mfa_required?: boolean;
  beta?: boolean;
  /** Fields it does not support, as `supported_fields` leaves (`individual.ssn`). */
  unsupported?: string[];
  /** Benefit types it supports, when not the usual set (provider_support.ts). */
  benefits?: string[];
}

const HRIS = ["company", "directory", "individual", "employment", "ssn"];
const FULL = [...HRIS, "payment", "pay_statement", "benefits"];
/** The Benefits product (plans, enrollments, dependents; in beta at Finch). */
const PLANS = ["plans", "plans_enrollments", "plans_dependents"];
/** Org structure that payroll-first systems do not keep. */
const NO_ORG = [
  "directory.individuals.manager.id",
  "employment.manager.id",
  "employment.class_code",
];

/** The catalog, in the order the Connect page lists it. */
export const PROVIDERS: readonly SimProvider[] = [
  {
    id: "gusto",
    display_name: "Gusto",
    primary_color: "#F45D48",
    monogram: "G",
    auth: ["oauth"],
    products: [...FULL, "documents", ...PLANS],
    benefits: [
      "401k",
      "401k_roth",
      "s125_medical",
      "s125_dental",
      "s125_vision",
      "hsa_pre",
      "fsa_medical",
      "fsa_dependent_care",
      "commuter",
      "custom_pre_tax",
      "custom_post_tax",
    ],
  },
  {
    id: "adp_run",
    display_name: "Run Powered by ADP",
    primary_color: "#D0271D",
    monogram: "ADP",
    auth: ["credential", "assisted"],
    products: FULL,
    mfa_required: true,
    benefits: [
      "401k",
      "401k_roth",
      "401k_loan",
      "s125_medical",
      "s125_dental",
      "s125_vision",
      "hsa_pre",
      "hsa_post",
      "fsa_medical",
      "simple_ira",
    ],
  },
  {
    id: "adp_workforce_now",
    display_name: "ADP Workforce Now",
    primary_color: "#B3140E",
    monogram: "WFN",
    auth: ["api_token", "assisted"],
    products: [...FULL, "documents", ...PLANS],
  },
  {
    id: "bamboo_hr",
    display_name: "BambooHR",
    primary_color: "#73C41D",
    monogram: "B",
    auth: ["api_token", "oauth"],
    products: HRIS,
    unsupported: [
      "individual.ssn",
      "individual.encrypted_ssn",
      "employment.class_code",
      "employment.income_history",
    ],
  },
  {
    id: "paychex_flex",
    display_name: "Paychex Flex",
    primary_color: "#004B8D",
    monogram: "P",
    auth: ["credential", "assisted"],
    products: FULL,
    mfa_required: true,
  },
  {
    id: "rippling",
    display_name: "Rippling",
    primary_color: "#502D3C",
    monogram: "R",
    auth: ["oauth"],
    products: [...FULL, ...PLANS],
  },
  {
    id: "justworks",
    display_name: "Justworks",
    primary_color: "#0A6CFF",
    monogram: "J",
    auth: ["credential"],
    products: FULL,
    unsupported: ["employment.class_code", "individual.ethnicity"],
  },
  {
    id: "trinet",
    display_name: "TriNet",
    primary_color: "#0D3B66",
    monogram: "T",
    auth: ["assisted"],
    products: FULL,
  },
  {
    id: "paylocity",
    display_name: "Paylocity",
    primary_color: "#E3661A",
    monogram: "PL",
    auth: ["api_token", "assisted"],
    products: FULL,
  },
  {
    id: "paycom",
    display_name: "Paycom",
    primary_color: "#00A84F",
    monogram: "PC",
    auth: ["credential", "assisted"],
    products: FULL,
  },
  {
    id: "paycor",
    display_name: "Paycor",
    primary_color: "#E4002B",
    monogram: "PY",
    auth: ["credential"],
    products: FULL,
  },
  {
    id: "quickbooks",
    display_name: "QuickBooks Payroll",
    primary_color: "#2CA01C",
    monogram: "QB",
    auth: ["oauth"],
    products: FULL,
    unsupported: [...NO_ORG, "employment.title"],
  },
  {
    id: "workday",
    display_name: "Workday",
    primary_color: "#0875E1",
    monogram: "W",
    auth: ["api_token", "assisted"],
    products: HRIS,
    beta: true,
  },
  {
    id: "ulti_pro",
    display_name: "UltiPro (UKG Pro)",
    primary_color: "#005151",
    monogram: "U",
    auth: ["assisted"],
    products: FULL,
  },
  {
    id: "insperity",
    display_name: "Insperity",
    primary_color: "#C8102E",
    monogram: "I",
    auth: ["assisted"],
    products: FULL,
  },
  {
    id: "bob",
    display_name: "bob",
    primary_color: "#E5326E",
    monogram: "b",
    auth: ["api_token"],
    products: HRIS,
    unsupported: ["employment.class_code", "individual.ethnicity"],
  },
  {
    id: "personio",
    display_name: "Personio",
    primary_color: "#1F2A44",
    monogram: "P",
    auth: ["api_token"],
    products: HRIS,
    unsupported: [
      "individual.ethnicity",
      "individual.ssn",
      "individual.encrypted_ssn",
      "employment.class_code",
    ],
  },
  {
    id: "deel",
    display_name: "Deel",
    primary_color: "#15357A",
    monogram: "D",
    auth: ["oauth"],
    products: [...HRIS, "payment", "pay_statement"],
    unsupported: ["individual.ethnicity", "employment.class_code"],
  },
  {
    id: "zenefits",
    display_name: "Zenefits",
    primary_color: "#FF5A00",
    monogram: "Z",
    auth: ["oauth"],
    products: FULL,
  },
  {
    id: "square_payroll",
    display_name: "Square Payroll",
    primary_color: "#1A1A1A",
    monogram: "SQ",
    auth: ["oauth"],
    products: FULL,
    unsupported: NO_ORG,
  },
];

const BY_ID = new Map(PROVIDERS.map((p) => [p.id, p]));

/** The provider with this id, or undefined. */
export function findProvider(id: string): SimProvider | undefined {
  return BY_ID.get(id);
}

/** The auth method a connection to this provider uses unless the session asks for one. */
export function defaultAuthMethod(provider: SimProvider): AuthType {
  return provider.auth.find((a) => a !== "assisted") ?? "assisted";
}

/** Absolute URL of a provider's logo, served by the simulator itself. */
export function logoUrl(publicUrl: string, providerId: string): string {
  return `${publicUrl}/_sim/logos/${providerId}.svg`;
}

/** `GET /providers` item (spec `Provider`). */
export function providerJson(provider: SimProvider, publicUrl: string) {
  const logo = logoUrl(publicUrl, provider.id);
  return {
    id: provider.id,
    display_name: provider.display_name,
    products: provider.products,
    icon: logo,
    logo,
    primary_color: provider.primary_color,
    mfa_required: provider.mfa_required ?? false,
    beta: provider.beta ?? false,
    manual: provider.auth.length === 1 && provider.auth[0] === "assisted",
    authentication_methods: provider.auth.map((type) => ({
      type,
      benefits_support: benefitsSupport(provider),
      supported_fields: supportedFields(provider),
    })),
  };
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A monogram badge in the provider's colour: a rounded square with its initials. Small
 * enough to inline, crisp at any size, and obviously not the real trademark.
 */
export function logoSvg(provider: SimProvider): string {
  const text = escapeXml(provider.monogram);
  const size = provider.monogram.length >= 3
    ? 17
    : provider.monogram.length === 2
    ? 22
    : 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="${
    escapeXml(provider.display_name)
  }"><rect width="64" height="64" rx="14" fill="${provider.primary_color}"/><text x="32" y="32" dy="0.35em" text-anchor="middle" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="${size}" font-weight="700" fill="#fff">${text}</text></svg>`;
}
