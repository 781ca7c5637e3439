import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { AppException } from '../../../common/errors/app.exception';

const ALGORITHM = 'HS256' as const;
const ACCESS_TYPE = 'at+jwt';
const REFRESH_TYPE = 'rt+jwt';
/** Longer than any token we sign; anything bigger is refused before it is parsed. */
export const MAX_TOKEN_LENGTH = 4096;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
  iat: number;
}

export interface RefreshClaims {
  sub: string;
  sid: string;
  exp: number;
}

/**
 * jsonwebtoken turns a string or Buffer secret into a KeyObject on every sign and verify, first
 * trying (and failing) to parse it as a PEM public key: that was ~9 % of a busy server's CPU. The
 * keys are built once; at run time it takes a KeyObject, but @nestjs/jwt's and passport-jwt's
 * option types only name string | Buffer.
 */
const asSecret = (key: KeyObject): Buffer => key as unknown as Buffer;

interface CompleteToken<T> {
  header: { alg?: string; typ?: string };
  payload: T;
}

/**
 * Signs and checks both token kinds. They use different keys, audiences and `typ` headers,
 * so one can never pass for the other.
 */
@Injectable()
export class TokenService {
  private readonly accessSecret: KeyObject;
  private readonly refreshSecret: KeyObject;
  private readonly refreshAudience: string;

  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.accessSecret = createSecretKey(Buffer.from(config.auth.accessSecret, 'utf8'));
    this.refreshSecret = createSecretKey(
      Buffer.from(
        hkdfSync(
          'sha256',
          config.auth.accessSecret,
          'baat-cheet',
          'refresh-token signing key v1',
          32,
        ),
      ),
    );
    this.refreshAudience = `${config.auth.audience}:refresh`;
  }

  signAccess(userId: string, sessionId: string): { token: string; jti: string; expiresAt: Date } {
    const jti = randomBytes(16).toString('base64url');
    const nowSeconds = Math.floor(Date.now() / 1000);
    const exp = nowSeconds + this.config.auth.accessTtlSeconds;
    const token = this.jwt.sign(
      { sid: sessionId, iat: nowSeconds, exp },
      {
        secret: asSecret(this.accessSecret),
        algorithm: ALGORITHM,
        header: { alg: ALGORITHM, typ: ACCESS_TYPE },
        subject: userId,
        jwtid: jti,
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
      },
    );
    return { token, jti, expiresAt: new Date(exp * 1000) };
  }

  /** The refresh token's own 256-bit random `jti` makes each one unguessable; its expiry is the session's. */
  signRefresh(userId: string, sessionId: string, expiresAt: Date): string {
    return this.jwt.sign(
      { sid: sessionId, exp: Math.floor(expiresAt.getTime() / 1000) },
      {
        secret: asSecret(this.refreshSecret),
        algorithm: ALGORITHM,
        header: { alg: ALGORITHM, typ: REFRESH_TYPE },
        subject: userId,
        jwtid: randomBytes(32).toString('base64url'),
        issuer: this.config.auth.issuer,
        audience: this.refreshAudience,
      },
    );
  }

  /** Throws UNAUTHORIZED or TOKEN_EXPIRED; never anything else, whatever the input. */
  verifyAccess(token: string): AccessClaims {
    return this.accessClaimsOf(
      this.verify<AccessClaims>(
        token,
        this.accessSecret,
        this.config.auth.audience,
        'UNAUTHORIZED',
      ),
    );
  }

  /** The options passport-jwt verifies access tokens with: the same as verifyAccess. */
  get accessVerifyOptions(): {
    secretOrKey: Buffer;
    algorithms: [typeof ALGORITHM];
    issuer: string;
    audience: string;
    jsonWebTokenOptions: { complete: true; clockTolerance: 0 };
  } {
    return {
      secretOrKey: asSecret(this.accessSecret),
      algorithms: [ALGORITHM],
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      jsonWebTokenOptions: { complete: true, clockTolerance: 0 },
    };
  }

  /** Checks the `typ` header and the claims of a signature-verified access token. */
  accessClaimsOf(complete: unknown): AccessClaims {
    const token = complete as Partial<CompleteToken<AccessClaims>> | null;
    if (!token || typeof token !== 'object' || token.header?.typ !== ACCESS_TYPE) {
      throw new AppException('UNAUTHORIZED', 'Invalid access token');
    }
    return this.requireClaims(token.payload as AccessClaims, 'UNAUTHORIZED');
  }

  verifyRefresh(token: string): RefreshClaims {
    const complete = this.verify<RefreshClaims>(
      token,
      this.refreshSecret,
      this.refreshAudience,
      'REFRESH_TOKEN_INVALID',
    );
    if (complete.header.typ !== REFRESH_TYPE)
      throw new AppException('REFRESH_TOKEN_INVALID', 'Invalid refresh token');
    const { sub, sid, exp } = this.requireClaims(complete.payload, 'REFRESH_TOKEN_INVALID');
    return { sub, sid, exp };
  }

  private verify<T>(
    token: string,
    secret: KeyObject,
    audience: string,
    failure: 'UNAUTHORIZED' | 'REFRESH_TOKEN_INVALID',
  ): CompleteToken<T> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
      throw new AppException(failure, 'Invalid token');
    try {
      return this.jwt.verify<CompleteToken<T> & object>(token, {
        secret: asSecret(secret),
        algorithms: [ALGORITHM],
        issuer: this.config.auth.issuer,
        audience,
        complete: true,
        clockTolerance: 0,
      });
    } catch (error) {
      if (
        failure === 'UNAUTHORIZED' &&
        error instanceof Error &&
        error.name === 'TokenExpiredError'
      ) {
        throw new AppException('TOKEN_EXPIRED', 'Access token expired');
      }
      throw new AppException(
        failure,
        failure === 'UNAUTHORIZED' ? 'Invalid access token' : 'Invalid refresh token',
      );
    }
  }

  private requireClaims<T>(
    payload: T,
    failure: 'UNAUTHORIZED' | 'REFRESH_TOKEN_INVALID',
  ): T & AccessClaims {
    const claims = payload as Partial<AccessClaims> | null;
    const ok =
      claims !== null &&
      typeof claims === 'object' &&
      typeof claims.sub === 'string' &&
      typeof claims.sid === 'string' &&
      typeof claims.exp === 'number' &&
      (failure === 'REFRESH_TOKEN_INVALID' || typeof claims.jti === 'string');
    if (!ok) throw new AppException(failure, 'Invalid token');
    return payload as T & AccessClaims;
  }
}
