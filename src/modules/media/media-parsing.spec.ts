import { parseRange } from './local-transfer.service';
import { dimensionsOf, matchesContentType } from './magic-bytes';
import { contentDisposition, sanitiseFilename } from './media.policy';
import { signGrant, verifyGrant } from './storage/signed-url';

const bytes = (...values: number[]) => Buffer.from(values);
const text = (value: string) => Buffer.from(value, 'latin1');

describe('matchesContentType', () => {
  it.each([
    ['image/jpeg', bytes(0xff, 0xd8, 0xff, 0xe0)],
    ['image/png', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)],
    ['image/gif', text('GIF89a')],
    ['image/webp', text('RIFF\x00\x00\x00\x00WEBPVP8 ')],
    ['application/pdf', text('%PDF-1.4')],
    ['video/mp4', text('\x00\x00\x00\x18ftypmp42')],
    ['audio/mp4', text('\x00\x00\x00\x20ftypM4A ')],
    ['video/webm', bytes(0x1a, 0x45, 0xdf, 0xa3)],
    ['audio/mpeg', text('ID3\x04')],
    ['audio/mpeg', bytes(0xff, 0xfb, 0x90)],
    ['audio/ogg', text('OggS\x00')],
  ])('recognises %s', (type, head) => {
    expect(matchesContentType(head, type)).toBe(true);
  });

  it.each([
    ['image/png', text('%PDF-1.4')],
    ['application/pdf', bytes(0x89, 0x50, 0x4e, 0x47)],
    ['image/png', text('MZ\x90\x00')],
    ['image/png', bytes(0x89, 0x50)],
    ['image/webp', text('RIFF\x00\x00\x00\x00WAVEfmt ')],
    ['audio/mpeg', bytes(0xff, 0xf1)], // AAC ADTS sync, not MPEG layer III
    ['image/svg+xml', text('<svg')],
    ['image/jpeg', Buffer.alloc(0)],
  ])('refuses %s for other bytes', (type, head) => {
    expect(matchesContentType(head, type)).toBe(false);
  });

  it('reads PNG and GIF dimensions from the header', () => {
    const png = Buffer.alloc(24);
    bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a).copy(png);
    text('IHDR').copy(png, 12);
    png.writeUInt32BE(640, 16);
    png.writeUInt32BE(480, 20);
    expect(dimensionsOf(png, 'image/png')).toEqual({ width: 640, height: 480 });
    const gif = Buffer.concat([text('GIF89a'), bytes(0x20, 0x00, 0x10, 0x00)]);
    expect(dimensionsOf(gif, 'image/gif')).toEqual({ width: 32, height: 16 });
    expect(dimensionsOf(text('%PDF-1.4'), 'application/pdf')).toBeNull();
  });
});

describe('parseRange', () => {
  it.each([
    [undefined, null],
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=5-', { start: 5, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=90-500', { start: 90, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-3', null],
    ['bytes=0-1,5-6', null],
    ['items=0-1', null],
    ['bytes=-', null],
  ])('%s of 100 bytes → %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });
});

describe('sanitiseFilename and contentDisposition', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\cat.png', 'cat.png'],
    ['a"b\u0000c\r\nd.pdf', 'a_b_c__d.pdf'],
    ['evil\u202egnp.exe', 'evil_gnp.exe'],
    ['...hidden', 'hidden'],
    ['   ', 'file'],
    ['/', 'file'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitiseFilename(raw)).toBe(expected);
  });

  it('bounds the length', () => {
    expect(Array.from(sanitiseFilename('é'.repeat(500)))).toHaveLength(200);
  });

  it('quotes safely and carries the UTF-8 name in filename*', () => {
    expect(contentDisposition('résumé (1).pdf', 'application/pdf')).toBe(
      `attachment; filename="r_sum_ (1).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.pdf`,
    );
    expect(contentDisposition('a.png', 'image/png')).toMatch(/^inline;/);
  });
});

describe('signed grants', () => {
  const secret = 'unit-test-secret';
  const grant = {
    op: 'put' as const,
    key: 'attachment/x',
    contentType: 'image/png',
    size: 10,
    exp: 2_000,
  };

  it('verifies its own signature and refuses another secret, a change or expiry', () => {
    const token = signGrant(grant, secret);
    expect(verifyGrant(token, secret, 1_000)).toMatchObject({ ok: true, grant });
    expect(verifyGrant(token, 'other-secret', 1_000)).toEqual({ ok: false, reason: 'invalid' });
    const [payload, signature] = token.split('.');
    const changed = Buffer.from(JSON.stringify({ ...grant, size: 11 })).toString('base64url');
    expect(verifyGrant(`${changed}.${signature}`, secret, 1_000)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(verifyGrant(`${payload}`, secret, 1_000)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifyGrant(token, secret, 2_000)).toEqual({ ok: false, reason: 'expired' });
  });
});
