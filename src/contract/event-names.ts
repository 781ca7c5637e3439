import type { ClientToServerEvents, ServerToClientEvents } from './events';

/**
 * The event maps as runtime lists. `satisfies Record<keyof …>` makes the compiler refuse a list
 * that misses or invents an event, so code iterating over events (the SDK's forwarding, the
 * AsyncAPI document) can't drift from the maps.
 */
const serverToClient = {
  'message:new': true,
  'message:updated': true,
  'message:deleted': true,
  'reaction:updated': true,
  'receipt:read': true,
  typing: true,
  presence: true,
  'conversation:updated': true,
  'member:added': true,
  'member:removed': true,
  'session:revoked': true,
} as const satisfies Record<keyof ServerToClientEvents, true>;

const clientToServer = {
  'message:send': true,
  'message:read': true,
  'typing:start': true,
  'typing:stop': true,
  'auth:refresh': true,
} as const satisfies Record<keyof ClientToServerEvents, true>;

export const SERVER_TO_CLIENT_EVENTS = Object.keys(
  serverToClient,
) as (keyof ServerToClientEvents)[];
export const CLIENT_TO_SERVER_EVENTS = Object.keys(
  clientToServer,
) as (keyof ClientToServerEvents)[];
