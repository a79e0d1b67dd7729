// The official OpenAI JavaScript client (npm `openai`, v4) against a running `axvk serve`:
// models, chat (whole, streamed, seeded, logprobs, stop strings), completions (text, ids,
// streamed), concurrent streams, an aborted stream freeing its slot, and the error classes the
// client raises for the server's errors. AXVK_URL and AXVK_KEY name the server.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const base = process.env.AXVK_URL;
const key = process.env.AXVK_KEY;
const model = 'axvk-tiny';
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0, timeout: 120000 });
const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: '안녕하세요! What is a GPU?' },
];

let passed = 0;
let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

// Rejects unless fn throws an instance of cls; returns the error.
async function rejects(fn, cls) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e && e.constructor && e.constructor.name}: ${e}`);
    return e;
  }
  assert.fail(`expected ${cls.name}, nothing was thrown`);
}

async function metric(name) {
  const r = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${key}` } });
  const text = await r.text();
  const line = text.split('\n').find((l) => l.startsWith(`axvk_${name} `));
  return Number(line.split(' ')[1]);
}

async function collect(stream) {
  let text = '';
  let finish = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += (c.delta ? c.delta.content : c.text) || '';
      finish = c.finish_reason || finish;
    }
  }
  return { text, finish, usage, chunks };
}

let chatText = '';
let completionText = '';

await test('models.list', async () => {
  const page = await client.models.list();
  assert.equal(page.data.length, 1);
  assert.equal(page.data[0].id, model);
  assert.equal(page.data[0].object, 'model');
});

await test('chat.completions.create', async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 5, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.ok(r.id.startsWith('chatcmpl-'));
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 5);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 5);
  chatText = r.choices[0].message.content;
});

await test('chat streamed equals chat whole, with usage', async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 5, temperature: 0, stream: true,
    stream_options: { include_usage: true },
  });
  const got = await collect(stream);
  assert.equal(got.text, chatText);
  assert.equal(got.finish, 'length');
  assert.equal(got.usage.completion_tokens, 5);
});

await test('max_completion_tokens and a seed repeat the answer', async () => {
  const req = { model, messages, max_completion_tokens: 3, temperature: 0.9, seed: 77 };
  const a = await client.chat.completions.create(req);
  const b = await client.chat.completions.create(req);
  assert.equal(a.usage.completion_tokens, 3);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
});

await test('chat logprobs', async () => {
  const r = await client.chat.completions.create({
    model, messages, max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2,
  });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, 3);
  for (const e of content) {
    assert.equal(e.top_logprobs.length, 2);
    assert.ok(e.logprob <= 0);
    assert.equal(e.top_logprobs[0].logprob, e.logprob);
    assert.ok(e.top_logprobs[0].logprob >= e.top_logprobs[1].logprob);
  }
});

await test('chat stop string', async () => {
  const stop = chatText.slice(Math.floor(chatText.length / 2), Math.floor(chatText.length / 2) + 1);
  const r = await client.chat.completions.create({ model, messages, max_tokens: 5, temperature: 0, stop: [stop] });
  assert.equal(r.choices[0].message.content, chatText.slice(0, chatText.indexOf(stop)));
  assert.equal(r.choices[0].finish_reason, 'stop');
});

await test('completions.create', async () => {
  const r = await client.completions.create({ model, prompt: 'The weather in Seoul', max_tokens: 6, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(typeof r.choices[0].text, 'string');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 6);
  completionText = r.choices[0].text;
});

await test('completions streamed equal completions whole', async () => {
  const stream = await client.completions.create({
    model, prompt: 'The weather in Seoul', max_tokens: 6, temperature: 0, stream: true,
  });
  const got = await collect(stream);
  assert.equal(got.text, completionText);
  assert.equal(got.finish, 'length');
});

await test('completions from token ids', async () => {
  const t = await fetch(`${base}/tokenize`, {
    method: 'POST', headers: { Authorization: `Bearer ${key}` },
    body: JSON.stringify({ content: 'The weather in Seoul' }),
  });
  const { tokens } = await t.json();
  const r = await client.completions.create({ model, prompt: tokens, max_tokens: 6, temperature: 0 });
  assert.equal(r.choices[0].text, completionText);
});

await test('8 concurrent streams all complete', async () => {
  const runs = [];
  for (let i = 0; i < 8; i++) {
    runs.push(client.chat.completions
      .create({ model, messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 4, temperature: 0, stream: true })
      .then(collect));
  }
  for (const got of await Promise.all(runs)) {
    assert.equal(got.finish, 'length');
    assert.ok(got.chunks >= 2);
  }
});

await test('an aborted stream frees its slot within a second', async () => {
  const stream = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'go on and on' }], max_tokens: 1000, temperature: 0, stream: true,
  });
  let n = 0;
  for await (const chunk of stream) {
    if (++n === 3) break; // leaving the loop aborts the request
  }
  const t0 = Date.now();
  while ((await metric('requests_processing')) !== 0) {
    assert.ok(Date.now() - t0 < 1000, 'still generating a second after the client left');
    await new Promise((r) => setTimeout(r, 50));
  }
  const r = await client.completions.create({ model, prompt: 'next', max_tokens: 2, temperature: 0 });
  assert.equal(r.choices[0].finish_reason, 'length');
});

await test('a wrong key raises AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-the-key', maxRetries: 0 });
  const e = await rejects(() => bad.chat.completions.create({ model, messages, max_tokens: 1 }), OpenAI.AuthenticationError);
  assert.equal(e.status, 401);
  assert.equal(e.type, 'authentication_error');
});

await test('a wrong field type raises BadRequestError naming it', async () => {
  const e = await rejects(() => client.chat.completions.create({ model, messages, temperature: 'hot' }), OpenAI.BadRequestError);
  assert.equal(e.status, 400);
  assert.equal(e.param, 'temperature');
  assert.match(e.message, /temperature/);
});

await test('a prompt past the context raises BadRequestError exceed_context_size_error', async () => {
  const e = await rejects(() => client.completions.create({ model, prompt: 'hello '.repeat(400), max_tokens: 1 }), OpenAI.BadRequestError);
  assert.equal(e.type, 'exceed_context_size_error');
  assert.equal(e.error.n_ctx, 256);
  assert.ok(e.error.n_prompt_tokens > 256);
});

await test('an unknown path raises NotFoundError', async () => {
  await rejects(() => client.get('/nothing'), OpenAI.NotFoundError);
});

await test('no slot is left active', async () => {
  assert.equal(await metric('requests_processing'), 0);
  assert.equal(await metric('requests_deferred'), 0);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
