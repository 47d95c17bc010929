import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Real YAML files in a fresh temp directory per test; `cleanup()` removes the directory. */
export class TempYaml {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-config-'));

  write(name: string, text: string): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
