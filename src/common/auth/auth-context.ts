/** Who made an authenticated request, and how. Set by the JWT strategy, read via @CurrentAuth(). */
export interface AuthContext {
  userId: string;
  sessionId: string;
  jti: string;
  /** Access-token expiry, seconds since the epoch. */
  exp: number;
  transport: 'cookie' | 'bearer';
}
