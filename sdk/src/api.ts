import type {
  BearerTokens,
  BlockDto,
  ConversationDto,
  FriendDto,
  FriendRequestDirection,
  FriendRequestDto,
  MediaDto,
  MediaPurpose,
  MemberRole,
  MessageDto,
  ReactionPayload,
  SelfUserDto,
  PublicUserDto,
  SendFriendRequestResultDto,
  SessionView,
  UploadIntentDto,
} from '../../src/contract';
import { newClientMessageId } from './backoff';
import { BaatCheetApiError } from './errors';
import type { ApiAnswer, HttpClient } from './http';
import type { TokenStore } from './tokens';

/** One page of a cursor-paginated list; pass `nextCursor` back as `cursor` (null: the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageQuery {
  cursor?: string;
  limit?: number;
}

export interface SignedIn {
  user: SelfUserDto;
}

function page<T>(answer: ApiAnswer<T[]>): Page<T> {
  return { items: answer.data, nextCursor: answer.page?.nextCursor ?? null };
}

const enc = encodeURIComponent;

/** `/auth`: register → verify-otp, login, refresh, logout, passwords, sessions. */
export class AuthApi {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenStore,
    private readonly signedIn: (user: SelfUserDto) => void,
    private readonly signedOut: () => void,
  ) {}

  /** Mails a one-time code; nothing is stored until `verifyOtp`. */
  async register(body: {
    username: string;
    email: string;
    password: string;
  }): Promise<{ email: string; expiresInSeconds: number }> {
    return (
      await this.http.request<{ email: string; expiresInSeconds: number }>(
        'POST',
        '/auth/register',
        { body, auth: false },
      )
    ).data;
  }

  /**
   * Asks for a new code. The server has no separate endpoint: registering again with the same
   * details sends a new code (at most one per email per 60 s, else 429 OTP_RATE_LIMITED).
   */
  resendOtp(body: {
    username: string;
    email: string;
    password: string;
  }): Promise<{ email: string; expiresInSeconds: number }> {
    return this.register(body);
  }

  /** Creates the account and signs in (cookies set, or tokens stored in bearer mode). */
  async verifyOtp(body: { email: string; otp: string }): Promise<SignedIn> {
    return this.accept(
      await this.http.request<SignedIn & { tokens?: BearerTokens }>('POST', '/auth/verify-otp', {
        body,
        auth: false,
      }),
    );
  }

  /** `login` is an email or a username. */
  async login(body: { login: string; password: string }): Promise<SignedIn> {
    return this.accept(
      await this.http.request<SignedIn & { tokens?: BearerTokens }>('POST', '/auth/login', {
        body: { email: body.login, password: body.password },
        auth: false,
      }),
    );
  }

  /** Rotates the tokens now (the SDK also does this by itself on a 401). */
  refresh(): Promise<void> {
    return this.http.refresh();
  }

  /** Revokes this session; local tokens are dropped even if the server is unreachable. */
  async logout(): Promise<void> {
    const refreshToken = this.tokens.get()?.refreshToken;
    try {
      await this.http.request<null>('POST', '/auth/logout', {
        body: this.http.mode === 'bearer' && refreshToken ? { refreshToken } : {},
      });
    } finally {
      this.signedOut();
    }
  }

  async logoutAll(): Promise<{ revoked: number }> {
    try {
      return (
        await this.http.request<{ revoked: number }>('POST', '/auth/logout-all', { body: {} })
      ).data;
    } finally {
      this.signedOut();
    }
  }

  async changePassword(body: { currentPassword: string; newPassword: string }): Promise<void> {
    await this.http.request<null>('POST', '/auth/change-password', { body });
  }

  async forgotPassword(body: { email: string }): Promise<void> {
    await this.http.request<null>('POST', '/auth/forgot-password', { body, auth: false });
  }

  /** Every session ends; sign in again afterwards. */
  async resetPassword(body: { email: string; otp: string; password: string }): Promise<void> {
    await this.http.request<null>('POST', '/auth/reset-password', { body, auth: false });
  }

  async sessions(): Promise<SessionView[]> {
    return (await this.http.request<SessionView[]>('GET', '/auth/sessions')).data;
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.http.request<null>('DELETE', `/auth/sessions/${enc(sessionId)}`);
  }

  private accept(answer: ApiAnswer<SignedIn & { tokens?: BearerTokens }>): SignedIn {
    if (answer.data.tokens) this.tokens.set(answer.data.tokens);
    this.http.sessionStarted();
    this.signedIn(answer.data.user);
    return { user: answer.data.user };
  }
}

