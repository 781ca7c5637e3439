import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { extractOtp, sentTo } from '../../support/smtp';
import { waitFor } from '../../support/wait';

/**
 * The OTP of the newest .eml the API's folder transport (MAIL_DEV_DIR) wrote for `email`: what a
 * developer running the client reads by hand.
 */
export async function otpFromMailFolder(
  dir: string,
  email: string,
  timeoutMs = 20_000,
): Promise<string> {
  const isTo = sentTo(email);
  return waitFor(
    `an OTP mail to ${email} in ${dir}`,
    async () => {
      const names = (await readdir(dir))
        .filter((name) => name.endsWith('.eml'))
        .sort()
        .reverse();
      for (const name of names) {
        const mail = await simpleParser(await readFile(path.join(dir, name)));
        if (isTo(mail)) return extractOtp(mail);
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
