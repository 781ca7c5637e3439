import {
  createClient,
  type BaatCheetClient,
  type BaatCheetClientOptions,
  type SessionEndReason,
} from '../../sdk/src';
import type { SelfUserDto } from '../../src/contract';
import { newCredentials, smtpOtpReader, type Credentials } from './auth';
import type { TestSmtpServer } from './smtp';

export interface SdkUser {
  client: BaatCheetClient;
  user: SelfUserDto;
  credentials: Credentials;
  /** Every onSessionEnded call, in order. */
  ended: SessionEndReason[];
  /** Requests the client made to POST /auth/refresh. */
  refreshRequests(): number;
  /** Every HTTP answer the client got: path and status, in order. */
  responses: { path: string; status: number }[];
}

/** Every client a test made, so `closeAllSdkClients` can leave no socket behind. */
const clients = new Set<BaatCheetClient>();

/** A bearer-mode SDK client whose fetch counts refresh requests; `options` override the rest. */
export function sdkClient(
  baseUrl: string,
  options: Partial<BaatCheetClientOptions> = {},
): Omit<SdkUser, 'user' | 'credentials'> {
  const ended: SessionEndReason[] = [];
  const responses: { path: string; status: number }[] = [];
  let refreshes = 0;
  const client = createClient({
    baseUrl,
    mode: 'bearer',
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname === '/api/v1/auth/refresh') refreshes += 1;
      const response = await fetch(input, init);
      responses.push({ path: url.pathname, status: response.status });
      return response;
    },
    onSessionEnded: (reason) => ended.push(reason),
    ...options,
  });
  clients.add(client);
  return { client, ended, responses, refreshRequests: () => refreshes };
}

/** Registers and verifies through the SDK, reading the OTP from the test SMTP server. */
export async function signUpSdk(
  baseUrl: string,
  smtp: TestSmtpServer,
  options: Partial<BaatCheetClientOptions> = {},
): Promise<SdkUser> {
  const credentials = newCredentials();
  const made = sdkClient(baseUrl, options);
  await made.client.auth.register(credentials);
  const otp = await smtpOtpReader(smtp)(credentials.email);
  const { user } = await made.client.auth.verifyOtp({ email: credentials.email, otp });
  return { ...made, user, credentials };
}

export function closeAllSdkClients(): void {
  for (const client of clients) client.close();
  clients.clear();
}
