import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadLuaScript } from '../../../../runtime/coordination/redis/lua-scripts';

const LUA_DIR = path.join(__dirname, '../../../../runtime/coordination/redis/lua');
const scripts = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
/** The checkpoint id counter's and the leader election's scripts need no clock (PX is Redis's). */
const CLOCKLESS = [
  'next-checkpoint-id.lua',
  'acquire-leadership.lua',
  'renew-leadership.lua',
  'release-leadership.lua',
];
const slotRegistryScripts = scripts.filter((f) => !CLOCKLESS.includes(f));

describe('Lua scripts', () => {
  it('finds the slot registry, checkpoint id and leader election scripts', () => {
    expect(scripts.sort()).toEqual([
      'acquire-leadership.lua',
      'allocate-slot.lua',
      'free-job-slots.lua',
      'free-slot.lua',
      'heartbeat.lua',
      'list-task-managers.lua',
      'next-checkpoint-id.lua',
      'register-task-manager.lua',
      'release-leadership.lua',
      'renew-leadership.lua',
    ]);
  });

  it.each(scripts)('%s has a header naming KEYS and ARGV', (file) => {
    const source = readFileSync(path.join(LUA_DIR, file), 'utf8');
    expect(source).toMatch(/^-- KEYS\[1\]/m);
    expect(source).toMatch(/^-- ARGV\[1\]/m);
    expect(source).toMatch(/^-- Returns/m);
  });

  it.each(slotRegistryScripts)('%s expands its includes', (file) => {
    const source = loadLuaScript(file);
    expect(source).not.toMatch(/@include/);
    expect(source).toContain('local function nowMs()');
    expect(source.match(/local function nowMs\(\)/g)).toHaveLength(1);
  });
});
