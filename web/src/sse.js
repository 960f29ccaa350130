// Server-Sent Events read from a fetch() response body. EventSource cannot send a POST body, so the
// explain stream is parsed here, following the HTML standard's event-stream rules: lines end in
// CRLF, LF or CR; "event:" names the event, "data:" lines are joined with "\n", a blank line
// dispatches; comments (":") and id/retry are ignored; a chunk may end anywhere, even between CR and LF.

/** Feeds text chunks in, calls onEvent({event, data}) for each complete event. */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.eventType = '';
    this.dataLines = [];
  }

  push(chunk) {
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR as the last character may be the first half of a CRLF still on its way.
      if (c === '\r' && i === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, i));
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: an event without its blank line is dropped, as the standard says. */
  end() {
    // Only a blank line can dispatch; a lone CR held back at the end is one.
    if (this.buffer === '\r') this.line('');
    this.buffer = '';
    this.eventType = '';
    this.dataLines = [];
  }

  line(line) {
    if (line === '') {
      if (this.dataLines.length > 0) {
        this.onEvent({ event: this.eventType || 'message', data: this.dataLines.join('\n') });
      }
      this.eventType = '';
      this.dataLines = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.dataLines.push(value);
  }
}

/** The events of a byte stream (a fetch() body), in order, as an async iterator. */
export async function* readEvents(body) {
  const queue = [];
  const parser = new SseParser((e) => queue.push(e));
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        parser.end();
        yield* queue.splice(0);
        return;
      }
      parser.push(value);
      yield* queue.splice(0);
    }
  } finally {
    reader.releaseLock();
  }
}
