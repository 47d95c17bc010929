import { HOT_EVERY, HOT_WINDOW_MS, SESSION_GAP_MS, clickAt } from '../../../functions/click-sessions';
import { QUIET_MS, WINDOW_MS, bidAt } from '../../../functions/bid-windows';
import { functionJob, runEmbedded } from '../../helpers/embedded';

/** The example jobs of the README's event-time, windows, timers and side-output sections. */
describe('window examples in functions/', () => {
  it('bid-windows: the highest bid per auction and minute, and one quiet timer per auction, equal a direct computation', async () => {
    const count = 20_000;
    const auctions = 37;
    // Reference from the raw bids: the best by price, then the earliest, then the lowest n.
    const best = new Map<string, { price: number; at: number; n: number }>();
    const last = new Map<number, number>();
    for (let n = 0; n < count; n++) {
      const b = bidAt(n, auctions);
      const start = b.at - (b.at % WINDOW_MS);
      const id = `${b.auction} ${start}`;
      const seen = best.get(id);
      if (
        !seen ||
        b.price > seen.price ||
        (b.price === seen.price && (b.at < seen.at || (b.at === seen.at && n < seen.n)))
      )
        best.set(id, { price: b.price, at: b.at, n });
      last.set(b.auction, Math.max(last.get(b.auction) ?? Number.NEGATIVE_INFINITY, b.at));
    }
    const expected = [
      ...[...best].map(([id, b]) => `max ${id} ${b.price} #${b.n}`),
      ...[...last].map(([auction, at]) => `quiet ${auction} since ${at}`),
    ];
    const { lines } = await runEmbedded(
      functionJob('bid-windows'),
      { bids: String(count), auctions: String(auctions) },
      { parallelism: 2 },
    );
    expect(QUIET_MS).toBeGreaterThan(0);
    expect([...lines].sort()).toEqual(expected.sort());
  }, 120_000);

  it('click-sessions: sessions per user, the p13 side output and count-triggered hot pages equal a direct computation', async () => {
    const count = 12_000;
    const users = 150;
    const byUser = new Map<number, { at: number; page: string }[]>();
    const perPageWindow = new Map<string, number>();
    for (let n = 0; n < count; n++) {
      const c = clickAt(n, users);
      byUser.set(c.user, [...(byUser.get(c.user) ?? []), { at: c.at, page: c.page }]);
      const id = `${c.page} ${c.at - (c.at % HOT_WINDOW_MS)}`;
      perPageWindow.set(id, (perPageWindow.get(id) ?? 0) + 1);
    }
    const expected: string[] = [];
    for (const [user, clicks] of byUser) {
      clicks.sort((a, b) => a.at - b.at);
      // A session is a run of clicks each within the gap of the last one before it ([t, t + gap) windows that touch merge).
      let session: typeof clicks = [];
      const close = (): void => {
        const start = session[0]!.at;
        const end = Math.max(...session.map((c) => c.at)) + SESSION_GAP_MS;
        expected.push(`session ${user} ${start} ${end} ${session.length}`);
        if (session.some((c) => c.page === 'p13')) expected.push(`error user ${user} hit p13 in ${start}`);
      };
      for (const c of clicks) {
        if (session.length > 0 && c.at > session.at(-1)!.at + SESSION_GAP_MS) {
          close();
          session = [];
        }
        session.push(c);
      }
      close();
    }
    for (const [id, n] of perPageWindow)
      for (let i = 0; i < Math.floor(n / HOT_EVERY); i++) expected.push(`hot ${id} ${HOT_EVERY}`);
    const { lines } = await runEmbedded(
      functionJob('click-sessions'),
      { clicks: String(count), users: String(users) },
      { parallelism: 2 },
    );
    // The input has more than one session per user, and page windows with and without a firing.
    expect(expected.filter((l) => l.startsWith('session')).length).toBeGreaterThan(users);
    expect([...lines].sort()).toEqual(expected.sort());
  }, 120_000);
});
