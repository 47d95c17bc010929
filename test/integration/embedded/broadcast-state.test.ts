/**
 * The broadcast state pattern end to end (issue 11 item 7): a rules stream broadcast to a keyed
 * readings stream, on both state backends, compared with a reference computed in the test.
 */
import { functionJob, runEmbedded } from '../../helpers/embedded';
import { expectedRuleOutput } from '../../helpers/broadcast-rules-reference';

describe('broadcast state pattern', () => {
  it.each(['heap', 'kv'] as const)(
    'rules broadcast to every subtask decide the alerts of keyed readings (%s)',
    async (stateBackend) => {
      const readings = 4000;
      const sensors = 7;
      const { lines } = await runEmbedded(
        functionJob('broadcast-rules'),
        { readings: String(readings), sensors: String(sensors), stateBackend },
        { parallelism: 3 },
      );
      const expected = expectedRuleOutput(readings, sensors);
      // Alerts, switched-off sensors and readings before any rule all occur: a partial output cannot pass.
      expect(expected.alerts.length).toBeGreaterThan(500);
      expect(expected.unruled.length).toBeGreaterThan(10);
      expect(lines.filter((l) => l.startsWith('alert ')).sort()).toEqual(expected.alerts);
      expect(lines.filter((l) => l.startsWith('unruled ')).sort()).toEqual(expected.unruled);
    },
    60_000,
  );
});
