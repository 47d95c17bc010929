import type { FastifyInstance } from 'fastify';
import type { ResolvedConfig } from '../config';
import { SLUICE_VERSION } from '../version';
import { JobManagerService } from './job-manager';
import { createRestServer } from './rest/rest-server';
import { advertisedHost, isWildcardAddress } from '../util/advertised-host';

/** The `sluice jobmanager` process: the job manager service plus its REST API. */
export interface JobManagerProcess {
  readonly service: JobManagerService;
  readonly restUrl: string;
  describe(): string;
  close(): Promise<void>;
}

export async function startJobManagerProcess(config: ResolvedConfig): Promise<JobManagerProcess> {
  const service = await JobManagerService.start(config, { campaign: false });
  const rest: FastifyInstance = createRestServer({
    gateway: service.dispatcher,
    token: config['rest.token']!,
    maxBodyBytes: config['rest.max-body-size'],
    requestTimeoutMs: config['rest.request-timeout'],
    idleTimeoutMs: config['rest.idleness-timeout'],
    health: async () => ({ ...(await service.health.report()), leadership: service.leadership.role }),
    logger: service.logger,
    insight: { insight: service.dispatcher, config, version: SLUICE_VERSION, startedAt: service.startedAt },
    checkpoints: service.dispatcher,
    savepoints: service.dispatcher,
    leadership: {
      role: () => {
        const { role, serving } = service.leadership;
        return role === 'leader' && !serving ? 'taking-up' : role;
      },
      // Redis down: the client learns that (503 naming it), not merely that no leader is known.
      leaderRestUrl: async () => (await service.leadership.currentLeader())?.restUrl,
    },
  });
  try {
    await rest.listen({ host: config['rest.address'], port: config['rest.port'] });
  } catch (err) {
    await rest.close();
    await service.close();
    throw err;
  }
  const address = rest.server.address();
  const port = typeof address === 'object' && address ? address.port : config['rest.port'];
  // Published for clients and the standbys' redirects: a wildcard listen address is not
  // dialable, so the job manager then advertises this machine's own address.
  const restHost = isWildcardAddress(config['rest.address'])
    ? advertisedHost('auto')
    : config['rest.address'];
  const restUrl = `http://${restHost}:${port}`;
  const server = rest;
  try {
    await service.campaign(restUrl);
  } catch (err) {
    await server.close();
    await service.close();
    throw err;
  }
  return {
    service,
    restUrl,
    describe: () =>
      `job manager started (${service.leadership.role}): REST ${restUrl}, control port ${service.rpcPort}`,
    async close() {
      await server.close();
      await service.close();
    },
  };
}
