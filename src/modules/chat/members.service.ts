import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ChatEventsPublisher } from './chat-events.publisher';
import { conversationNotFound, insufficientRole, memberNotFound, notAGroup } from './chat.errors';
import { ChatEvent } from './chat.events';
import { GROUP_MEMBER_LIMIT, invalid, isUuid } from './chat.rules';
import type { ConversationDto, MemberRole } from './chat.types';
import { ConversationsService } from './conversations.service';
import { MembersRepository, type ActiveMember, type MembershipChange } from './members.repository';

const ROLES: readonly MemberRole[] = ['owner', 'admin', 'member'];

/**
 * Group membership: adding, removing, leaving and roles. Every change runs under the
 * conversation's row lock and re-reads the members there, so the rules hold under concurrency:
 *   - owners and admins add members; owners remove anyone, admins remove plain members;
 *   - anyone may leave; an owner leaving hands ownership to the oldest admin, else the oldest member;
 *   - the last member leaving archives the group;
 *   - only owners set roles, and the last owner cannot be demoted.
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly members: MembersRepository,
    private readonly conversations: ConversationsService,
    private readonly events: ChatEventsPublisher,
  ) {}

  async add(userId: string, groupId: string, userIds: unknown): Promise<ConversationDto> {
    const conversationId = await this.groupIdFor(userId, groupId);
    const candidates = await this.conversations.assertAddable(userId, userIds, 'userIds');
    if (candidates.length === 0) throw invalid('userIds', 'name at least one other user');
    const { before, added } = await this.locked(conversationId, async (change) => {
      const active = await change.activeMembers();
      const caller = this.callerIn(active, userId);
      if (caller.role === 'member') throw insufficientRole('the owner or an admin');
      const present = new Set(active.map((member) => member.userId));
      const joining = candidates.filter((id) => !present.has(id));
      if (active.length + joining.length > GROUP_MEMBER_LIMIT) {
        throw new AppException('GROUP_FULL', `A group has at most ${GROUP_MEMBER_LIMIT} members`);
      }
      await change.addMembers(joining);
      if (joining.length > 0) await change.touch();
      return { before: active.map((member) => member.userId), added: joining };
    });
    const recipients = [...before, ...added];
    for (const memberId of added) {
      this.events.publish(ChatEvent.MemberAdded, {
        recipients,
        payload: { conversationId, userId: memberId },
      });
    }
    if (added.length > 0) {
      this.events.publish(ChatEvent.ConversationUpdated, { conversationId, recipients });
    }
    return this.conversations.get(userId, conversationId);
  }

  /**
   * Removes `targetId` (owners and admins), or leaves when it is the caller. Returns the group as
   * the caller now sees it, or null when the caller left.
   */
  async remove(userId: string, groupId: string, targetId: string): Promise<ConversationDto | null> {
    const conversationId = await this.groupIdFor(userId, groupId);
    if (!isUuid(targetId)) throw memberNotFound();
    const target = targetId.toLowerCase();
    const outcome = await this.locked(conversationId, async (change) => {
      const active = await change.activeMembers();
      const caller = this.callerIn(active, userId);
      const leaving = active.find((member) => member.userId === target);
      if (!leaving) throw memberNotFound();
      if (target !== userId) {
        if (caller.role === 'member') throw insufficientRole('the owner or an admin');
        if (caller.role === 'admin' && leaving.role !== 'member') {
          throw insufficientRole('an owner (to remove an owner or admin)');
        }
      }
      await change.markLeft(target);
      const remaining = active.filter((member) => member.userId !== target);
      if (remaining.length === 0) {
        await change.archive();
        return { remaining: [], newOwner: undefined };
      }
      const newOwner = await this.handOverIfOwnerless(change, remaining);
      await change.touch();
      return { remaining: remaining.map((member) => member.userId), newOwner };
    });
    this.events.publish(ChatEvent.MemberRemoved, {
      recipients: [...outcome.remaining, target],
      payload: { conversationId, userId: target },
    });
    this.events.publish(ChatEvent.ConversationUpdated, {
      conversationId,
      recipients: outcome.remaining,
    });
    return target === userId ? null : this.conversations.get(userId, conversationId);
  }

  async setRole(
    userId: string,
    groupId: string,
    targetId: string,
    role: unknown,
  ): Promise<ConversationDto> {
    if (!ROLES.includes(role as MemberRole)) {
      throw invalid('role', `role must be one of ${ROLES.join(', ')}`);
    }
    const conversationId = await this.groupIdFor(userId, groupId);
    if (!isUuid(targetId)) throw memberNotFound();
    const target = targetId.toLowerCase();
    const recipients = await this.locked(conversationId, async (change) => {
      const active = await change.activeMembers();
      const caller = this.callerIn(active, userId);
      if (caller.role !== 'owner') throw insufficientRole('an owner');
      const member = active.find((candidate) => candidate.userId === target);
      if (!member) throw memberNotFound();
      const owners = active.filter((candidate) => candidate.role === 'owner').length;
      if (member.role === 'owner' && role !== 'owner' && owners === 1) {
        throw new AppException('LAST_OWNER', 'A group must keep at least one owner');
      }
      if (member.role !== role) {
        await change.setRole(target, role as MemberRole);
        await change.touch();
      }
      return member.role === role ? [] : active.map((candidate) => candidate.userId);
    });
    this.events.publish(ChatEvent.ConversationUpdated, { conversationId, recipients });
    return this.conversations.get(userId, conversationId);
  }

  /** Gives the group a new owner when none is left: the oldest admin, else the oldest member. */
  private async handOverIfOwnerless(
    change: MembershipChange,
    remaining: readonly ActiveMember[],
  ): Promise<string | undefined> {
    if (remaining.some((member) => member.role === 'owner')) return undefined;
    const heir =
      remaining.find((member) => member.role === 'admin') ??
      remaining.find((member) => member.role === 'member');
    if (!heir) return undefined;
    await change.setRole(heir.userId, 'owner');
    return heir.userId;
  }

  /** The group's canonical (lower-case) id; 404 for non-members, 422 for direct conversations. */
  private async groupIdFor(userId: string, conversationId: string): Promise<string> {
    const membership = await this.conversations.membership(userId, conversationId);
    if (membership.type !== 'group') throw notAGroup();
    return membership.conversationId;
  }

  /** The caller as the locked transaction sees them: they may have left meanwhile. */
  private callerIn(active: readonly ActiveMember[], userId: string): ActiveMember {
    const caller = active.find((member) => member.userId === userId);
    if (!caller) throw conversationNotFound();
    return caller;
  }

  private async locked<T>(
    conversationId: string,
    work: (change: MembershipChange) => Promise<T>,
  ): Promise<T> {
    const done = await this.members.change(conversationId, async (change) => {
      if (change.conversation.archivedAt) throw conversationNotFound();
      return work(change);
    });
    if (!done) throw conversationNotFound();
    return done.result;
  }
}
