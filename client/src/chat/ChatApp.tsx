import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { chatClient, describeError } from '../api/sdk';
import type { ConversationDto, MessageDto, SelfUserDto } from '../api/types';
import { ChatView } from './ChatView';
import { ConversationList } from './ConversationList';
import { mergeMessages, peerOf, sortConversations, withMessage, type PresenceMap } from './model';
import { NewChat } from './NewChat';
import { Sessions } from './Sessions';

type Panel = 'chat' | 'new' | 'sessions';
const TYPING_TTL_MS = 6_000;

export function ChatApp({ me }: { me: SelfUserDto }) {
  // One SDK client per signed-in session (App remounts this component for the next one).
  const [client] = useState(chatClient);
  const [conversations, setConversations] = useState<ConversationDto[]>([]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [messages, setMessages] = useState<Record<string, MessageDto[]>>({});
  const [peerRead, setPeerRead] = useState<Record<string, Record<string, number>>>({});
  const [typing, setTyping] = useState<Record<string, Record<string, number>>>({});
  const [presence, setPresence] = useState<PresenceMap>({});
  const [connected, setConnected] = useState(false);
  const [panel, setPanel] = useState<Panel>('chat');
  const [error, setError] = useState<string | null>(null);
  const messagesRef = useRef(messages);
  messagesRef.current = messages;

  const loadConversations = useCallback(async () => {
    const page = await client.conversations.list({ limit: 50 });
    setConversations(sortConversations(page.items));
  }, [client]);

  /** Presence as profiles show it now; live `presence` events keep it current afterwards. */
  const presenceAsked = useRef(new Set<string>());
  const refreshPresence = useCallback(
    async (userIds: string[]) => {
      for (const id of userIds) presenceAsked.current.add(id);
      const profiles = await Promise.all(
        userIds.map((id) => client.users.get(id).catch(() => null)),
      );
      setPresence((current) => {
        const next = { ...current };
        for (const p of profiles) if (p) next[p.id] = p.status;
        return next;
      });
    },
    [client],
  );

  useEffect(() => {
    const unknown = conversations
      .flatMap((c) => peerOf(c, me.id)?.userId ?? [])
      .filter((id) => !presenceAsked.current.has(id));
    if (unknown.length > 0) void refreshPresence(unknown);
  }, [conversations, me.id, refreshPresence]);

  const upsertConversation = useCallback((c: ConversationDto) => {
    setConversations((list) => sortConversations([c, ...list.filter((x) => x.id !== c.id)]));
  }, []);

  const applyMessage = useCallback(
    (m: MessageDto) => {
      setMessages((all) =>
        all[m.conversationId]
          ? { ...all, [m.conversationId]: mergeMessages(all[m.conversationId], [m]) }
          : all,
      );
      let known = true;
      setConversations((list) => {
        const c = list.find((x) => x.id === m.conversationId);
        known = c !== undefined;
        return c
          ? sortConversations(list.map((x) => (x === c ? withMessage(c, m, me.id) : x)))
          : list;
      });
      if (!known) void loadConversations().catch(() => undefined);
      setTyping((all) => {
        if (!all[m.conversationId]?.[m.senderId]) return all;
        const { [m.senderId]: _gone, ...rest } = all[m.conversationId];
        return { ...all, [m.conversationId]: rest };
      });
    },
    [me.id, loadConversations],
  );

  const replaceMessage = useCallback((m: MessageDto) => {
    setMessages((all) =>
      all[m.conversationId]
        ? { ...all, [m.conversationId]: mergeMessages(all[m.conversationId], [m]) }
        : all,
    );
  }, []);

  /** After a reconnect: the list again, and every open history from its last seq. */
  const catchUp = useCallback(async () => {
    await loadConversations();
    for (const [conversationId, list] of Object.entries(messagesRef.current)) {
      const after = list.length > 0 ? list[list.length - 1].seq : 0;
      const missed = await client.messages.list(conversationId, { after, limit: 100 });
      setMessages((all) => ({
        ...all,
        [conversationId]: mergeMessages(all[conversationId], missed.items),
      }));
    }
  }, [client, loadConversations]);

  useEffect(() => {
    loadConversations().catch((e: unknown) => setError(describeError(e)));
  }, [loadConversations]);

  // Realtime: listeners first, then connect (the SDK reconnects and refreshes cookies itself).
  useEffect(() => {
    let everConnected = false;
    const off = [
      client.realtime.onStateChange((state) => setConnected(state === 'connected')),
      client.realtime.onConnected(() => {
        setConnected(true);
        if (everConnected) void catchUp().catch(() => undefined);
        everConnected = true;
      }),
      client.on('message:new', applyMessage),
      client.on('message:updated', replaceMessage),
      client.on('message:deleted', replaceMessage),
      client.on('reaction:updated', ({ conversationId, messageId, reactions }) =>
        setMessages((all) =>
          all[conversationId]
            ? {
                ...all,
                [conversationId]: all[conversationId].map((m) =>
                  m.id === messageId ? { ...m, reactions } : m,
                ),
              }
            : all,
        ),
      ),
      client.on('receipt:read', ({ conversationId, userId, seq }) =>
        setPeerRead((all) => ({
          ...all,
          [conversationId]: {
            ...all[conversationId],
            [userId]: Math.max(seq, all[conversationId]?.[userId] ?? 0),
          },
        })),
      ),
      client.on('typing', ({ conversationId, userId, isTyping }) => {
        if (userId === me.id) return;
        setTyping((all) => {
          const current = { ...all[conversationId] };
          if (isTyping) current[userId] = Date.now() + TYPING_TTL_MS;
          else delete current[userId];
          return { ...all, [conversationId]: current };
        });
      }),
      client.on('presence', ({ userId, status }) =>
        setPresence((all) => ({ ...all, [userId]: status })),
      ),
      client.on('conversation:updated', upsertConversation),
      client.on('member:added', () => void loadConversations().catch(() => undefined)),
      client.on('member:removed', ({ conversationId, userId }) => {
        if (userId === me.id) {
          setConversations((list) => list.filter((c) => c.id !== conversationId));
          setActiveId((id) => (id === conversationId ? null : id));
        } else {
          void loadConversations().catch(() => undefined);
        }
      }),
    ];
    client.connect().catch(() => undefined);
    return () => {
      for (const unsubscribe of off) unsubscribe();
      client.disconnect();
    };
  }, [client, me.id, applyMessage, replaceMessage, upsertConversation, loadConversations, catchUp]);

  // Typing indicators expire by themselves when the "stop" never comes.
  useEffect(() => {
    const timer = setInterval(() => {
      const now = Date.now();
      setTyping((all) => {
        let changed = false;
        const next: typeof all = {};
        for (const [conversationId, users] of Object.entries(all)) {
          next[conversationId] = {};
          for (const [userId, until] of Object.entries(users)) {
            if (until > now) next[conversationId][userId] = until;
            else changed = true;
          }
        }
        return changed ? next : all;
      });
    }, 1_000);
    return () => clearInterval(timer);
  }, []);

  const active = conversations.find((c) => c.id === activeId) ?? null;

  // Load the history of the opened conversation once (newest page).
  useEffect(() => {
    if (!activeId || messagesRef.current[activeId]) return;
    client.messages
      .list(activeId, { limit: 50 })
      .then((page) =>
        setMessages((all) => ({ ...all, [activeId]: mergeMessages(all[activeId], page.items) })),
      )
      .catch((e: unknown) => setError(describeError(e)));
  }, [client, activeId]);

  // Reading the open conversation moves the read pointer (and sends the receipt to the others).
  const activeLastSeq = active?.lastSeq ?? 0;
  const activeLastRead = active?.lastReadSeq ?? 0;
  const historyLoaded = activeId !== null && messages[activeId] !== undefined;
  useEffect(() => {
    if (!activeId || !historyLoaded || activeLastSeq <= activeLastRead) return;
    const seq = activeLastSeq;
    setConversations((list) =>
      list.map((c) =>
        c.id === activeId ? { ...c, lastReadSeq: Math.max(c.lastReadSeq, seq), unreadCount: 0 } : c,
      ),
    );
    const read = client.realtime.connected
      ? client.markRead(activeId, seq)
      : client.messages.markRead(activeId, seq);
    read.catch(() => undefined);
  }, [client, activeId, historyLoaded, activeLastSeq, activeLastRead]);

  const send = useCallback(
    async (conversationId: string, body: string, attachmentIds: string[]) => {
      const message = await client.sendMessage({
        conversationId,
        ...(body ? { body } : {}),
        ...(attachmentIds.length > 0 ? { attachmentIds } : {}),
      });
      applyMessage(message);
    },
    [client, applyMessage],
  );

  const typingPing = useCallback(
    (conversationId: string, isTyping: boolean) => {
      if (client.realtime.connected)
        client.setTyping(conversationId, isTyping).catch(() => undefined);
    },
    [client],
  );

  const opened = useCallback(
    (c: ConversationDto) => {
      upsertConversation(c);
      setActiveId(c.id);
      setPanel('chat');
      // Peers see each other's presence once they share a conversation: ask again now.
      const peer = peerOf(c, me.id);
      if (peer) void refreshPresence([peer.userId]);
    },
    [upsertConversation, refreshPresence, me.id],
  );

  const typingNames = useMemo(() => {
    if (!active) return [];
    return Object.keys(typing[active.id] ?? {}).map(
      (id) => active.members.find((m) => m.userId === id)?.username ?? 'someone',
    );
  }, [active, typing]);

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Baat Cheet</span>
        <span className={`conn ${connected ? 'on' : 'off'}`} data-testid="connection">
          {connected ? 'connected' : 'offline'}
        </span>
        <span className="spacer" />
        <span className="me" data-testid="me">
          {me.username}
        </span>
        <button type="button" onClick={() => setPanel('new')}>
          New chat
        </button>
        <button type="button" onClick={() => setPanel('sessions')}>
          Sessions
        </button>
        {/* The SDK ends the session (signed_out) whatever the server answers; App shows login. */}
        <button type="button" onClick={() => void client.auth.logout().catch(() => undefined)}>
          Sign out
        </button>
      </header>
      {error && (
        <p className="error banner" role="alert" onClick={() => setError(null)}>
          {error}
        </p>
      )}
      <div className="layout">
        <ConversationList
          me={me}
          conversations={conversations}
          activeId={activeId}
          presence={presence}
          onOpen={(id) => {
            setActiveId(id);
            setPanel('chat');
          }}
        />
        <main className="main">
          {panel === 'new' && (
            <NewChat
              me={me}
              presence={presence}
              onOpened={opened}
              onClose={() => setPanel('chat')}
            />
          )}
          {panel === 'sessions' && <Sessions onClose={() => setPanel('chat')} />}
          {panel === 'chat' && active && (
            <ChatView
              key={active.id}
              me={me}
              conversation={active}
              messages={messages[active.id]}
              peerRead={peerRead[active.id] ?? {}}
              typingNames={typingNames}
              presence={presence}
              onSend={(body, attachmentIds) => send(active.id, body, attachmentIds)}
              onTyping={(isTyping) => typingPing(active.id, isTyping)}
            />
          )}
          {panel === 'chat' && !active && (
            <div className="empty">Pick a conversation, or start a new chat.</div>
          )}
        </main>
      </div>
    </div>
  );
}
