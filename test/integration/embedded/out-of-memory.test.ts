/**
 * A task past its slot's heap limit fails with a message that names the limit and what helps,
 * not a bare "worker terminated" and not a hang.
 */
import { fixtureJob, runEmbedded } from '../../helpers/embedded';
import { defaultConfig } from '../../../runtime/config';

test('a task that outgrows its heap fails naming the slot heap and the kv backend', async () => {
  const config = { ...defaultConfig(), 'restart-strategy.type': 'none' } as ReturnType<typeof defaultConfig>;
  const run = runEmbedded(
    fixtureJob('memory-hog-job'),
    {},
    {},
    {
      config,
      resourceLimits: { maxOldGenerationSizeMb: 48 },
    },
  );
  await expect(run).rejects.toThrow(/ran out of memory: its slot's heap is 48 MB.*state\.backend: kv/s);
}, 120_000);
