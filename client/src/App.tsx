import { useEffect, useState } from 'react';
import { BaatCheetApiError } from '../../sdk/src';
import { chatClient, onSessionEnded, SESSION_END_NOTICE } from './api/sdk';
import type { SelfUserDto } from './api/types';
import { AuthScreen } from './auth/AuthScreen';
import { ChatApp } from './chat/ChatApp';

type SessionState =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signed-in'; me: SelfUserDto };

/** The session lives in httpOnly cookies: "am I signed in?" is answered by GET /users/me. */
export function App() {
  const [session, setSession] = useState<SessionState>({ kind: 'loading' });

  useEffect(() => {
    let cancelled = false;
    chatClient()
      .users.me()
      .then((me) => !cancelled && setSession({ kind: 'signed-in', me }))
      .catch((error: unknown) => {
        if (cancelled) return;
        const unreachable = error instanceof BaatCheetApiError && error.status !== 401;
        setSession({ kind: 'signed-out', notice: unreachable ? error.message : undefined });
      });
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(
    () =>
      onSessionEnded((reason) =>
        setSession((current) =>
          current.kind === 'signed-in'
            ? { kind: 'signed-out', notice: SESSION_END_NOTICE[reason] }
            : current,
        ),
      ),
    [],
  );

  if (session.kind === 'loading') return <div className="splash">Loading…</div>;
  if (session.kind === 'signed-out') {
    return (
      <AuthScreen
        notice={session.notice}
        onSignedIn={(me) => setSession({ kind: 'signed-in', me })}
      />
    );
  }
  return <ChatApp key={session.me.id} me={session.me} />;
}
