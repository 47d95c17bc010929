import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import type { RestLeadership } from '../../../runtime/jobmanager/rest/standby-redirect';
import { TEST_TOKEN } from '../../helpers/rest-fixtures';
import { TestingJobManagerGateway } from '../../helpers/testing-gateway';

/** REST of a job manager whose role and known leader the test sets. */
function serverWith(state: { role: 'leader' | 'taking-up' | 'standby'; leader: string | undefined }) {
  const leadership: RestLeadership = { role: () => state.role, leaderRestUrl: async () => state.leader };
  return createRestServer({
    gateway: new TestingJobManagerGateway(),
    token: TEST_TOKEN,
    maxBodyBytes: 1024 * 1024,
    health: async () => ({
      status: 'UP',
      role: 'jobmanager',
      leadership: state.role === 'standby' ? 'standby' : 'leader',
      checks: {},
    }),
    leadership,
  });
}

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

describe('REST on a standby job manager', () => {
  test('redirects every route with 307 to the same path on the leader, query included', async () => {
    const app = serverWith({ role: 'standby', leader: 'http://10.0.0.7:8081/' });
    const reply = await app.inject({ method: 'GET', url: '/jobs/abc/output?fromLine=5', headers: auth });
    expect(reply.statusCode).toBe(307);
    expect(reply.headers.location).toBe('http://10.0.0.7:8081/jobs/abc/output?fromLine=5');
    const post = await app.inject({ method: 'POST', url: '/jobs', headers: auth, payload: {} });
    expect(post.statusCode).toBe(307);
    await app.close();
  });

  test('answers its own /healthz with its role, and /livez', async () => {
    const app = serverWith({ role: 'standby', leader: 'http://10.0.0.7:8081' });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ leadership: 'standby' });
    expect((await app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
    await app.close();
  });

  test('without a leader answers 503 SLUICE_NOT_LEADER', async () => {
    const app = serverWith({ role: 'standby', leader: undefined });
    const reply = await app.inject({ method: 'GET', url: '/jobs', headers: auth });
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({ code: 'SLUICE_NOT_LEADER' });
    await app.close();
  });

  test('does not reveal the leader without a valid token', async () => {
    const app = serverWith({ role: 'standby', leader: 'http://10.0.0.7:8081' });
    const reply = await app.inject({ method: 'GET', url: '/jobs' });
    expect(reply.statusCode).toBe(401);
    expect(reply.headers.location).toBeUndefined();
    await app.close();
  });

  test('a leader serves the routes itself', async () => {
    const app = serverWith({ role: 'leader', leader: 'http://10.0.0.7:8081' });
    const reply = await app.inject({ method: 'GET', url: '/jobs', headers: auth });
    expect(reply.statusCode).toBe(200);
    await app.close();
  });

  test('a leader still recovering its jobs answers 503 SLUICE_NOT_LEADER (never "no such job"), probes itself', async () => {
    const app = serverWith({ role: 'taking-up', leader: 'http://10.0.0.7:8081' });
    const reply = await app.inject({ method: 'GET', url: '/jobs/abc', headers: auth });
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({
      code: 'SLUICE_NOT_LEADER',
      message: expect.stringMatching(/recovering its jobs/),
    });
    expect(reply.headers.location).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await app.close();
  });
});
