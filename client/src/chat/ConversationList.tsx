import type { ConversationDto, SelfUserDto } from '../api/types';
import { peerOf, preview, titleOf, type PresenceMap } from './model';

export function ConversationList({
  me,
  conversations,
  activeId,
  presence,
  onOpen,
}: {
  me: SelfUserDto;
  conversations: ConversationDto[];
  activeId: string | null;
  presence: PresenceMap;
  onOpen: (id: string) => void;
}) {
  return (
    <nav className="sidebar" aria-label="Conversations">
      {conversations.length === 0 && <p className="muted pad">No conversations yet.</p>}
      <ul>
        {conversations.map((c) => {
          const peer = peerOf(c, me.id);
          const online = peer ? presence[peer.userId] === 'online' : false;
          return (
            <li key={c.id}>
              <button
                type="button"
                className={`conversation ${c.id === activeId ? 'active' : ''}`}
                data-testid="conversation"
                data-title={titleOf(c, me.id)}
                onClick={() => onOpen(c.id)}
              >
                <span className={`avatar ${c.type}`}>
                  {titleOf(c, me.id).slice(0, 1).toUpperCase()}
                  {peer && <span className={`dot ${online ? 'online' : 'offline'}`} />}
                </span>
                <span className="summary">
                  <span className="title">{titleOf(c, me.id)}</span>
                  <span className="preview">{preview(c.lastMessage)}</span>
                </span>
                {c.unreadCount > 0 && (
                  <span className="badge" data-testid="unread-badge">
                    {c.unreadCount}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
