import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadLuaScript } from '../../../../runtime/coordination/redis/lua-scripts';

const LUA_DIR = path.join(__dirname, '../../../../runtime/coordination/redis/lua');
const scripts = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
/** The checkpoint id counter's script needs no clock. */
const slotRegistryScripts = scripts.filter((f) => f !== 'next-checkpoint-id.lua');

describe('Lua scripts', () => {
  it('finds the slot registry and checkpoint id scripts', () => {
    expect(scripts.sort()).toEqual([
      'allocate-slot.lua',
      'free-job-slots.lua',
      'free-slot.lua',
      'heartbeat.lua',
      'list-task-managers.lua',
      'next-checkpoint-id.lua',
      'register-task-manager.lua',
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
