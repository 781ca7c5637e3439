/** Wire shapes of the auth module (API.md "Authentication and token transport"). Types only. */

/** `data.tokens` of verify-otp, login and refresh when the request sent `X-Auth-Transport: bearer`. */
export interface BearerTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string;
}

export interface SessionView {
  id: string;
  userAgent: string;
  ip: string;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}
