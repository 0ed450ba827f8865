/**
 * The API's errors: always { error: { code, message } } with the right status (docs/edge.md, openapi.ts); never a
 * stack trace, never text from the request.
 */

export type ApiStatus = 400 | 401 | 404 | 405 | 413 | 415 | 500 | 503 | 504;

export class ApiError extends Error {
  constructor(
    readonly status: ApiStatus,
    readonly code: string,
    message: string,
    /** seconds for a Retry-After header (503) */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}
