// Builds dist/ after `npm install` so `npx gatehouse` works straight away; a failed build never fails the install.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
if (existsSync('tsconfig.build.json') && existsSync('node_modules/typescript')) {
  try { execSync('npx tsc -p tsconfig.build.json', { stdio: 'inherit' }); } catch { console.warn('gatehouse: build after install failed; run `npm run build`'); }
}
