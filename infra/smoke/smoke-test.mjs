// Smoke test of a deployed scoring app (usually its staging slot) before it is swapped into production:
// the health probes answer, and when the model is deployed, one synthetic patient — built from the deployed
// version's own feature schema (midpoints of ranges, first allowed categories, optional features left out) —
// is scored and gets a risk between 0 and 1. The patient is synthetic, so the prediction record it leaves
// carries no patient data.
//
//   node infra/smoke/smoke-test.mjs --scoring URL --control URL --model NAME   (token in VIGIL_TOKEN)
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    scoring: { type: 'string' },
    control: { type: 'string' },
    model: { type: 'string', default: 'readmission' },
    attempts: { type: 'string', default: '30' },
  },
});
if (!values.scoring || !values.control) {
  console.error('usage: smoke-test.mjs --scoring URL --control URL [--model NAME]; token in VIGIL_TOKEN');
  process.exit(2);
}
const token = process.env.VIGIL_TOKEN ?? '';
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function call(base, path, init = {}) {
  const response = await fetch(new URL(path, base), { ...init, headers: { ...headers, ...init.headers } });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { raw: text.slice(0, 200) }; }
  return { status: response.status, body };
}

/** A warm-up can take a while after a deployment: retry health until it answers 200. */
async function healthy(path) {
  for (let attempt = 1; attempt <= Number(values.attempts); attempt++) {
    try {
      const { status } = await call(values.scoring, path);
      if (status === 200) return;
      console.log(`${path}: HTTP ${status} (attempt ${attempt})`);
    } catch (e) {
      console.log(`${path}: ${e.cause?.code ?? e.message} (attempt ${attempt})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  throw new Error(`${path} did not answer 200`);
}

export function syntheticPatient(features) {
  const record = {};
  for (const f of features) {
    if (!f.required) continue;
    switch (f.type) {
      case 'NUMERIC': record[f.name] = ((f.min ?? 0) + (f.max ?? (f.min ?? 0) + 1)) / 2; break;
      case 'INTEGER': record[f.name] = Math.round(((f.min ?? 0) + (f.max ?? (f.min ?? 0) + 1)) / 2); break;
      case 'BOOLEAN': record[f.name] = false; break;
      case 'CATEGORICAL': record[f.name] = f.categories[0]; break;
      default: throw new Error(`required feature ${f.name} of type ${f.type}: the smoke test cannot make one up`);
    }
  }
  return record;
}

await healthy('/v2/health/live');
await healthy('/v2/health/ready');
console.log('health: live and ready');

const model = await call(values.control, `/models/${encodeURIComponent(values.model)}`);
if (model.status === 404) {
  console.log(`model ${values.model} is not registered in this environment yet: scored nothing`);
  process.exit(0);
}
if (model.status !== 200) throw new Error(`GET /models/${values.model}: HTTP ${model.status} ${JSON.stringify(model.body?.error ?? {})}`);
const stable = model.body.summary?.deployment?.slots?.find((s) => s.slot === 'stable');
if (!stable) {
  console.log(`model ${values.model} has no deployed version yet: scored nothing`);
  process.exit(0);
}
const version = model.body.versions.find((v) => v.version === stable.version);
const features = syntheticPatient(version.manifest.features.features);
const score = await call(values.scoring, `/score/${encodeURIComponent(values.model)}`, {
  method: 'POST',
  body: JSON.stringify({ patientId: `smoke-test-${Date.now()}`, features }),
});
if (score.status !== 200 || !(score.body.risk >= 0 && score.body.risk <= 1)) {
  throw new Error(`POST /score/${values.model}: HTTP ${score.status} ${JSON.stringify(score.body?.error ?? score.body)}`);
}
console.log(`scored a synthetic patient with ${values.model} v${score.body.version}: risk ${score.body.risk}`);
