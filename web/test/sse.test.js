import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, readEvents } from '../src/sse.js';

function parse(chunks) {
  const events = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  parser.end();
  return events;
}

const STREAM = 'event: progress\ndata: {"progress":{"evaluationsDone":"10"}}\n\n'
  + ': a comment\nevent: result\ndata: {"result":{"model":"iris"}}\n\n';
const EXPECTED = [
  { event: 'progress', data: '{"progress":{"evaluationsDone":"10"}}' },
  { event: 'result', data: '{"result":{"model":"iris"}}' },
];

test('events in one chunk', () => {
  assert.deepEqual(parse([STREAM]), EXPECTED);
});

test('events split at every possible point, also between CR and LF', () => {
  const crlf = STREAM.replaceAll('\n', '\r\n');
  for (const text of [STREAM, crlf, STREAM.replaceAll('\n', '\r')]) {
    for (let cut = 0; cut <= text.length; cut++) {
      assert.deepEqual(parse([text.slice(0, cut), text.slice(cut)]), EXPECTED, `cut at ${cut}`);
    }
    assert.deepEqual(parse([...text]), EXPECTED, 'one character per chunk');
  }
});

test('data lines join with newlines; one leading space is dropped; no event name means message', () => {
  assert.deepEqual(parse(['data:a\ndata:  b\ndata\n\n']), [{ event: 'message', data: 'a\n b\n' }]);
});

test('a blank line without data dispatches nothing, and the event name does not leak into the next event', () => {
  assert.deepEqual(parse(['event: progress\n\ndata: x\n\n']), [{ event: 'message', data: 'x' }]);
});

test('an event without its blank line at the end of the stream is dropped', () => {
  assert.deepEqual(parse(['event: error\ndata: {"code":3}\n']), []);
  assert.deepEqual(parse(['data: x\n\r']), [{ event: 'message', data: 'x' }]);
});

test('readEvents decodes bytes split inside a multi-byte character', async () => {
  const bytes = new TextEncoder().encode('event: result\ndata: {"output":"φ"}\n\n');
  const split = bytes.indexOf(0xcf) + 1;
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice(0, split));
      controller.enqueue(bytes.slice(split));
      controller.close();
    },
  });
  const events = [];
  for await (const e of readEvents(body)) events.push(e);
  assert.deepEqual(events, [{ event: 'result', data: '{"output":"φ"}' }]);
});