/** `/users`: profile, search, friends, friend requests, blocks. */
export class UsersApi {
  constructor(
    private readonly http: HttpClient,
    private readonly seen: (user: SelfUserDto) => void,
  ) {}

  async me(): Promise<SelfUserDto> {
    const user = (await this.http.request<SelfUserDto>('GET', '/users/me')).data;
    this.seen(user);
    return user;
  }

  /** `avatarMediaId: null` removes the avatar. */
  async updateMe(patch: {
    username?: string;
    bio?: string;
    avatarMediaId?: string | null;
  }): Promise<SelfUserDto> {
    const user = (await this.http.request<SelfUserDto>('PATCH', '/users/me', { body: patch })).data;
    this.seen(user);
    return user;
  }

  /** Username prefix, case-insensitive. */
  async search(query: { q: string } & PageQuery): Promise<Page<PublicUserDto>> {
    return page(await this.http.request<PublicUserDto[]>('GET', '/users', { query: { ...query } }));
  }

  async get(userId: string): Promise<PublicUserDto> {
    return (await this.http.request<PublicUserDto>('GET', `/users/${enc(userId)}`)).data;
  }

  async friends(query: PageQuery = {}): Promise<Page<FriendDto>> {
    return page(
      await this.http.request<FriendDto[]>('GET', '/users/me/friends', { query: { ...query } }),
    );
  }

  async removeFriend(userId: string): Promise<void> {
    await this.http.request<null>('DELETE', `/users/me/friends/${enc(userId)}`);
  }

  /** Accepts instead when they had already asked you (`outcome: 'accepted'`). */
  async sendFriendRequest(userId: string): Promise<SendFriendRequestResultDto> {
    return (
      await this.http.request<SendFriendRequestResultDto>('POST', '/users/me/friend-requests', {
        body: { userId },
      })
    ).data;
  }

  async friendRequests(
    query: { direction?: FriendRequestDirection } & PageQuery = {},
  ): Promise<Page<FriendRequestDto>> {
    return page(
      await this.http.request<FriendRequestDto[]>('GET', '/users/me/friend-requests', {
        query: { ...query },
      }),
    );
  }

  async acceptFriendRequest(requestId: string): Promise<SendFriendRequestResultDto> {
    return (
      await this.http.request<SendFriendRequestResultDto>(
        'POST',
        `/users/me/friend-requests/${enc(requestId)}/accept`,
        { body: {} },
      )
    ).data;
  }

  async declineFriendRequest(requestId: string): Promise<FriendRequestDto> {
    return (
      await this.http.request<FriendRequestDto>(
        'POST',
        `/users/me/friend-requests/${enc(requestId)}/decline`,
        { body: {} },
      )
    ).data;
  }

  /** The sender withdraws a pending request. */
  async cancelFriendRequest(requestId: string): Promise<FriendRequestDto> {
    return (
      await this.http.request<FriendRequestDto>(
        'DELETE',
        `/users/me/friend-requests/${enc(requestId)}`,
      )
    ).data;
  }

  async block(userId: string): Promise<BlockDto> {
    return (await this.http.request<BlockDto>('POST', '/users/me/blocks', { body: { userId } }))
      .data;
  }

  async unblock(userId: string): Promise<void> {
    await this.http.request<null>('DELETE', `/users/me/blocks/${enc(userId)}`);
  }

