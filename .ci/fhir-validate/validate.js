// Validate every FHIR resource the tests wrote (target/fhir-samples/*.json) against FHIR R4
// with the `fhir` package (bundled R4 definitions, value sets for status/intent). Exit 1 on
// any error, or when there is nothing to validate.
const fs = require('fs');
const path = require('path');
const { Fhir } = require('fhir');

const dir = process.argv[2] || path.join(__dirname, '..', '..', 'target', 'fhir-samples');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
if (files.length === 0) {
  console.error(`fhir-validate: no resources found in ${dir}; run the fhir tests first`);
  process.exit(1);
}
const fhir = new Fhir();
let failed = 0;
for (const f of files.sort()) {
  const resource = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  const errors = result.messages.filter((m) => m.severity === 'error');
  if (!result.valid || errors.length > 0) {
    failed += 1;
    console.error(`INVALID ${f}: ${JSON.stringify(errors)}`);
  } else {
    console.log(`valid   ${f} (${resource.resourceType})`);
  }
}
console.log(`fhir-validate: ${files.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
