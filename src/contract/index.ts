export type * from './auth';
export type * from './chat';
export type * from './envelope';
export type * from './events';
export type * from './media';
export type * from './users';
export { CLIENT_TO_SERVER_EVENTS, SERVER_TO_CLIENT_EVENTS } from './event-names';
