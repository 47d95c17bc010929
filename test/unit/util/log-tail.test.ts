import { LogTail } from '../../../runtime/util/log-tail';

test('keeps complete lines, joins chunks split mid-line, strips colours', () => {
  const tail = new LogTail();
  tail.append('first li');
  tail.append('ne\nsecond \u001b[32mgreen\u001b[39m\r\nthird (no newline yet)');
  expect(tail.tail()).toEqual({ lines: ['first line', 'second green'], droppedLines: 0 });
  tail.append('\n');
  expect(tail.tail(1)).toEqual({ lines: ['third (no newline yet)'], droppedLines: 2 });
});

test('bounded by lines and by bytes: the oldest lines go and are counted', () => {
  const byLines = new LogTail(3, 1_000_000);
  for (let i = 0; i < 10; i++) byLines.append(`line ${i}\n`);
  expect(byLines.tail()).toEqual({ lines: ['line 7', 'line 8', 'line 9'], droppedLines: 7 });

  const byBytes = new LogTail(1_000, 25, 100);
  for (let i = 0; i < 10; i++) byBytes.append(`0123456789\n`);
  expect(byBytes.tail().lines).toHaveLength(2);
  expect(byBytes.tail().droppedLines).toBe(8);
});

test('a huge line is cut instead of evicting everything else', () => {
  const tail = new LogTail(100, 1_000, 10);
  tail.append('short\n');
  tail.append(`${'x'.repeat(50)}\n`);
  expect(tail.tail().lines).toEqual(['short', `${'x'.repeat(10)}…`]);
});
