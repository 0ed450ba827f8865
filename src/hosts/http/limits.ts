/** Bounds on one request to the tagging API, shared by the app (app.ts) and its OpenAPI description (openapi.ts). */
export interface Limits {
  /** largest request body accepted, in bytes (413 above) */
  maxBodyBytes: number;
  /** most documents in one request (413 above) */
  maxDocuments: number;
  /** most characters (UTF-16 code units) in one document (413 above) */
  maxCharsPerDocument: number;
  /** the budget: most characters × max(1, kbest) in one request, all documents together (413 budget_exceeded above) */
  maxRequestCost: number;
  /** largest answer, in bytes of JSON (413 response_too_large above) */
  maxResponseBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1_000_000,
  maxDocuments: 100,
  maxCharsPerDocument: 100_000,
  maxRequestCost: 100_000,
  maxResponseBytes: 4_000_000,
};