  async blocks(query: PageQuery = {}): Promise<Page<BlockDto>> {
    return page(
      await this.http.request<BlockDto[]>('GET', '/users/me/blocks', { query: { ...query } }),
    );
  }
}

/** `/conversations`: list, create, read, rename, members. */
export class ConversationsApi {
  constructor(
    private readonly http: HttpClient,
    private readonly currentUserId: () => Promise<string>,
  ) {}

  /** By latest activity. */
  async list(query: PageQuery = {}): Promise<Page<ConversationDto>> {
    return page(
      await this.http.request<ConversationDto[]>('GET', '/conversations', { query: { ...query } }),
    );
  }

  /** Get-or-create the one direct conversation with `userId`. */
  async createDirect(userId: string): Promise<ConversationDto> {
    return (
      await this.http.request<ConversationDto>('POST', '/conversations', {
        body: { type: 'direct', userId },
      })
    ).data;
  }

  async createGroup(body: { name: string; memberIds: string[] }): Promise<ConversationDto> {
    return (
      await this.http.request<ConversationDto>('POST', '/conversations', {
        body: { type: 'group', ...body },
      })
    ).data;
  }

  async get(conversationId: string): Promise<ConversationDto> {
    return (
      await this.http.request<ConversationDto>('GET', `/conversations/${enc(conversationId)}`)
    ).data;
  }

  /** Rename or change the avatar (owner/admin). */
  async update(
    conversationId: string,
    patch: { name?: string; avatarMediaId?: string | null },
  ): Promise<ConversationDto> {
    return (
      await this.http.request<ConversationDto>('PATCH', `/conversations/${enc(conversationId)}`, {
        body: patch,
      })
    ).data;
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<ConversationDto> {
    return (
      await this.http.request<ConversationDto>(
        'POST',
        `/conversations/${enc(conversationId)}/members`,
        { body: { userIds } },
      )
    ).data;
  }

  /** Removes someone (owner/admin); null when the caller removed themselves. */
  async removeMember(conversationId: string, userId: string): Promise<ConversationDto | null> {
    return (
      await this.http.request<ConversationDto | null>(
        'DELETE',
        `/conversations/${enc(conversationId)}/members/${enc(userId)}`,
      )
    ).data;
  }

  async setRole(
    conversationId: string,
    userId: string,
    role: MemberRole,
  ): Promise<ConversationDto> {
    return (
      await this.http.request<ConversationDto>(
        'PATCH',
        `/conversations/${enc(conversationId)}/members/${enc(userId)}`,
        { body: { role } },
      )
    ).data;
  }

  async leave(conversationId: string): Promise<void> {
    await this.removeMember(conversationId, await this.currentUserId());
  }
}

export interface SendMessageInput {
  conversationId: string;
  /** Generated once (UUID) when left out; reuse it to retry the same send. */
  clientMessageId?: string;
  body?: string;
  replyToId?: string;
  attachmentIds?: string[];
}

export type HistoryQuery = { limit?: number } & (
  { before?: number; after?: never } | { after?: number; before?: never }
);

/** `/conversations/:id/messages`, reactions, read receipts. */
export class MessagesApi {
  constructor(private readonly http: HttpClient) {}

  /** `before`: newest first, back in history. `after`: oldest first, catching up. `nextCursor` is the seq to pass next. */
  async list(conversationId: string, query: HistoryQuery = {}): Promise<Page<MessageDto>> {
    return page(
      await this.http.request<MessageDto[]>(
        'GET',
        `/conversations/${enc(conversationId)}/messages`,
        { query: { ...query } },
      ),
    );
  }

  /** REST send; idempotent per clientMessageId. `client.sendMessage` sends over the socket with retries. */
  async send(input: SendMessageInput): Promise<MessageDto> {
    const { conversationId, clientMessageId = newClientMessageId(), ...rest } = input;
    return (
      await this.http.request<MessageDto>(
        'POST',
        `/conversations/${enc(conversationId)}/messages`,
        {
          body: { clientMessageId, ...rest },
        },
      )
    ).data;
  }

