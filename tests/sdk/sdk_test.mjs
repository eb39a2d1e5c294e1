// The official SDKs judge our wire formats (issue 19): the `openai` and `ollama` npm
// packages (pinned, installed by scripts/setup.sh into third_party/node) against a real
// `lakehouse serve`, whose remote chat provider is a fake OpenAI-compatible server started
// here (it answers with what it received, so the test sees what reached the provider).
// Usage: node tests/sdk/sdk_test.mjs build/lakehouse   (exit 1 on the first failed check)
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startServer } from '../console/harness.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'third_party', 'node', 'package.json'));
const OpenAI = require('openai').default ?? require('openai');
const { Ollama } = require('ollama');

const binary = resolve(process.argv[2] ?? join(repo, 'build', 'lakehouse'));
let failures = 0;
function check(ok, what, detail = '') {
  if (ok) return console.log(`ok   ${what}`);
  failures++;
  console.log(`FAIL ${what} ${detail}`);
}

// The fake provider: an OpenAI-compatible /chat/completions that echoes what it got.
const received = [];
let releaseStream = () => {};
let streamHold = Promise.resolve();
let streamEndedAt = 0;
const provider = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const j = JSON.parse(body);
    received.push(j);
    const content = JSON.stringify({
      roles: j.messages.map((m) => m.role),
      contents: j.messages.map((m) => m.content),
      response_format: j.response_format ?? null,
      seed: j.seed ?? null,
      stop: j.stop ?? null,
    });
    if (j.stream) {
      // The provider's own stream: the answer in three pieces, the last one held back until
      // `streamHold` resolves, so the test can see the first pieces arrive before the end.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const cut = [0, Math.floor(content.length / 3), Math.floor((2 * content.length) / 3), content.length];
      const event = (choices, extra = {}) =>
        res.write(`data: ${JSON.stringify({ id: 'cmpl-s', object: 'chat.completion.chunk', created: 0,
                                            model: j.model, choices, ...extra })}\n\n`);
      event([{ index: 0, delta: { role: 'assistant', content: content.slice(cut[0], cut[1]) }, finish_reason: null }]);
      event([{ index: 0, delta: { content: content.slice(cut[1], cut[2]) }, finish_reason: null }]);
      streamHold.then(() => {
        event([{ index: 0, delta: { content: content.slice(cut[2]) }, finish_reason: 'stop' }]);
        if (j.stream_options?.include_usage)
          event([], { usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 } });
        res.end('data: [DONE]\n\n');
        streamEndedAt = performance.now();
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'cmpl-1', object: 'chat.completion', created: 0, model: j.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 },
    }));
  });
});
await new Promise((r) => provider.listen(0, '127.0.0.1', r));
const providerUrl = `http://127.0.0.1:${provider.address().port}`;

// The server, on an empty root and a free port (read from its log).
const root = mkdtempSync(join(tmpdir(), 'lakehouse-sdk-'));
const server = await startServer(binary, root, [], {
  env: { LAKEHOUSE_CHAT_OPENROUTER_URL: providerUrl, LAKEHOUSE_CHAT_OPENROUTER_API_KEY: 'sk-upstream' },
});
const { base } = server;

