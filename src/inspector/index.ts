/**
 * `plan-orchestrator/inspector`: the live inspector, apart from the main entry so that programs
 * that never inspect do not load its server, WebSocket library and page.
 */
export type { JobLogReader } from './logs.js';
export { type Inspector, type InspectorOptions, startInspector } from './server.js';
