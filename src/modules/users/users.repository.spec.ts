import { escapeLike } from './users.repository';

describe('escapeLike', () => {
  it.each([
    ['asha', 'asha'],
    ['a_b', 'a\\_b'],
    ['100%', '100\\%'],
    ['back\\slash', 'back\\\\slash'],
    ['%_\\', '\\%\\_\\\\'],
  ])('%s → %s', (input, expected) => {
    expect(escapeLike(input)).toBe(expected);
  });
});
