import { useState, type FormEvent } from 'react';
import { chatClient, describeError } from '../api/sdk';
import type { SelfUserDto } from '../api/types';

/** A text field of a submitted form ('' when absent). */
function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

type Step = { kind: 'login' } | { kind: 'register' } | { kind: 'otp'; email: string };

export function AuthScreen({
  notice,
  onSignedIn,
}: {
  notice?: string;
  onSignedIn: (me: SelfUserDto) => void;
}) {
  const [step, setStep] = useState<Step>({ kind: 'login' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  function submitLogin(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      const { user } = await chatClient().auth.login({
        login: field(form, 'login').trim(),
        password: field(form, 'password'),
      });
      onSignedIn(user);
    });
  }

  function submitRegister(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = field(form, 'email').trim();
    void run(async () => {
      await chatClient().auth.register({
        username: field(form, 'username').trim(),
        email,
        password: field(form, 'password'),
      });
      setStep({ kind: 'otp', email });
    });
  }

  function submitOtp(event: FormEvent<HTMLFormElement>, email: string) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      const { user } = await chatClient().auth.verifyOtp({
        email,
        otp: field(form, 'otp').trim(),
      });
      onSignedIn(user);
    });
  }

  return (
    <main className="auth">
      <h1 className="brand">Baat Cheet</h1>
      {notice && (
        <p className="notice" data-testid="auth-notice">
          {notice}
        </p>
      )}
      {step.kind !== 'otp' && (
        <nav className="tabs">
          <button
            className={step.kind === 'login' ? 'active' : ''}
            onClick={() => setStep({ kind: 'login' })}
            type="button"
          >
            Sign in
          </button>
          <button
            className={step.kind === 'register' ? 'active' : ''}
            onClick={() => setStep({ kind: 'register' })}
            type="button"
          >
            Create account
          </button>
        </nav>
      )}
      {step.kind === 'login' && (
        <form onSubmit={submitLogin} aria-label="Sign in">
          <label>
            Username or email
            <input name="login" autoComplete="username" required />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      {step.kind === 'register' && (
        <form onSubmit={submitRegister} aria-label="Create account">
          <label>
            Username
            <input name="username" autoComplete="username" required minLength={3} maxLength={30} />
          </label>
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              maxLength={128}
            />
          </label>
          <button type="submit" disabled={busy}>
            Send me a code
          </button>
        </form>
      )}
      {step.kind === 'otp' && (
        <form onSubmit={(event) => submitOtp(event, step.email)} aria-label="Verify email">
          <p>
            We sent a 6-digit code to <strong>{step.email}</strong>. In development the API writes
            its mails as .eml files to <code>MAIL_DEV_DIR</code>.
          </p>
          <label>
            Code
            <input
              name="otp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
            />
          </label>
          <button type="submit" disabled={busy}>
            Verify
          </button>
          <button type="button" className="link" onClick={() => setStep({ kind: 'register' })}>
            Back
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