try {
  // ---- openai
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused-with-auth-off', maxRetries: 0 });
  const models = (await openai.models.list()).data.map((m) => m.id);
  check(models.includes('local/planner') && models.includes('hash/default') &&
        models.includes('openrouter/*'), 'openai models.list', JSON.stringify(models));

  const plain = await openai.chat.completions.create({
    model: 'openrouter/vendor/m1', messages: [{ role: 'user', content: 'hello' }], seed: 7, stop: ['END'],
  });
  const echoed = JSON.parse(plain.choices[0].message.content);
  check(plain.object === 'chat.completion' && plain.model === 'openrouter/vendor/m1' &&
        echoed.contents[0] === 'hello' && echoed.seed === 7 && echoed.stop[0] === 'END' &&
        plain.usage.total_tokens === 18, 'openai chat.completions.create', JSON.stringify(plain));

  const parts = await openai.chat.completions.create({
    model: 'openrouter/vendor/m1',
    messages: [{ role: 'developer', content: 'be brief' },
               { role: 'user', content: [{ type: 'text', text: 'part one' }, { type: 'text', text: 'part two' }] }],
    response_format: { type: 'json_schema', json_schema: { name: 'fill', schema: { type: 'object' } } },
  });
  const e2 = JSON.parse(parts.choices[0].message.content);
  check(e2.roles[0] === 'system' && e2.contents[1] === 'part one\npart two' &&
        e2.response_format?.json_schema?.name === 'fill',
        'openai content parts, developer role, response_format reach the provider', JSON.stringify(e2));

  // Streaming is relayed as the provider streams: the first pieces reach the SDK while the
  // provider still holds its last one (released 300 ms after the first chunk arrived).
  streamHold = new Promise((r) => (releaseStream = r));
  const stream = await openai.chat.completions.create({
    model: 'openrouter/vendor/m1', messages: [{ role: 'user', content: 'stream me' }], stream: true,
    stream_options: { include_usage: true },
  });
  let chunks = 0, text = '', firstAt = 0, usage = null;
  for await (const chunk of stream) {
    if (chunks++ === 0) { firstAt = performance.now(); setTimeout(releaseStream, 300); }
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  check(chunks >= 3 && JSON.parse(text).contents[0] === 'stream me', 'openai streaming', `${chunks} chunks`);
  check(firstAt > 0 && streamEndedAt - firstAt >= 250, 'openai streaming is relayed as it arrives',
        `first chunk ${Math.round(streamEndedAt - firstAt)} ms before the provider's end`);
  check(usage?.total_tokens === 18 && received.at(-1).stream === true &&
        received.at(-1).stream_options?.include_usage === true,
        'stream_options.include_usage: the provider\'s usage comes back', JSON.stringify(usage));

  // local/planner streams its answer in pieces too.
  let localChunks = 0, localText = '';
  for await (const chunk of await openai.chat.completions.create({
    model: 'local/planner', stream: true,
    messages: [{ role: 'user', content: 'need 2 forklift operators on nights in Norfolk, VA' }] })) {
    localChunks++;
    localText += chunk.choices[0]?.delta?.content ?? '';
  }
  check(localChunks >= 3 && localText.length > 0, 'local/planner streams in pieces', `${localChunks} chunks`);

  const b64 = await openai.embeddings.create({ model: 'hash/default', input: ['forklift', 'night shift'] });
  const flt = await openai.embeddings.create({ model: 'hash/default', input: 'forklift', encoding_format: 'float' });
  check(b64.data.length === 2 && b64.data[0].embedding.length === 384 &&
        Math.abs(b64.data[0].embedding[5] - flt.data[0].embedding[5]) < 1e-6 && b64.usage.prompt_tokens > 0,
        'openai embeddings (base64 and float agree)');

  try {
    await openai.chat.completions.create({ model: 'nope/x', messages: [{ role: 'user', content: 'x' }] });
    check(false, 'openai error');
  } catch (err) {
    check(err.status === 400 && typeof err.message === 'string' && err.type === 'invalid_request_error',
          'openai error in OpenAI\'s shape', `${err.status} ${err.type} ${err.message}`);
  }

  // ---- ollama
  const ollama = new Ollama({ host: base });
  const tags = (await ollama.list()).models.map((m) => m.name);
  check(tags.includes('local/planner'), 'ollama list', JSON.stringify(tags));
  const once = await ollama.chat({ model: 'openrouter/vendor/m1', messages: [{ role: 'user', content: 'hi' }],
                                   format: 'json', options: { seed: 3 } });
  const e3 = JSON.parse(once.message.content);
  check(once.done && e3.contents[0] === 'hi' && e3.response_format?.type === 'json_object' && e3.seed === 3,
        'ollama chat (format and options reach the provider)', JSON.stringify(once));
  let parts2 = 0, text2 = '';
  for await (const part of await ollama.chat({ model: 'openrouter/vendor/m1', stream: true,
                                               messages: [{ role: 'user', content: 'streamed words here' }] })) {
    parts2++;
    text2 += part.message.content;
  }
  check(parts2 >= 2 && JSON.parse(text2).contents[0] === 'streamed words here', 'ollama streaming', `${parts2} parts`);
  const emb = await ollama.embed({ model: 'hash/default', input: ['forklift'] });
  check(emb.embeddings.length === 1 && emb.embeddings[0].length === 384, 'ollama embed');
  check(typeof (await ollama.version()).version === 'string', 'ollama version');
} catch (err) {
  check(false, 'unexpected exception', err.stack);
} finally {
  await server.stop();
  provider.close();
  rmSync(root, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);