  async edit(conversationId: string, messageId: string, body: string): Promise<MessageDto> {
    return (
      await this.http.request<MessageDto>(
        'PATCH',
        `/conversations/${enc(conversationId)}/messages/${enc(messageId)}`,
        { body: { body } },
      )
    ).data;
  }

  /** Leaves a tombstone (body null, deletedAt set). */
  async delete(conversationId: string, messageId: string): Promise<MessageDto> {
    return (
      await this.http.request<MessageDto>(
        'DELETE',
        `/conversations/${enc(conversationId)}/messages/${enc(messageId)}`,
      )
    ).data;
  }

  async react(conversationId: string, messageId: string, emoji: string): Promise<ReactionPayload> {
    return (
      await this.http.request<ReactionPayload>(
        'PUT',
        `/conversations/${enc(conversationId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`,
      )
    ).data;
  }

  async unreact(
    conversationId: string,
    messageId: string,
    emoji: string,
  ): Promise<ReactionPayload> {
    return (
      await this.http.request<ReactionPayload>(
        'DELETE',
        `/conversations/${enc(conversationId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`,
      )
    ).data;
  }

  /** Everything up to `seq` is read (monotonic). */
  async markRead(conversationId: string, seq: number): Promise<{ lastReadSeq: number }> {
    return (
      await this.http.request<{ lastReadSeq: number }>(
        'POST',
        `/conversations/${enc(conversationId)}/read`,
        { body: { seq } },
      )
    ).data;
  }
}

export interface CreateUploadInput {
  filename: string;
  contentType: string;
  size: number;
  purpose: MediaPurpose;
}

/** `/media`: presigned uploads (the bytes go straight to storage, never through the API). */
export class MediaApi {
  constructor(
    private readonly http: HttpClient,
    private readonly fetchImpl: typeof fetch,
  ) {}

  async createUpload(input: CreateUploadInput): Promise<UploadIntentDto> {
    return (await this.http.request<UploadIntentDto>('POST', '/media/uploads', { body: input }))
      .data;
  }

  /** The server checks the stored object (size, magic bytes); 422 and deleted if it doesn't match. */
  async complete(mediaId: string): Promise<MediaDto> {
    return (
      await this.http.request<MediaDto>('POST', `/media/uploads/${enc(mediaId)}/complete`, {
        body: {},
      })
    ).data;
  }

  /** Metadata and a short-lived download URL. */
  async get(mediaId: string): Promise<MediaDto> {
    return (await this.http.request<MediaDto>('GET', `/media/${enc(mediaId)}`)).data;
  }

  /** Sends the bytes as the upload instructions say (presigned POST form or PUT). */
  async uploadBytes(intent: UploadIntentDto, file: Blob): Promise<void> {
    const { method, url, fields, headers } = intent.upload;
    let response: Response;
    if (method === 'POST') {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields ?? {})) form.append(key, value);
      form.append('file', file);
      response = await this.fetchImpl(url, { method: 'POST', body: form });
    } else {
      response = await this.fetchImpl(url, { method: 'PUT', headers: headers ?? {}, body: file });
    }
    if (!response.ok) {
      throw new BaatCheetApiError(
        response.status,
        'UPLOAD_FAILED',
        `Upload refused (HTTP ${response.status})`,
      );
    }
  }

  /** createUpload → uploadBytes → complete, in one call. */
  async upload(
    file: Blob,
    input: Omit<CreateUploadInput, 'size' | 'contentType'> & { contentType?: string },
  ): Promise<MediaDto> {
    const intent = await this.createUpload({
      filename: input.filename,
      purpose: input.purpose,
      contentType: input.contentType ?? file.type,
      size: file.size,
    });
    await this.uploadBytes(intent, file);
    return this.complete(intent.mediaId);
  }
}
