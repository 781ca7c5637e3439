import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { API_URL, chatClient, describeError } from '../api/sdk';
import type {
  AttachmentDto,
  ConversationDto,
  MediaDto,
  MessageDto,
  SelfUserDto,
} from '../api/types';
import { peerOf, titleOf, usernameIn, type PresenceMap } from './model';

const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const IMAGE_TYPES = 'image/png,image/jpeg,image/gif,image/webp';

/**
 * URLs embedded in messages are root-relative unless the server has MEDIA_PUBLIC_BASE_URL: they
 * belong to the API's origin, not this page's.
 */
function onApi(url: string): string {
  return new URL(url, `${API_URL}/`).href;
}

/** Message attachments carry short-lived signed URLs; the thumbnail when there is one. */
function Attachment({ attachment }: { attachment: AttachmentDto }) {
  if (!attachment.contentType.startsWith('image/')) {
    return (
      <a href={onApi(attachment.url)} target="_blank" rel="noreferrer">
        {attachment.filename}
      </a>
    );
  }
  return (
    <img
      className="attachment"
      src={onApi(attachment.thumbnailUrl ?? attachment.url)}
      alt={attachment.filename}
      data-testid="message-image"
    />
  );
}

function Bubble({
  me,
  conversation,
  message,
  readByOthers,
}: {
  me: SelfUserDto;
  conversation: ConversationDto;
  message: MessageDto;
  readByOthers: boolean;
}) {
  const mine = message.senderId === me.id;
  return (
    <li
      className={`bubble ${mine ? 'mine' : 'theirs'}`}
      data-testid="message"
      data-seq={message.seq}
    >
      {!mine && conversation.type === 'group' && (
        <span className="sender">{usernameIn(conversation, message.senderId)}</span>
      )}
      {message.deletedAt ? (
        <em className="muted">Message deleted</em>
      ) : (
        <>
          {message.attachments.map((a) => (
            <Attachment key={a.id} attachment={a} />
          ))}
          {message.body && <span className="body">{message.body}</span>}
        </>
      )}
      <span className="meta">
        {new Date(message.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
        {message.editedAt && ' · edited'}
        {mine && (
          <span
            className={`receipt ${readByOthers ? 'read' : 'sent'}`}
            data-testid="receipt"
            data-state={readByOthers ? 'read' : 'sent'}
            title={readByOthers ? 'Seen' : 'Sent'}
          >
            {readByOthers ? ' ✓✓ Seen' : ' ✓'}
          </span>
        )}
      </span>
    </li>
  );
}

export function ChatView({
  me,
  conversation,
  messages,
  peerRead,
  typingNames,
  presence,
  onSend,
  onTyping,
}: {
  me: SelfUserDto;
  conversation: ConversationDto;
  messages: MessageDto[] | undefined;
  peerRead: Record<string, number>;
  typingNames: string[];
  presence: PresenceMap;
  onSend: (body: string, attachmentIds: string[]) => Promise<void>;
  onTyping: (isTyping: boolean) => void;
}) {
  const [draft, setDraft] = useState('');
  const [pending, setPending] = useState<MediaDto[]>([]);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const typingSentAt = useRef(0);
  const idleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const listEnd = useRef<HTMLLIElement | null>(null);

  // Braces: newer browsers make scrollIntoView return a promise, which React would take for a cleanup.
  useEffect(() => {
    void listEnd.current?.scrollIntoView({ block: 'end' });
  }, [messages?.length]);
  useEffect(() => () => clearTimeout(idleTimer.current), []);

  const peer = peerOf(conversation, me.id);
  const readUpTo = Math.max(
    0,
    ...Object.entries(peerRead).map(([id, seq]) => (id === me.id ? 0 : seq)),
  );

  function stopTyping() {
    clearTimeout(idleTimer.current);
    if (typingSentAt.current !== 0) onTyping(false);
    typingSentAt.current = 0;
  }

  function changed(event: ChangeEvent<HTMLInputElement>) {
    setDraft(event.target.value);
    const now = Date.now();
    if (now - typingSentAt.current > TYPING_REPEAT_MS) {
      typingSentAt.current = now;
      onTyping(true);
    }
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const body = draft.trim();
    if (!body && pending.length === 0) return;
    stopTyping();
    setError(null);
    const attachments = pending;
    setDraft('');
    setPending([]);
    try {
      await onSend(
        body,
        attachments.map((m) => m.id),
      );
    } catch (e) {
      setDraft(body);
      setPending(attachments);
      setError(describeError(e));
    }
  }

  async function attach(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setUploading(true);
    setError(null);
    try {
      // intent → upload to the URL it returns (PUT or S3 POST form) → complete.
      const uploaded = await chatClient().media.upload(file, {
        filename: file.name,
        purpose: 'attachment',
      });
      const media = await chatClient().media.get(uploaded.id);
      setPending((list) => [...list, media]);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setUploading(false);
    }
  }

  return (
    <section className="chat" aria-label={`Chat with ${titleOf(conversation, me.id)}`}>
      <header className="chat-header">
        <h2 data-testid="chat-title">{titleOf(conversation, me.id)}</h2>
        {peer ? (
          <span className="muted" data-testid="peer-presence">
            {presence[peer.userId] === 'online' ? 'online' : 'offline'}
          </span>
        ) : (
          <span className="muted">{conversation.members.map((m) => m.username).join(', ')}</span>
        )}
      </header>
      <ol className="messages">
        {messages === undefined && <li className="muted">Loading…</li>}
        {messages?.map((m) => (
          <Bubble
            key={m.id}
            me={me}
            conversation={conversation}
            message={m}
            readByOthers={m.seq <= readUpTo}
          />
        ))}
        <li ref={listEnd} className="end" />
      </ol>
      <p className="typing" data-testid="typing">
        {typingNames.length > 0 &&
          `${typingNames.join(', ')} ${typingNames.length === 1 ? 'is' : 'are'} typing…`}
      </p>
      {pending.length > 0 && (
        <ul className="pending">
          {pending.map((m) => (
            <li key={m.id} data-testid="pending-attachment" data-media-id={m.id}>
              {m.url && <img src={onApi(m.url)} alt={m.filename} />}
              <span>{m.filename}</span>
              <button
                type="button"
                className="link"
                onClick={() => setPending((list) => list.filter((x) => x.id !== m.id))}
              >
                remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="composer" onSubmit={(event) => void submit(event)}>
        <label className="attach" title="Attach an image">
          {uploading ? (
            '…'
          ) : (
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path
                d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.6"
                strokeLinecap="round"
              />
            </svg>
          )}
          <input
            type="file"
            accept={IMAGE_TYPES}
            data-testid="attach-input"
            onChange={(event) => void attach(event)}
            disabled={uploading}
          />
        </label>
        <input
          className="draft"
          placeholder="Write a message"
          aria-label="Message"
          value={draft}
          onChange={changed}
          onBlur={stopTyping}
          maxLength={4000}
        />
        <button type="submit" disabled={uploading}>
          Send
        </button>
      </form>
    </section>
  );
}
