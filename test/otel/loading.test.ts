import { describe, expect, it } from 'vitest';
import { importRefusingOtel } from '../support/import-refusing-otel.js';

describe('OpenTelemetry is loaded only by the otel entry', () => {
  it('the main entry and the test kit load without any OpenTelemetry package', async () => {
    const main = await importRefusingOtel('./src/index.ts', { tsx: true });
    expect(main).toMatchObject({ loaded: true });
    expect(main.loaded && main.exports).toContain('createOrchestrator');
    const testing = await importRefusingOtel('./src/testing/index.ts', { tsx: true });
    expect(testing.loaded && testing.exports).toContain('createTestOrchestrator');
  });

  it('the otel entry imports @opentelemetry/api (so the check above would see it)', async () => {
    const otel = await importRefusingOtel('./src/otel/index.ts', { tsx: true });
    expect(otel).toMatchObject({ loaded: false });
    expect(!otel.loaded && otel.error).toContain('OpenTelemetry loaded: @opentelemetry/api');
  });
});
