/** The HTTP envelopes every response is wrapped in (API.md "Conventions"). Types only. */

export interface SuccessEnvelope<T> {
  success: true;
  message: string;
  data: T;
  page?: { nextCursor: string | null };
}

export interface ErrorDetail {
  field: string;
  message: string;
}

export interface ErrorEnvelope {
  success: false;
  error: { code: string; message: string; details?: ErrorDetail[] };
  requestId: string;
}
