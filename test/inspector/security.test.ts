import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOrchestrator, InspectorError, type Orchestrator } from '../../src/index.js';
import { type Inspector, startInspector } from '../../src/inspector/index.js';

interface Answer {
  status: number;
  body: string;
}

/** A raw HTTP request, so that Host and Origin can be anything a browser or attacker sends. */
function send(
  inspector: Inspector,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: inspector.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: `127.0.0.1:${inspector.port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const command = (inspector: Inspector, body: unknown, headers: Record<string, string> = {}) =>
  send(inspector, {
    method: 'POST',
    path: '/api/command',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${inspector.token}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** Opens a WebSocket and says whether the server took it. */
function connects(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => {
      socket.close();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('unexpected-response', () => resolve(false));
  });
}

describe('the inspector server', () => {
  let orchestrator: Orchestrator;
  let inspector: Inspector;

  const start = async () => {
    orchestrator = createOrchestrator({
      id: 'guarded',
      mode: 'copilot',
      jobs: [{ id: 'a', run: async () => 'a' }],
    });
    inspector = await startInspector(orchestrator);
    orchestrator.start();
  };

  afterEach(async () => {
    orchestrator?.cancel();
    await inspector?.close();
  });

  it('listens on loopback and prints a URL that carries the token in its fragment', async () => {
    await start();
    expect(inspector.url).toBe(`http://127.0.0.1:${inspector.port}/#token=${inspector.token}`);
    expect(inspector.token).toMatch(/^[\w-]{43}$/);
    const page = await send(inspector, {});
    expect(page.status).toBe(200);
    expect(page.body).toContain('/vendor/dagre.min.js');
    expect((await send(inspector, { path: '/vendor/dagre.min.js' })).body).toContain('dagre');
  });

  it('refuses a Host that is not its own (DNS rebinding)', async () => {
    await start();
    const answer = await send(inspector, { headers: { host: `evil.example:${inspector.port}` } });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('evil.example');
    const rebound = await command(inspector, { type: 'APPROVE' }, { host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect(orchestrator.getView().status).toBe('awaitingApproval');
  });

  it('refuses a command from another origin, even with the token', async () => {
    await start();
    const answer = await command(inspector, { type: 'APPROVE' }, { origin: 'http://evil.example' });
    expect(answer.status).toBe(403);
    expect(orchestrator.getView().status).toBe('awaitingApproval');
  });

  it('refuses a command with a missing or wrong token', async () => {
    await start();
    const missing = await command(inspector, { type: 'APPROVE' }, { authorization: '' });
    expect(missing.status).toBe(401);
    const wrong = await command(
      inspector,
      { type: 'APPROVE' },
      { authorization: `Bearer ${inspector.token.slice(0, -1)}x` },
    );
    expect(wrong.status).toBe(401);
    expect(orchestrator.getView().status).toBe('awaitingApproval');
  });

  it('refuses an oversized body, a body that is not JSON and an unknown command', async () => {
    await start();
    const huge = await command(inspector, { type: 'CANCEL', reason: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).reason).toContain('16384');
    // Without a length announced (chunked), the limit holds as the body arrives.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: inspector.port,
          method: 'POST',
          path: '/api/command',
          headers: {
            host: `127.0.0.1:${inspector.port}`,
            'content-type': 'application/json',
            authorization: `Bearer ${inspector.token}`,
          },
        },
        (res) => resolve(res.statusCode!),
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await command(inspector, '{not json')).status).toBe(400);
    const unknown = await command(inspector, { type: 'ADD_JOB', job: {} });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).reason).toContain('APPROVE');
    const form = await command(inspector, 'type=APPROVE', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(orchestrator.getView().status).toBe('awaitingApproval');
  });

  it('takes a command with the token from its own origin, and answers a rejection with its reason', async () => {
    await start();
    const origin = inspector.origin;
    const rejected = await command(inspector, { type: 'SKIP_JOB', jobId: 'nope' }, { origin });
    expect(rejected.status).toBe(409);
    expect(JSON.parse(rejected.body)).toEqual({
      accepted: false,
      reason: 'No job "nope" in plan "guarded"; SKIP_JOB rejected',
    });
    const approved = await command(inspector, { type: 'APPROVE', checkpoint: 'start' }, { origin });
    expect(approved).toEqual({ status: 200, body: '{"accepted":true}' });
    expect((await orchestrator.whenSettled()).status).toBe('completed');
  });

  it('opens the live feed only for its own Host and Origin with the token', async () => {
    await start();
    const live = `ws://127.0.0.1:${inspector.port}/live`;
    expect(await connects(`${live}?token=${inspector.token}`)).toBe(true);
    expect(await connects(live)).toBe(false);
    expect(await connects(`${live}?token=wrong`)).toBe(false);
    expect(
      await connects(`${live}?token=${inspector.token}`, { origin: 'http://evil.example' }),
    ).toBe(false);
    expect(
      await connects(`${live}?token=${inspector.token}`, {
        host: `evil.example:${inspector.port}`,
      }),
    ).toBe(false);
  });

  it('closes a WebSocket that sends a message over the size limit', async () => {
    orchestrator = createOrchestrator({
      id: 'small',
      jobs: [{ id: 'a', run: () => new Promise(() => {}) }],
    });
    inspector = await startInspector(orchestrator, { maxMessageBytes: 1024 });
    orchestrator.start();
    const socket = new WebSocket(
      `ws://127.0.0.1:${inspector.port}/inspect?token=${inspector.token}`,
    );
    await new Promise((resolve) => socket.on('open', resolve));
    const closed = new Promise<number>((resolve) => socket.on('close', resolve));
    socket.send('x'.repeat(2048));
    expect(await closed).toBe(1009);
  });

  it('stops when the plan ends', async () => {
    orchestrator = createOrchestrator({ id: 'short', jobs: [{ id: 'a', run: async () => 'a' }] });
    inspector = await startInspector(orchestrator);
    orchestrator.start();
    await inspector.closed;
    await expect(send(inspector, {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it('needs an explicit flag for a host that is not loopback, and warns when given one', async () => {
    orchestrator = createOrchestrator({ id: 'remote', jobs: [{ id: 'a', run: async () => 'a' }] });
    await expect(startInspector(orchestrator, { host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'INSPECTOR_REMOTE',
    });
    const warnings: string[] = [];
    inspector = await startInspector(orchestrator, {
      host: '0.0.0.0',
      allowRemote: true,
      onWarning: (message) => warnings.push(message),
    });
    expect(warnings).toEqual([expect.stringContaining('0.0.0.0')]);
  });

  it('names a bad option and its bounds', async () => {
    orchestrator = createOrchestrator({ id: 'options', jobs: [{ id: 'a', run: async () => 'a' }] });
    const error = await startInspector(orchestrator, { maxBodyBytes: 10 }).catch((e) => e);
    expect(error).toBeInstanceOf(InspectorError);
    expect(error.message).toBe(
      'Inspector option maxBodyBytes must be an integer from 256 to 1048576; got 10',
    );
  });
});
