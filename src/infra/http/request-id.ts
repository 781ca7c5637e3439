import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const VALID_INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

type RequestWithId = Request & { id?: string };

/** Echoes a well-formed incoming X-Request-Id (set by a proxy), else makes a new one. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get(REQUEST_ID_HEADER);
  const id = incoming && VALID_INCOMING_ID.test(incoming) ? incoming : randomUUID();
  (req as RequestWithId).id = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
}

export function requestIdOf(req: Request): string {
  return (req as RequestWithId).id ?? 'unknown';
}
