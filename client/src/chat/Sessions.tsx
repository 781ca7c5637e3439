import { useCallback, useEffect, useState } from 'react';
import { chatClient, describeError } from '../api/sdk';
import type { SessionView } from '../api/types';

/** Signed-in devices (GET /auth/sessions); revoking one disconnects its sockets on the server. */
export function Sessions({ onClose }: { onClose: () => void }) {
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    chatClient()
      .auth.sessions()
      .then(setSessions)
      .catch((e: unknown) => setError(describeError(e)));
  }, []);
  useEffect(load, [load]);

  async function revoke(session: SessionView) {
    setError(null);
    try {
      // Revoking the current one ends this session: the SDK hears session:revoked, App shows login.
      await chatClient().auth.revokeSession(session.id);
      if (!session.current) load();
    } catch (e) {
      setError(describeError(e));
    }
  }

  return (
    <section className="panel" aria-label="Sessions">
      <header className="chat-header">
        <h2>Sessions</h2>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </header>
      {sessions === null && <p className="muted">Loading…</p>}
      <ul className="sessions">
        {sessions?.map((s) => (
          <li key={s.id} data-testid="session" data-current={s.current}>
            <div>
              <strong>{s.current ? 'This device' : shortAgent(s.userAgent)}</strong>
              <div className="muted">
                {s.ip} · signed in {new Date(s.createdAt).toLocaleString()} · last used{' '}
                {new Date(s.lastUsedAt).toLocaleString()}
              </div>
            </div>
            <button type="button" onClick={() => void revoke(s)}>
              {s.current ? 'Sign out' : 'Revoke'}
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function shortAgent(agent: string): string {
  const browser = /(Firefox|Edg|Chrome|Safari)\/[\d.]+/.exec(agent)?.[0];
  return browser ?? (agent.slice(0, 60) || 'Unknown device');
}
