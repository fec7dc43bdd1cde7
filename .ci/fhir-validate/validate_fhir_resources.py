"""Validate every FHIR resource the tests wrote (target/fhir-samples/*.json) with PyPI's
fhir.resources (pinned in requirements.txt), a third outside validator beside validate.js
and validate-medplum.js.

fhir.resources has no R4 models (its default is R5); it parses with its R4B (4.3.0) models,
which match R4 for the resources cribs emits. Each file is parsed with the model of its
resourceType (a Bundle's entries with the models of theirs): unknown or missing elements,
wrong JSON types and malformed primitives are refused. It does not check codes against
value sets (validate.js does). Exit 1 on any invalid file, or when there is nothing to
validate.

Usage: validate_fhir_resources.py [DIR]   (default: target/fhir-samples)
"""

import json
import sys
from pathlib import Path

import fhir.resources
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

NAME = "fhir.resources-validate"


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def errors_of(path: Path) -> list[str]:
    """The reasons the file is not a valid FHIR resource; empty when it is one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return [f"not JSON: {e}"]
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        return ["no resourceType"]
    try:
        model = get_fhir_model_class(data["resourceType"])
    except ValueError:
        return [f"unknown resourceType {data['resourceType']!r}"]
    try:
        model.model_validate(data)
    except ValidationError as e:
        return [
            f"{data['resourceType']}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            f" (got {short(err['input'])})"
            for err in e.errors(include_url=False)
        ]
    except Exception as e:  # a crash in the library is a failure too, never a pass
        return [f"{type(e).__name__}: {e}"]
    return []


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # keep stdout in order with stderr in CI logs
    default = Path(__file__).resolve().parents[2] / "target" / "fhir-samples"
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        print(f"{NAME}: no resources found in {folder}; run the fhir tests first", file=sys.stderr)
        return 1
    print(f"{NAME}: fhir.resources {fhir.resources.__version__}, R4B models")
    invalid = 0
    for path in files:
        errors = errors_of(path)
        if errors:
            invalid += 1
            print(f"INVALID {path.name}:", file=sys.stderr)
            for error in errors:
                print(f"  {error}", file=sys.stderr)
        else:
            print(f"valid   {path.name}")
    print(f"{NAME}: {len(files)} files checked, {len(files) - invalid} valid, {invalid} invalid")
    return 0 if invalid == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
