import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpServerOptions {
  /** Listen on this port (0 / omitted = a free one). */
  port?: number;
  /** Hold every message this long before answering 250 (a slow provider). */
  delayMs?: number;
  /** Answer every recipient with a permanent 550. */
  rejectAll?: boolean;
}

export interface TestSmtpServer {
  readonly port: number;
  /** smtp://127.0.0.1:PORT */
  readonly url: string;
  /** Every accepted message, parsed, in arrival order. */
  readonly messages: ParsedMail[];
  readonly running: boolean;
  /** Resolves with the first message (already received or arriving) that matches. */
  waitForMessage(predicate: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  setDelay(ms: number): void;
  setRejectAll(reject: boolean): void;
  /** Stops listening and drops open connections (an outage). */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  restart(): Promise<void>;
}

/**
 * A real SMTP server in the test process (no TLS; AUTH optional, any credentials accepted), with the parsed messages it
 * accepted. Senders talk real SMTP to it, so delays and outages are real too.
 */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const arrivals = new EventEmitter();
  let delayMs = options.delayMs ?? 0;
  let rejectAll = options.rejectAll ?? false;
  let server: SMTPServer | undefined;
  let port = options.port ?? 0;
  const hungUp = new Set<string>();
  const pending = new Set<NodeJS.Timeout>();

  const create = (): SMTPServer =>
    new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        callback(null, { user: auth.username ?? 'test' });
      },
      logger: false,
      closeTimeout: 50,
      onRcptTo(_address, _session, callback) {
        if (!rejectAll) return callback();
        const error = new Error('5.7.1 Recipient refused by test server') as Error & {
          responseCode: number;
        };
        error.responseCode = 550;
        callback(error);
      },
      onClose(session) {
        hungUp.add(session.id);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const accept = (): void => {
            // A client that hung up before our 250 did not hand the message over.
            if (hungUp.has(session.id)) return;
            simpleParser(Buffer.concat(chunks))
              .then((mail) => {
                messages.push(mail);
                arrivals.emit('message', mail);
                callback();
              })
              .catch((error: Error) => callback(error));
          };
          if (delayMs <= 0) return accept();
          const timer = setTimeout(() => {
            pending.delete(timer);
            accept();
          }, delayMs);
          pending.add(timer);
        });
      },
    });

  const listen = async (): Promise<void> => {
    const next = create();
    next.on('error', () => undefined); // client resets during an outage are expected
    next.listen(port, '127.0.0.1');
    await once(next.server, 'listening');
    port = (next.server.address() as AddressInfo).port;
    server = next;
  };

  await listen();

  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get running() {
      return server !== undefined;
    },
    waitForMessage(predicate, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<ParsedMail>((resolve, reject) => {
        const onMessage = (mail: ParsedMail): void => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          arrivals.off('message', onMessage);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          arrivals.off('message', onMessage);
          reject(
            new Error(`no matching message within ${timeoutMs} ms (${messages.length} received)`),
          );
        }, timeoutMs);
        arrivals.on('message', onMessage);
      });
    },
    setDelay(ms) {
      delayMs = ms;
    },
    setRejectAll(reject) {
      rejectAll = reject;
    },
    async stop() {
      const current = server;
      if (!current) return;
      server = undefined;
      // Messages still held back by the delay are never answered: the outage ate them.
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async restart() {
      if (server) return;
      await listen();
    },
  };
}

/** Every recipient address of a parsed message, lower-cased. */
export function recipientsOf(mail: ParsedMail): string[] {
  const groups: AddressObject[] = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return groups.flatMap((group) =>
    group.value.map((entry) => (entry.address ?? '').toLowerCase()).filter(Boolean),
  );
}

/** A predicate for `waitForMessage`: the message was sent to `address`. */
export function sentTo(address: string): (mail: ParsedMail) => boolean {
  const wanted = address.toLowerCase();
  return (mail) => recipientsOf(mail).includes(wanted);
}

/** The six-digit code in a message's text part (the mails put it on a line of its own). */
export function extractOtp(mail: ParsedMail): string {
  // The code stands on a line of its own; a greeting like "Hi user_123456ab" must not match.
  const match = /^[ \t]*(\d{6})[ \t]*$/m.exec(mail.text ?? '');
  if (!match) throw new Error(`no 6-digit code in the message "${mail.subject ?? ''}"`);
  return match[1];
}
