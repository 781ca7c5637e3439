import { classifyError } from './classify-error';

/** What pg raises for a NUL in a text parameter, wrapped the way Drizzle wraps driver errors. */
function wrapped(code: string): Error {
  const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
    code,
  });
  return Object.assign(new Error('Failed query: select ...'), { cause: driver });
}

describe('classifyError', () => {
  it.each(['22021', '22P05'])(
    'text PostgreSQL cannot store (%s) is the client’s 422, not a 500',
    (code) => {
      expect(classifyError(wrapped(code))).toEqual({
        status: 422,
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/cannot be stored/),
        unexpected: false,
      });
    },
  );

  it('other database errors stay unexpected 500s', () => {
    expect(classifyError(wrapped('42P01'))).toMatchObject({ status: 500, unexpected: true });
  });
});
