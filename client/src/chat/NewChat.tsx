import { useEffect, useState } from 'react';
import { chatClient, describeError } from '../api/sdk';
import type { ConversationDto, PublicUserDto, SelfUserDto } from '../api/types';
import type { PresenceMap } from './model';

/** Find people by username prefix: open a direct chat with one, or make a group of several. */
export function NewChat({
  me,
  presence,
  onOpened,
  onClose,
}: {
  me: SelfUserDto;
  presence: PresenceMap;
  onOpened: (c: ConversationDto) => void;
  onClose: () => void;
}) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<PublicUserDto[]>([]);
  const [selected, setSelected] = useState<Map<string, PublicUserDto>>(new Map());
  const [groupName, setGroupName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const prefix = query.trim();
    if (!prefix) {
      setResults([]);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      chatClient()
        .users.search({ q: prefix, limit: 20 })
        .then((page) => !cancelled && setResults(page.items.filter((u) => u.id !== me.id)))
        .catch((e: unknown) => !cancelled && setError(describeError(e)));
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [query, me.id]);

  async function run(action: () => Promise<ConversationDto>) {
    setBusy(true);
    setError(null);
    try {
      onOpened(await action());
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  function toggle(user: PublicUserDto) {
    setSelected((current) => {
      const next = new Map(current);
      if (next.has(user.id)) next.delete(user.id);
      else next.set(user.id, user);
      return next;
    });
  }

  return (
    <section className="panel" aria-label="New chat">
      <header className="chat-header">
        <h2>New chat</h2>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </header>
      <input
        className="search"
        placeholder="Search people by username"
        aria-label="Search people"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        autoFocus
      />
      <ul className="people">
        {results.map((user) => (
          <li key={user.id} data-testid="person" data-username={user.username}>
            <label>
              <input
                type="checkbox"
                checked={selected.has(user.id)}
                onChange={() => toggle(user)}
                aria-label={`Add ${user.username} to group`}
              />
              <span
                className={`dot ${(presence[user.id] ?? user.status) === 'online' ? 'online' : 'offline'}`}
              />
              {user.username}
            </label>
            <button
              type="button"
              disabled={busy}
              onClick={() => void run(() => chatClient().conversations.createDirect(user.id))}
            >
              Message
            </button>
          </li>
        ))}
        {query.trim() && results.length === 0 && <li className="muted">Nobody found.</li>}
      </ul>
      <form
        className="group-form"
        onSubmit={(event) => {
          event.preventDefault();
          void run(() =>
            chatClient().conversations.createGroup({
              name: groupName.trim(),
              memberIds: [...selected.keys()],
            }),
          );
        }}
      >
        <input
          placeholder="Group name"
          aria-label="Group name"
          value={groupName}
          onChange={(event) => setGroupName(event.target.value)}
          maxLength={100}
        />
        <button type="submit" disabled={busy || !groupName.trim() || selected.size === 0}>
          Create group ({selected.size})
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
