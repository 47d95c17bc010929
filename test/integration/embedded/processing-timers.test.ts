import { fixtureJob, runEmbedded } from '../../helpers/embedded';

const COUNT = 200;

it('processing-time timers: registered ones fire once, at or after their time, in time order per key; deleted ones never', async () => {
  const { lines } = await runEmbedded(fixtureJob('processing-timers-job'), {
    delayMs: '2000',
    count: String(COUNT),
    pauseMs: '5000',
  });
  // Reference from the numbers alone: n's timer unless n % 3 === 0; n + 1 for n % 5 === 4 unless
  // a later number of its key (n + 5) arrived, which deletes it.
  const expected: string[] = [];
  for (let n = 0; n < COUNT; n++) {
    if (n % 3 !== 0) expected.push(`fire ${n % 5} ${n} true`);
    if (n % 5 === 4 && n + 5 >= COUNT) expected.push(`fire ${n % 5} ${n + 1} true`);
  }
  expect([...lines].sort()).toEqual(expected.sort());
  for (let key = 0; key < 5; key++) {
    const times = lines.filter((l) => l.startsWith(`fire ${key} `)).map((l) => Number(l.split(' ')[2]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  }
});
