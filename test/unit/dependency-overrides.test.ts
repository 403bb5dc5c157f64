// package.json `overrides` pins cookie to ^1 (cookie@2, wanted by fastify's light-my-request,
// declares Node >= 22 and warns EBADENGINE on every install on Node 20). The tests inject requests
// through light-my-request, so this checks that the cookie code it calls works with cookie@1.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

describe('light-my-request with cookie@1 (package.json overrides)', () => {
  it('sends cookies and reads Set-Cookie through fastify.inject', async () => {
    const app = Fastify();
    app.get('/echo', async (req, reply) => {
      void reply.header('set-cookie', 'session=abc; Path=/; HttpOnly');
      return { cookie: req.headers.cookie ?? null };
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/echo', cookies: { a: '1', b: 'x y' } });
      expect(res.json()).toEqual({ cookie: 'a=1; b=x%20y' });
      expect(res.cookies).toEqual([
        expect.objectContaining({ name: 'session', value: 'abc', path: '/', httpOnly: true }),
      ]);
    } finally {
      await app.close();
    }
  });
});
